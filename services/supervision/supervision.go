// Package supervision is the supervision service: what People's Councils and the offices above the
// resolving units use to see who is late and what is hot. It keeps a deadline watch over the legal
// clocks intake and routing record (due soon, overdue — computed by pkg/deadline from each clock's
// facts, exact to the day across holidays and suspensions), a watcher that records
// DeadlineApproaching and DeadlineMissed once per clock and due date, urging letters and their
// escalation to the superior (Luật TC Đ38), People's Council supervision programmes with their
// findings and recommendations (Luật GS Đ66, Đ73, Đ82, Đ86), deputies' follow-up of the petitions
// they forwarded until the citizen is informed (Luật TCD Đ28.2), and the hot-spot register with
// detection rules kept as data.
//
// Escalation is automatic: the watcher escalates an urging the day after its answer date passed
// unanswered (policy.yaml, auto_escalate), and EscalateUrging lets a person do it, or name another
// superior, first; either way an urging is escalated once.
package supervision

import (
	"context"
	"time"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/adapters/eventlog"
	grpcadapter "github.com/civicase/civicase/services/supervision/internal/adapters/grpc"
	"github.com/civicase/civicase/services/supervision/internal/adapters/postgres"
	"github.com/civicase/civicase/services/supervision/internal/app"
	"github.com/civicase/civicase/services/supervision/internal/domain"
	"github.com/civicase/civicase/services/supervision/migrations"
)

// DefaultTickEvery is how often the background watcher looks at the clocks.
const DefaultTickEvery = time.Minute

// Options tune the service; the zero value is what production runs.
type Options struct {
	// WarnWorkingDays overrides the policy's warning lead (working days before a due date) when > 0.
	WarnWorkingDays int
	// TickEvery is how often the background watcher ticks: 0 means DefaultTickEvery, a negative
	// value runs no background watcher (tests call Watcher.Tick themselves).
	TickEvery time.Duration
	// OnWatcher receives the service's watcher once it is built.
	OnWatcher func(*Watcher)
}

// Watcher records deadline notices and escalations as days pass (see app.Watcher for the
// exactly-once argument).
type Watcher struct{ w *app.Watcher }

// TickReport counts what one tick recorded (not what it found recorded already).
type TickReport = app.TickReport

// Tick looks at every open clock and unanswered urging as of the civil date of now (Vietnam) and
// records what is due.
func (w *Watcher) Tick(ctx context.Context, now time.Time) (TickReport, error) {
	return w.w.Tick(ctx, now)
}

// New builds the supervision service from its environment.
func New(ctx context.Context, env svc.Env) (*svc.Service, error) { return Builder(Options{})(ctx, env) }

// Builder builds the supervision service with options.
func Builder(o Options) svc.Builder {
	return func(ctx context.Context, env svc.Env) (*svc.Service, error) {
		policy, engine, err := domain.EmbeddedPolicy()
		if err != nil {
			return nil, err
		}
		rules, err := domain.EmbeddedDetectionRules()
		if err != nil {
			return nil, err
		}
		units := eventlog.NewUnits(env.Store)
		if err := units.CatchUp(ctx); err != nil {
			return nil, err
		}
		a := app.New(app.Deps{
			Tenant: env.Tenant, Store: env.Store, Engine: engine, Policy: policy, Detection: rules, Clock: env.Clock,
			Units: units, Read: postgres.NewRead(env.DB), Log: env.Log,
		})
		warn := -1
		if o.WarnWorkingDays > 0 {
			warn = o.WarnWorkingDays
		}
		w := &Watcher{w: a.NewWatcher(warn)}
		if o.OnWatcher != nil {
			o.OnWatcher(w)
		}
		s := &svc.Service{
			Migrations: migrations.FS,
			Register: func(s *grpc.Server) {
				supervisionv1.RegisterSupervisionServiceServer(s, grpcadapter.New(a))
			},
			Projections: []projection.Projection{postgres.Projection{Engine: engine}},
		}
		every := o.TickEvery
		if every == 0 {
			every = DefaultTickEvery
		}
		if every > 0 {
			s.Workers = append(s.Workers, func(ctx context.Context) error {
				t := time.NewTicker(every)
				defer t.Stop()
				for {
					if rep, err := w.Tick(ctx, env.Clock.Now()); err != nil && ctx.Err() == nil {
						env.Log.Warn("supervision watcher", "err", err)
					} else if rep != (TickReport{}) {
						env.Log.Info("supervision watcher", "approaching", rep.Approaching, "missed", rep.Missed, "escalated", rep.Escalated)
					}
					select {
					case <-ctx.Done():
						return nil
					case <-t.C:
					}
				}
			})
		}
		return s, nil
	}
}
