// Package nats holds the routing service's adapters onto the JetStream log beyond the event store's
// own API: the unit registry kept current from the log's unit events.
package nats

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	"github.com/civicase/civicase/pkg/unitreg/unitlog"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// AggregateUnit is the aggregate type the unit registry's events are appended to.
const AggregateUnit = unitlog.AggregateUnit

// Units is routing's copy of the unit registry, followed from the log (pkg/unitreg/unitlog) and
// caught up before each command. It never writes unit events. Safe for concurrent use.
type Units struct{ f *unitlog.Follower }

// NewUnits returns an empty registry that CatchUp fills from the log.
func NewUnits(store *eventstore.Store) *Units { return &Units{f: unitlog.New(store)} }

// CatchUp applies the unit events appended since the last call; see unitlog.Follower.CatchUp.
func (u *Units) CatchUp(ctx context.Context) error { return u.f.CatchUp(ctx) }

func view(v unitreg.Unit) domain.Unit {
	return domain.Unit{Code: v.Code, Kind: v.Kind, ParentCode: v.ParentCode, RemoteArea: v.RemoteArea, Ended: v.Ended(), SuccessorCode: v.SuccessorCode}
}

// Unit is the unit with that code on a date.
func (u *Units) Unit(code string, on calendar.Date) (domain.Unit, bool) {
	var v unitreg.Unit
	var ok bool
	u.f.With(func(r *unitreg.Registry) { v, ok = r.Unit(code, on) })
	return view(v), ok
}

// Holding is the unit holding code's cases on a date (its successor after a merger).
func (u *Units) Holding(code string, on calendar.Date) (domain.Unit, bool) {
	var v unitreg.Unit
	var ok bool
	u.f.With(func(r *unitreg.Registry) { v, ok = r.ResolveSuccessor(code, on) })
	return view(v), ok
}

// Competent is the unit the competence rules choose on a date.
func (u *Units) Competent(kind commonv1.PetitionKind, instance int32, respondent string, on calendar.Date) (domain.Competence, error) {
	var c unitreg.Competence
	var err error
	u.f.With(func(r *unitreg.Registry) { c, err = r.CompetentUnit(kind, unitv1.Instance(instance), respondent, on) })
	if err != nil {
		return domain.Competence{}, err
	}
	return domain.Competence{Unit: view(c.Unit), Basis: c.Rule.Basis}, nil
}

// Ancestors are the codes of the units above code on a date, nearest first.
func (u *Units) Ancestors(code string, on calendar.Date) []string {
	var out []string
	u.f.With(func(r *unitreg.Registry) {
		for _, a := range r.Ancestors(code, on) {
			out = append(out, a.Code)
		}
	})
	return out
}
