// Package eventlog holds the supervision service's adapters onto the JetStream log beyond the event
// store's own API: the unit registry kept current from the log's unit events.
package eventlog

import (
	"context"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	"github.com/civicase/civicase/pkg/unitreg/unitlog"
	"github.com/civicase/civicase/services/supervision/internal/app"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// Units is supervision's copy of the unit registry, followed from the log (pkg/unitreg/unitlog) and
// caught up before the commands and queries that need it. It never writes unit events. Safe for
// concurrent use.
type Units struct{ f *unitlog.Follower }

var _ app.UnitDirectory = (*Units)(nil)

// NewUnits returns an empty registry that CatchUp fills from the log.
func NewUnits(store *eventstore.Store) *Units { return &Units{f: unitlog.New(store)} }

// CatchUp applies the unit events appended since the last call; see unitlog.Follower.CatchUp.
func (u *Units) CatchUp(ctx context.Context) error { return u.f.CatchUp(ctx) }

func view(v unitreg.Unit) domain.Unit {
	return domain.Unit{Code: v.Code, Kind: v.Kind, ParentCode: v.ParentCode}
}

// Unit is the unit with that code on a date; a unit merged away by then is not.
func (u *Units) Unit(code string, on calendar.Date) (domain.Unit, bool) {
	var v unitreg.Unit
	var ok bool
	u.f.With(func(r *unitreg.Registry) { v, ok = r.Unit(code, on) })
	if !ok || v.Ended() {
		return domain.Unit{}, false
	}
	return view(v), true
}

// Children are the units directly below code on a date.
func (u *Units) Children(code string, on calendar.Date) []domain.Unit {
	var out []domain.Unit
	u.f.With(func(r *unitreg.Registry) {
		for _, c := range r.Children(code, on) {
			out = append(out, view(c))
		}
	})
	return out
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
