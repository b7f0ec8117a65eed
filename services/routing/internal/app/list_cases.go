package app

import (
	"context"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// ListCases filters cases, a page at a time.
type ListCases struct {
	// Unit keeps the cases handled by or assigned to the unit.
	Unit string
	Kind commonv1.PetitionKind
	// Statuses keeps the cases in any of them.
	Statuses []routingv1.CaseStatus
	// DueBefore keeps the cases with an open clock due on or before the date.
	DueBefore calendar.Date
	// OverdueOn keeps the cases with an open clock already past due on the date.
	OverdueOn calendar.Date
	PageSize  int
	PageToken string
}

// DefaultPageSize is the page size when the client leaves it to the server.
const DefaultPageSize = 50

// CaseLister is the cases read model (a projection of the log).
type CaseLister interface {
	// List returns one page of cases in a stable order, without timelines, and the token of the
	// next page ("" at the end). A token it cannot read is an InvalidArgument on page.page_token.
	List(ctx context.Context, q ListCases) ([]*routingv1.Case, string, error)
}

// ListCasesHandler answers ListCases from the projection, which may lag the log by a moment.
type ListCasesHandler struct{ r *repo }

// Handle returns one page.
func (h ListCasesHandler) Handle(ctx context.Context, q ListCases) ([]*routingv1.Case, string, error) {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, ActRead, nil); err != nil {
		return nil, "", err
	}
	if q.PageSize <= 0 {
		q.PageSize = DefaultPageSize
	}
	return h.r.Cases.List(ctx, q)
}
