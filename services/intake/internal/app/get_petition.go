package app

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// GetPetition asks for a petition's registration.
type GetPetition struct {
	Actor      auth.Actor
	PetitionID string
}

// GetPetitionResult is the registration as recorded, with no personal data (the event holds only
// blind indexes and the sender's pseudonymous reference), and the repeats received since.
type GetPetitionResult struct {
	Registered *intakev1.PetitionRegistered
	Repeats    []*intakev1.RepeatPetitionReceived
}

// GetPetitionHandler reads the petition's own aggregate, so an officer sees what they just
// registered, without the projection's lag.
type GetPetitionHandler struct {
	d PetitionDeps
}

// Handle returns the petition; a petition outside the caller's units is reported as not found,
// so its existence is not disclosed either.
func (h GetPetitionHandler) Handle(ctx context.Context, q GetPetition) (GetPetitionResult, error) {
	if err := authorizePetition(q.Actor, actReadPetition, ""); err != nil {
		return GetPetitionResult{}, err
	}
	hist, err := h.d.Store.Load(ctx, eventstore.Aggregate{Type: domain.AggregatePetition, ID: q.PetitionID})
	if err != nil {
		return GetPetitionResult{}, appendError(err)
	}
	s, err := foldPetition(hist.Events)
	if err != nil {
		return GetPetitionResult{}, err
	}
	if !s.Exists() || !inUnitScope(q.Actor, s.Registered.GetUnitCode()) {
		return GetPetitionResult{}, apperr.NotFound(domain.ReasonPetitionNotFound, "no petition %s", q.PetitionID)
	}
	return GetPetitionResult{Registered: s.Registered, Repeats: s.Repeats}, nil
}
