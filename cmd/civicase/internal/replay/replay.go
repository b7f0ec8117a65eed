// Package replay rebuilds every projection of the services from sequence 1 of the log up to a
// point — a sequence or a time — into scratch schemas, and compares them with the live read
// models. At the live point they must be identical; at an earlier point the scratch schemas hold
// the read models as they stood then, which is what a report "as of" that point is computed from.
package replay

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/migrate"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/routing"
	"github.com/civicase/civicase/services/supervision"
)

// Service is a service whose projections are replayed.
type Service struct {
	Name  string
	Build svc.Builder
}

// Projected are the services whose read models a replay rebuilds (audit keeps a tree, not a
// projection).
var Projected = []Service{
	{Name: "intake", Build: intake.New},
	{Name: "routing", Build: routing.New},
	{Name: "supervision", Build: supervision.New},
	{Name: "reporting", Build: reporting.New},
}

// Options say what to replay and where.
type Options struct {
	Shared svc.Shared
	// Services to replay; their live read models are in the schema named after each.
	Services []Service
	// UntilSeq or UntilTime bound the replay; both zero means the log's current end.
	UntilSeq  uint64
	UntilTime time.Time
	// Prefix names the scratch schemas: <Prefix><service>. Default "replay_".
	Prefix string
	// Progress receives one line per projection; nil discards.
	Progress io.Writer
}

// Table is one replayed table compared with its live counterpart.
type Table struct {
	Service, Projection, Table string
	// Differing is the number of rows by which the replayed and live tables differ (0: identical).
	Differing int64
}

// Result is what a replay did.
type Result struct {
	// UntilSeq is the last sequence replayed.
	UntilSeq uint64
	// LiveSeq is where the log ended when the replay started.
	LiveSeq uint64
	Tables  []Table
}

// Identical says whether every replayed table equals the live one.
func (r Result) Identical() bool {
	for _, t := range r.Tables {
		if t.Differing != 0 {
			return false
		}
	}
	return true
}

// Run replays and compares.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Prefix == "" {
		o.Prefix = "replay_"
	}
	out := o.Progress
	if out == nil {
		out = io.Discard
	}
	var res Result
	for i, s := range o.Services {
		schema := o.Prefix + s.Name
		env, err := svc.Prepare(ctx, o.Shared, s.Name, schema)
		if err != nil {
			return res, err
		}
		defer env.DB.Close()
		if i == 0 {
			if res.LiveSeq, err = env.Store.LastSeq(ctx); err != nil {
				return res, err
			}
			if res.UntilSeq, err = until(ctx, env.Store, o, res.LiveSeq); err != nil {
				return res, err
			}
			if res.UntilSeq == 0 {
				return res, fmt.Errorf("the log holds nothing up to that point (it starts later)")
			}
		}
		// Start from an empty scratch schema every time: a replay never builds on a previous one.
		if _, err := env.DB.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
			return res, err
		}
		built, err := s.Build(ctx, env)
		if err != nil {
			return res, fmt.Errorf("%s: %w", s.Name, err)
		}
		if built.Migrations != nil {
			if _, err := migrate.UpPool(ctx, env.DB, built.Migrations, schema); err != nil {
				return res, fmt.Errorf("%s: migrations: %w", s.Name, err)
			}
		}
		for _, p := range built.Projections {
			start := time.Now()
			r, err := projection.NewRunner(p, projection.Config{Store: env.Store, Pool: env.DB, Schema: schema, UntilSeq: res.UntilSeq,
				Logger: slog.New(slog.DiscardHandler), Now: o.Shared.Clock.Now})
			if err != nil {
				return res, err
			}
			if err := r.CatchUp(ctx); err != nil {
				return res, fmt.Errorf("%s/%s: %w", s.Name, p.Name(), err)
			}
			for _, t := range p.Tables() {
				n, err := projection.CompareTables(ctx, env.DB, s.Name+"."+t, schema+"."+t)
				if err != nil {
					return res, fmt.Errorf("compare %s.%s: %w", s.Name, t, err)
				}
				res.Tables = append(res.Tables, Table{Service: s.Name, Projection: p.Name(), Table: t, Differing: n})
			}
			fmt.Fprintf(out, "replayed %s/%s to sequence %d in %s\n", s.Name, p.Name(), res.UntilSeq, time.Since(start).Round(time.Millisecond))
		}
	}
	return res, nil
}

// until turns the options' bound into a sequence: the last message stored at or before UntilTime.
func until(ctx context.Context, store *eventstore.Store, o Options, live uint64) (uint64, error) {
	switch {
	case o.UntilSeq != 0:
		return min(o.UntilSeq, live), nil
	case !o.UntilTime.IsZero():
		first := uint64(0)
		err := store.Read(ctx, eventstore.ReadOptions{From: eventstore.From{Time: o.UntilTime.Add(time.Nanosecond)}}, func(c eventstore.Commit) error {
			first = c.Seq
			return errStop
		})
		if err != nil && err != errStop {
			return 0, err
		}
		if first == 0 {
			return live, nil
		}
		return first - 1, nil
	}
	return live, nil
}

var errStop = fmt.Errorf("stop")
