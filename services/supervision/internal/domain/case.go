package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// CaseFacts is what supervision knows of a case from the log: the petition intake registered, the
// routing steps that moved it between units, and its legal clocks. Commands fold it from the
// petition and case aggregates (and the follow-up aggregate, for the deputy's clock), so they decide
// on the log itself, not on a read model that may lag.
type CaseFacts struct {
	ID          string
	Registered  bool
	DuplicateOf string
	// ReceivingUnit received the petition; Unit handles the case now.
	ReceivingUnit string
	Unit          string
	Assignee      string
	Handler       string
	Kind          commonv1.PetitionKind
	Field         commonv1.Field
	Source        commonv1.Source
	ForwardedBy   string
	ReceivedOn    calendar.Date
	// OutsideCompetence is set when processing found the case outside the receiving unit's
	// competence (01/XLD cols 18–21: guided, forwarded, urged).
	OutsideCompetence bool
	Clocks            Clocks
}

// NewCaseFacts is the empty fold of a case.
func NewCaseFacts(id string) *CaseFacts { return &CaseFacts{ID: id, Clocks: Clocks{}} }

// Apply folds one event of the petition, case or follow-up aggregate; extensionOn as for FactOf.
func (c *CaseFacts) Apply(eng *deadline.Engine, msg proto.Message, extensionOn calendar.Date) {
	switch e := msg.(type) {
	case *intakev1.PetitionRegistered:
		c.Registered = true
		c.DuplicateOf = e.GetDuplicateOf()
		c.ReceivingUnit, c.Unit = e.GetUnitCode(), e.GetUnitCode()
		c.Kind, c.Field, c.Source, c.ForwardedBy = e.GetKind(), e.GetField(), e.GetSource(), e.GetForwardedBy()
		c.ReceivedOn = calendarpb.FromProto(e.GetReceivedOn())
	case *routingv1.PetitionClassified:
		c.Kind, c.Field = e.GetKind(), e.GetField()
		c.OutsideCompetence = !e.GetWithinCompetence()
	case *routingv1.CaseAccepted:
		c.Unit, c.Kind = e.GetUnitCode(), e.GetKind()
	case *routingv1.PetitionForwarded:
		c.Unit, c.OutsideCompetence = e.GetToUnitCode(), true
	case *routingv1.PetitionGuided:
		c.OutsideCompetence = true
	case *routingv1.CaseAssigned:
		c.Assignee, c.Handler = e.GetAssigneeUnitCode(), e.GetHandlerSubject()
	}
	c.Clocks.Apply(eng, msg, extensionOn)
}

// OpenClocks are the case's clocks open on a day with their status, most overdue first.
func (c *CaseFacts) OpenClocks(eng *deadline.Engine, on calendar.Date) []ClockWithStatus {
	var out []ClockWithStatus
	for _, w := range c.Clocks {
		if w.CaseID != c.ID {
			continue
		}
		st := w.At(eng, on)
		if st.State == deadline.Running || st.State == deadline.Paused {
			out = append(out, ClockWithStatus{Clock: w, Status: st})
		}
	}
	sortByOverdue(out)
	return out
}

// ClockWithStatus is a clock with its status as of a day.
type ClockWithStatus struct {
	Clock  WatchedClock
	Status ClockStatus
}

func sortByOverdue(cs []ClockWithStatus) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && lessOverdue(cs[j], cs[j-1]); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func lessOverdue(a, b ClockWithStatus) bool {
	if a.Status.DaysOverdue != b.Status.DaysOverdue {
		return a.Status.DaysOverdue > b.Status.DaysOverdue
	}
	return a.Clock.Clock < b.Clock.Clock
}
