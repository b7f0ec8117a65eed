// Package projection keeps PostgreSQL read models up to date from a tenant's JetStream log.
//
// A Projection turns commits of the log (eventstore.Commit) into rows of tables it owns, in its
// service's schema, under versioned names (`cases_v1`). A Runner feeds one projection: it reads the
// log in order with an ordered consumer starting after the projection's checkpoint and applies the
// commits in PostgreSQL transactions that also advance the checkpoint.
//
// # Exactly once
//
// The checkpoint is a row of projection_checkpoints in the same schema, keyed by projection name
// and version, and it is written in the same transaction as the read model. JetStream's own
// consumer state is not used: a runner (re)starts its ordered consumer at checkpoint+1, so a crash
// at any point replays only what the interrupted transaction would have committed. Every batch
// transaction begins with `UPDATE … SET seq = <batch end> WHERE seq = <batch start>`: this takes the
// row lock first and fences a second runner of the same projection (another replica, an operator's
// Rebuild), which finds the checkpoint moved, rolls back and resumes from the new checkpoint.
//
// # Batching
//
// Many commits go into one transaction. A batch is collected as follows: wait for the first
// commit; then, while the batch is below Config.MaxBatch, keep taking commits — blocking for the
// next one when the server reported more pending behind the last one (catching up: batches fill
// up), and taking only what has already arrived when it reported none (live: the batch is
// committed at once, so latency stays one transaction). Batching is safe because a batch is one
// transaction together with its checkpoint: it commits entirely or not at all. While a batch's
// transaction runs, a reader goroutine already reads and decodes the next one (up to a batch ahead),
// so on a log far behind the database and the decoding overlap.
//
// Handlers batch their own writes through Tx: Queue defers a statement and CopyRow a row for COPY;
// both are sent in order, in as few round trips as possible, before anything that reads (Exec,
// Query, QueryRow) and before the commit. When a batch fails, the runner cannot tell from a failed
// COPY which commit caused it, so it splits the batch — at the failing commit when Apply said which,
// in halves otherwise — and retries the parts, each in its own transaction, until the single
// failing commit is found; the commits before it are committed, so the checkpoint ends just before
// it. Apply must therefore depend only on the transaction and the commit, never on memory that a
// rolled-back transaction would leave behind.
//
// # Stops, never skips
//
// A commit the projection cannot apply (Apply returns an error or panics, or its deferred writes
// fail) stops the runner at that sequence: the failure is written to the checkpoint row (failed_seq,
// failure) in its own transaction, logged, shown in Status, and returned by Run as a *FailedError.
// Restarting with a fixed projection resumes at that sequence. Errors that say nothing about the
// projection — a lost connection, a serialization failure — are retried by Run after a pause.
// Failure messages are stored and logged, so they must carry no personal data.
//
// # Versions
//
// Version is part of the checkpoint's key. A runner whose version has no checkpoint row drops the
// version's tables if they exist, calls Setup and rebuilds from sequence 1, while the runners of
// other versions (the replicas of the previous release during a rolling deploy) keep their own
// tables and checkpoint. Old versions' tables are therefore not dropped by the runner: an operator
// (or the deploy, once no old replica serves reads) calls RetireOtherVersions, which refuses unless
// this version is live. Rebuild forces a rebuild of the current version in place.
//
// Changing a projection's filter (Filter.AggregateTypes) or the meaning of its tables needs a new
// version: the checkpoint of a version covers the commits that version's code skipped.
package projection

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/eventstore"
)

// Projection is a read model built from the log.
type Projection interface {
	// Name identifies the projection within its schema; it keys the checkpoint.
	Name() string
	// Version is bumped whenever the tables or their meaning change; a new version is rebuilt from
	// sequence 1 into its own tables.
	Version() int
	// Tables are the (unqualified, versioned) names of the tables this version owns. The runner drops
	// them before Setup when it rebuilds, and records them so that RetireOtherVersions can drop them
	// once the version is retired.
	Tables() []string
	// Setup creates this version's tables. It runs in the schema (search_path is set), in the
	// transaction that creates the version's checkpoint, after the tables were dropped.
	Setup(ctx context.Context, tx pgx.Tx) error
	// Apply writes one commit of the log into the tables. It is called in log order, for many
	// commits per transaction; see the package comment for what it may and may not rely on.
	Apply(ctx context.Context, tx *Tx, c eventstore.Commit) error
}

// Filter is implemented by projections that care about some aggregate types only. The runner
// still reads the whole log (the checkpoint is a position in it, so lag is exact), but commits of
// other aggregates are neither decoded nor passed to Apply.
type Filter interface {
	// AggregateTypes lists the aggregate types whose commits the projection applies.
	AggregateTypes() []string
}

// DefaultMaxBatch is Config.MaxBatch when unset. Only a runner that is catching up fills its
// batches, and there PostgreSQL spends about 2 ms of CPU setting up each COPY statement, as much as
// inserting five hundred rows: batches of a thousand commits spent a third of the database's time on
// that, batches of five thousand spend under a tenth. The runner holds about two batches of decoded
// commits in memory (the one being applied and the one read ahead), some 2 KB per one-event commit.
const DefaultMaxBatch = 5000

// Config configures a Runner.
type Config struct {
	// Store is the tenant's log.
	Store *eventstore.Store
	// Pool is the service's database; the runner's transactions set search_path to Schema.
	Pool *pgxpool.Pool
	// Schema is the service's PostgreSQL schema, a plain lower-case identifier. It is created if missing.
	Schema string
	// MaxBatch bounds the commits applied in one transaction; 0 means DefaultMaxBatch.
	MaxBatch int
	// Logger receives failures and retries; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for the checkpoint's updated_at; nil means time.Now.
	Now func() time.Time
	// UntilSeq stops CatchUp after this sequence instead of at the log's end: replaying a read model
	// as it stood at a past point of the log (the auditor's `replay --until`). Run ignores it.
	UntilSeq uint64
	// RetryPause is how long Run waits before retrying after an error that is not the projection's;
	// 0 means one second.
	RetryPause time.Duration
	// AsyncCommit commits without waiting for PostgreSQL's WAL flush (synchronous_commit off, per
	// transaction). It suits a projection that Run keeps live: after a database crash its model and
	// checkpoint go back together, the next transaction finds the checkpoint moved and the runner
	// re-applies the lost commits from the log. It does not suit a runner whose caller acts on its
	// Status as durable — a one-off CatchUp into a scratch schema read later, say — and so it is off
	// unless asked for.
	AsyncCommit bool
}

// State is where a runner is in its life.
type State int

const (
	// StateIdle means the runner has not started, or returned from CatchUp.
	StateIdle State = iota
	// StateCatchingUp means the last batch was not the end of the log.
	StateCatchingUp
	// StateLive means the last batch reached the end of the log and the runner follows it.
	StateLive
	// StateRetrying means the runner hit an error that is not the projection's and will try again.
	StateRetrying
	// StateFailed means a commit could not be applied: the runner stopped at FailedSeq.
	StateFailed
	// StateStopped means Run returned because its context ended.
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateCatchingUp:
		return "catching up"
	case StateLive:
		return "live"
	case StateRetrying:
		return "retrying"
	case StateFailed:
		return "failed"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is a runner's health as of the last thing it saw.
type Status struct {
	Name    string
	Version int
	State   State
	// CheckpointSeq is the last log sequence the read model includes.
	CheckpointSeq uint64
	// LogLastSeq is the log's last sequence as the runner last learnt it (at start and with every
	// message it receives).
	LogLastSeq uint64
	// Lag is LogLastSeq - CheckpointSeq: commits of the log not yet reflected in the read model.
	Lag uint64
	// FailedSeq is the sequence the runner stopped at, with Err; 0 when it has not failed. A failure
	// recorded by an earlier run shows until a later batch commits.
	FailedSeq uint64
	// Err is the failure at FailedSeq, or the last error being retried.
	Err error
}

// FailedError is returned when a projection cannot apply a commit: the runner stopped there.
type FailedError struct {
	Name    string
	Version int
	Seq     uint64
	Err     error
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("projection %s v%d stopped at sequence %d: %v", e.Name, e.Version, e.Seq, e.Err)
}

// Unwrap returns the projection's error.
func (e *FailedError) Unwrap() error { return e.Err }

// schemaName accepts plain lower-case identifiers (as pkg/migrate does), which need no quoting.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
