package domain

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// HotSpot is an entry of the hot-spot register (điểm nóng) as its events record it.
type HotSpot struct {
	ID           string
	Unit         string
	Title        string
	Leader       string
	Status       supervisionv1.HotSpotStatus
	Cases        []string
	RegisteredOn calendar.Date
	UpdatedOn    calendar.Date
	ClosedOn     calendar.Date
	RuleIDs      []string
	Outcome      string
}

// HotSpotFrom folds a hot spot's history; nil when it has none.
func HotSpotFrom(history []proto.Message) *HotSpot {
	var h *HotSpot
	for _, m := range history {
		switch e := m.(type) {
		case *supervisionv1.HotSpotRegistered:
			on := calendarpb.FromProto(e.GetRegisteredOn())
			h = &HotSpot{ID: e.GetHotSpotId(), Unit: e.GetUnitCode(), Title: e.GetTitle(), Leader: e.GetLeaderSubject(), Status: e.GetStatus(),
				Cases: slices.Clone(e.GetCaseIds()), RegisteredOn: on, UpdatedOn: on, RuleIDs: e.GetRuleIds()}
		case *supervisionv1.HotSpotUpdated:
			if h == nil {
				continue
			}
			if e.GetLeaderSubject() != "" {
				h.Leader = e.GetLeaderSubject()
			}
			if e.GetStatus() != supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_UNSPECIFIED {
				h.Status = e.GetStatus()
			}
			h.Cases = slices.DeleteFunc(h.Cases, func(c string) bool { return slices.Contains(e.GetRemovedCaseIds(), c) })
			h.Cases = append(h.Cases, e.GetAddedCaseIds()...)
			h.UpdatedOn = calendarpb.FromProto(e.GetUpdatedOn())
		case *supervisionv1.HotSpotClosed:
			if h != nil {
				h.Status, h.ClosedOn, h.Outcome = supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED, calendarpb.FromProto(e.GetClosedOn()), e.GetOutcome()
				h.UpdatedOn = h.ClosedOn
			}
		}
	}
	return h
}

func (h *HotSpot) subject() string { return Subject(AggregateHotSpot, h.ID) }

// RegisterHotSpot asks to put a hot spot on the register.
type RegisterHotSpot struct {
	HotSpotID    string
	Unit         string
	Title        string
	Leader       string
	Status       supervisionv1.HotSpotStatus
	Cases        []string
	RegisteredOn calendar.Date
	RuleIDs      []string
}

// DecideRegisterHotSpot decides a new entry of the register; it is watched unless said otherwise.
func DecideRegisterHotSpot(cmd RegisterHotSpot, today calendar.Date) (*supervisionv1.HotSpotRegistered, error) {
	if cmd.RegisteredOn.After(today) {
		return nil, apperr.Invalid("registered_on", "%s is in the future", cmd.RegisteredOn)
	}
	st := cmd.Status
	if st == supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_UNSPECIFIED {
		st = supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_WATCHING
	}
	return &supervisionv1.HotSpotRegistered{
		HotSpotId: cmd.HotSpotID, UnitCode: cmd.Unit, Title: cmd.Title, LeaderSubject: cmd.Leader, Status: st,
		CaseIds: cmd.Cases, RegisteredOn: calendarpb.ToProto(cmd.RegisteredOn), RuleIds: cmd.RuleIDs,
	}, nil
}

// UpdateHotSpot asks to change a hot spot.
type UpdateHotSpot struct {
	On          calendar.Date
	Leader      string
	Status      supervisionv1.HotSpotStatus
	AddCases    []string
	RemoveCases []string
	Note        string
}

func (h *HotSpot) changeable(field string, on, today calendar.Date) error {
	switch {
	case on.After(today):
		return apperr.Invalid(field, "%s is in the future", on)
	case h.Status == supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED:
		return refuse(ReasonHotSpotClosed, h.subject(), "", "the hot spot was closed on %s", h.ClosedOn)
	case on.Before(h.UpdatedOn):
		return refuse(ReasonDateTooEarly, h.subject(), field, "%s is before the hot spot's last change of %s", on, h.UpdatedOn)
	}
	return nil
}

// DecideUpdate decides a change; cases already linked are not linked twice, and unlinking a case
// the hot spot does not hold is refused.
func (h *HotSpot) DecideUpdate(cmd UpdateHotSpot, today calendar.Date) (*supervisionv1.HotSpotUpdated, error) {
	if err := h.changeable("updated_on", cmd.On, today); err != nil {
		return nil, err
	}
	for _, c := range cmd.RemoveCases {
		if !slices.Contains(h.Cases, c) {
			return nil, refuse(ReasonCaseNotLinked, h.subject(), "remove_case_ids", "case %s is not linked to the hot spot", c)
		}
	}
	ev := &supervisionv1.HotSpotUpdated{HotSpotId: h.ID, UpdatedOn: calendarpb.ToProto(cmd.On), Status: cmd.Status, RemovedCaseIds: cmd.RemoveCases, Note: cmd.Note}
	if cmd.Leader != h.Leader {
		ev.LeaderSubject = cmd.Leader
	}
	for _, c := range cmd.AddCases {
		if !slices.Contains(h.Cases, c) {
			ev.AddedCaseIds = append(ev.AddedCaseIds, c)
		}
	}
	return ev, nil
}

// DecideClose decides taking the hot spot off the register.
func (h *HotSpot) DecideClose(on calendar.Date, outcome string, today calendar.Date) (*supervisionv1.HotSpotClosed, error) {
	if err := h.changeable("closed_on", on, today); err != nil {
		return nil, err
	}
	return &supervisionv1.HotSpotClosed{HotSpotId: h.ID, ClosedOn: calendarpb.ToProto(on), Outcome: outcome}, nil
}

// Proto is the hot spot as the API shows it.
func (h *HotSpot) Proto() *supervisionv1.HotSpot {
	return &supervisionv1.HotSpot{
		HotSpotId: h.ID, UnitCode: h.Unit, Title: h.Title, LeaderSubject: h.Leader, Status: h.Status, CaseIds: h.Cases,
		RegisteredOn: calendarpb.ToProto(h.RegisteredOn), UpdatedOn: calendarpb.ToProto(h.UpdatedOn), ClosedOn: calendarpb.ToProto(h.ClosedOn),
		RuleIds: h.RuleIDs, Outcome: h.Outcome,
	}
}
