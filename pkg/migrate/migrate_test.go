package migrate_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/civicase/civicase/pkg/migrate"
	"github.com/civicase/civicase/pkg/testenv"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var twoMigrations = fstest.MapFS{
	"00001_cases.sql": {Data: []byte(`-- +goose Up
CREATE TABLE cases_v1 (id text PRIMARY KEY);
-- +goose Down
DROP TABLE cases_v1;
`)},
	"00002_checkpoint.sql": {Data: []byte(`-- +goose Up
CREATE TABLE checkpoint (seq bigint NOT NULL);
INSERT INTO checkpoint VALUES (0);
-- +goose Down
DROP TABLE checkpoint;
`)},
}

// tablesIn lists the tables of a schema.
func tablesIn(t *testing.T, pool *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestUpRunsEachServiceInItsOwnSchema(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	applied, err := migrate.Up(ctx, dsn, twoMigrations, "intake")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(applied, []int64{1, 2}) {
		t.Fatalf("applied %v, want [1 2]", applied)
	}
	// The same migrations in another schema through a pool: independent tables and history.
	if applied, err := migrate.UpPool(ctx, pool, twoMigrations, "routing"); err != nil || len(applied) != 2 {
		t.Fatalf("routing: applied %v, err %v", applied, err)
	}
	want := []string{"cases_v1", "checkpoint", migrate.VersionTable}
	for _, schema := range []string{"intake", "routing"} {
		if got := tablesIn(t, pool, schema); !slices.Equal(got, want) {
			t.Errorf("schema %s has tables %v, want %v", schema, got, want)
		}
	}
	if got := tablesIn(t, pool, "public"); len(got) != 0 {
		t.Errorf("public schema got tables %v, want none", got)
	}

	// Running again is a no-op; a new migration is applied alone.
	if applied, err := migrate.Up(ctx, dsn, twoMigrations, "intake"); err != nil || len(applied) != 0 {
		t.Fatalf("rerun: applied %v, err %v", applied, err)
	}
	three := fstest.MapFS{"00003_more.sql": {Data: []byte("-- +goose Up\nALTER TABLE cases_v1 ADD COLUMN title text;\n")}}
	for k, v := range twoMigrations {
		three[k] = v
	}
	if applied, err := migrate.Up(ctx, dsn, three, "intake"); err != nil || !slices.Equal(applied, []int64{3}) {
		t.Fatalf("third: applied %v, err %v", applied, err)
	}
	var version int64
	if err := pool.QueryRow(ctx, `SELECT max(version_id) FROM intake.goose_db_version`).Scan(&version); err != nil || version != 3 {
		t.Fatalf("intake version %d, err %v; want 3", version, err)
	}
	if err := pool.QueryRow(ctx, `SELECT max(version_id) FROM routing.goose_db_version`).Scan(&version); err != nil || version != 2 {
		t.Fatalf("routing version %d, err %v; want 2", version, err)
	}
}

func TestConcurrentReplicasMigrateOnce(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	const replicas = 4
	var wg sync.WaitGroup
	results := make([][]int64, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() { results[i], errs[i] = migrate.Up(ctx, dsn, twoMigrations, "audit") })
	}
	wg.Wait()
	var all []int64
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		all = append(all, results[i]...)
	}
	slices.Sort(all)
	if !slices.Equal(all, []int64{1, 2}) {
		t.Fatalf("replicas applied %v together, want each migration once: [1 2]", all)
	}
}

func TestFailedMigrationRollsBackAndStops(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	broken := fstest.MapFS{
		"00001_ok.sql":     twoMigrations["00001_cases.sql"],
		"00002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE half (id int);\nSELECT no_such_function();\n")},
	}
	applied, err := migrate.Up(ctx, dsn, broken, "reporting")
	if err == nil {
		t.Fatal("broken migration reported success")
	}
	if !slices.Equal(applied, []int64{1}) {
		t.Fatalf("applied %v, want [1]", applied)
	}
	pool := testPool(t, dsn)
	if got := tablesIn(t, pool, "reporting"); !slices.Equal(got, []string{"cases_v1", migrate.VersionTable}) {
		t.Fatalf("tables after failure %v: the broken migration must leave nothing behind", got)
	}
}

func TestRejectsUnsafeSchemaNames(t *testing.T) {
	for _, schema := range []string{"", "Intake", "a-b", `x"; DROP TABLE y; --`, "pg_catalog", "1abc"} {
		if _, err := migrate.Up(context.Background(), "postgres://unused", twoMigrations, schema); !errors.Is(err, migrate.ErrBadSchema) {
			t.Errorf("schema %q: err %v, want ErrBadSchema", schema, err)
		}
	}
}

func testPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
