package projection_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/testenv"
)

func TestCatchUpAppliesEveryEventOnceInLargeBatches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(t, 95)
	r := e.runner(t, &counter{version: 1}, 20)
	var txs atomic.Int32
	projection.SetBeforeCommit(r, func(context.Context) error { txs.Add(1); return nil })
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 0)
	if got := txs.Load(); got != 5 {
		t.Errorf("%d transactions for 95 commits with batches of 20, want 5 (full batches while catching up)", got)
	}
	st := r.Status()
	if st.CheckpointSeq != 95 || st.LogLastSeq != 95 || st.Lag != 0 || st.State != projection.StateIdle {
		t.Errorf("status %+v", st)
	}
	if cp := e.checkpoint(t, 1); cp.Seq != 95 {
		t.Errorf("stored checkpoint %d, want 95", cp.Seq)
	}
	// Nothing new: a second catch-up is a no-op.
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 0)
}

func TestCancelledBeforeCommitResumesExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.append(t, 45)
	r := e.runner(t, &counter{version: 1}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var batches, applied atomic.Int32
	projection.SetAfterApply(r, func(context.Context, eventstore.Commit) { applied.Add(1) })
	projection.SetBeforeCommit(r, func(ctx context.Context) error {
		if batches.Add(1) == 3 {
			cancel() // the process is told to stop after the handlers ran, before the commit
			return ctx.Err()
		}
		return nil
	})
	if err := r.CatchUp(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("CatchUp = %v, want context.Canceled", err)
	}
	if applied.Load() != 30 {
		t.Fatalf("handlers ran for %d commits, want 30 (three batches)", applied.Load())
	}
	if cp := e.checkpoint(t, 1); cp.Seq != 20 {
		t.Fatalf("checkpoint %d after the third batch was cancelled, want 20", cp.Seq)
	}
	e.assertExactlyOnce(t, 1, 20)

	// A new runner (a restarted process) resumes at 21.
	r2 := e.runner(t, &counter{version: 1}, 10)
	if err := r2.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 0)
}

func TestProjectionThatCannotApplyStopsThereAndResumesWhenFixed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(t, 11)
	e.append(t, 1, "Unknown") // sequence 12
	e.append(t, 8)
	errUnknown := errors.New("unknown event type")
	broken := &counter{version: 1, failOn: func(c eventstore.Commit) error {
		if c.Last().Envelope.GetEventType() == "Unknown" {
			return errUnknown
		}
		return nil
	}}
	r := e.runner(t, broken, 50)
	err := r.CatchUp(ctx)
	if !isFailed(err, 12) || !errors.Is(err, errUnknown) {
		t.Fatalf("CatchUp = %v, want a failure at sequence 12", err)
	}
	st := r.Status()
	if st.State != projection.StateFailed || st.FailedSeq != 12 || !errors.Is(st.Err, errUnknown) || st.CheckpointSeq != 11 || st.Lag != 9 {
		t.Fatalf("status %+v", st)
	}
	// The commits before the poison are in (the batch was split), none after it.
	e.assertExactlyOnce(t, 1, 11)
	cp := e.checkpoint(t, 1)
	if cp.Seq != 11 || cp.FailedSeq == nil || *cp.FailedSeq != 12 || cp.Failure == nil || !strings.Contains(*cp.Failure, "unknown event type") {
		t.Fatalf("checkpoint row %+v", cp)
	}

	// Run stops too, rather than retrying or skipping.
	r = e.runner(t, broken, 50)
	if err := r.Run(ctx); !isFailed(err, 12) {
		t.Fatalf("Run = %v, want a failure at sequence 12", err)
	}
	e.assertExactlyOnce(t, 1, 11)

	// A fixed projection resumes at 12; the stored failure shows until then, and is cleared after.
	r = e.runner(t, &counter{version: 1}, 50)
	var sawFailure bool
	projection.SetAfterApply(r, func(context.Context, eventstore.Commit) {
		sawFailure = sawFailure || r.Status().FailedSeq == 12
	})
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !sawFailure {
		t.Error("the recorded failure did not show in Status while resuming")
	}
	e.assertExactlyOnce(t, 1, 0)
	if cp := e.checkpoint(t, 1); cp.Seq != 20 || cp.FailedSeq != nil || cp.Failure != nil {
		t.Fatalf("checkpoint row after the fix %+v", cp)
	}
	if st := r.Status(); st.FailedSeq != 0 || st.Err != nil {
		t.Fatalf("status after the fix %+v", st)
	}
}

func TestPanicAndFailedDeferredWriteArePinnedToTheirCommit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(t, 40)

	// A deferred COPY row that violates a CHECK fails only at flush, for the whole batch; the runner
	// finds the commit by splitting the batch.
	r := e.runner(t, &counter{version: 1, badRow: 27}, 40)
	if err := r.CatchUp(ctx); !isFailed(err, 27) {
		t.Fatalf("CatchUp = %v, want a failure at sequence 27", err)
	}
	e.assertExactlyOnce(t, 1, 26)

	r = e.runner(t, &counter{version: 1, panicOn: 33}, 40)
	err := r.CatchUp(ctx)
	if !isFailed(err, 33) || !strings.Contains(err.Error(), "panic: counter cannot handle this") {
		t.Fatalf("CatchUp = %v, want a panic at sequence 33", err)
	}
	e.assertExactlyOnce(t, 1, 32)

	r = e.runner(t, &counter{version: 1}, 40)
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 0)
}

func TestLagWhileBehindAndFollowingNewEvents(t *testing.T) {
	e := newEnv(t)
	e.append(t, 100)
	r := e.runner(t, &counter{version: 1}, 10)
	release := make(chan struct{})
	var batches atomic.Int32
	projection.SetBeforeCommit(r, func(ctx context.Context) error {
		if batches.Add(1) == 2 {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	stop := runInBackground(t, r)

	testenv.Eventually(t, 10*time.Second, func() bool { return batches.Load() == 2 }, "second batch")
	st := r.Status()
	if st.CheckpointSeq != 10 || st.LogLastSeq != 100 || st.Lag != 90 || st.State != projection.StateCatchingUp {
		t.Fatalf("status while held in the second batch: %+v", st)
	}
	close(release)
	testenv.Eventually(t, 10*time.Second, func() bool {
		st := r.Status()
		return st.State == projection.StateLive && st.Lag == 0 && st.CheckpointSeq == 100
	}, "live at 100: %+v", r.Status())

	e.append(t, 5)
	testenv.Eventually(t, 10*time.Second, func() bool {
		st := r.Status()
		return st.CheckpointSeq == 105 && st.LogLastSeq == 105 && st.Lag == 0 && st.State == projection.StateLive
	}, "follow to 105: %+v", r.Status())
	e.assertExactlyOnce(t, 1, 0)
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	if st := r.Status(); st.State != projection.StateStopped {
		t.Fatalf("status after stop %+v", st)
	}
}

func TestVersionBumpRebuildsIdenticalReadModelAndRetiresTheOld(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(t, 30)
	v1 := e.runner(t, &counter{version: 1}, 7)
	stopV1 := runInBackground(t, v1)
	e.append(t, 25) // while v1 is live
	testenv.Eventually(t, 10*time.Second, func() bool { return v1.Status().CheckpointSeq == 55 }, "v1 live at 55")

	v2 := e.runner(t, &counter{version: 2}, 1000)
	if err := v2.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 2, 0)
	assertSameTables(t, e, 1, 2)

	// A forced rebuild of v2 gives the same again.
	if _, err := e.pool.Exec(ctx, "DELETE FROM "+schema+".applied_v2 WHERE seq > 40"); err != nil {
		t.Fatal(err)
	}
	if err := v2.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	assertSameTables(t, e, 1, 2)

	// v1 stays until retired; retiring needs v2 live, and stops v1's runner at its next batch.
	if retired, err := v2.RetireOtherVersions(ctx); err != nil || len(retired) != 1 || retired[0] != 1 {
		t.Fatalf("RetireOtherVersions = %v, %v", retired, err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '%_v1'", schema).Scan(&n); err != nil || n != 0 {
		t.Fatalf("v1 tables left: %d, %v", n, err)
	}
	e.append(t, 1)
	testenv.Eventually(t, 10*time.Second, func() bool { return v1.Status().State == projection.StateFailed }, "v1 stops: %+v", v1.Status())
	if err := stopV1(); !errors.Is(err, projection.ErrRetired) {
		t.Fatalf("v1 Run = %v, want ErrRetired", err)
	}
	e.append(t, 1)
	if _, err := v2.RetireOtherVersions(ctx); !errors.Is(err, projection.ErrNotLive) {
		t.Fatalf("RetireOtherVersions while behind = %v, want ErrNotLive", err)
	}
}

func assertSameTables(t *testing.T, e *env, a, b int) {
	t.Helper()
	ctx := context.Background()
	for _, table := range []string{"applied", "aggregates"} {
		n, err := projection.CompareTables(ctx, e.pool, schema+"."+table+"_v"+strconv.Itoa(a), schema+"."+table+"_v"+strconv.Itoa(b))
		if err != nil || n != 0 {
			t.Fatalf("%s v%d and v%d differ by %d rows (%v)", table, a, b, n, err)
		}
	}
	appliedA, aggsA := e.tables(t, a)
	appliedB, aggsB := e.tables(t, b)
	if len(appliedA) == 0 || len(appliedA) != len(appliedB) || len(aggsA) != len(aggsB) {
		t.Fatalf("v%d has %d/%d rows, v%d %d/%d", a, len(appliedA), len(aggsA), b, len(appliedB), len(aggsB))
	}
	for i := range appliedA {
		if appliedA[i] != appliedB[i] {
			t.Fatalf("applied row %d: %v vs %v", i, appliedA[i], appliedB[i])
		}
	}
	for i := range aggsA {
		if aggsA[i] != aggsB[i] {
			t.Fatalf("aggregate row %d: %v vs %v", i, aggsA[i], aggsB[i])
		}
	}
}

func TestCompareTablesSeesDifferences(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE a (x int, y text); CREATE TABLE b (x int, y text);
		INSERT INTO a VALUES (1, 'p'), (2, 'q'), (2, 'q'); INSERT INTO b VALUES (2, 'q'), (1, 'p'), (3, 'r')`); err != nil {
		t.Fatal(err)
	}
	// a has (2,q) twice, b once, and b has (3,r): two rows differ.
	if n, err := projection.CompareTables(ctx, pool, "a", "public.b"); err != nil || n != 2 {
		t.Fatalf("CompareTables = %d, %v; want 2", n, err)
	}
}

func TestFilterAppliesOnlyItsAggregatesButTracksTheWholeLog(t *testing.T) {
	e := newEnv(t)
	e.append(t, 30)
	p := &filtered{counter{version: 1, types: []string{"case"}}}
	var seen atomic.Int32
	r := e.runner(t, p, 8)
	projection.SetAfterApply(r, func(_ context.Context, c eventstore.Commit) {
		if c.Aggregate.Type != "case" {
			t.Errorf("applied a %s commit", c.Aggregate.Type)
		}
		seen.Add(1)
	})
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 10 {
		t.Fatalf("applied %d case commits, want 10", seen.Load())
	}
	e.assertExactlyOnce(t, 1, 0, "case")
	if st := r.Status(); st.CheckpointSeq != 30 || st.Lag != 0 {
		t.Fatalf("status %+v: the checkpoint should pass the commits the filter skips", st)
	}
}

func TestTwoRunnersOfOneVersionNeverApplyTwice(t *testing.T) {
	e := newEnv(t)
	e.append(t, 20)
	a := e.runner(t, &counter{version: 1}, 5)
	b := e.runner(t, &counter{version: 1}, 3)
	stopA := runInBackground(t, a)
	stopB := runInBackground(t, b)
	for range 4 {
		e.append(t, 15)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		return a.Status().CheckpointSeq == 80 && b.Status().CheckpointSeq == 80
	}, "both at 80: %+v %+v", a.Status(), b.Status())
	if err := errors.Join(stopA(), stopB()); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 0)
}

// CatchUp with UntilSeq stops exactly there: the read model as it stood at that point of the log.
func TestCatchUpUntilStopsAtThatSequence(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(t, 50)
	r, err := projection.NewRunner(&counter{version: 1}, projection.Config{
		Store: e.store, Pool: e.pool, Schema: schema, MaxBatch: 7, UntilSeq: 31,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	e.assertExactlyOnce(t, 1, 31)
	if cp := e.checkpoint(t, 1); cp.Seq != 31 {
		t.Fatalf("checkpoint %d, want 31", cp.Seq)
	}
}
