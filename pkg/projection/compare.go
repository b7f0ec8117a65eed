package projection

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier runs a query of one row; a pool, a connection and a transaction all are one.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// CompareTables counts the rows by which two tables with the same columns differ, as multisets:
// 0 means identical contents. Names may be schema-qualified ("intake.cases_v1"). It is how a rebuilt
// version is checked against the live one, and how the audit tool checks a replay.
func CompareTables(ctx context.Context, q Querier, a, b string) (int64, error) {
	ta := pgx.Identifier(strings.Split(a, ".")).Sanitize()
	tb := pgx.Identifier(strings.Split(b, ".")).Sanitize()
	var n int64
	err := q.QueryRow(ctx, "SELECT count(*) FROM ((TABLE "+ta+" EXCEPT ALL TABLE "+tb+") UNION ALL (TABLE "+tb+" EXCEPT ALL TABLE "+ta+")) AS d").Scan(&n)
	return n, err
}
