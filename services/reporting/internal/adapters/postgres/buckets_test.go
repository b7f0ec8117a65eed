package postgres

import (
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
)

func TestSpansCoverStatutoryPeriodsWithoutDays(t *testing.T) {
	d := calendar.MustParseDate
	for _, c := range []struct {
		from, to string // [from, to)
		want     string
	}{
		{"2024-12-15", "2025-03-15", "facts_half_v1 2024-12-15..2025-01-01; facts_month_v1 2025-01-01..2025-03-01; facts_half_v1 2025-03-01..2025-03-15"},
		{"2024-12-15", "2025-12-15", "facts_half_v1 2024-12-15..2025-01-01; facts_month_v1 2025-01-01..2025-12-01; facts_half_v1 2025-12-01..2025-12-15"},
		{"1990-01-01", "2024-12-15", "facts_year_v1 1990-01-01..2024-01-01; facts_month_v1 2024-01-01..2024-12-01; facts_half_v1 2024-12-01..2024-12-15"},
		{"2025-02-03", "2025-02-20", "facts_day_v1 2025-02-03..2025-02-20"},
		{"2025-02-10", "2025-04-02", "facts_day_v1 2025-02-10..2025-02-15; facts_half_v1 2025-02-15..2025-03-01; facts_month_v1 2025-03-01..2025-04-01; facts_day_v1 2025-04-01..2025-04-02"},
	} {
		var got []string
		for _, s := range spans(d(c.from), d(c.to)) {
			got = append(got, s.lv.table+" "+s.from.String()+".."+s.to.String())
		}
		if g := strings.Join(got, "; "); g != c.want {
			t.Errorf("[%s, %s): %s, want %s", c.from, c.to, g, c.want)
		}
	}
}
