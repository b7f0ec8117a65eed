package app

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/civicase/civicase/pkg/ahead"
	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/seal"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
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
	d        PetitionDeps
	receipts *ahead.Stock[uint64]
}

// Handle registers the petition; a retry with the same command id returns the first result and
// appends nothing.
//
// A registration waits on the unit check (the registry in memory, one direct get to know it is
// current), the index look-up (one query) and one durable write, the append. The receipt number
// comes from a block of serials leased ahead (receiptBook) and a new sender's data key from the
// sealer's reserve, written ahead for many senders, so neither writes on the registration's path.
// What does not depend on each other runs at once (see register). The new aggregate is not loaded
// first: its id comes from the command id, so it is empty unless this is a retry, and the append,
// expecting an empty aggregate, then finds the command in the aggregate's history and answers with
// the first commit. The history is read only where a retry could otherwise do what the first call
// did not: before recording a repeat on another petition, and before refusing or failing.
func (h RegisterPetitionHandler) Handle(ctx context.Context, cmd RegisterPetition) (RegisterPetitionResult, error) {
	// The role first; the unit once it is known to exist, so an unknown unit is an invalid argument.
	if err := authorizePetition(cmd.Meta.Actor, actRegisterPetition, ""); err != nil {
		return RegisterPetitionResult{}, err
	}
	id := commandID(h.d.Tenant, domain.AggregatePetition, "", cmd.Meta.Actor, cmd.Meta.ID)
	agg := eventstore.Aggregate{Type: domain.AggregatePetition, ID: id.String()}
	res, err := h.register(ctx, cmd, id, agg)
	if err != nil && ctx.Err() == nil {
		// A retry of a recorded command gets its result even where the command would now be refused
		// (the officer moved to another unit) or a dependency fails, as it did when the history was
		// read first; and if the append did land but its answer was lost, this finds it.
		if hist, lerr := h.d.Store.Load(ctx, agg); lerr == nil {
			if c, done := hist.HasCommand(cmd.Meta.ID); done {
				return registeredResult(c)
			}
		}
	}
	return res, err
}

// register decides and appends, without first looking for the command in the aggregate's history.
func (h RegisterPetitionHandler) register(ctx context.Context, cmd RegisterPetition, id uuid.UUID, agg eventstore.Aggregate) (RegisterPetitionResult, error) {
	d, p := h.d, cmd.Petition
	class := p.Classify()
	who, whoErr := d.blindIndexes(p.Sender, p.Content)

	// Two chains at once. The refusal check (field rules, then the units in the registry in memory:
	// one direct get) comes before the receipt serial is taken, so a refused command uses no number.
	// The index look-up runs beside it, and the sealing, which needs the sender's reference from the
	// index, waits for the check too. If the serial or the sealing fails nothing is appended; a
	// serial taken, or a data key nothing was sealed with, stays unused.
	var (
		wg                                   sync.WaitGroup
		checked                              = make(chan struct{})
		refusal, claimErr, matchErr, sealErr error
		receipt                              string
		match                                SenderMatch
		sealed                               []*eventv1.SealedData
	)
	wg.Go(func() {
		refusal = h.refusal(ctx, cmd, whoErr)
		close(checked)
		if refusal == nil {
			receipt, claimErr = h.claimReceipt(ctx, p)
		}
	})
	wg.Go(func() {
		if whoErr == nil && (who.IDNumberIndex != "" || (who.NameIndex != "" && who.MatterIndex != "")) {
			var err error
			match, err = d.Index.MatchSender(ctx, OriginalQuery{
				IDNumberIndex: who.IDNumberIndex, NameIndex: who.NameIndex, MatterIndex: who.MatterIndex, Kind: class.Kind,
			})
			if err != nil {
				matchErr = unavailable("the petition index", err)
			}
		}
		<-checked
		if refusal != nil || matchErr != nil {
			return
		}
		who.SenderRef = match.PersonRef
		scope := seal.Scope{Tenant: d.Tenant, AggregateType: domain.AggregatePetition, AggregateID: id.String()}
		sealed, sealErr = d.sealFor(ctx, &who, scope, p.Sender, p.Content)
	})
	wg.Wait()
	for _, err := range []error{refusal, claimErr, matchErr, sealErr} {
		if err != nil {
			return RegisterPetitionResult{}, err
		}
	}
	original := match.Original
	if original == id.String() { // a retry, once the index has the petition
		original = ""
	}
	var tail eventstore.Tail
	if original != "" {
		// A retry must not count a repeat the first call did not (the index may have lagged then).
		hist, err := d.Store.Load(ctx, agg)
		if err != nil {
			return RegisterPetitionResult{}, appendError(err)
		}
		if c, done := hist.HasCommand(cmd.Meta.ID); done {
			return registeredResult(c)
		}
		tail = hist.Tail
	}

	// Everything that can refuse or fail for want of a dependency is done: from here on only the
	// two appends remain. The repeat goes onto the original first: if the second append is lost,
	// the client's retry (same command id) finds the repeat already recorded and completes the
	// registration, whereas the other order would leave a repeat the original never counts.
	var repeat *domain.Repeat
	var clk *commonv1.LegalClockStarted
	if original != "" {
		var err error
		repeat, err = h.recordRepeat(ctx, cmd, original, id.String())
		if err != nil {
			return RegisterPetitionResult{}, err
		}
	}
	registered := p.Registered(id.String(), receipt, class, who, repeat)
	events := []eventstore.Event{{Payload: registered, OccurredAt: cmd.Meta.OccurredAt, Sealed: sealed}}
	if repeat == nil {
		var err error
		clk, err = domain.ProcessingClock(d.Deadlines, id.String(), p.UnitCode, p.ReceivedOn)
		if err != nil {
			return RegisterPetitionResult{}, apperr.Internal("", "processing deadline").WithCause(err)
		}
		events = append(events, eventstore.Event{Payload: clk, OccurredAt: cmd.Meta.OccurredAt})
	}
	// Expecting the tail read above, or an empty aggregate: a retry's append finds the command
	// recorded and returns the first commit (eventstore.Append), appending nothing.
	res, err := d.Store.Append(ctx, agg, tail, cmd.Meta.Event(), events...)
	if err != nil {
		return RegisterPetitionResult{}, appendError(err)
	}
	if res.Duplicate { // a retry: the answer is the first commit's
		return registeredResult(res.Commit)
	}
	return resultOf(registered, clk), nil
}

// refusal is why the command is refused, in the order the client is told: invalid fields and
// units that do not exist on the day (all at once), then a unit outside the caller's scope, then
// an identity number the blind index refuses (whoErr).
func (h RegisterPetitionHandler) refusal(ctx context.Context, cmd RegisterPetition, whoErr error) error {
	p := cmd.Petition
	vs := p.Violations(h.d.today())
	uv, err := h.d.checkUnits(ctx, p.ReceivedOn, unitField{"unit_code", p.UnitCode}, unitField{"respondent_unit_code", p.RespondentUnitCode})
	if err != nil {
		return err
	}
	if err := apperr.Violations(append(vs, uv...)...); err != nil {
		return err
	}
	if err := authorizePetition(cmd.Meta.Actor, actRegisterPetition, p.UnitCode); err != nil {
		return err
	}
	return whoErr
}

// claimReceipt gives the petition the next receipt serial of this process's leased block. A retry
// takes another serial, unused: the append finds the command recorded and answers with the first
// commit's number.
func (h RegisterPetitionHandler) claimReceipt(ctx context.Context, p domain.Petition) (string, error) {
	serial, err := h.receipts.Take(ctx)
	if err != nil {
		return "", err
	}
	return domain.ReceiptNumber(p.UnitCode, p.ReceivedOn.Year, serial), nil
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
	var (
		registered *intakev1.PetitionRegistered
		clk        *commonv1.LegalClockStarted
	)
	for _, ev := range c.Events {
		m, err := decodePayload(ev)
		if err != nil {
			return RegisterPetitionResult{}, apperr.Internal("", "registered petition").WithCause(err)
		}
		switch e := m.(type) {
		case *intakev1.PetitionRegistered:
			registered = e
		case *commonv1.LegalClockStarted:
			if e.GetClock().GetClock() == domain.ClockProcessing {
				clk = e
			}
		}
	}
	if registered.GetPetitionId() == "" {
		return RegisterPetitionResult{}, apperr.Internal("", "commit %d registers no petition", c.Seq)
	}
	return resultOf(registered, clk), nil
}

// resultOf is the answer to a registration from the events that recorded it; clk is nil for a
// repeat, which starts no clock.
func resultOf(e *intakev1.PetitionRegistered, clk *commonv1.LegalClockStarted) RegisterPetitionResult {
	out := RegisterPetitionResult{
		PetitionID: e.GetPetitionId(), ReceiptNumber: e.GetReceiptNumber(), DuplicateOf: e.GetDuplicateOf(),
		RepeatNumber: e.GetRepeatNumber(), Anonymous: e.GetAnonymous(),
	}
	if clk != nil {
		out.ProcessingDueOn = domain.DateOf(clk.GetClock().GetDueOn())
	}
	return out
}
