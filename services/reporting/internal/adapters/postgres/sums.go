package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/services/reporting/internal/domain"
)

// SumsReader adds up the stored facts for reports and dashboards.
type SumsReader struct{ DB *pgxpool.Pool }

// Snapshot is what a report reads, from one consistent state of the read model.
type Snapshot struct {
	// ByUnit are the sums per unit code.
	ByUnit map[string]domain.Sums
	// Seq is the last log sequence the facts include.
	Seq uint64
}

// stockPatterns select the base metrics whose sums before a period are needed (domain.IsStock).
var stockPatterns = []string{"xld.in.%", "xld.out.%", "res.in.%", "res.out.%", "res.in_repeat.%", "res.out_repeat.%",
	"exe.due.%", "exe.done.%", "exe.due_rem.%", "exe.done_rem.%"}

// sumsSQL reads, per unit and metric, the sum before the period (stocks only: whole months from
// the monthly table, the days of the start's month from the daily one) and the sum within it
// (the period's whole months from the monthly table, its partial months from the daily one).
const sumsSQL = `
SELECT unit, metric, sum(b)::bigint, sum(d)::bigint FROM (
	SELECT unit, metric, value AS b, 0 AS d FROM facts_month_v1
		WHERE unit = ANY($1) AND month < $2 AND metric LIKE ANY($6)
	UNION ALL
	SELECT unit, metric, value, 0 FROM facts_day_v1
		WHERE unit = ANY($1) AND day >= $2 AND day < $3 AND metric LIKE ANY($6)
	UNION ALL
	SELECT unit, metric, 0, value FROM facts_month_v1
		WHERE unit = ANY($1) AND month >= $4 AND month < $5
	UNION ALL
	SELECT unit, metric, 0, value FROM facts_day_v1
		WHERE unit = ANY($1) AND day >= $3 AND day <= $7 AND NOT (day >= $4 AND day < $5)
) x GROUP BY unit, metric`

// carriedSQL counts the petitions processed in the period that were received before it.
const carriedSQL = `
SELECT unit, class, count(*) FROM processed_v1
WHERE processed_on >= $2 AND processed_on <= $3 AND received_on < $2 AND unit = ANY($1)
GROUP BY unit, class`

// Sums reads the sums of units over [from, to] in one repeatable-read snapshot, with the
// facts projection's checkpoint.
func (r SumsReader) Sums(ctx context.Context, units []string, from, to calendar.Date) (Snapshot, error) {
	snap := Snapshot{ByUnit: map[string]domain.Sums{}}
	err := pgx.BeginTxFunc(ctx, r.DB, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var seq int64
		err := tx.QueryRow(ctx, "SELECT seq FROM projection_checkpoints WHERE name = 'facts' AND version = 1").Scan(&seq)
		if err != nil {
			if isUndefinedTable(err) || err == pgx.ErrNoRows {
				return nil // nothing projected yet
			}
			return err
		}
		snap.Seq = uint64(seq)
		fullFrom, fullTo := fullMonths(from, to)
		rows, err := tx.Query(ctx, sumsSQL, units, pgDate(MonthOf(from)), pgDate(from), pgDate(fullFrom), pgDate(fullTo), stockPatterns, pgDate(to))
		if err != nil {
			return err
		}
		for rows.Next() {
			var unit, metric string
			var b, d int64
			if err := rows.Scan(&unit, &metric, &b, &d); err != nil {
				return err
			}
			snap.add(unit, metric, domain.Window{Before: b, During: d})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, carriedSQL, units, pgDate(from), pgDate(to))
		if err != nil {
			return err
		}
		for rows.Next() {
			var unit, class string
			var n int64
			if err := rows.Scan(&unit, &class, &n); err != nil {
				return err
			}
			snap.add(unit, domain.M(domain.XLDOutCarried, class), domain.Window{During: n})
		}
		return rows.Err()
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("reporting: read sums: %w", err)
	}
	return snap, nil
}

func (s *Snapshot) add(unit, metric string, w domain.Window) {
	u := s.ByUnit[unit]
	if u == nil {
		u = domain.Sums{}
		s.ByUnit[unit] = u
	}
	u.Add(domain.Sums{metric: w})
}

// fullMonths is the span [fullFrom, fullTo) of the whole calendar months within [from, to]; it
// is empty (fullFrom == fullTo) when there are none.
func fullMonths(from, to calendar.Date) (calendar.Date, calendar.Date) {
	ff := MonthOf(from)
	if from.Day != 1 {
		ff = calendar.NewDate(from.Year, from.Month+1, 1)
	}
	ft := MonthOf(to)
	if to.AddDays(1).Day == 1 { // to is a month's last day
		ft = to.AddDays(1)
	}
	if !ff.Before(ft) {
		return ff, ff
	}
	return ff, ft
}

// Monthly returns, per calendar month touched by [from, to], the sum of metrics for units
// within the period.
func (r SumsReader) Monthly(ctx context.Context, units, metrics []string, from, to calendar.Date) (map[calendar.Date]int64, error) {
	rows, err := r.DB.Query(ctx, `SELECT date_trunc('month', day)::date, sum(value)::bigint FROM facts_day_v1
		WHERE unit = ANY($1) AND metric = ANY($2) AND day >= $3 AND day <= $4 GROUP BY 1`, units, metrics, pgDate(from), pgDate(to))
	if err != nil {
		if isUndefinedTable(err) {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	out := map[calendar.Date]int64{}
	for rows.Next() {
		var m time.Time
		var v int64
		if err := rows.Scan(&m, &v); err != nil {
			return nil, err
		}
		out[dateOfPG(m)] = v
	}
	return out, rows.Err()
}
