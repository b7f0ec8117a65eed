package testenv_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/civicase/civicase/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPostgresDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := testenv.Postgres(t), testenv.Postgres(t)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table created in one test database is visible in another")
	}
}

func TestNATSKeepsStreamsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	n := testenv.StartNATS(t)
	if _, err := n.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.JS.Publish(ctx, "s.1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	n.Restart()
	s, err := n.JS.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().State.Msgs; got != 1 {
		t.Fatalf("messages after restart = %d, want 1", got)
	}
}
