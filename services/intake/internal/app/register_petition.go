package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/seal"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// RegisterPetition registers a received petition.
type RegisterPetition struct {
	Meta     command.Meta
	Petition domain.Petition
}

// RegisterPetitionResult is what the officer gives the citizen and what follows.
type RegisterPetitionResult struct {
	PetitionID    string
	ReceiptNumber string
	// DuplicateOf is the original petition when this one repeats it: no new case was opened.
	DuplicateOf string
	// RepeatNumber is how many times the matter has now been received (1 for an original).
	RepeatNumber int32
	Anonymous    bool
	// ProcessingDueOn is the processing deadline; zero for a repeat, which starts no clock.
	ProcessingDueOn calendar.Date
}

// RegisterPetitionHandler registers petitions: it appends PetitionRegistered and, for a petition
// that opens a case, the processing clock's LegalClockStarted in the same commit.
//
// Duplicates are found in the petition index, a projection of the log, so the check is eventually
// consistent: two petitions of the same person on the same matter registered within the
// projection's lag (milliseconds, two officers at two desks at once) can both become originals.
// Closing that needs a claim that is consistent with the append: e.g. a "matter" aggregate per
// (identity-number index, matter index, kind) appended with an expected version, whose first
// writer is the original — which covers identity numbers but not the name-only matches — or a
// processing officer merging the two later (routing). The same lag can give a person's first two
// petitions two sender refs; a request to shred a person therefore looks refs up by
// identity-number index across all their petitions and visits, not just the first.
type RegisterPetitionHandler struct {
	d PetitionDeps
}

// Handle registers the petition; a retry with the same command id returns the first result and
// appends nothing.
func (h RegisterPetitionHandler) Handle(ctx context.Context, cmd RegisterPetition) (RegisterPetitionResult, error) {
	d, p := h.d, cmd.Petition
	// The role first; the unit once it is known to exist, so an unknown unit is an invalid argument.
	if err := authorizePetition(cmd.Meta.Actor, actRegisterPetition, ""); err != nil {
		return RegisterPetitionResult{}, err
	}
	id := commandID(d.Tenant, domain.AggregatePetition, "", cmd.Meta.Actor, cmd.Meta.ID)
	agg := eventstore.Aggregate{Type: domain.AggregatePetition, ID: id.String()}
	hist, err := d.Store.Load(ctx, agg)
	if err != nil {
		return RegisterPetitionResult{}, appendError(err)
	}
	if c, done := hist.HasCommand(cmd.Meta.ID); done {
		return registeredResult(c)
	}

	vs := p.Violations(d.today())
	for _, u := range []struct{ field, code string }{{"unit_code", p.UnitCode}, {"respondent_unit_code", p.RespondentUnitCode}} {
		uv, err := d.checkUnit(ctx, u.field, u.code, p.ReceivedOn)
		if err != nil {
			return RegisterPetitionResult{}, err
		}
		vs = append(vs, uv...)
	}
	if err := apperr.Violations(vs...); err != nil {
		return RegisterPetitionResult{}, err
	}
	if err := authorizePetition(cmd.Meta.Actor, actRegisterPetition, p.UnitCode); err != nil {
		return RegisterPetitionResult{}, err
	}

	class := p.Classify()
	who, err := d.identify(ctx, p.Sender, p.Content)
	if err != nil {
		return RegisterPetitionResult{}, err
	}
	original := ""
	if who.MatterIndex != "" && (who.IDNumberIndex != "" || who.NameIndex != "") {
		var found bool
		original, found, err = d.Index.FindOriginal(ctx, OriginalQuery{
			IDNumberIndex: who.IDNumberIndex, NameIndex: who.NameIndex, MatterIndex: who.MatterIndex, Kind: class.Kind,
		})
		if err != nil {
			return RegisterPetitionResult{}, unavailable("the petition index", err)
		}
		if !found || original == id.String() {
			original = ""
		}
	}
	receipt, err := h.claimReceipt(ctx, p, id)
	if err != nil {
		return RegisterPetitionResult{}, err
	}
	sealed, err := d.sealFor(ctx, &who, seal.Scope{Tenant: d.Tenant, AggregateType: domain.AggregatePetition, AggregateID: id.String()}, p.Sender, p.Content)
	if err != nil {
		return RegisterPetitionResult{}, err
	}

	// Everything that can refuse or fail for want of a dependency is done: from here on only the
	// two appends remain. The repeat goes onto the original first: if the second append is lost,
	// the client's retry (same command id) finds the repeat already recorded and completes the
	// registration, whereas the other order would leave a repeat the original never counts.
	var repeat *domain.Repeat
	if original != "" {
		repeat, err = h.recordRepeat(ctx, cmd, original, id.String())
		if err != nil {
			return RegisterPetitionResult{}, err
		}
	}
	registered := p.Registered(id.String(), receipt, class, who, repeat)
	events := []eventstore.Event{{Payload: registered, OccurredAt: cmd.Meta.OccurredAt, Sealed: sealed}}
	if repeat == nil {
		clk, err := domain.ProcessingClock(d.Deadlines, id.String(), p.UnitCode, p.ReceivedOn)
		if err != nil {
			return RegisterPetitionResult{}, apperr.Internal("", "processing deadline").WithCause(err)
		}
		events = append(events, eventstore.Event{Payload: clk, OccurredAt: cmd.Meta.OccurredAt})
	}
	res, err := d.Store.Append(ctx, agg, hist.Tail, cmd.Meta.Event(), events...)
	if err != nil {
		return RegisterPetitionResult{}, appendError(err)
	}
	return registeredResult(res.Commit)
}

// claimReceipt takes the first receipt number the petition id offers that no other petition holds.
func (h RegisterPetitionHandler) claimReceipt(ctx context.Context, p domain.Petition, id uuid.UUID) (string, error) {
	for attempt := range domain.ReceiptAttempts {
		r := domain.ReceiptNumber(p.UnitCode, p.ReceivedOn.Year, id, attempt)
		ok, err := h.d.Receipts.Claim(ctx, r, id.String())
		if err != nil {
			return "", unavailable("the receipt register", err)
		}
		if ok {
			return r, nil
		}
	}
	return "", apperr.Internal("RECEIPT_NUMBERS_EXHAUSTED", "no free receipt number for petition %s", id)
}

// recordRepeat appends RepeatPetitionReceived to the original and returns the repeat's number.
func (h RegisterPetitionHandler) recordRepeat(ctx context.Context, cmd RegisterPetition, original, repeatID string) (*domain.Repeat, error) {
	var number int32
	// The repeat's own id is the idempotency key on the original: the client's command id names a
	// command of the repeat's aggregate, and on the original it could equal the id of another
	// officer's command that the original already holds.
	meta := cmd.Meta.Event()
	meta.CommandID = "repeat-" + repeatID
	res, err := h.d.Store.Execute(ctx, eventstore.Aggregate{Type: domain.AggregatePetition, ID: original}, meta,
		func(hist eventstore.History) ([]eventstore.Event, error) {
			s, err := foldPetition(hist.Events)
			if err != nil {
				return nil, err
			}
			for _, r := range s.Repeats {
				if r.GetRepeatPetitionId() == repeatID {
					number = r.GetRepeatNumber()
				}
			}
			ev, err := s.ReceiveRepeat(repeatID, cmd.Petition.ReceivedOn)
			if err != nil {
				return nil, apperr.Internal("", "repeat of petition %s", original).WithCause(err)
			}
			if ev == nil { // already counted
				return nil, nil
			}
			return []eventstore.Event{{Payload: ev, OccurredAt: cmd.Meta.OccurredAt}}, nil
		})
	if err != nil {
		return nil, appendError(err)
	}
	for _, ev := range res.Events {
		m, err := decodePayload(ev)
		if err != nil {
			return nil, apperr.Internal("", "repeat of petition %s", original).WithCause(err)
		}
		if r, ok := m.(*intakev1.RepeatPetitionReceived); ok && r.GetRepeatPetitionId() == repeatID {
			number = r.GetRepeatNumber()
		}
	}
	if number == 0 {
		return nil, apperr.Internal("", "repeat of petition %s has no number", original)
	}
	return &domain.Repeat{Of: original, Number: number}, nil
}

// registeredResult reads the result back from the commit that registered the petition, so a
// retry answers exactly what the first call did.
func registeredResult(c eventstore.Commit) (RegisterPetitionResult, error) {
	var out RegisterPetitionResult
	for _, ev := range c.Events {
		m, err := decodePayload(ev)
		if err != nil {
			return out, apperr.Internal("", "registered petition").WithCause(err)
		}
		switch e := m.(type) {
		case *intakev1.PetitionRegistered:
			out.PetitionID, out.ReceiptNumber, out.DuplicateOf = e.GetPetitionId(), e.GetReceiptNumber(), e.GetDuplicateOf()
			out.RepeatNumber, out.Anonymous = e.GetRepeatNumber(), e.GetAnonymous()
		case *commonv1.LegalClockStarted:
			if e.GetClock().GetClock() == domain.ClockProcessing {
				out.ProcessingDueOn = domain.DateOf(e.GetClock().GetDueOn())
			}
		}
	}
	if out.PetitionID == "" {
		return out, apperr.Internal("", "commit %d registers no petition", c.Seq)
	}
	return out, nil
}
