// Package migrate applies a service's embedded SQL migrations (goose format) inside the service's
// own PostgreSQL schema: each service owns one schema (DESIGN.md, projections), and the goose version
// table lives in that schema too, so services migrate independently and never see each other's
// history.
//
// Migrations are written without schema names; they run with search_path set to the schema alone.
// Several replicas of a service may start at once: a PostgreSQL advisory lock per schema lets one
// migrate while the others wait, then find nothing left to do.
//
//	//go:embed migrations/*.sql
//	var migrations embed.FS
//
//	sub, _ := fs.Sub(migrations, "migrations")
//	applied, err := migrate.UpPool(ctx, pool, sub, "intake")
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// VersionTable is the name of goose's version table inside each schema.
const VersionTable = "goose_db_version"

// schemaName accepts plain lower-case identifiers, which need no quoting anywhere; "pg_" names are
// reserved by PostgreSQL.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ErrBadSchema is returned for a schema name that is not a plain lower-case identifier.
var ErrBadSchema = errors.New("migrate: schema name must match [a-z_][a-z0-9_]*, at most 63 bytes, not pg_*")

// Up applies the pending migrations in fsys (goose .sql files at its root) to schema in the
// database at dsn, creating the schema if needed. It returns the versions it applied, in order.
func Up(ctx context.Context, dsn string, fsys fs.FS, schema string) ([]int64, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return up(ctx, cfg, fsys, schema)
}

// UpPool is Up for the database of pool. It opens its own connections with the pool's settings,
// since the pool's connections keep their own search_path.
func UpPool(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, schema string) ([]int64, error) {
	return up(ctx, pool.Config().ConnConfig.Copy(), fsys, schema)
}

func up(ctx context.Context, cfg *pgx.ConnConfig, fsys fs.FS, schema string) ([]int64, error) {
	if !schemaName.MatchString(schema) || len(schema) >= 3 && schema[:3] == "pg_" {
		return nil, fmt.Errorf("%w: %q", ErrBadSchema, schema)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()

	unlock, err := lockSchema(ctx, db, schema)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Under the lock: CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin.
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return nil, fmt.Errorf("migrate: create schema %s: %w", schema, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(schema+"."+VersionTable),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("migrate: schema %s: %w", schema, err)
	}
	results, err := p.Up(ctx)
	if partial, ok := errors.AsType[*goose.PartialError](err); ok {
		results = partial.Applied
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	if err != nil {
		return applied, fmt.Errorf("migrate: schema %s: %w", schema, err)
	}
	return applied, nil
}

// lockSchema takes a session advisory lock keyed by the schema name on a connection of its own and
// returns its release. pg_advisory_lock waits in the server, so a waiting replica proceeds as soon
// as the first one is done.
func lockSchema(ctx context.Context, db *sql.DB, schema string) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("civicase/migrate\x00" + schema))
	id := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", id); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("migrate: lock schema %s: %w", schema, err)
	}
	return func() {
		// Closing the session releases the lock even if the unlock fails.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", id)
		_ = conn.Close()
	}, nil
}
