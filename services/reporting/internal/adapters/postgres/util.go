package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	// The unit events the registry decodes.
	_ "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// isUndefinedTable tells whether err is PostgreSQL's "relation does not exist".
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42P01"
}

// pgDateScan receives a date column.
type pgDateScan struct{ t time.Time }
