package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// WatcherSubject is the pseudonymous actor of the events the watcher records.
const WatcherSubject = "system:supervision-watcher"

// Watcher records, on its own, what the passing of days makes true: DeadlineApproaching a set
// number of working days before a legal clock's due date, DeadlineMissed from the day after it,
// and — when the policy says so — the escalation of urgings left unanswered past their date.
//
// Every record is made once whatever the number of watchers: each notice has a deterministic
// command id ("missed:<case>:<clock>:<due date>") on the clock's own aggregate
// (`deadline/<case>-<clock>`), and an escalation "escalate:<urging>" on the urging's. A second
// watcher (another replica, the same one after a restart, a tick that runs twice) either finds the
// command in the aggregate's history (eventstore.Execute), or loses the append race on the
// aggregate's expected version and then finds it, or is de-duplicated by JetStream's message id.
// A due date moved by an extension or a suspension is a new due date and gets its own notices.
type Watcher struct {
	r    *repo
	warn int
}

// TickReport counts what one tick recorded (not what it found already recorded).
type TickReport struct {
	Approaching int
	Missed      int
	Escalated   int
}

// NewWatcher returns the application's watcher; warnWorkingDays < 0 takes the policy's lead.
func (a *Application) NewWatcher(warnWorkingDays int) *Watcher {
	if warnWorkingDays < 0 {
		warnWorkingDays = a.r.Policy.WarnWorkingDays
	}
	return &Watcher{r: a.r, warn: warnWorkingDays}
}

func watcherMeta(id string) command.Meta {
	return command.Meta{ID: id, CorrelationID: id, Actor: auth.Actor{Subject: WatcherSubject, Role: "system"}}
}

// Tick looks at every open clock (and unanswered urging) as of the civil date of now and records
// what is due. It carries on past a failing record and returns the errors joined.
func (w *Watcher) Tick(ctx context.Context, now time.Time) (TickReport, error) {
	r := w.r
	today := calendar.DateOf(now)
	var rep TickReport
	var errs []error
	rows, err := r.Read.OpenClocks(ctx, ClockFilter{AsOf: today})
	if err != nil {
		return rep, readError(err)
	}
	for _, row := range rows {
		st := row.Clock.At(r.Engine, today)
		t := domain.WatchTarget{Clock: row.Clock, Handler: row.Handler, PetitionKind: row.Kind}
		for _, n := range domain.Notices(t, st, today, w.warn) {
			if slices.Contains(row.Noticed, n.Key()) {
				continue
			}
			agg := eventstore.Aggregate{Type: domain.AggregateDeadline, ID: domain.DeadlineAggregateID(row.Clock.CaseID, row.Clock.Clock)}
			meta := watcherMeta(n.CommandID())
			meta.OccurredAt = now
			res, err := r.execute(ctx, agg, meta, func(h []proto.Message) ([]proto.Message, error) {
				return domain.DecideNotice(h, n), nil
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !res.Duplicate && len(res.Events) > 0 {
				if n.Kind == domain.Missed {
					rep.Missed++
				} else {
					rep.Approaching++
				}
			}
		}
	}
	if r.Policy.Urging.AutoEscalate {
		n, err := w.escalate(ctx, now, today)
		rep.Escalated += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return rep, errors.Join(errs...)
}

// escalate asks the superior of every unit that let an urging's answer date pass (Luật TC Đ38).
func (w *Watcher) escalate(ctx context.Context, now time.Time, today calendar.Date) (int, error) {
	r := w.r
	ids, err := r.Read.UrgingsToEscalate(ctx, today)
	if err != nil {
		return 0, readError(err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := r.Units.CatchUp(ctx); err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, id := range ids {
		meta := watcherMeta("escalate:" + id)
		meta.OccurredAt = now
		res, err := r.execute(ctx, eventstore.Aggregate{Type: domain.AggregateUrging, ID: id}, meta, func(h []proto.Message) ([]proto.Message, error) {
			u := domain.UrgingFrom(h)
			if u == nil || u.Answered || u.Escalated || !today.After(u.RespondBy) {
				return nil, nil
			}
			superior, ok := domain.Superior(r.Units, u.Unit, today)
			if !ok {
				r.Log.Warn("supervision: no superior to escalate an urging to", "urging", id, "unit", u.Unit)
				return nil, nil
			}
			ev, err := u.DecideEscalate(r.Engine, r.Policy, today, superior, true, today)
			if err != nil {
				return nil, err
			}
			return []proto.Message{ev}, nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !res.Duplicate && len(res.Events) > 0 {
			n++
		}
	}
	return n, errors.Join(errs...)
}
