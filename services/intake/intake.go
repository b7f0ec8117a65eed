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
		Receipts:  postgres.ReceiptSerials{DB: env.DB, Tenant: env.Tenant},
		// The registry in memory, caught up only when the log has a newer unit event: one direct
		// get per registration, and reads share the registry's lock.
		Units: units,
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
