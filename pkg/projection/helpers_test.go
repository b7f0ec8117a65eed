package projection_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const schema = "intake"

// counter is the test projection: one row per applied event in applied_vN, whose primary key
// (seq, idx) makes a second application of an event fail, and per aggregate the number of events,
// the last event type and the last version in aggregates_vN. It mixes the three ways of writing:
// COPY rows for applied, and for aggregates a direct Exec on even sequences and a queued statement
// on odd ones, so the order of deferred writes matters.
type counter struct {
	version int
	types   []string                        // filter; nil means every aggregate type
	failOn  func(c eventstore.Commit) error // Apply's error for c, if any
	panicOn uint64                          // panic at this sequence
	badRow  uint64                          // write a row at this sequence that fails its CHECK at flush
}

func (p *counter) Name() string { return "counter" }
func (p *counter) Version() int { return p.version }
func (p *counter) Tables() []string {
	return []string{p.appliedTable(), p.aggregatesTable()}
}
func (p *counter) appliedTable() string    { return fmt.Sprintf("applied_v%d", p.version) }
func (p *counter) aggregatesTable() string { return fmt.Sprintf("aggregates_v%d", p.version) }

func (p *counter) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %s (seq bigint NOT NULL, idx int NOT NULL CHECK (idx >= 0), event_type text NOT NULL, PRIMARY KEY (seq, idx));
		CREATE TABLE %s (aggregate_type text NOT NULL, aggregate_id text NOT NULL, events bigint NOT NULL,
			last_event_type text NOT NULL, last_version bigint NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id))`,
		p.appliedTable(), p.aggregatesTable()))
	return err
}

func (p *counter) Apply(ctx context.Context, tx *projection.Tx, c eventstore.Commit) error {
	if p.failOn != nil {
		if err := p.failOn(c); err != nil {
			return err
		}
	}
	if p.panicOn == c.Seq {
		panic("counter cannot handle this")
	}
	for _, e := range c.Events {
		idx := e.Index
		if p.badRow == c.Seq {
			idx = -1
		}
		tx.CopyRow(p.appliedTable(), []string{"seq", "idx", "event_type"}, int64(e.Seq), int32(idx), e.Envelope.GetEventType())
	}
	upsert := `INSERT INTO ` + p.aggregatesTable() + ` AS a VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
		SET events = a.events + EXCLUDED.events, last_event_type = EXCLUDED.last_event_type, last_version = EXCLUDED.last_version`
	last := c.Last()
	args := []any{c.Aggregate.Type, c.Aggregate.ID, int64(len(c.Events)), last.Envelope.GetEventType(), int64(last.Version())}
	if c.Seq%2 == 0 {
		_, err := tx.Exec(ctx, upsert, args...)
		return err
	}
	tx.Queue(upsert, args...)
	return nil
}

// filtered is counter with a filter.
type filtered struct{ counter }

func (p *filtered) AggregateTypes() []string { return p.types }

type env struct {
	nats  *testenv.NATS
	store *eventstore.Store
	pool  *pgxpool.Pool
	tails map[eventstore.Aggregate]eventstore.Tail
	n     int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	n := testenv.StartNATS(t)
	return &env{nats: n, store: openStore(t, n.Conn), pool: testenv.Postgres(t), tails: map[eventstore.Aggregate]eventstore.Tail{}}
}

func openStore(t testing.TB, nc *nats.Conn) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), nc, eventstore.Config{Tenant: "city"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var eventTypes = []string{"PetitionRegistered", "PetitionClassified", "CaseAccepted", "DeadlineExtended"}

// append records commits over a handful of aggregates; every fifth commit holds two events.
func (e *env) append(t testing.TB, commits int, eventType ...string) {
	t.Helper()
	for range commits {
		e.n++
		agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("p-%d", e.n%7)}
		if e.n%3 == 0 {
			agg.Type = "case"
		}
		typ := eventTypes[e.n%len(eventTypes)]
		if len(eventType) > 0 {
			typ = eventType[0]
		}
		events := []eventstore.Event{{Type: typ, Payload: wrapperspb.String(fmt.Sprint(e.n))}}
		if e.n%5 == 0 {
			events = append(events, eventstore.Event{Type: "NoteRecorded", Payload: wrapperspb.String("note")})
		}
		res, err := e.store.Append(context.Background(), agg, e.tails[agg], eventstore.Metadata{CommandID: fmt.Sprintf("cmd-%d", e.n)}, events...)
		if err != nil {
			t.Fatal(err)
		}
		e.tails[agg] = res.Tail()
	}
}

func (e *env) runner(t testing.TB, p projection.Projection, maxBatch int) *projection.Runner {
	t.Helper()
	r, err := projection.NewRunner(p, projection.Config{
		Store: e.store, Pool: e.pool, Schema: schema, MaxBatch: maxBatch,
		Logger:     slog.New(slog.DiscardHandler),
		RetryPause: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) lastSeq(t testing.TB) uint64 {
	t.Helper()
	n, err := e.store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type appliedRow struct {
	Seq       int64
	Idx       int32
	EventType string
}

type aggregateRow struct {
	Type, ID      string
	Events        int64
	LastEventType string
	LastVersion   int64
}

// expected computes both tables from the log, for commits up to seq (0: all).
func (e *env) expected(t testing.TB, upTo uint64, types ...string) ([]appliedRow, []aggregateRow) {
	t.Helper()
	var applied []appliedRow
	aggs := map[eventstore.Aggregate]*aggregateRow{}
	err := e.store.Read(context.Background(), eventstore.ReadOptions{UntilSeq: upTo}, func(c eventstore.Commit) error {
		if len(types) > 0 && !slices.Contains(types, c.Aggregate.Type) {
			return nil
		}
		for _, ev := range c.Events {
			applied = append(applied, appliedRow{int64(c.Seq), int32(ev.Index), ev.Envelope.GetEventType()})
		}
		a := aggs[c.Aggregate]
		if a == nil {
			a = &aggregateRow{Type: c.Aggregate.Type, ID: c.Aggregate.ID}
			aggs[c.Aggregate] = a
		}
		a.Events += int64(len(c.Events))
		a.LastEventType = c.Last().Envelope.GetEventType()
		a.LastVersion = int64(c.Last().Version())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows []aggregateRow
	for _, a := range aggs {
		rows = append(rows, *a)
	}
	slices.SortFunc(rows, func(a, b aggregateRow) int {
		if a.Type != b.Type {
			return compare(a.Type, b.Type)
		}
		return compare(a.ID, b.ID)
	})
	return applied, rows
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *env) tables(t testing.TB, version int) ([]appliedRow, []aggregateRow) {
	t.Helper()
	ctx := context.Background()
	rows, err := e.pool.Query(ctx, fmt.Sprintf("SELECT seq, idx, event_type FROM %s.applied_v%d ORDER BY seq, idx", schema, version))
	if err != nil {
		t.Fatal(err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowToStructByPos[appliedRow])
	if err != nil {
		t.Fatal(err)
	}
	rows, err = e.pool.Query(ctx, fmt.Sprintf("SELECT aggregate_type, aggregate_id, events, last_event_type, last_version FROM %s.aggregates_v%d ORDER BY aggregate_type COLLATE \"C\", aggregate_id COLLATE \"C\"", schema, version))
	if err != nil {
		t.Fatal(err)
	}
	aggs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[aggregateRow])
	if err != nil {
		t.Fatal(err)
	}
	return applied, aggs
}

// assertExactlyOnce checks that version's tables hold every event of the log up to upTo exactly
// once (the primary key refuses a second application, and the rows are compared one by one).
func (e *env) assertExactlyOnce(t testing.TB, version int, upTo uint64, types ...string) {
	t.Helper()
	wantApplied, wantAggs := e.expected(t, upTo, types...)
	gotApplied, gotAggs := e.tables(t, version)
	if !slices.Equal(gotApplied, wantApplied) {
		t.Fatalf("applied_v%d has %d rows, want %d (one per event of the log)\n got %v\nwant %v", version, len(gotApplied), len(wantApplied), gotApplied, wantApplied)
	}
	if !slices.Equal(gotAggs, wantAggs) {
		t.Fatalf("aggregates_v%d:\n got %v\nwant %v", version, gotAggs, wantAggs)
	}
}

type checkpointRow struct {
	Seq       int64
	FailedSeq *int64
	Failure   *string
}

func (e *env) checkpoint(t testing.TB, version int) checkpointRow {
	t.Helper()
	var c checkpointRow
	err := e.pool.QueryRow(context.Background(), "SELECT seq, failed_seq, failure FROM "+schema+".projection_checkpoints WHERE name = 'counter' AND version = $1", version).
		Scan(&c.Seq, &c.FailedSeq, &c.Failure)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runInBackground(t *testing.T, r *projection.Runner) (cancel func() error) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once bool
	var result error
	cancel = func() error {
		if !once {
			once = true
			stop()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = cancel() })
	return cancel
}

func isFailed(err error, seq uint64) bool {
	var fe *projection.FailedError
	return errors.As(err, &fe) && fe.Seq == seq
}
