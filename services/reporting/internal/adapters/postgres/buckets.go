package postgres

import (
	"fmt"
	"strings"

	"github.com/civicase/civicase/pkg/calendar"
)

// A level is one granularity of the stored sums: every fact is added to its day, half-month,
// month and year. Half-months split a month at the 15th because the statutory periods open on the
// 15th and close on the 14th (Circular 01/2024/TT-TTCP): a quarter, a half-year or a year is then
// made of whole half-months and months, and a report reads no daily rows at all.
type level struct {
	table, column string
	// start is the first day of d's bucket; next the first day of the following bucket.
	start, next func(d calendar.Date) calendar.Date
}

func firstOfMonth(d calendar.Date) calendar.Date {
	return calendar.Date{Year: d.Year, Month: d.Month, Day: 1}
}

// HalfOf is the first day of d's half-month: the 1st or the 15th.
func HalfOf(d calendar.Date) calendar.Date {
	if d.Day >= 15 {
		return calendar.Date{Year: d.Year, Month: d.Month, Day: 15}
	}
	return firstOfMonth(d)
}

// levels from the coarsest.
var levels = []level{
	{TableFactsYear, "year", YearOf, func(d calendar.Date) calendar.Date { return calendar.Date{Year: d.Year + 1, Month: 1, Day: 1} }},
	{TableFactsMonth, "month", MonthOf, func(d calendar.Date) calendar.Date { return calendar.NewDate(d.Year, d.Month+1, 1) }},
	{TableFactsHalf, "half", HalfOf, func(d calendar.Date) calendar.Date {
		if d.Day >= 15 {
			return calendar.NewDate(d.Year, d.Month+1, 1)
		}
		return calendar.Date{Year: d.Year, Month: d.Month, Day: 15}
	}},
	{TableFactsDay, "day", func(d calendar.Date) calendar.Date { return d }, func(d calendar.Date) calendar.Date { return d.AddDays(1) }},
}

// span is a range [from, to) of whole buckets of one level.
type span struct {
	lv       level
	from, to calendar.Date
}

// spans covers the days [from, to) with the fewest buckets: at each day, the coarsest bucket
// that starts there and ends by to; consecutive buckets of one level make one span.
func spans(from, to calendar.Date) []span {
	var out []span
	for cur := from; cur.Before(to); {
		for _, lv := range levels {
			if lv.start(cur) != cur || lv.next(cur).After(to) {
				continue
			}
			end := lv.next(cur)
			if n := len(out); n > 0 && out[n-1].lv.table == lv.table && out[n-1].to == cur {
				out[n-1].to = end
			} else {
				out = append(out, span{lv: lv, from: cur, to: end})
			}
			cur = end
			break
		}
	}
	return out
}

// epoch is earlier than any fact: stocks add up everything before a period from here.
var epoch = calendar.Date{Year: 1990, Month: 1, Day: 1}

// sumsQuery builds the query of a report's sums: per unit (joined laterally, so each is a range
// scan of its own rows in the covering primary keys), the sum before the period of the stock
// metrics ($2) and the sum within it of every metric asked for ($3), each span read from the
// table of its granularity. Arguments after $3 are the spans' bounds.
func sumsQuery(from, to calendar.Date) (string, []any) {
	var parts []string
	var args []any
	add := func(ss []span, metricsArg string, before bool) {
		for _, s := range ss {
			args = append(args, pgDate(s.from), pgDate(s.to))
			b, d := "value", "0::bigint"
			if !before {
				b, d = "0::bigint", "value"
			}
			parts = append(parts, fmt.Sprintf("SELECT metric, %s AS b, %s AS d FROM %s WHERE unit = u.unit AND %s >= $%d AND %s < $%d AND metric = ANY(%s)",
				b, d, s.lv.table, s.lv.column, len(args)+2, s.lv.column, len(args)+3, metricsArg))
		}
	}
	add(spans(epoch, from), "$2", true)
	add(spans(from, to.AddDays(1)), "$3", false)
	return `SELECT u.unit, x.metric, sum(x.b)::bigint, sum(x.d)::bigint
FROM unnest($1::text[]) AS u(unit) CROSS JOIN LATERAL (
	` + strings.Join(parts, "\n\tUNION ALL\n\t") + `
) x GROUP BY u.unit, x.metric`, args
}
