// Package routing is the routing service: petition processing (classify, accept, guide, forward,
// return, file away) with the competent unit chosen by the rules of the unit registry, assignment
// to handlers and agencies, and the resolution lifecycle of complaints and denunciations with the
// legal clocks every step starts, pauses, extends or stops. Agencies plug in through
// WatchRoutedCases and report their steps back through RecordStep.
package routing

import (
	"context"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	grpcadapter "github.com/civicase/civicase/services/routing/internal/adapters/grpc"
	natsadapter "github.com/civicase/civicase/services/routing/internal/adapters/nats"
	"github.com/civicase/civicase/services/routing/internal/adapters/postgres"
	"github.com/civicase/civicase/services/routing/internal/app"
	"github.com/civicase/civicase/services/routing/migrations"
)

// New builds the routing service from its environment: the unit registry is read from the log
// before the service starts and caught up before every command.
func New(ctx context.Context, env svc.Env) (*svc.Service, error) {
	units := natsadapter.NewUnits(env.Store)
	if err := units.CatchUp(ctx); err != nil {
		return nil, err
	}
	a := app.New(app.Deps{
		Store:  env.Store,
		Units:  units,
		Engine: deadline.Default(),
		Clock:  env.Clock,
		Cases:  postgres.NewCases(env.DB),
		Log:    env.Log,
	})
	return &svc.Service{
		Migrations: migrations.FS,
		Register: func(s *grpc.Server) {
			routingv1.RegisterRoutingServiceServer(s, grpcadapter.New(a))
		},
		Projections: []projection.Projection{postgres.CasesProjection{}},
		Gauges: []svc.Gauge{
			{Name: "civicase.cases.open", Description: "cases awaiting processing, in resolution, suspended or forwarded", Unit: "{case}",
				Observe: func(ctx context.Context) (int64, error) { return postgres.CountOpenCases(ctx, env.DB) }},
			{Name: "civicase.cases.overdue", Description: "cases with a running legal clock past its due date", Unit: "{case}",
				Observe: func(ctx context.Context) (int64, error) {
					return postgres.CountOverdueCases(ctx, env.DB, calendar.DateOf(env.Clock.Now()))
				}},
		},
	}, nil
}
