package domain

import (
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// NoticeKind is what the watcher tells about a clock.
type NoticeKind int

// Kinds of notice.
const (
	// Approaching: due within the warning lead (DeadlineApproaching).
	Approaching NoticeKind = iota + 1
	// Missed: past the due date (DeadlineMissed).
	Missed
)

// WatchTarget is an open clock with what the watcher's notices say about its case.
type WatchTarget struct {
	Clock        WatchedClock
	Handler      string
	PetitionKind commonv1.PetitionKind
}

// Notice is one thing the watcher records about a clock, once per clock, kind and due date.
type Notice struct {
	Kind   NoticeKind
	Target WatchTarget
	Status ClockStatus
	// On is the day the watcher saw it.
	On calendar.Date
}

// Notices are what the watcher records about an open clock on a day: a warning once the due date
// is within warnWorkingDays working days, a miss from the day after it. A suspended clock gets
// none, unless it was suspended after it had already run out (the suspension does not give the
// time back, Luật TC Đ34), when it is missed.
func Notices(t WatchTarget, st ClockStatus, today calendar.Date, warnWorkingDays int) []Notice {
	if st.Due.IsZero() || (st.State != deadline.Running && st.State != deadline.Paused) {
		return nil
	}
	switch {
	case st.DaysOverdue > 0:
		return []Notice{{Kind: Missed, Target: t, Status: st, On: today}}
	case st.State == deadline.Running && !today.After(st.Due) && st.WorkingDaysRemaining <= warnWorkingDays:
		return []Notice{{Kind: Approaching, Target: t, Status: st, On: today}}
	}
	return nil
}

var notToken = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// DeadlineAggregateID is the id of the aggregate holding a clock's notices: "<case>-<clock>",
// with characters a subject token cannot hold replaced.
func DeadlineAggregateID(caseID, clock string) string {
	id := notToken.ReplaceAllString(caseID+"-"+clock, "_")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}

// NoticeKey names a notice of a clock: "missed:2026-03-02".
func NoticeKey(k NoticeKind, due calendar.Date) string {
	if k == Missed {
		return "missed:" + due.String()
	}
	return "approaching:" + due.String()
}

// Key is the notice's NoticeKey.
func (n Notice) Key() string { return NoticeKey(n.Kind, n.Status.Due) }

// CommandID is the notice's deterministic command id, e.g. "missed:<case>:<clock>:<due date>":
// every watcher, replica or restart derives the same one, so the log's de-duplication and the
// history check of eventstore.Execute record the notice once.
func (n Notice) CommandID() string {
	k, due, _ := strings.Cut(n.Key(), ":")
	c := n.Target.Clock
	return k + ":" + c.CaseID + ":" + c.Clock + ":" + due
}

// Event is the notice's event.
func (n Notice) Event() proto.Message {
	c := n.Target.Clock
	if n.Kind == Missed {
		return &supervisionv1.DeadlineMissed{
			CaseId: c.CaseID, Clock: c.Clock, RuleId: c.RuleID, Basis: c.Basis, UnitCode: c.Unit, HandlerSubject: n.Target.Handler,
			DueOn: calendarpb.ToProto(n.Status.Due), MissedOn: calendarpb.ToProto(n.Status.Due.AddDays(1)), NoticedOn: calendarpb.ToProto(n.On),
			DaysOverdue: int32(n.Status.DaysOverdue), Derivation: n.Status.Derivation, PetitionKind: n.Target.PetitionKind,
		}
	}
	return &supervisionv1.DeadlineApproaching{
		CaseId: c.CaseID, Clock: c.Clock, RuleId: c.RuleID, Basis: c.Basis, UnitCode: c.Unit, HandlerSubject: n.Target.Handler,
		DueOn: calendarpb.ToProto(n.Status.Due), WarnedOn: calendarpb.ToProto(n.On), WorkingDaysRemaining: int32(n.Status.WorkingDaysRemaining),
		Derivation: n.Status.Derivation, PetitionKind: n.Target.PetitionKind,
	}
}

// DecideNotice is what recording a notice appends to its clock's aggregate, given the aggregate's
// history: nothing when a notice of the same kind for the same clock and due date is there already
// (recorded under another command id, say by an older release), else the notice's event.
func DecideNotice(history []proto.Message, n Notice) []proto.Message {
	due := calendarpb.ToProto(n.Status.Due)
	for _, m := range history {
		switch e := m.(type) {
		case *supervisionv1.DeadlineApproaching:
			if n.Kind == Approaching && e.GetClock() == n.Target.Clock.Clock && proto.Equal(e.GetDueOn(), due) {
				return nil
			}
		case *supervisionv1.DeadlineMissed:
			if n.Kind == Missed && e.GetClock() == n.Target.Clock.Clock && proto.Equal(e.GetDueOn(), due) {
				return nil
			}
		}
	}
	return []proto.Message{n.Event()}
}
