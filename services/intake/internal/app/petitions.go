package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/seal"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// PetitionIndex is the read model the petition and reception commands consult: who is already
// known, and which earlier petitions and visits concern the same person and matter. It is a
// projection of the log, so it lags the log by the projection's delay (see RegisterPetitionHandler).
type PetitionIndex interface {
	// PersonRef is the subject_ref first given to the person with this identity-number index.
	PersonRef(ctx context.Context, idNumberIndex string) (ref string, found bool, err error)
	// MatchSender answers, in one read, what registering a petition needs of its sender: the
	// reference first given to the person (by identity-number index) and the earliest original
	// (non-repeat) petition of the same person on the same matter.
	MatchSender(ctx context.Context, q OriginalQuery) (SenderMatch, error)
	// FindEarlierReception tells whether the person was received on the same matter before, by
	// petition or visit, and the case (original petition) that reception belongs to, if any.
	FindEarlierReception(ctx context.Context, q ReceptionQuery) (caseID string, found bool, err error)
}

// OriginalQuery asks for the original petition of a duplicate (DOMAIN.md "Duplicate"): the same
// person — equal identity-number index, or, when either petition has no identity number, equal
// name index (names compared without diacritics) — and the same matter (matter index and kind).
type OriginalQuery struct {
	IDNumberIndex string
	NameIndex     string
	MatterIndex   string
	Kind          commonv1.PetitionKind
}

// SenderMatch is what the petition index knows of a petition's sender.
type SenderMatch struct {
	// PersonRef is the reference first given to the person with the identity-number index; empty
	// when the index knows no such person (or the query had no identity-number index).
	PersonRef string
	// Original is the earliest original petition of the same person on the same matter; empty
	// when there is none.
	Original string
}

// ReceptionQuery asks whether a visitor, known by identity number, came on the same matter before.
type ReceptionQuery struct {
	IDNumberIndex string
	MatterIndex   string
	Kind          commonv1.PetitionKind
}

// UnitDirectory is the unit registry as intake's petition commands need it.
type UnitDirectory interface {
	// InForce tells, for each code, whether a unit with the code exists on the day (registered by
	// then, not merged away before it). One call answers for all the units a command names.
	InForce(ctx context.Context, on calendar.Date, codes ...string) ([]bool, error)
}

// PetitionDeps is what the petition and reception use cases work with.
type PetitionDeps struct {
	Tenant    string
	Store     *eventstore.Store
	Clock     clock.Clock
	Sealer    *seal.Sealer
	Indexer   *seal.Indexer
	Deadlines *deadline.Engine
	Index     PetitionIndex
	Receipts  ReceiptSerials
	Units     UnitDirectory
}

// PetitionHandlers are intake's petition and reception use cases.
type PetitionHandlers struct {
	RegisterPetition      RegisterPetitionHandler
	GetPetition           GetPetitionHandler
	OpenReceptionSession  OpenReceptionSessionHandler
	RecordVisit           RecordVisitHandler
	CloseReceptionSession CloseReceptionSessionHandler
}

// NewPetitionHandlers wires the petition and reception use cases to their dependencies.
func NewPetitionHandlers(d PetitionDeps) PetitionHandlers {
	if d.Deadlines == nil {
		d.Deadlines = deadline.Default()
	}
	return PetitionHandlers{
		RegisterPetition:      RegisterPetitionHandler{d: d, receipts: newReceiptBook(d.Receipts)},
		GetPetition:           GetPetitionHandler{d: d},
		OpenReceptionSession:  OpenReceptionSessionHandler{d: d},
		RecordVisit:           RecordVisitHandler{d: d},
		CloseReceptionSession: CloseReceptionSessionHandler{d: d},
	}
}

// today is the Vietnamese civil date of the injected clock: "not in the future" means after it.
func (d PetitionDeps) today() calendar.Date { return calendar.DateOf(d.Clock.Now()) }

// idNamespace scopes the ids intake derives from command ids.
var idNamespace = uuid.MustParse("6f1d3c1e-6a8e-4f38-9c57-2b8e1f0a7d41")

// commandID is the id of the aggregate (or visit) a creating command makes. It is derived from
// the command id rather than drawn at random, so a retry of the command — however late, from
// whichever replica — addresses the same aggregate, where the store finds the command already
// recorded and nothing is appended twice. The caller's subject is part of it, so two officers
// who happen to pick the same command id create two things.
func commandID(tenant, kind, scope string, actor auth.Actor, cmdID string) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join([]string{tenant, kind, scope, actor.Subject, cmdID}, "\x00")))
}

// decodePayload unpacks an event's typed payload.
func decodePayload(ev eventstore.StoredEvent) (proto.Message, error) {
	m, err := ev.Envelope.GetPayload().UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("event %s of %s/%s: %w", ev.Envelope.GetEventType(), ev.Envelope.GetAggregateType(), ev.Envelope.GetAggregateId(), err)
	}
	return m, nil
}

// foldPetition builds a petition's state from its history.
func foldPetition(events []eventstore.StoredEvent) (*domain.PetitionState, error) {
	s := &domain.PetitionState{}
	for _, ev := range events {
		m, err := decodePayload(ev)
		if err != nil {
			return nil, apperr.Internal("", "petition history").WithCause(err)
		}
		s.Apply(m)
	}
	return s, nil
}

// foldSession builds a session's state from its history.
func foldSession(events []eventstore.StoredEvent) (*domain.SessionState, error) {
	s := &domain.SessionState{}
	for _, ev := range events {
		m, err := decodePayload(ev)
		if err != nil {
			return nil, apperr.Internal("", "session history").WithCause(err)
		}
		s.Apply(m)
	}
	return s, nil
}

// identify computes a person's blind indexes and pseudonymous reference. The same person — by
// identity number — gets the reference they were first given, so every piece of their data is
// sealed with one key and shredding them shreds it all. Without an identity number nothing
// identifies a person for sure, so they are a new data subject: SenderRef stays empty and sealFor
// makes them one.
func (d PetitionDeps) identify(ctx context.Context, pd *personv1.PersonalData, c *intakev1.SealedContent) (domain.Identity, error) {
	who, err := d.blindIndexes(pd, c)
	if err != nil {
		return who, err
	}
	if who.IDNumberIndex != "" {
		ref, found, err := d.Index.PersonRef(ctx, who.IDNumberIndex)
		if err != nil {
			return who, unavailable("the petition index", err)
		}
		if found {
			who.SenderRef = ref
		}
	}
	return who, nil
}

// blindIndexes computes a person's and a matter's blind indexes: keyed hashes, no round trip.
func (d PetitionDeps) blindIndexes(pd *personv1.PersonalData, c *intakev1.SealedContent) (domain.Identity, error) {
	var who domain.Identity
	if id := pd.GetIdNumber(); id != "" {
		ix, err := d.Indexer.IDNumber(id)
		if err != nil {
			return who, apperr.Invalid("id_number", "must be digits only")
		}
		who.IDNumberIndex = ix.String()
	}
	if name := domain.NameOf(pd); name != "" {
		ix, err := d.Indexer.Name(name)
		if err == nil {
			who.NameIndex = ix.String()
		}
	}
	if ix, err := d.Indexer.Matter(c.GetRespondent(), c.GetDecisionReference()); err == nil {
		who.MatterIndex = ix.String()
	}
	return who, nil
}

// sealFor seals a person's data and the free text with the person's key, for one aggregate. A
// person with no reference yet becomes a new data subject, whose data key is stored before anything
// is sealed with it. A person whose data was shredded and who comes again is a new data subject
// too: their old key stays destroyed and they get a new reference.
func (d PetitionDeps) sealFor(ctx context.Context, who *domain.Identity, scope seal.Scope, pd *personv1.PersonalData, content *intakev1.SealedContent) ([]*eventv1.SealedData, error) {
	for attempt := 0; ; attempt++ {
		if who.SenderRef == "" {
			ref, err := d.Sealer.NewSubject(ctx)
			if err != nil {
				return nil, unavailable("sealing personal data", err)
			}
			who.SenderRef = ref
		}
		out, err := d.sealOnce(ctx, who.SenderRef, scope, pd, content)
		if errors.Is(err, seal.ErrShredded) && attempt == 0 {
			who.SenderRef = ""
			continue
		}
		if err != nil {
			return nil, unavailable("sealing personal data", err)
		}
		return out, nil
	}
}

func (d PetitionDeps) sealOnce(ctx context.Context, ref string, scope seal.Scope, pd *personv1.PersonalData, content *intakev1.SealedContent) ([]*eventv1.SealedData, error) {
	var out []*eventv1.SealedData
	if domain.HasPersonalData(pd) {
		sd, err := d.Sealer.Seal(ctx, ref, scope, pd)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	if content != nil && proto.Size(content) > 0 {
		sd, err := d.Sealer.SealMessage(ctx, ref, scope, content)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	return out, nil
}

// unitField is a unit code a command names, with the request field it came in.
type unitField struct{ field, code string }

// checkUnits adds a violation for each unit code that names no unit in force on the day.
func (d PetitionDeps) checkUnits(ctx context.Context, on calendar.Date, units ...unitField) ([]apperr.Violation, error) {
	var named []unitField
	var codes []string
	for _, u := range units {
		if u.code != "" && !on.IsZero() {
			named, codes = append(named, u), append(codes, u.code)
		}
	}
	if len(codes) == 0 {
		return nil, nil
	}
	in, err := d.Units.InForce(ctx, on, codes...)
	if err != nil {
		return nil, unavailable("the unit registry", err)
	}
	var vs []apperr.Violation
	for i, u := range named {
		if !in[i] {
			vs = append(vs, apperr.Field(u.field, "no unit with this code exists on %s", on))
		}
	}
	return vs, nil
}

// unavailable classifies a failure of a dependency; the cause is logged, not sent.
func unavailable(what string, err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return apperr.Unavailable("", "%s cannot be reached; retry with the same command id", what).WithCause(err)
}

// appendError classifies an error of the event store.
func appendError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, eventstore.ErrConcurrency):
		return apperr.Conflict("", "changed concurrently; retry with the same command id").WithCause(err)
	case errors.Is(err, eventstore.ErrInvalid), errors.Is(err, eventstore.ErrCorrupt):
		return apperr.Internal("", "event store").WithCause(err)
	}
	return unavailable("the event log", err)
}
