package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/services/reporting/internal/domain"
)

// SumsReader adds up the stored facts for reports and dashboards.
type SumsReader struct {
	DB *pgxpool.Pool
	// Schema, when set, is read by Sums instead of the pool's own schema: a past state of the
	// read model (PastStates).
	Schema string
}

// Snapshot is what a report reads, from one consistent state of the read model.
type Snapshot struct {
	// ByUnit are the sums per unit code.
	ByUnit map[string]domain.Sums
	// Seq is the last log sequence the facts include.
	Seq uint64
}

// carriedSQL counts the petitions processed in the period that were received before it:
// received_on < F <= processed_on is "[received_on, processed_on) contains F-1".
const carriedSQL = `
SELECT unit, class, count(*) FROM processed_v1
WHERE daterange(received_on, processed_on, '[)') @> ($2::date - 1) AND processed_on <= $3 AND unit = ANY($1)
GROUP BY unit, class`

// Sums reads the sums of base metrics (all of them when metrics is nil) of units over
// [from, to] in one repeatable-read snapshot, with the facts projection's checkpoint.
func (r SumsReader) Sums(ctx context.Context, units, metrics []string, from, to calendar.Date) (Snapshot, error) {
	snap := Snapshot{ByUnit: map[string]domain.Sums{}}
	if metrics == nil {
		all, err := r.metrics(ctx)
		if err != nil {
			return Snapshot{}, err
		}
		metrics = all
	}
	var stocks []string
	carried := false
	for _, m := range metrics {
		if domain.IsStock(m) {
			stocks = append(stocks, m)
		}
		carried = carried || strings.HasPrefix(m, domain.XLDOutCarried+".")
	}
	err := pgx.BeginTxFunc(ctx, r.DB, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if r.Schema != "" {
			if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", r.Schema); err != nil {
				return err
			}
		}
		var seq int64
		err := tx.QueryRow(ctx, "SELECT seq FROM projection_checkpoints WHERE name = 'facts' AND version = 1").Scan(&seq)
		if err != nil {
			if isUndefinedTable(err) || errors.Is(err, pgx.ErrNoRows) {
				return errNothingProjected // not nil: the failed statement aborted the transaction
			}
			return err
		}
		snap.Seq = uint64(seq)
		// The query is short and planned anew each time: JIT compilation costs more than it saves,
		// and the aggregate of a province fits in memory. Rows of one unit lie scattered over the
		// heap (they are written as events arrive), so a bitmap heap scan reads a page per row;
		// the covering primary keys give index-only scans instead.
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL enable_bitmapscan = off"); err != nil {
			return err
		}
		sql, spanArgs := sumsQuery(from, to)
		rows, err := tx.Query(ctx, sql, append([]any{units, stocks, metrics}, spanArgs...)...)
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
		if err := rows.Err(); err != nil || !carried {
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
	if errors.Is(err, errNothingProjected) {
		return Snapshot{ByUnit: map[string]domain.Sums{}}, nil
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("reporting: read sums: %w", err)
	}
	return snap, nil
}

// errNothingProjected ends the read of a read model that has no facts yet (Seq 0, no sums).
var errNothingProjected = errors.New("nothing projected yet")

// metrics lists every base metric stored (dashboards read them all).
func (r SumsReader) metrics(ctx context.Context) ([]string, error) {
	rows, err := r.DB.Query(ctx, "SELECT DISTINCT metric FROM "+TableFactsYear)
	if err != nil {
		if isUndefinedTable(err) {
			return []string{}, nil
		}
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, c := range domain.Classes {
		out = append(out, domain.M(domain.XLDOutCarried, string(c)))
	}
	return out, nil
}

func (s *Snapshot) add(unit, metric string, w domain.Window) {
	u := s.ByUnit[unit]
	u.Put(metric, w)
	s.ByUnit[unit] = u
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

// Explain returns PostgreSQL's plan, with timings, of the sums query of a report: for benchmarks.
func (r SumsReader) Explain(ctx context.Context, units, metrics []string, from, to calendar.Date) (string, error) {
	var stocks []string
	for _, m := range metrics {
		if domain.IsStock(m) {
			stocks = append(stocks, m)
		}
	}
	sql, spanArgs := sumsQuery(from, to)
	conn, err := r.DB.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET jit = off; SET work_mem = '64MB'; SET enable_bitmapscan = off"); err != nil {
		return "", err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "RESET jit; RESET work_mem; RESET enable_bitmapscan")
	rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, append([]any{units, stocks, metrics}, spanArgs...)...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), err
}
