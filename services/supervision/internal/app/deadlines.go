package app

import (
	"context"
	"sort"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// DeadlineQuery filters the deadline lists.
type DeadlineQuery struct {
	Unit                string
	IncludeSubordinates bool
	Handler             string
	CaseID              string
	// AsOf is the day to look from; zero means today.
	AsOf calendar.Date
	// MinDaysOverdue (overdue list) and WithinWorkingDays (due-soon list).
	MinDaysOverdue    int
	WithinWorkingDays int
	PageSize          int
	PageToken         string
}

// DeadlineList is one page of a deadline list.
type DeadlineList struct {
	Clocks []*supervisionv1.WatchedClock
	Next   string
	AsOf   calendar.Date
}

// ListOverdue lists the open clocks past their due date as of the day asked, most overdue first,
// with days overdue computed by pkg/deadline from each clock's facts dated up to that day.
func (a *Application) ListOverdue(ctx context.Context, q DeadlineQuery) (DeadlineList, error) {
	minDays := max(q.MinDaysOverdue, 1)
	return a.r.listClocks(ctx, q, func(st domain.ClockStatus) bool {
		return st.Overdue() && st.DaysOverdue >= minDays
	}, func(x, y *supervisionv1.WatchedClock) bool {
		if x.GetDaysOverdue() != y.GetDaysOverdue() {
			return x.GetDaysOverdue() > y.GetDaysOverdue()
		}
		return x.GetCaseId()+x.GetClock() < y.GetCaseId()+y.GetClock()
	})
}

// ListDueSoon lists the running clocks due within q.WithinWorkingDays working days of the day asked
// (not yet overdue), soonest first.
func (a *Application) ListDueSoon(ctx context.Context, q DeadlineQuery) (DeadlineList, error) {
	return a.r.listClocks(ctx, q, func(st domain.ClockStatus) bool {
		return st.State == deadline.Running && !st.Due.IsZero() && st.DaysOverdue == 0 && st.WorkingDaysRemaining <= q.WithinWorkingDays
	}, func(x, y *supervisionv1.WatchedClock) bool {
		dx, dy := calendarpb.FromProto(x.GetDueOn()), calendarpb.FromProto(y.GetDueOn())
		if dx != dy {
			return dx.Before(dy)
		}
		return x.GetCaseId()+x.GetClock() < y.GetCaseId()+y.GetClock()
	})
}

func (r *repo) listClocks(ctx context.Context, q DeadlineQuery, keep func(domain.ClockStatus) bool, less func(x, y *supervisionv1.WatchedClock) bool) (DeadlineList, error) {
	if err := r.authorize(ctx, ActRead); err != nil {
		return DeadlineList{}, err
	}
	p, err := page(q.PageSize, q.PageToken)
	if err != nil {
		return DeadlineList{}, err
	}
	asOf := r.orToday(q.AsOf)
	units, err := r.unitScope(ctx, q.Unit, q.IncludeSubordinates, asOf)
	if err != nil {
		return DeadlineList{}, err
	}
	rows, err := r.Read.OpenClocks(ctx, ClockFilter{Units: units, Handler: q.Handler, CaseID: q.CaseID, AsOf: asOf})
	if err != nil {
		return DeadlineList{}, readError(err)
	}
	var all []*supervisionv1.WatchedClock
	for _, row := range rows {
		st := row.Clock.At(r.Engine, asOf)
		if keep(st) {
			all = append(all, watchedProto(row, st))
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return less(all[i], all[j]) })
	out, more := slice(all, p)
	return DeadlineList{Clocks: out, Next: p.next(more), AsOf: asOf}, nil
}

// unitScope is the set of units a list is about: nil for every unit, the unit, or the unit with
// everything below it in the registry on the day.
func (r *repo) unitScope(ctx context.Context, unit string, subordinates bool, on calendar.Date) ([]string, error) {
	if unit == "" {
		return nil, nil
	}
	if !subordinates {
		return []string{unit}, nil
	}
	if err := r.Units.CatchUp(ctx); err != nil {
		return nil, err
	}
	return domain.WithSubordinates(r.Units, unit, on), nil
}

func watchedProto(row ClockRow, st domain.ClockStatus) *supervisionv1.WatchedClock {
	c := row.Clock
	state := supervisionv1.ClockState_CLOCK_STATE_RUNNING
	if st.State == deadline.Paused {
		state = supervisionv1.ClockState_CLOCK_STATE_PAUSED
	}
	return &supervisionv1.WatchedClock{
		CaseId: c.CaseID, Clock: c.Clock, RuleId: c.RuleID, Basis: c.Basis, UnitCode: c.Unit, HandlerSubject: row.Handler,
		PetitionKind: row.Kind, StartedOn: calendarpb.ToProto(c.StartedOn), DueOn: calendarpb.ToProto(st.Due), State: state,
		DaysOverdue: int32(st.DaysOverdue), WorkingDaysRemaining: int32(st.WorkingDaysRemaining), DaysRemaining: int32(st.DaysRemaining),
		Derivation: st.Derivation, Urgings: int32(row.Urgings), AssigneeUnitCode: row.Assignee,
	}
}
