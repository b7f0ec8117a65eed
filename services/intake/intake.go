// Package intake is the intake service: reception sessions and visits, petition registration with
// duplicate, anonymous, crowd and multi-content detection, and the unit registry. New builds it for
// the service host (pkg/svc), which runs it standalone (cmd/intake) or inside `civicase dev`.
package intake

import (
	"context"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake/internal/adapters/eventlog"
	grpcadapter "github.com/civicase/civicase/services/intake/internal/adapters/grpc"
	"github.com/civicase/civicase/services/intake/internal/adapters/postgres"
	"github.com/civicase/civicase/services/intake/internal/app"
	"github.com/civicase/civicase/services/intake/migrations"
)

// New builds the intake service from its environment.
func New(ctx context.Context, env svc.Env) (*svc.Service, error) {
	units, err := app.OpenUnitRegistry(ctx, env.Store, env.Clock)
	if err != nil {
		return nil, err
	}
	petitions := app.NewPetitionHandlers(app.PetitionDeps{
		Tenant:    env.Tenant,
		Store:     env.Store,
		Clock:     env.Clock,
		Sealer:    env.Sealer,
		Indexer:   env.Indexer,
		Deadlines: deadline.Default(),
		Index:     postgres.PetitionIndex{DB: env.DB},
		Receipts:  postgres.ReceiptRegister{DB: env.DB},
		// Unit existence is read from the one unit's aggregate (a direct get, no lock), not through
		// app.UnitRegistry.Read: that catches the whole registry up from the log under one mutex
		// on every call, and since petitions move the log all the time, every registration paid
		// an ordered-consumer read, serialised — measured at half the single-client throughput.
		// Both read the same unit events, so they agree on what exists when.
		Units: eventlog.RegistryLookup{Store: env.Store},
	})
	return &svc.Service{
		Migrations: migrations.FS,
		Register: func(s *grpc.Server) {
			intakev1.RegisterIntakeServiceServer(s, grpcadapter.NewPetitionsServer(petitions))
			unitv1.RegisterUnitRegistryServiceServer(s, grpcadapter.NewUnitsServer(app.NewUnitHandlers(units)))
		},
		Projections: []projection.Projection{postgres.PetitionIndexProjection{}},
	}, nil
}
