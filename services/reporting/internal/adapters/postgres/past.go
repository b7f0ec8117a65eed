package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/unitreg"
)

// DefaultPastStatesKept is how many past states PastStates keeps when Keep is 0.
const DefaultPastStatesKept = 4

// PastStates rebuilds the read models reports need — the unit events and the facts — as they
// stood at a past sequence of the log, for reports "as of" that point. The state at sequence n is
// built by the same projections, stopped at n (projection.Config.UntilSeq), in a scratch schema
// <Schema>_asof_<n>, so the report code reads it exactly as it reads the live one.
//
// A rebuild reads the log from sequence 1, so states are kept for later requests of the same
// point: the Keep most recently used; older ones are dropped once nobody reads them. A schema left
// by an earlier process (or another replica) is reused when its point is asked for — its
// projections resume from their checkpoints — and counts among those kept. Rebuilds run one at a
// time, in the background of the first request, so a request that gives up does not waste one.
type PastStates struct {
	DB    *pgxpool.Pool
	Store *eventstore.Store
	// Schema is the service's schema; it prefixes the scratch schemas.
	Schema string
	// Keep bounds the states kept; 0 means DefaultPastStatesKept.
	Keep int
	Log  *slog.Logger
	// Now is the clock for the checkpoints' updated_at; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	states    map[uint64]*pastState
	leftovers []string // scratch schemas found in the database, not used by this process yet
	clock     uint64   // counts uses, for least-recently-used eviction
	adopt     sync.Once
	build     sync.Mutex // one rebuild or drop at a time: each rebuild reads the log prefix
}

type pastState struct {
	seq   uint64
	ready chan struct{} // closed when view or err is set
	view  PastView
	err   error
	used  uint64
	refs  int
}

// PastView is the read model as it stood at Seq.
type PastView struct {
	// Seq is the last sequence of the log the state includes.
	Seq uint64
	// Sums reads the facts of the state.
	Sums SumsReader
	// Units is the unit registry of the state.
	Units *FixedUnits
}

// ErrPastGone means a past state's schema disappeared while it was used (another replica dropped
// it): Forget it and ask again.
var ErrPastGone = errors.New("reporting: the past state was dropped while in use")

// SchemaOf is the scratch schema of the state at seq.
func (p *PastStates) SchemaOf(seq uint64) string { return p.prefix() + strconv.FormatUint(seq, 10) }

func (p *PastStates) prefix() string { return p.Schema + "_asof_" }

func (p *PastStates) keep() int {
	if p.Keep > 0 {
		return p.Keep
	}
	return DefaultPastStatesKept
}

// At returns the read model as it stood at seq (which must be a sequence of the log), rebuilding
// it unless it is kept. The caller calls release when it has read the state, which is not dropped
// before.
func (p *PastStates) At(ctx context.Context, seq uint64) (view PastView, release func(), err error) {
	p.adopt.Do(func() { p.adoptLeftovers(ctx) })
	p.mu.Lock()
	if p.states == nil {
		p.states = map[uint64]*pastState{}
	}
	st := p.states[seq]
	if st == nil {
		st = &pastState{seq: seq, ready: make(chan struct{})}
		p.states[seq] = st
		schema := p.SchemaOf(seq)
		p.leftovers = slices.DeleteFunc(p.leftovers, func(s string) bool { return s == schema })
		go p.fill(context.WithoutCancel(ctx), st)
	}
	p.clock++
	st.used = p.clock
	st.refs++
	p.mu.Unlock()
	release = sync.OnceFunc(func() {
		p.mu.Lock()
		st.refs--
		p.mu.Unlock()
	})
	select {
	case <-st.ready:
	case <-ctx.Done():
		release()
		return PastView{}, nil, ctx.Err()
	}
	if st.err != nil {
		release()
		return PastView{}, nil, st.err
	}
	return st.view, release, nil
}

// Forget drops what this process knows of the state at seq, so that the next At rebuilds it.
func (p *PastStates) Forget(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.states[seq]; st != nil {
		select {
		case <-st.ready:
			delete(p.states, seq)
		default: // still being built: the build's result stands
		}
	}
}

// fill rebuilds a state and drops the states beyond those kept.
func (p *PastStates) fill(ctx context.Context, st *pastState) {
	p.build.Lock()
	defer p.build.Unlock()
	start := time.Now()
	st.view, st.err = p.rebuild(ctx, st.seq)
	if st.err != nil {
		p.logger().Error("reporting: rebuilding a past state failed", "seq", st.seq, "err", st.err)
		p.mu.Lock()
		if p.states[st.seq] == st {
			delete(p.states, st.seq) // the next request tries again
		}
		p.mu.Unlock()
	} else {
		p.logger().Info("reporting: past state rebuilt", "seq", st.seq, "schema", p.SchemaOf(st.seq), "took", time.Since(start).Round(time.Millisecond))
	}
	// Evict before answering, so that what a caller sees afterwards is already within the bound;
	// the new state is not ready yet, so it is not a candidate.
	p.evict(ctx)
	close(st.ready)
}

// rebuild catches the projections up to seq in the state's schema, then reads its unit registry
// into memory: it never changes, and a registry in memory survives the schema being dropped.
func (p *PastStates) rebuild(ctx context.Context, seq uint64) (PastView, error) {
	schema := p.SchemaOf(seq)
	for _, proj := range []projection.Projection{UnitEvents{}, NewFacts()} {
		r, err := projection.NewRunner(proj, projection.Config{Store: p.Store, Pool: p.DB, Schema: schema, UntilSeq: seq,
			Logger: p.logger(), Now: p.Now})
		if err != nil {
			return PastView{}, err
		}
		if err := r.CatchUp(ctx); err != nil {
			return PastView{}, fmt.Errorf("rebuild %s to sequence %d: %w", proj.Name(), seq, err)
		}
		if got := r.Status().CheckpointSeq; got != seq {
			return PastView{}, fmt.Errorf("rebuild %s to sequence %d stopped at %d", proj.Name(), seq, got)
		}
	}
	reg := &Registry{DB: p.DB, Log: p.Log, Schema: schema}
	units := &FixedUnits{}
	if err := reg.With(ctx, func(r *unitreg.Registry) error { units.reg = r; return nil }); err != nil {
		return PastView{}, err
	}
	return PastView{Seq: seq, Sums: SumsReader{DB: p.DB, Schema: schema}, Units: units}, nil
}

// adoptLeftovers lists the scratch schemas already in the database, so that they are reused or
// dropped like the states this process builds.
func (p *PastStates) adoptLeftovers(ctx context.Context) {
	rows, err := p.DB.Query(ctx, "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname", p.prefix())
	if err == nil {
		var names []string
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		for _, n := range names {
			if _, perr := strconv.ParseUint(strings.TrimPrefix(n, p.prefix()), 10, 64); perr == nil {
				p.leftovers = append(p.leftovers, n)
			}
		}
	}
	if err != nil {
		p.logger().Warn("reporting: listing past states left in the database failed; they stay", "err", err)
	}
}

// evict drops leftovers first, then the least recently used states nobody reads, until at most
// Keep remain. It runs under the build lock, so no rebuild is writing what it drops.
func (p *PastStates) evict(ctx context.Context) {
	p.mu.Lock()
	var drop []string
	n := len(p.states) + len(p.leftovers)
	for n > p.keep() && len(p.leftovers) > 0 {
		drop = append(drop, p.leftovers[0])
		p.leftovers = p.leftovers[1:]
		n--
	}
	for n > p.keep() {
		var victim *pastState
		for _, st := range p.states {
			select {
			case <-st.ready:
			default:
				continue
			}
			if st.refs == 0 && (victim == nil || st.used < victim.used) {
				victim = st
			}
		}
		if victim == nil {
			break // every other state is in use: dropped after a later rebuild
		}
		delete(p.states, victim.seq)
		drop = append(drop, p.SchemaOf(victim.seq))
		n--
	}
	p.mu.Unlock()
	for _, schema := range drop {
		if _, err := p.DB.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			p.logger().Warn("reporting: dropping a past state failed", "schema", schema, "err", err)
		}
	}
}

// Kept lists the sequences of the states this process keeps, for tests and health pages.
func (p *PastStates) Kept() []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []uint64
	for seq, st := range p.states {
		select {
		case <-st.ready:
			if st.err == nil {
				out = append(out, seq)
			}
		default:
		}
	}
	slices.Sort(out)
	return out
}

func (p *PastStates) logger() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

// FixedUnits is a unit registry that no longer changes: a past state's.
type FixedUnits struct {
	mu  sync.Mutex
	reg *unitreg.Registry
}

// With calls f with the registry, holding its lock (a unitreg.Registry is not safe for concurrent
// use).
func (u *FixedUnits) With(_ context.Context, f func(*unitreg.Registry) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return f(u.reg)
}
