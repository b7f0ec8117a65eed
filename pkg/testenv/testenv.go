// Package testenv gives integration tests the real engines: an embedded NATS JetStream server per
// test (random port, temporary storage) and a throwaway PostgreSQL cluster per test binary, started
// from the machine's binaries, with a fresh database per test.
//
// A package that uses Postgres runs its tests through Main so the cluster is stopped and its files
// removed when the binary ends:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// CIVICASE_TEST_DATABASE_URL points the tests at an existing server instead (a database is still
// created per test).
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/civicase/civicase/pkg/natsembed"
	"github.com/civicase/civicase/pkg/pgcluster"
)

// NATS is an embedded JetStream server with a client connection.
type NATS struct {
	Server *server.Server
	Conn   *nats.Conn
	JS     jetstream.JetStream
	tb     testing.TB
	dir    string
	port   int // 0 until the first start picks one; restarts reuse it
	sync   bool
}

// NATSOption configures StartNATS.
type NATSOption func(*NATS)

// SyncAlways makes the server fsync every write before acknowledging it, as a single-node
// production server runs; benchmarks and durability tests use it.
func SyncAlways() NATSOption { return func(n *NATS) { n.sync = true } }

// StartNATS starts a JetStream server on a random loopback port with storage in a temporary
// directory; it is shut down when the test ends.
func StartNATS(tb testing.TB, opts ...NATSOption) *NATS {
	tb.Helper()
	n := &NATS{tb: tb, dir: tb.TempDir()}
	for _, o := range opts {
		o(n)
	}
	n.start()
	tb.Cleanup(n.shutdown)
	return n
}

func (n *NATS) start() {
	tb := n.tb
	tb.Helper()
	s, err := natsembed.Start(natsembed.Options{StoreDir: n.dir, Port: n.port, SyncAlways: n.sync})
	if err != nil {
		tb.Fatal(err)
	}
	n.Server = s
	n.port = s.Addr().(*net.TCPAddr).Port // a restart comes back on the same port
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		tb.Fatalf("nats connect: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	n.Conn, n.JS = nc, js
}

// URL is the client URL of the server.
func (n *NATS) URL() string { return n.Server.ClientURL() }

// Restart stops the server and starts it again on the same port and storage, as after a crash of
// the NATS process; the old connection is closed and a new one made.
func (n *NATS) Restart() {
	n.tb.Helper()
	n.shutdown()
	n.start()
}

func (n *NATS) shutdown() {
	if n.Conn != nil {
		n.Conn.Close()
	}
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Postgres cluster shared by the tests of one binary.
var (
	pgOnce    sync.Once
	pgCluster *pgcluster.Cluster
	pgAdmin   string // DSN of a database to run CREATE DATABASE from
	pgDSNFor  func(db string) string
	pgErr     error
	pgRoot    string
	dbCounter atomic.Int64
)

// Main runs the tests and then stops the binary's PostgreSQL cluster, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if pgCluster != nil {
		_ = pgCluster.Stop()
	}
	if pgRoot != "" {
		_ = os.RemoveAll(pgRoot)
	}
	os.Exit(code)
}

func startCluster() {
	if url := os.Getenv("CIVICASE_TEST_DATABASE_URL"); url != "" {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			pgErr = fmt.Errorf("CIVICASE_TEST_DATABASE_URL: %w", err)
			return
		}
		_ = cfg
		pgAdmin = url
		pgDSNFor = func(db string) string { return replaceDatabase(url, db) }
		return
	}
	// t.TempDir()'s parent is 0700 and root-owned; the server user needs a path it can traverse.
	root, err := os.MkdirTemp("", "civicase-pg-")
	if err != nil {
		pgErr = err
		return
	}
	pgRoot = root
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logf, _ := os.Create(filepath.Join(root, "server.log"))
	pgCluster, pgErr = pgcluster.Start(ctx, pgcluster.Options{Dir: root, Log: logf})
	if pgErr == nil {
		pgAdmin = pgCluster.DSN("postgres")
		pgDSNFor = pgCluster.DSN
	}
}

// replaceDatabase swaps the database name of a URL or keyword/value connection string.
func replaceDatabase(dsn, db string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + db
			return u.String()
		}
	}
	return dsn + " dbname=" + db
}

// PostgresDSN creates a fresh, empty database for this test and returns its connection string.
// The database is dropped when the test ends.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	pgOnce.Do(startCluster)
	if pgErr != nil {
		tb.Fatalf("postgres: %v", pgErr)
	}
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbCounter.Add(1))
	ctx := context.Background()
	if err := pgcluster.CreateDatabase(ctx, pgAdmin, name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, pgAdmin)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return pgDSNFor(name)
}

// Postgres creates a fresh database for this test and returns a pool on it, closed when the test ends.
func Postgres(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), PostgresDSN(tb))
	if err != nil {
		tb.Fatalf("pgxpool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Eventually polls cond until it returns true or the deadline passes; tests use it instead of sleeping.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("condition not met within %v: "+format, append([]any{timeout}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WorldTraversableTempDir is a temporary directory that other users can enter (t.TempDir's parent
// is private), for a PostgreSQL server that runs as the postgres user; removed when the test ends.
func WorldTraversableTempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "civicase-test-")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
