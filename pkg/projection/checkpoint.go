package projection

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// checkpointDDL creates the checkpoint table. It is not a pkg/migrate migration: migrate keeps one
// goose version table per schema for the service's own migrations, and a second, independent
// migration set in the same schema would collide with it. CREATE … IF NOT EXISTS under the schema's
// projection lock is enough for one table that only ever gains columns.
//
// Beyond name, version, seq, updated_at, failed_seq and failure, a row records the tables of its
// version so that RetireOtherVersions can drop them without the old version's code.
const checkpointDDL = `CREATE TABLE IF NOT EXISTS %[1]s.projection_checkpoints (
	name       text        NOT NULL,
	version    integer     NOT NULL,
	seq        bigint      NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL,
	failed_seq bigint,
	failure    text,
	tables     text[]      NOT NULL DEFAULT '{}',
	PRIMARY KEY (name, version)
)`

// maxFailure bounds the stored failure message.
const maxFailure = 4000

// errMoved means the checkpoint row no longer holds the sequence this runner started its batch
// from: another runner of the same projection committed, or the projection was rebuilt.
var errMoved = errors.New("projection: checkpoint moved by another runner")

// ErrRetired means the projection version's checkpoint row disappeared while it ran: an operator
// retired this version (RetireOtherVersions of a newer one). The runner stops rather than rebuild it.
var ErrRetired = errors.New("projection: this version was retired")

// ErrNotLive is returned by RetireOtherVersions while this version is behind the log.
var ErrNotLive = errors.New("projection: version is not live")

// checkpoint is a projection version's row.
type checkpoint struct {
	seq       uint64
	failedSeq uint64
	failure   string
}

// schemaTx begins a transaction with search_path set to the schema and the schema's projection
// lock held: creating the checkpoint table and setting up or dropping versions are serialised
// across runners and replicas.
func (r *Runner) schemaTx(ctx context.Context) (pgx.Tx, error) {
	tx, err := r.cfg.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.Queue("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "civicase/projection/"+r.cfg.Schema)
	b.Queue("CREATE SCHEMA IF NOT EXISTS " + r.schema)
	b.Queue(fmt.Sprintf(checkpointDDL, r.schema))
	b.Queue("SELECT set_config('search_path', $1, true)", r.schema)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// prepare returns the version's checkpoint, setting the version up when it has none.
func (r *Runner) prepare(ctx context.Context) (checkpoint, error) {
	tx, err := r.schemaTx(ctx)
	if err != nil {
		return checkpoint{}, fmt.Errorf("projection %s: prepare: %w", r.p.Name(), err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	cp, found, err := r.readCheckpoint(ctx, tx)
	if err != nil {
		return checkpoint{}, err
	}
	if !found {
		r.log.Info("projection: setting up version, rebuilding from sequence 1", "projection", r.p.Name(), "version", r.p.Version(), "schema", r.cfg.Schema)
		if err := r.setup(ctx, tx); err != nil {
			return checkpoint{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return checkpoint{}, err
	}
	return cp, nil
}

func (r *Runner) readCheckpoint(ctx context.Context, tx pgx.Tx) (checkpoint, bool, error) {
	var cp checkpoint
	var failed *int64
	var failure *string
	err := tx.QueryRow(ctx, "SELECT seq, failed_seq, failure FROM "+r.schema+".projection_checkpoints WHERE name = $1 AND version = $2 FOR UPDATE",
		r.p.Name(), r.p.Version()).Scan(&cp.seq, &failed, &failure)
	if errors.Is(err, pgx.ErrNoRows) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("projection %s: read checkpoint: %w", r.p.Name(), err)
	}
	if failed != nil {
		cp.failedSeq = uint64(*failed)
	}
	if failure != nil {
		cp.failure = *failure
	}
	return cp, true, nil
}

// setup drops the version's tables, lets the projection create them and (re)sets the checkpoint to 0.
func (r *Runner) setup(ctx context.Context, tx pgx.Tx) error {
	tables := r.p.Tables()
	if err := r.dropTables(ctx, tx, tables); err != nil {
		return err
	}
	if err := r.p.Setup(ctx, tx); err != nil {
		return &setupError{err}
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+r.schema+`.projection_checkpoints (name, version, seq, updated_at, tables)
		VALUES ($1, $2, 0, $3, $4)
		ON CONFLICT (name, version) DO UPDATE SET seq = 0, updated_at = $3, failed_seq = NULL, failure = NULL, tables = $4`,
		r.p.Name(), r.p.Version(), r.now(), tables)
	return err
}

func (r *Runner) dropTables(ctx context.Context, tx pgx.Tx, tables []string) error {
	for _, t := range tables {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+r.schema+"."+pgx.Identifier{t}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("projection %s: drop %s: %w", r.p.Name(), t, err)
		}
	}
	return nil
}

// recordFailure writes the failing sequence and error into the checkpoint row, in its own
// transaction, so that it survives the rollback of the batch.
func (r *Runner) recordFailure(ctx context.Context, seq uint64, failure error) error {
	msg := failure.Error()
	if len(msg) > maxFailure {
		msg = strings.ToValidUTF8(msg[:maxFailure], "")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := r.cfg.Pool.Exec(ctx, "UPDATE "+r.schema+".projection_checkpoints SET failed_seq = $3, failure = $4, updated_at = $5 WHERE name = $1 AND version = $2",
		r.p.Name(), r.p.Version(), int64(seq), msg, r.now())
	return err
}

// setupError is a failure of Projection.Setup: Run stops on it unless it is transient.
type setupError struct{ err error }

func (e *setupError) Error() string { return "projection setup: " + e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }
