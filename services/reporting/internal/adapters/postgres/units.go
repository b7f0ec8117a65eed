package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/unitreg"
)

// AggregateUnit is the aggregate type of the unit registry's events.
const AggregateUnit = "unit"

// TableUnitEvents holds the unit registry's events in log order.
const TableUnitEvents = "unit_events_v1"

// UnitEvents is the projection that keeps the unit registry's events, from which the service
// builds its own registry (Registry). They are few (hundreds per province), so they are stored
// as they are and replayed.
type UnitEvents struct{}

// Name identifies the projection.
func (UnitEvents) Name() string { return "units" }

// Version of the table.
func (UnitEvents) Version() int { return 1 }

// Tables of this version.
func (UnitEvents) Tables() []string { return []string{TableUnitEvents} }

// AggregateTypes are the unit aggregates.
func (UnitEvents) AggregateTypes() []string { return []string{AggregateUnit} }

// Setup creates the table.
func (UnitEvents) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `CREATE TABLE `+TableUnitEvents+` (
		seq     bigint  NOT NULL,
		idx     integer NOT NULL,
		payload bytea   NOT NULL, -- the event's google.protobuf.Any
		PRIMARY KEY (seq, idx)
	)`)
	return err
}

// Apply stores the commit's events.
func (UnitEvents) Apply(_ context.Context, tx *projection.Tx, c eventstore.Commit) error {
	for i, ev := range c.Events {
		raw, err := proto.Marshal(ev.Envelope.GetPayload())
		if err != nil {
			return err
		}
		tx.CopyRow(TableUnitEvents, []string{"seq", "idx", "payload"}, int64(c.Seq), i, raw)
	}
	return nil
}

// Registry is the service's unit registry, caught up from unit_events_v1 before each use.
type Registry struct {
	DB  *pgxpool.Pool
	Log *slog.Logger
	// Schema, when set, is read instead of the pool's own schema (a past state).
	Schema string

	mu   sync.Mutex
	reg  *unitreg.Registry
	seq  int64
	idx  int
	init bool
}

// With catches the registry up with the stored unit events and calls f with it, holding the
// registry's lock (a unitreg.Registry is not safe for concurrent use).
func (r *Registry) With(ctx context.Context, f func(*unitreg.Registry) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.init {
		r.reg, r.init = unitreg.New(), true
	}
	table := TableUnitEvents
	if r.Schema != "" {
		table = r.Schema + "." + table
	}
	rows, err := r.DB.Query(ctx, "SELECT seq, idx, payload FROM "+table+" WHERE (seq, idx) > ($1, $2) ORDER BY seq, idx", r.seq, r.idx)
	if err != nil {
		if isUndefinedTable(err) {
			return f(r.reg) // the projection has not set up its table yet: no units
		}
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var idx int
		var raw []byte
		if err := rows.Scan(&seq, &idx, &raw); err != nil {
			return err
		}
		if err := r.apply(raw); err != nil {
			r.logger().Warn("reporting: unit event refused by the registry; skipped", "seq", seq, "idx", idx, "err", err)
		}
		r.seq, r.idx = seq, idx
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return f(r.reg)
}

func (r *Registry) apply(raw []byte) error {
	a := &anypb.Any{}
	if err := proto.Unmarshal(raw, a); err != nil {
		return err
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("unit event: %w", err)
	}
	return r.reg.Apply(m)
}

func (r *Registry) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}
