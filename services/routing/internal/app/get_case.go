package app

import (
	"context"

	"github.com/civicase/civicase/pkg/auth"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// GetCase asks for one case.
type GetCase struct {
	CaseID string
}

// GetCaseHandler answers GetCase from the log: the petition and case aggregates as they are now,
// so a client reads its own writes.
type GetCaseHandler struct{ r *repo }

// Handle returns the case with its timeline (one entry per event) and open clocks.
func (h GetCaseHandler) Handle(ctx context.Context, q GetCase) (*routingv1.Case, error) {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActRead, nil); err != nil {
		return nil, err
	}
	c, hist, err := h.r.load(ctx, q.CaseID)
	if err != nil {
		return nil, err
	}
	msgs, err := payloads(hist.Events)
	if err != nil {
		return nil, err
	}
	return render(c, hist, msgs), nil
}
