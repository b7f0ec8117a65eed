package app

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// RecordVisit records one citizen visit (lượt tiếp) in an open session.
type RecordVisit struct {
	Meta      command.Meta
	SessionID string
	Visit     domain.Visit
}

// RecordVisitResult says how the visit counts in the 01/TCD report.
type RecordVisitResult struct {
	VisitID string
	// Repeat: the officer said so, or the visitor was received before on the same matter.
	Repeat bool
	// CaseID is the original petition a detected repeat belongs to, when there is one.
	CaseID string
	Crowd  bool
}

// RecordVisitHandler appends VisitRecorded to the session. Repeat detection reads the petition
// index, so it has the same projection lag as duplicate petitions (see RegisterPetitionHandler).
type RecordVisitHandler struct {
	d PetitionDeps
}

// Handle records the visit; a retry with the same command id returns the same visit.
func (h RecordVisitHandler) Handle(ctx context.Context, cmd RecordVisit) (RecordVisitResult, error) {
	d, v := h.d, cmd.Visit
	hist, s, err := d.sessionOf(ctx, cmd.Meta, cmd.SessionID)
	if err != nil {
		return RecordVisitResult{}, err
	}
	if c, done := hist.HasCommand(cmd.Meta.ID); done {
		return visitResult(c)
	}
	if _, err := s.RecordVisit(cmd.SessionID, v, domain.VisitFacts{}); err != nil {
		return RecordVisitResult{}, err // closed: refuse before sealing anything
	}
	if err := apperr.Violations(v.Violations()...); err != nil {
		return RecordVisitResult{}, err
	}
	who, err := d.identify(ctx, v.Visitor, v.Content)
	if err != nil {
		return RecordVisitResult{}, err
	}
	facts := domain.VisitFacts{
		VisitID: commandID(d.Tenant, "visit", cmd.SessionID, cmd.Meta.Actor, cmd.Meta.ID).String(),
	}
	if who.IDNumberIndex != "" && who.MatterIndex != "" {
		facts.EarlierCase, facts.ReceivedBefore, err = d.Index.FindEarlierReception(ctx, ReceptionQuery{
			IDNumberIndex: who.IDNumberIndex, MatterIndex: who.MatterIndex, Kind: v.Kind,
		})
		if err != nil {
			return RecordVisitResult{}, unavailable("the petition index", err)
		}
	}
	// Sealed under the session's aggregate, where the event is.
	sealed, err := d.sealFor(ctx, &who, seal.Scope{Tenant: d.Tenant, AggregateType: domain.AggregateSession, AggregateID: cmd.SessionID}, v.Visitor, v.Content)
	if err != nil {
		return RecordVisitResult{}, err
	}
	facts.Who = who
	// Several officers record visits of one session at once: Execute decides again on the
	// session's latest state when another visit got in first.
	res, err := d.Store.Execute(ctx, eventstore.Aggregate{Type: domain.AggregateSession, ID: cmd.SessionID}, cmd.Meta.Event(),
		func(hist eventstore.History) ([]eventstore.Event, error) {
			s, err := foldSession(hist.Events)
			if err != nil {
				return nil, err
			}
			ev, err := s.RecordVisit(cmd.SessionID, v, facts)
			if err != nil {
				return nil, err
			}
			return []eventstore.Event{{Payload: ev, OccurredAt: cmd.Meta.OccurredAt, Sealed: sealed}}, nil
		})
	if err != nil {
		return RecordVisitResult{}, appendError(err)
	}
	return visitResult(res.Commit)
}

func visitResult(c eventstore.Commit) (RecordVisitResult, error) {
	v, err := visitOf(c)
	if err != nil {
		return RecordVisitResult{}, err
	}
	return RecordVisitResult{VisitID: v.GetVisitId(), Repeat: v.GetRepeat(), CaseID: v.GetCaseId(), Crowd: v.GetCrowd()}, nil
}
