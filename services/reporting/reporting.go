// Package reporting is the reporting service: the statutory report forms filled from the log and
// rolled up through the unit hierarchy as it stood, their exports, small dashboards, and the
// reporting obligations of plans with frozen submissions. New builds it for the service host
// (pkg/svc), which runs it standalone (cmd/reporting) or inside `civicase dev`.
package reporting

import (
	"context"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	grpcadapter "github.com/civicase/civicase/services/reporting/internal/adapters/grpc"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/internal/app"
	"github.com/civicase/civicase/services/reporting/internal/forms"
	"github.com/civicase/civicase/services/reporting/migrations"
)

// Projection names, for callers that wait for the read model (tests, the dev stack).
const (
	ProjectionFacts       = "facts"
	ProjectionUnits       = "units"
	ProjectionObligations = "obligations"
)

// New builds the reporting service from its environment.
func New(ctx context.Context, env svc.Env) (*svc.Service, error) {
	a := app.New(app.Deps{
		Store:       env.Store,
		Clock:       env.Clock,
		Units:       &postgres.Registry{DB: env.DB, Log: env.Log},
		Sums:        postgres.SumsReader{DB: env.DB},
		Obligations: postgres.ObligationStore{DB: env.DB},
		Forms:       forms.Builtin(),
		Log:         env.Log,
	})
	return &svc.Service{
		Migrations: migrations.FS,
		Register: func(s *grpc.Server) {
			reportingv1.RegisterReportingServiceServer(s, grpcadapter.NewServer(a))
		},
		Projections: []projection.Projection{postgres.UnitEvents{}, postgres.NewFacts(), postgres.Obligations{}},
	}, nil
}
