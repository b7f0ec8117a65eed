// Package app holds the routing service's use cases: one file per command or query, each a struct
// with the request's fields and a handler that loads the case from the log, decides with the domain
// and appends through eventstore.Store.Execute on the aggregate `case/<petition id>`.
package app

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// UnitDirectory is the unit registry kept current from the log's unit events.
type UnitDirectory interface {
	domain.Units
	// CatchUp applies the unit events appended to the log since the last call, so a command sees
	// every unit registered before it.
	CatchUp(ctx context.Context) error
	// Ancestors are the codes of the units above code on a date, nearest first.
	Ancestors(code string, on calendar.Date) []string
}

// Deps are what the use cases work with.
type Deps struct {
	Store  *eventstore.Store
	Units  UnitDirectory
	Engine *deadline.Engine
	Clock  clock.Clock
	Cases  CaseLister
	Log    *slog.Logger
}

// Application is the set of use cases the transport adapters call.
type Application struct {
	ProcessPetition  ProcessPetitionHandler
	AssignCase       AssignCaseHandler
	RecordStep       RecordStepHandler
	GetCase          GetCaseHandler
	ListCases        ListCasesHandler
	WatchRoutedCases WatchRoutedCasesHandler
}

// New wires the use cases.
func New(d Deps) *Application {
	if d.Engine == nil {
		d.Engine = deadline.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	r := &repo{Deps: d}
	return &Application{
		ProcessPetition:  ProcessPetitionHandler{r},
		AssignCase:       AssignCaseHandler{r},
		RecordStep:       RecordStepHandler{r},
		GetCase:          GetCaseHandler{r},
		ListCases:        ListCasesHandler{r},
		WatchRoutedCases: WatchRoutedCasesHandler{r},
	}
}

// repo loads petitions and cases from the log and runs commands on cases.
type repo struct{ Deps }

// CaseAggregate is the aggregate of a case.
func CaseAggregate(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregateCase, ID: id}
}

// PetitionAggregate is the aggregate intake keeps a petition in.
func PetitionAggregate(id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: domain.AggregatePetition, ID: id}
}

// today is the Vietnamese civil date by the injected clock: no step may be dated after it.
func (r *repo) today() calendar.Date { return calendar.DateOf(r.Clock.Now()) }

// payloads decodes the typed events of a history. An event of a type this binary does not know
// (a newer intake's, say) decodes as an empty placeholder, which the reducers ignore: routing reads
// other services' aggregates and must not stop when they grow.
func payloads(events []eventstore.StoredEvent) ([]proto.Message, error) {
	out := make([]proto.Message, len(events))
	for i, ev := range events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if errors.Is(err, protoregistry.NotFound) {
			m, err = &emptypb.Empty{}, nil
		}
		if err != nil {
			return nil, apperr.Internal(domain.ReasonCorrupt, "event %s/%s version %d does not decode",
				ev.Envelope.GetAggregateType(), ev.Envelope.GetAggregateId(), ev.Version()).WithCause(err)
		}
		out[i] = m
	}
	return out, nil
}

// petition reads a petition's facts from its own aggregate in the log.
func (r *repo) petition(ctx context.Context, id string) (domain.Petition, error) {
	h, err := r.Store.Load(ctx, PetitionAggregate(id))
	if err != nil {
		return domain.Petition{}, storeError(err)
	}
	msgs, err := payloads(h.Events)
	if err != nil {
		return domain.Petition{}, err
	}
	p, ok := domain.PetitionFromEvents(id, msgs)
	if !ok {
		return domain.Petition{}, apperr.NotFound(domain.ReasonPetitionNotFound, "no petition %s is registered", id).WithSubject("petition/" + id)
	}
	return p, nil
}

// caseOf rebuilds a case's write model from its petition and its own history.
func (r *repo) caseOf(p domain.Petition, h eventstore.History) (*domain.Case, []proto.Message, error) {
	c, err := domain.NewCase(r.Engine, p)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := payloads(h.Events)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		if err := c.Apply(m); err != nil {
			return nil, nil, err
		}
	}
	return c, msgs, nil
}

// casePetition reads the petition of a case, which must exist and not be a duplicate.
func (r *repo) casePetition(ctx context.Context, id string) (domain.Petition, error) {
	p, err := r.petition(ctx, id)
	if err != nil {
		if apperr.IsKind(err, apperr.KindNotFound) {
			return p, apperr.NotFound(domain.ReasonCaseNotFound, "no case %s", id).WithSubject(domain.Subject(id))
		}
		return p, err
	}
	if p.DuplicateOf != "" {
		return p, duplicate(p)
	}
	return p, nil
}

// load reads a case: its petition (which must not be a duplicate) and its history.
func (r *repo) load(ctx context.Context, id string) (*domain.Case, eventstore.History, error) {
	p, err := r.casePetition(ctx, id)
	if err != nil {
		return nil, eventstore.History{}, err
	}
	h, err := r.Store.Load(ctx, CaseAggregate(id))
	if err != nil {
		return nil, eventstore.History{}, storeError(err)
	}
	c, _, err := r.caseOf(p, h)
	return c, h, err
}

// duplicate refuses a petition that repeats an earlier one: it opens no case, the original does.
func duplicate(p domain.Petition) *apperr.Error {
	return apperr.Precondition(domain.ReasonDuplicate, "petition %s repeats petition %s: it has no case of its own, the original's case handles the matter",
		p.ID, p.DuplicateOf).WithSubject("petition/"+p.ID).WithMeta("original_petition_id", p.DuplicateOf)
}

// execute runs a decision on a case: load the case, decide, append the events in one commit, and
// return the case as the commit left it. The decision runs again on a concurrent change; a retried
// command returns the case as it is now, without deciding again.
// onCase runs a command on an existing case: the role may do the action, the case's petition is
// read, the registry caught up, and inside the decision the caller's unit is checked against the case
// as it stands (Authorize, authorizeCase) before decide runs with today's date.
func (r *repo) onCase(ctx context.Context, act Action, caseID string, meta command.Meta, decide func(c *domain.Case, today calendar.Date) ([]proto.Message, error)) (*routingv1.Case, error) {
	a, _ := auth.ActorFrom(ctx)
	if err := Authorize(a, act, nil); err != nil {
		return nil, err
	}
	p, err := r.casePetition(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := r.Units.CatchUp(ctx); err != nil {
		return nil, err
	}
	today := r.today()
	return r.execute(ctx, p, meta, func(c *domain.Case) ([]proto.Message, error) {
		if err := r.authorizeCase(ctx, act, c, today); err != nil {
			return nil, err
		}
		return decide(c, today)
	})
}

func (r *repo) execute(ctx context.Context, p domain.Petition, meta command.Meta, decide func(c *domain.Case) ([]proto.Message, error)) (*routingv1.Case, error) {
	var (
		model *domain.Case
		hist  eventstore.History
		msgs  []proto.Message
	)
	res, err := r.Store.Execute(ctx, CaseAggregate(p.ID), meta.Event(), func(h eventstore.History) ([]eventstore.Event, error) {
		c, hm, err := r.caseOf(p, h)
		if err != nil {
			return nil, err
		}
		out, err := decide(c)
		if err != nil {
			return nil, err
		}
		model, hist, msgs = c, h, hm
		events := make([]eventstore.Event, len(out))
		for i, m := range out {
			events[i] = eventstore.Event{Payload: m, OccurredAt: meta.OccurredAt}
		}
		return events, nil
	})
	if err != nil {
		return nil, storeError(err)
	}
	if res.Duplicate || model == nil {
		return r.view(ctx, p.ID)
	}
	// Render from the model the decision saw plus what was appended: no second read of the log.
	added, err := payloads(res.Events)
	if err != nil {
		return nil, err
	}
	for _, m := range added {
		if err := model.Apply(m); err != nil {
			return nil, err
		}
	}
	if len(res.Events) > 0 {
		hist.Events = append(hist.Events, res.Events...)
		hist.Tail = res.Tail()
	}
	return render(model, hist, append(msgs, added...)), nil
}

// storeError classifies errors of the log that are not already application errors.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, eventstore.ErrConcurrency):
		return apperr.Conflict("", "the case changed concurrently; try again").WithCause(err)
	case errors.Is(err, eventstore.ErrCorrupt):
		return apperr.Internal(domain.ReasonCorrupt, "the log holds a corrupt record").WithCause(err)
	}
	return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be reached").WithCause(err)
}
