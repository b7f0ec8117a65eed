package projection_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/testenv"
)

// syncProbe records the synchronous_commit setting its transactions run with.
type syncProbe struct {
	name string
	seen []string
}

func (p *syncProbe) Name() string                        { return p.name }
func (p *syncProbe) Version() int                        { return 1 }
func (p *syncProbe) Tables() []string                    { return []string{} }
func (p *syncProbe) Setup(context.Context, pgx.Tx) error { return nil }
func (p *syncProbe) Apply(ctx context.Context, tx *projection.Tx, _ eventstore.Commit) error {
	var v string
	if err := tx.QueryRow(ctx, "SHOW synchronous_commit").Scan(&v); err != nil {
		return err
	}
	p.seen = append(p.seen, v)
	return nil
}

// AsyncCommit turns the WAL flush off for the runner's own transactions only; without it the
// database's setting stands (here "on", set for the database, over the test cluster's "off").
func TestAsyncCommitIsTheRunnersChoiceAndOtherwiseTheServerDecides(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.PostgresDSN(t)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn) // opened after the ALTER: its sessions start with "on"
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	n := testenv.StartNATS(t)
	e := &env{nats: n, store: openStore(t, n.Conn), pool: pool, tails: map[eventstore.Aggregate]eventstore.Tail{}}
	e.append(t, 3)
	for _, c := range []struct {
		async bool
		want  string
	}{{false, "on"}, {true, "off"}} {
		p := &syncProbe{name: fmt.Sprintf("sync_probe_%v", c.async)}
		r, err := projection.NewRunner(p, projection.Config{Store: e.store, Pool: e.pool, Schema: schema,
			Logger: slog.New(slog.DiscardHandler), AsyncCommit: c.async})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if len(p.seen) == 0 {
			t.Fatal("nothing applied")
		}
		for _, v := range p.seen {
			if v != c.want {
				t.Errorf("AsyncCommit %v: a transaction ran with synchronous_commit %s, want %s", c.async, v, c.want)
			}
		}
		// The setting was the transaction's: the pool's sessions keep the database's.
		var after string
		if err := e.pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&after); err != nil || after != "on" {
			t.Errorf("a pooled session after the runner: %q, %v", after, err)
		}
	}
}
