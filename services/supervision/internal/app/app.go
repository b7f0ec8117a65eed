// Package app holds the supervision service's use cases: commands load their aggregate (and the
// case they concern) from the log, decide with the domain and append through
// eventstore.Store.Execute; queries read the projection and compute deadlines as of the day asked
// with pkg/deadline; the watcher records deadline notices and escalations on its own.
package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// UnitDirectory is the unit registry kept current from the log's unit events.
type UnitDirectory interface {
	domain.Units
	// CatchUp applies the unit events appended since the last call.
	CatchUp(ctx context.Context) error
	// Ancestors are the codes of the units above code on a date, nearest first.
	Ancestors(code string, on calendar.Date) []string
}

// ClockFilter selects open clocks.
type ClockFilter struct {
	// Units: only clocks these units answer for; nil for every unit.
	Units   []string
	Handler string
	CaseID  string
	// AsOf: only clocks started by then and not stopped by then.
	AsOf calendar.Date
}

// ClockRow is an open clock with what the lists show about its case.
type ClockRow struct {
	Clock    domain.WatchedClock
	Handler  string
	Assignee string
	Kind     commonv1.PetitionKind
	Urgings  int
	// Noticed holds the watcher's notices already projected (domain.NoticeKey), which a tick
	// need not try again; the log's de-duplication, not this, is what makes notices exactly once.
	Noticed []string
}

// Page is a slice of a list: Offset items skipped, at most Limit returned.
type Page struct {
	Offset, Limit int
}

// UrgingFilter selects urgings.
type UrgingFilter struct {
	Unit     string
	CaseID   string
	OpenOnly bool
}

// ProgrammeFilter selects programmes.
type ProgrammeFilter struct {
	Unit     string
	OpenOnly bool
	AsOf     calendar.Date
}

// FollowUpFilter selects deputies' follow-ups.
type FollowUpFilter struct {
	DeputyRef string
	Unit      string
	OpenOnly  bool
	AsOf      calendar.Date
}

// HotSpotFilter selects hot spots.
type HotSpotFilter struct {
	Units    []string
	OpenOnly bool
}

// ReadModel is the projection of the log the queries and the watcher read. It lags the log by the
// projection's delay; commands never decide on it.
type ReadModel interface {
	// OpenClocks are the clocks open on f.AsOf that pass the filter.
	OpenClocks(ctx context.Context, f ClockFilter) ([]ClockRow, error)
	// Urgings lists urgings, latest first; more tells whether another page follows.
	Urgings(ctx context.Context, f UrgingFilter, p Page) (out []*supervisionv1.Urging, more bool, err error)
	// UrgingsToEscalate are the ids of urgings neither answered nor escalated whose answer date is
	// before day.
	UrgingsToEscalate(ctx context.Context, day calendar.Date) ([]string, error)
	// Programmes lists programmes (without findings and recommendations), latest first.
	Programmes(ctx context.Context, f ProgrammeFilter, p Page) (out []*supervisionv1.Programme, more bool, err error)
	// FollowUps lists deputies' follow-ups, oldest first.
	FollowUps(ctx context.Context, f FollowUpFilter, p Page) (out []*supervisionv1.DeputyFollowUp, more bool, err error)
	// HotSpots lists the register, latest first.
	HotSpots(ctx context.Context, f HotSpotFilter, p Page) (out []*supervisionv1.HotSpot, more bool, err error)
	// Evidence is what the hot-spot rules look at for the cases at, received by or routed through
	// the units (every unit when nil), from facts dated up to asOf; overdue clocks are added by the caller.
	Evidence(ctx context.Context, units []string, asOf calendar.Date) ([]domain.CaseEvidence, error)
}

// Deps are what the use cases work with.
type Deps struct {
	Tenant    string
	Store     *eventstore.Store
	Engine    *deadline.Engine
	Policy    domain.Policy
	Detection domain.DetectionRules
	Clock     clock.Clock
	Units     UnitDirectory
	Read      ReadModel
	Log       *slog.Logger
}

// Application is the set of use cases the transport adapters call.
type Application struct {
	r *repo
}

// New wires the use cases.
func New(d Deps) *Application {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Application{r: &repo{Deps: d}}
}

// repo holds what every use case shares.
type repo struct{ Deps }

// today is the Vietnamese civil date by the injected clock: no fact may be dated after it.
func (r *repo) today() calendar.Date { return calendar.DateOf(r.Clock.Now()) }

var idNamespace = uuid.MustParse("6f1c2a4e-7d0b-5b8e-9c3a-2e5d8f1a4b70")

// newID is the id a creating command gives its aggregate: derived from the command id, so a retry
// finds the aggregate it created instead of creating another.
func (r *repo) newID(kind string, meta command.Meta) string {
	return uuid.NewSHA1(idNamespace, []byte(r.Tenant+"\x00"+kind+"\x00"+meta.Actor.Subject+"\x00"+meta.ID)).String()
}

// history loads an aggregate with its decoded events.
func (r *repo) history(ctx context.Context, agg eventstore.Aggregate) (eventstore.History, []proto.Message, error) {
	h, err := r.Store.Load(ctx, agg)
	if err != nil {
		return eventstore.History{}, nil, storeError(err)
	}
	msgs, err := payloads(h.Events)
	return h, msgs, err
}

func payloads(events []eventstore.StoredEvent) ([]proto.Message, error) {
	out := make([]proto.Message, len(events))
	for i, ev := range events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return nil, apperr.Internal(domain.ReasonCorrupt, "event %s/%s version %d does not decode",
				ev.Envelope.GetAggregateType(), ev.Envelope.GetAggregateId(), ev.Version()).WithCause(err)
		}
		out[i] = m
	}
	return out, nil
}

// caseFacts folds what the log knows of a case: its petition, routing's case and the deputy's
// follow-up, commit by commit in log order.
func (r *repo) caseFacts(ctx context.Context, id string) (*domain.CaseFacts, error) {
	var commits []eventstore.Commit
	for _, typ := range []string{domain.AggregatePetition, domain.AggregateCase, domain.AggregateFollowUp} {
		h, err := r.Store.Load(ctx, eventstore.Aggregate{Type: typ, ID: id})
		if err != nil {
			return nil, storeError(err)
		}
		commits = append(commits, h.Commits...)
	}
	slices.SortFunc(commits, func(a, b eventstore.Commit) int { return int(a.Seq) - int(b.Seq) })
	c := domain.NewCaseFacts(id)
	for _, cm := range commits {
		msgs, err := payloads(cm.Events)
		if err != nil {
			return nil, err
		}
		ext := domain.ExtensionDate(msgs, calendar.DateOf(cm.Events[0].Envelope.GetOccurredAt().AsTime()))
		for _, m := range msgs {
			c.Apply(r.Engine, m, ext)
		}
	}
	if !c.Registered {
		return nil, apperr.NotFound(domain.ReasonCaseNotFound, "no petition %s is registered", id).WithSubject(domain.Subject(domain.AggregatePetition, id))
	}
	return c, nil
}

// execute runs a decision on an aggregate: load, decide, append the events in one commit; the
// decision runs again on a concurrent change, and a retried command returns its original commit.
func (r *repo) execute(ctx context.Context, agg eventstore.Aggregate, meta command.Meta, decide func(history []proto.Message) ([]proto.Message, error)) (eventstore.Result, error) {
	res, err := r.Store.Execute(ctx, agg, meta.Event(), func(h eventstore.History) ([]eventstore.Event, error) {
		msgs, err := payloads(h.Events)
		if err != nil {
			return nil, err
		}
		out, err := decide(msgs)
		if err != nil {
			return nil, err
		}
		events := make([]eventstore.Event, len(out))
		for i, m := range out {
			events[i] = eventstore.Event{Payload: m, OccurredAt: meta.OccurredAt}
		}
		return events, nil
	})
	return res, storeError(err)
}

// unitKnown reports a unit missing from the registry on a date as an invalid field.
func (r *repo) unitKnown(field, code string, on calendar.Date) *apperr.Violation {
	if _, ok := r.Units.Unit(code, on); ok {
		return nil
	}
	return &apperr.Violation{Field: field, Description: "unit " + code + " is not in the registry on " + on.String(), Reason: domain.ReasonUnitUnknown}
}

// checkUnits reports every unknown unit of a request at once.
func (r *repo) checkUnits(ctx context.Context, on calendar.Date, fields ...[2]string) error {
	if err := r.Units.CatchUp(ctx); err != nil {
		return err
	}
	var vs []apperr.Violation
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if v := r.unitKnown(f[0], f[1], on); v != nil {
			vs = append(vs, *v)
		}
	}
	return apperr.Violations(vs...)
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
		return apperr.Conflict("", "the record changed concurrently; try again").WithCause(err)
	case errors.Is(err, eventstore.ErrCorrupt):
		return apperr.Internal(domain.ReasonCorrupt, "the log holds a corrupt record").WithCause(err)
	}
	return apperr.Unavailable("EVENT_LOG_UNAVAILABLE", "the event log cannot be reached").WithCause(err)
}

// readError classifies errors of the read model.
func readError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return apperr.Unavailable("READ_MODEL_UNAVAILABLE", "the supervision read model cannot be reached").WithCause(err)
}

// orToday is d, or today when d is zero (queries "as of" default to today).
func (r *repo) orToday(d calendar.Date) calendar.Date {
	if d.IsZero() {
		return r.today()
	}
	return d
}
