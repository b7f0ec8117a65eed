package projection

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/telemetry"
)

// Runner feeds one projection from the log. Its methods that read the log (Run, CatchUp,
// Rebuild) must not be called concurrently on one Runner; Status may be called at any time.
type Runner struct {
	p        Projection
	cfg      Config
	schema   string // quoted
	log      *slog.Logger
	now      func() time.Time
	maxBatch int
	types    map[string]bool // nil: every aggregate type

	running atomic.Bool
	logLast atomic.Uint64
	mu      sync.Mutex
	status  Status

	// Test hooks: afterApply runs after each applied commit, beforeCommit after the batch's
	// writes were flushed and before its commit.
	afterApply   func(ctx context.Context, c eventstore.Commit)
	beforeCommit func(ctx context.Context) error
}

// NewRunner returns a runner of p configured by cfg.
func NewRunner(p Projection, cfg Config) (*Runner, error) {
	if cfg.Store == nil || cfg.Pool == nil {
		return nil, errors.New("projection: Store and Pool are required")
	}
	if !schemaName.MatchString(cfg.Schema) || len(cfg.Schema) >= 3 && cfg.Schema[:3] == "pg_" {
		return nil, fmt.Errorf("projection: schema %q must be a plain lower-case identifier", cfg.Schema)
	}
	if p.Name() == "" || p.Version() < 1 {
		return nil, fmt.Errorf("projection: %q needs a name and a version ≥ 1", p.Name())
	}
	r := &Runner{p: p, cfg: cfg, schema: pgx.Identifier{cfg.Schema}.Sanitize(), log: cfg.Logger, now: cfg.Now, maxBatch: cfg.MaxBatch}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.log = r.log.With("projection", p.Name(), "version", p.Version())
	if r.now == nil {
		r.now = time.Now
	}
	if r.maxBatch <= 0 {
		r.maxBatch = DefaultMaxBatch
	}
	if r.cfg.RetryPause <= 0 {
		r.cfg.RetryPause = time.Second
	}
	if f, ok := p.(Filter); ok {
		r.types = map[string]bool{}
		for _, t := range f.AggregateTypes() {
			r.types[t] = true
		}
	}
	r.status = Status{Name: p.Name(), Version: p.Version()}
	return r, nil
}

// Status reports where the runner is. It does not block on the database or the log.
func (r *Runner) Status() Status {
	r.mu.Lock()
	s := r.status
	r.mu.Unlock()
	s.LogLastSeq = max(s.LogLastSeq, r.logLast.Load())
	if s.LogLastSeq > s.CheckpointSeq {
		s.Lag = s.LogLastSeq - s.CheckpointSeq
	}
	return s
}

// Run catches up from the checkpoint and then follows the log until ctx ends, when it returns nil.
// It returns a *FailedError when the projection cannot apply a commit, ErrRetired when its version
// was retired, and an error when Setup fails; other errors are logged and retried after
// Config.RetryPause, resuming from the checkpoint.
func (r *Runner) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("projection: runner is already running")
	}
	defer r.running.Store(false)
	for {
		err := r.consume(ctx, true)
		if ctx.Err() != nil {
			r.setState(StateStopped, nil)
			return nil
		}
		if fatal(err) {
			r.setState(StateFailed, err)
			return err
		}
		r.log.Warn("projection: retrying", "err", err)
		r.setState(StateRetrying, err)
		select {
		case <-ctx.Done():
			r.setState(StateStopped, nil)
			return nil
		case <-time.After(r.cfg.RetryPause):
		}
	}
}

// CatchUp applies every commit up to the end of the log as it is when CatchUp starts, then returns.
// Unlike Run it does not retry: any error is returned (a *FailedError when the projection failed).
func (r *Runner) CatchUp(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("projection: runner is already running")
	}
	defer r.running.Store(false)
	return r.catchUp(ctx)
}

func (r *Runner) catchUp(ctx context.Context) error {
	err := r.consume(ctx, false)
	if err != nil && fatal(err) {
		r.setState(StateFailed, err)
	} else {
		r.setState(StateIdle, nil)
	}
	return err
}

// Rebuild drops this version's tables, sets them up again and catches up from sequence 1. Other
// runners of the same version (replicas) notice the reset checkpoint and follow from 1 too. The read
// model is incomplete until the rebuild is done; to rebuild without that, bump the version instead.
func (r *Runner) Rebuild(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("projection: runner is already running")
	}
	defer r.running.Store(false)
	if err := r.reset(ctx); err != nil {
		return err
	}
	r.log.Info("projection: rebuilding from sequence 1")
	return r.catchUp(ctx)
}

// reset sets the version up afresh with its checkpoint at 0.
func (r *Runner) reset(ctx context.Context) error {
	tx, err := r.schemaTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, _, err := r.readCheckpoint(ctx, tx); err != nil { // locks the row if there is one
		return err
	}
	if err := r.setup(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// RetireOtherVersions drops the tables of this projection's other versions and their checkpoints,
// once this version has caught up with the log. It returns the versions it retired. A runner of a
// retired version still running stops with ErrRetired.
func (r *Runner) RetireOtherVersions(ctx context.Context) ([]int, error) {
	last, err := r.cfg.Store.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := r.schemaTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	cp, found, err := r.readCheckpoint(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !found || cp.seq < last || cp.failedSeq != 0 {
		return nil, fmt.Errorf("%w: checkpoint %d, log at %d", ErrNotLive, cp.seq, last)
	}
	rows, err := tx.Query(ctx, "SELECT version, tables FROM "+r.schema+".projection_checkpoints WHERE name = $1 AND version <> $2 ORDER BY version FOR UPDATE", r.p.Name(), r.p.Version())
	if err != nil {
		return nil, err
	}
	type old struct {
		version int
		tables  []string
	}
	olds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (old, error) {
		var o old
		return o, row.Scan(&o.version, &o.tables)
	})
	if err != nil {
		return nil, err
	}
	var retired []int
	for _, o := range olds {
		if err := r.dropTables(ctx, tx, o.tables); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+r.schema+".projection_checkpoints WHERE name = $1 AND version = $2", r.p.Name(), o.version); err != nil {
			return nil, err
		}
		retired = append(retired, o.version)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if len(retired) > 0 {
		r.log.Info("projection: retired other versions", "retired", retired)
	}
	return retired, nil
}

// consume prepares the version and applies the log from its checkpoint: up to the log's current
// end, or for ever when follow is set.
func (r *Runner) consume(ctx context.Context, follow bool) error {
	cp, err := r.prepare(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.status.CheckpointSeq = cp.seq
	r.status.FailedSeq, r.status.Err = 0, nil
	if cp.failedSeq != 0 {
		r.status.FailedSeq, r.status.Err = cp.failedSeq, errors.New(cp.failure)
	}
	r.status.State = StateCatchingUp
	r.mu.Unlock()
	until, err := r.cfg.Store.LastSeq(ctx)
	if err != nil {
		return err
	}
	r.noteLogLast(until)
	if !follow && r.cfg.UntilSeq != 0 && r.cfg.UntilSeq < until {
		until = r.cfg.UntilSeq
	}
	pos := cp.seq
	for {
		if !follow && pos >= until {
			return nil
		}
		if follow && pos >= until {
			r.setState(StateLive, nil)
		}
		pos, err = r.stream(ctx, pos, follow, until)
		if !errors.Is(err, errMoved) {
			return err
		}
		if pos, err = r.reload(ctx); err != nil {
			return err
		}
		r.log.Info("projection: checkpoint moved by another runner, resuming from it", "seq", pos)
	}
}

// reload reads the checkpoint after another runner moved it.
func (r *Runner) reload(ctx context.Context) (uint64, error) {
	var seq int64
	err := r.cfg.Pool.QueryRow(ctx, "SELECT seq FROM "+r.schema+".projection_checkpoints WHERE name = $1 AND version = $2", r.p.Name(), r.p.Version()).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrRetired
	}
	if err != nil {
		return 0, err
	}
	r.setCheckpoint(uint64(seq))
	return uint64(seq), nil
}

// item is one message of the log as the pump hands it over.
type item struct {
	seq      uint64
	pending  uint64 // messages behind this one in the stream when it was delivered
	relevant bool   // passes the projection's filter; commit is decoded
	commit   eventstore.Commit
	bad      error // the message does not decode: the projection cannot apply it
	err      error // reading the log failed (not a message)
}

// stream reads the log after pos and applies it batch by batch; it returns the last committed
// sequence.
func (r *Runner) stream(ctx context.Context, pos uint64, follow bool, until uint64) (uint64, error) {
	pctx, cancel := context.WithCancel(ctx)
	ch := make(chan item, r.maxBatch)
	done, err := r.pump(pctx, pos+1, ch)
	if err != nil {
		cancel()
		return pos, err
	}
	defer func() {
		cancel()
		<-done
	}()
	// One buffer for the batches of the whole stream rather than a slice grown anew for each batch
	// of thousands of items.
	buf := make([]item, 0, min(r.maxBatch, 1024))
	for {
		batch, readErr := r.collect(ctx, ch, pos, follow, until, buf)
		buf = batch[:0]
		if len(batch) > 0 {
			var err error
			pos, err = r.applyBatch(ctx, pos, batch)
			last := batch[len(batch)-1]
			clear(batch) // the commits are the projection's now; the buffer must not keep them alive
			if err != nil {
				return pos, err
			}
			state := StateCatchingUp
			if follow && last.pending == 0 {
				state = StateLive
			}
			r.setState(state, nil)
		}
		if readErr != nil {
			return pos, readErr
		}
		if !follow && pos >= until {
			return pos, nil
		}
	}
}

// pump reads the log from start with an ordered consumer and hands messages over on ch, decoding
// those the projection wants; decoding thus overlaps with the previous batch's transaction. done is
// closed when the pump has stopped, after ctx ends.
func (r *Runner) pump(ctx context.Context, start uint64, ch chan<- item) (<-chan struct{}, error) {
	stream, err := r.cfg.Store.JetStream().Stream(ctx, r.cfg.Store.Stream())
	if err != nil {
		return nil, err
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   start,
	})
	if err != nil {
		return nil, err
	}
	// A few thousand messages on their way from the server keep the reader busy; ch holds a batch
	// decoded ahead. More in flight would only hold megabytes of raw messages in the client.
	it, err := cons.Messages(jetstream.PullMaxMessages(min(2*r.maxBatch, 4096)))
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer it.Stop()
		nextOpt := jetstream.NextContext(ctx)
		for {
			m, err := it.Next(nextOpt)
			if err != nil {
				if ctx.Err() == nil {
					select {
					case ch <- item{err: fmt.Errorf("projection: read log: %w", err)}:
					case <-ctx.Done():
					}
				}
				return
			}
			md, err := m.Metadata()
			if err != nil {
				select {
				case ch <- item{err: fmt.Errorf("projection: message metadata: %w", err)}:
				case <-ctx.Done():
				}
				return
			}
			x := item{seq: md.Sequence.Stream, pending: md.NumPending}
			r.noteLogLast(x.seq + x.pending)
			if r.wants(m.Subject()) {
				x.relevant = true
				x.commit, x.bad = eventstore.DecodeConsumed(m, md)
			}
			select {
			case ch <- x:
			case <-ctx.Done():
				return
			}
		}
	}()
	return done, nil
}

func (r *Runner) wants(subject string) bool {
	if r.types == nil {
		return true
	}
	agg, ok := eventstore.ParseSubject(subject)
	return !ok || r.types[agg.Type] // an unparseable subject reaches the decoder, which reports it
}

// collect gathers the next batch: it waits for one message, then takes more while the batch has
// room, waiting for them while the server says more are pending (catching up) and taking only those
// already here when it says none are (live). Messages at or before pos are repeats and dropped.
func (r *Runner) collect(ctx context.Context, ch <-chan item, pos uint64, follow bool, until uint64, buf []item) ([]item, error) {
	batch := buf[:0]
	for len(batch) < r.maxBatch {
		var x item
		if n := len(batch); n == 0 || batch[n-1].pending > 0 {
			if n > 0 && !follow && batch[n-1].seq >= until {
				break
			}
			select {
			case x = <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		} else {
			select {
			case x = <-ch:
			default:
				return batch, nil
			}
		}
		if x.err != nil {
			return batch, x.err
		}
		last := pos
		if n := len(batch); n > 0 {
			last = batch[n-1].seq
		}
		if x.seq <= last {
			continue
		}
		if x.seq != last+1 {
			// The stream denies deletes, so a gap means tampering with the store; the ordered
			// consumer has delivered everything the stream holds, and the audit service reports it.
			r.log.Warn("projection: gap in the log", "after", last, "next", x.seq)
		}
		batch = append(batch, x)
	}
	return batch, nil
}

// applyError is a commit the projection failed on, at index of the batch.
type applyError struct {
	index int
	err   error
}

func (e *applyError) Error() string { return e.err.Error() }
func (e *applyError) Unwrap() error { return e.err }

// infraError is a failure of the transaction's own statements, never the projection's.
type infraError struct{ err error }

func (e *infraError) Error() string { return e.err.Error() }
func (e *infraError) Unwrap() error { return e.err }

// panicError is a panic of Apply.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// applyBatch applies items, which follow checkpoint from, and returns the new checkpoint. When the
// batch's transaction fails because of the projection, it splits the batch to find the one commit
// that fails, committing those before it, and records the failure there.
func (r *Runner) applyBatch(ctx context.Context, from uint64, items []item) (uint64, error) {
	err := r.tryTx(ctx, from, items)
	if err == nil {
		pos := items[len(items)-1].seq
		r.mu.Lock()
		r.status.CheckpointSeq = pos
		if r.status.FailedSeq != 0 && pos >= r.status.FailedSeq {
			r.status.FailedSeq, r.status.Err = 0, nil
		}
		r.mu.Unlock()
		return pos, nil
	}
	if ctx.Err() != nil || errors.Is(err, errMoved) || errors.As(err, new(*infraError)) || transient(err) {
		return from, err
	}
	if len(items) == 1 {
		return from, r.fail(ctx, items[0].seq, err)
	}
	var ae *applyError
	if !errors.As(err, &ae) {
		// A deferred write or the commit failed: which commit caused it is unknown, so halve.
		mid, err := r.applyBatch(ctx, from, items[:len(items)/2])
		if err != nil {
			return mid, err
		}
		return r.applyBatch(ctx, mid, items[len(items)/2:])
	}
	pos := from
	for _, part := range [][]item{items[:ae.index], items[ae.index : ae.index+1], items[ae.index+1:]} {
		if len(part) == 0 {
			continue
		}
		if pos, err = r.applyBatch(ctx, pos, part); err != nil {
			return pos, err
		}
	}
	return pos, nil
}

// tryTx applies items in one transaction together with the checkpoint.
func (r *Runner) tryTx(ctx context.Context, from uint64, items []item) (err error) {
	// One round trip begins the transaction, sets search_path and moves the checkpoint. The
	// checkpoint goes first: its row lock fences other runners before any work is done.
	//
	// With AsyncCommit the commit does not wait for the WAL to reach the disk (this transaction
	// only): a crash can only take back the last few transactions whole, checkpoint included, and a
	// live runner applies those commits again from the log (see Config.AsyncCommit). A live
	// projection then adds no WAL flush per commit beside the event log's own fsync.
	// Otherwise the server's own setting stands (an operator's remote_apply, say).
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	if r.cfg.AsyncCommit {
		b.Queue("SELECT set_config('search_path', $1, true), set_config('synchronous_commit', 'off', true)", r.cfg.Schema)
	} else {
		b.Queue("SELECT set_config('search_path', $1, true)", r.cfg.Schema)
	}
	b.Queue("UPDATE "+r.schema+".projection_checkpoints SET seq = $3, updated_at = $4, failed_seq = NULL, failure = NULL WHERE name = $1 AND version = $2 AND seq = $5",
		r.p.Name(), r.p.Version(), int64(items[len(items)-1].seq), r.now(), int64(from))
	br := r.cfg.Pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	var tag pgconn.CommandTag
	for range 3 {
		if tag, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &infraError{err}
	}
	if tag.RowsAffected() != 1 {
		return errMoved
	}
	ptx := &Tx{tx: tx}
	for i := range items {
		x := &items[i]
		if x.bad != nil {
			return &applyError{index: i, err: x.bad}
		}
		if !x.relevant {
			continue
		}
		if err := r.apply(ctx, ptx, x.commit); err != nil {
			return &applyError{index: i, err: err}
		}
		if r.afterApply != nil {
			r.afterApply(ctx, x.commit)
		}
	}
	if err := ptx.Flush(ctx); err != nil {
		return err
	}
	if r.beforeCommit != nil {
		if err := r.beforeCommit(ctx); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

var tracer = otel.Tracer("github.com/civicase/civicase/pkg/projection")

func (r *Runner) apply(ctx context.Context, tx *Tx, c eventstore.Commit) (err error) {
	// Applying an event joins the trace of the request that appended it, so one trace shows a
	// petition's way from the gRPC call through every service that projects its events.
	if tc := c.Events[0].Envelope.GetTrace(); tc.GetTraceparent() != "" {
		var span trace.Span
		ctx, span = tracer.Start(telemetry.ContextWithRemote(ctx, tc), "project "+r.p.Name(),
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(attribute.String("civicase.service", r.cfg.Schema), attribute.String("civicase.projection", r.p.Name()),
				attribute.Int64("civicase.seq", int64(c.Seq))))
		defer func() {
			if err != nil {
				span.SetStatus(codes.Error, "apply failed")
			}
			span.End()
		}()
	}
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return r.p.Apply(ctx, tx, c)
}

// fail records that the projection cannot apply the commit at seq and returns the *FailedError.
func (r *Runner) fail(ctx context.Context, seq uint64, err error) error {
	var ae *applyError
	if errors.As(err, &ae) {
		err = ae.err
	}
	attrs := []any{"seq", seq, "err", err}
	if pe, ok := errors.AsType[*panicError](err); ok {
		attrs = append(attrs, "stack", string(pe.stack))
	}
	r.log.Error("projection: cannot apply commit; stopped there", attrs...)
	fe := &FailedError{Name: r.p.Name(), Version: r.p.Version(), Seq: seq, Err: err}
	if rerr := r.recordFailure(ctx, seq, err); rerr != nil {
		r.log.Error("projection: recording the failure", "seq", seq, "err", rerr)
	}
	r.mu.Lock()
	r.status.FailedSeq, r.status.Err, r.status.State = seq, err, StateFailed
	r.mu.Unlock()
	return fe
}

func (r *Runner) setState(s State, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.State = s
	switch {
	case s == StateRetrying || s == StateFailed && r.status.FailedSeq == 0:
		r.status.Err = err
	case r.status.FailedSeq == 0:
		r.status.Err = nil
	}
}

func (r *Runner) setCheckpoint(seq uint64) {
	r.mu.Lock()
	r.status.CheckpointSeq = seq
	r.mu.Unlock()
}

func (r *Runner) noteLogLast(seq uint64) {
	for {
		cur := r.logLast.Load()
		if seq <= cur || r.logLast.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// fatal says whether Run should stop rather than retry.
func fatal(err error) bool {
	var fe *FailedError
	var se *setupError
	return errors.As(err, &fe) || errors.Is(err, ErrRetired) || errors.As(err, &se) && !transient(se.err)
}

// transient says whether an error is about the connection or the server's state rather than the
// statement: retrying the same work later can succeed.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pgErr.Code[:2] {
		case "08", "40", "53", "57", "58": // connection, rollback (serialization, deadlock), resources, operator, system
			return true
		}
		return false
	}
	if pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.As(err, new(*pgconn.ConnectError)) {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
