package projection_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/testenv"
)

// eventRows is the benchmark's read model: one row per event, inserted. Its columns are what a
// case list shows of an event.
type eventRows struct {
	version int
	mode    string // how Apply writes: "copy" (Tx.CopyRow), "queue" (Tx.Queue), "exec" (Tx.Exec), "none" (not at all)
	name    string // table
	insert  string
}

func newEventRows(version int, mode string) *eventRows {
	p := &eventRows{version: version, mode: mode, name: fmt.Sprintf("events_%s_v%d", mode, version)}
	p.insert = fmt.Sprintf(insertEvent, p.name)
	return p
}

var eventColumns = []string{"seq", "idx", "aggregate_type", "aggregate_id", "version", "event_type", "occurred_at", "event_id"}

const eventTableDDL = `CREATE TABLE %s (seq bigint NOT NULL, idx int NOT NULL, aggregate_type text NOT NULL,
	aggregate_id text NOT NULL, version bigint NOT NULL, event_type text NOT NULL,
	occurred_at timestamptz NOT NULL, event_id text NOT NULL, PRIMARY KEY (seq, idx))`

const insertEvent = `INSERT INTO %s VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func (p *eventRows) Name() string     { return "events_" + p.mode }
func (p *eventRows) Version() int     { return p.version }
func (p *eventRows) table() string    { return p.name }
func (p *eventRows) Tables() []string { return []string{p.table()} }

func (p *eventRows) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(eventTableDDL, p.table()))
	return err
}

func (p *eventRows) Apply(ctx context.Context, tx *projection.Tx, c eventstore.Commit) error {
	if p.mode == "none" {
		return nil
	}
	for _, e := range c.Events {
		row := eventRow(e)
		switch p.mode {
		case "copy":
			tx.CopyRow(p.table(), eventColumns, row...)
		case "queue":
			tx.Queue(p.insert, row...)
		default:
			if _, err := tx.Exec(ctx, p.insert, row...); err != nil {
				return err
			}
		}
	}
	return nil
}

func eventRow(e eventstore.StoredEvent) []any {
	env := e.Envelope
	return []any{int64(e.Seq), int32(e.Index), env.GetAggregateType(), env.GetAggregateId(), int64(env.GetAggregateVersion()),
		env.GetEventType(), env.GetOccurredAt().AsTime(), env.GetEventId()}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkCatchUp measures catching up a one-row-per-event read model (rows inserted, no upsert)
// from a log of CIVICASE_BENCH_EVENTS events (default 100000) in commits of
// CIVICASE_BENCH_EVENTS_PER_COMMIT events (default 1) over 1000 aggregates, against raw pgx
// CopyFrom of the same rows into an identical table in the same run. CIVICASE_BENCH_BATCH sets
// Config.MaxBatch (default: the runner's own, DefaultMaxBatch). The sub-benchmarks differ in how
// the handler writes: COPY rows (Tx.CopyRow), queued statements (Tx.Queue), or a statement per
// event (Tx.Exec); "none" writes nothing, so it measures reading and decoding the log and moving
// the checkpoint — the most any handler can reach on this machine.
func BenchmarkCatchUp(b *testing.B) {
	n := envInt("CIVICASE_BENCH_EVENTS", 100_000)
	batch := envInt("CIVICASE_BENCH_BATCH", 0)
	perCommit := envInt("CIVICASE_BENCH_EVENTS_PER_COMMIT", 1)
	ctx := context.Background()
	nc := testenv.StartNATS(b, testenv.SyncAlways())
	store := openStore(b, nc.Conn)
	pool := testenv.Postgres(b)

	start := time.Now()
	appendParallel(b, store, n, perCommit, 1000)
	b.Logf("appended %d events in %v", n, time.Since(start))
	var rows [][]any
	if err := store.Read(ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		for _, e := range c.Events {
			rows = append(rows, eventRow(e))
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}

	last, err := store.LastSeq(ctx)
	if err != nil {
		b.Fatal(err)
	}
	version := 0
	for _, mode := range []string{"copy", "queue", "exec", "none"} {
		b.Run(mode, func(b *testing.B) {
			var projected, raw time.Duration
			for b.Loop() {
				version++
				p := newEventRows(version, mode)
				r, err := projection.NewRunner(p, projection.Config{Store: store, Pool: pool, Schema: "bench", MaxBatch: batch, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := r.CatchUp(ctx); err != nil {
					b.Fatal(err)
				}
				projected += time.Since(t0)

				rawTable := fmt.Sprintf("bench.raw_%s_v%d", mode, version)
				if _, err := pool.Exec(ctx, fmt.Sprintf(eventTableDDL, rawTable)); err != nil {
					b.Fatal(err)
				}
				t0 = time.Now()
				copied, err := pool.CopyFrom(ctx, pgx.Identifier{"bench", fmt.Sprintf("raw_%s_v%d", mode, version)}, eventColumns, pgx.CopyFromRows(rows))
				if err != nil || copied != int64(n) {
					b.Fatalf("raw copy: %d rows, %v", copied, err)
				}
				raw += time.Since(t0)

				if mode == "none" {
					if cp := r.Status().CheckpointSeq; cp != last {
						b.Fatalf("checkpoint at %d after catching up with a log ending at %d", cp, last)
					}
				} else if d, err := projection.CompareTables(ctx, pool, "bench."+p.table(), rawTable); err != nil || d != 0 {
					b.Fatalf("projected and copied tables differ by %d rows (%v)", d, err)
				}
				if _, err := pool.Exec(ctx, fmt.Sprintf("DROP TABLE bench.%s, %s", p.table(), rawTable)); err != nil {
					b.Fatal(err)
				}
			}
			projRate := float64(b.N*n) / projected.Seconds()
			rawRate := float64(b.N*n) / raw.Seconds()
			b.ReportMetric(projRate, "events/s")
			b.ReportMetric(rawRate, "raw-copy-rows/s")
			b.ReportMetric(projRate/rawRate, "ratio")
		})
	}
}

// appendParallel appends n events in commits of perCommit over aggregates aggregates, from as many
// writers as there are aggregates up to 64, so that setup is bounded by the server's fsyncs, not
// round trips.
func appendParallel(b *testing.B, store *eventstore.Store, n, perCommit, aggregates int) {
	b.Helper()
	writers := min(64, aggregates)
	commits := (n + perCommit - 1) / perCommit
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			tails := map[eventstore.Aggregate]eventstore.Tail{}
			for i := w; i < commits; i += writers {
				agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("p-%d", w+writers*((i/writers)%(aggregates/writers)))}
				events := make([]eventstore.Event, min(perCommit, n-i*perCommit))
				for j := range events {
					events[j] = eventstore.Event{Type: eventTypes[(i+j)%len(eventTypes)], Payload: wrapperspb.String("petition text is sealed, this is a stand-in of similar size")}
				}
				res, err := store.Append(context.Background(), agg, tails[agg], eventstore.Metadata{CommandID: fmt.Sprintf("cmd-%d", i)}, events...)
				if err != nil {
					errs <- err
					return
				}
				tails[agg] = res.Tail()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
