// Package postgres holds the reporting service's read models in PostgreSQL (schema "reporting")
// and the queries reports run on them.
//
// The facts projection stores, per unit, base metric and day, the sum of the facts of every case,
// session and visit (domain.Fact), in facts_day_v1 and again per month in facts_month_v1. A report
// reads full months from the monthly table and only the partial months at its edges from the
// daily one, and stocks ("carried over") as sums of everything before its start — so its cost
// depends on the number of units and metrics, not on the number of cases. The state each case
// needs to retract its old facts when it changes is kept in case_state_v1; processed_v1 answers
// the one question sums cannot: which petitions processed in a period were received before it.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/reporting/internal/domain"
)

// Aggregate types the facts projection reads.
const (
	AggregatePetition = "petition"
	AggregateCase     = "case"
	AggregateSession  = "session"
)

// Facts is the projection of petitions, cases and reception sessions into daily and monthly sums
// of base metrics. It is not safe for concurrent use: one runner applies it.
type Facts struct {
	// cache holds the case states read or written in the current transaction, so that a batch
	// touching a case many times reads it once. It belongs to one *projection.Tx: a new
	// transaction (a retry after a rollback included) starts with an empty cache, so nothing a
	// rolled-back transaction computed survives it.
	cacheTx *projection.Tx
	cache   map[string]*caseEntry
}

type caseEntry struct {
	state *domain.CaseState
}

// NewFacts returns the facts projection.
func NewFacts() *Facts { return &Facts{} }

// Table names of this version.
const (
	TableFactsDay   = "facts_day_v1"
	TableFactsMonth = "facts_month_v1"
	TableFactsYear  = "facts_year_v1"
	TableFactsHalf  = "facts_half_v1"
	TableCaseState  = "case_state_v1"
	TableProcessed  = "processed_v1"
	TableSessions   = "sessions_v1"
)

// Name identifies the projection.
func (*Facts) Name() string { return "facts" }

// Version of the tables and their meaning.
func (*Facts) Version() int { return 1 }

// Tables are this version's tables.
func (*Facts) Tables() []string {
	return []string{TableFactsDay, TableFactsHalf, TableFactsMonth, TableFactsYear, TableCaseState, TableProcessed, TableSessions}
}

// AggregateTypes are the aggregates whose events count.
func (*Facts) AggregateTypes() []string {
	return []string{AggregatePetition, AggregateCase, AggregateSession}
}

// FactsDDL creates the facts tables; the benchmark uses it to load the same tables directly.
const FactsDDL = `
CREATE TABLE facts_day_v1 (
	unit   text   NOT NULL,
	metric text   NOT NULL,
	day    date   NOT NULL,
	value  bigint NOT NULL,
	PRIMARY KEY (unit, day, metric) INCLUDE (value) -- covering: reports read the index only
);
CREATE TABLE facts_half_v1 (
	unit   text   NOT NULL,
	metric text   NOT NULL,
	half   date   NOT NULL, -- the 1st or the 15th
	value  bigint NOT NULL,
	PRIMARY KEY (unit, half, metric) INCLUDE (value)
);
CREATE TABLE facts_month_v1 (
	unit   text   NOT NULL,
	metric text   NOT NULL,
	month  date   NOT NULL, -- first day of the month
	value  bigint NOT NULL,
	PRIMARY KEY (unit, month, metric) INCLUDE (value)
);
CREATE TABLE facts_year_v1 (
	unit   text   NOT NULL,
	metric text   NOT NULL,
	year   date   NOT NULL, -- 1 January
	value  bigint NOT NULL,
	PRIMARY KEY (unit, year, metric) INCLUDE (value)
);
CREATE TABLE case_state_v1 (
	case_id text  PRIMARY KEY,
	state   jsonb NOT NULL
);
CREATE TABLE processed_v1 (
	case_id      text    NOT NULL,
	idx          integer NOT NULL,
	unit         text    NOT NULL,
	class        text    NOT NULL,
	received_on  date    NOT NULL,
	processed_on date    NOT NULL,
	PRIMARY KEY (case_id, idx)
);
-- "received before F and processed on or after F" is "[received_on, processed_on) contains F-1":
-- a stabbing query on this index returns only the petitions that straddle F.
CREATE INDEX processed_v1_straddling ON processed_v1 USING gist (daterange(received_on, processed_on, '[)'));
CREATE TABLE sessions_v1 (
	session_id text    PRIMARY KEY,
	unit       text    NOT NULL,
	kind       integer NOT NULL,
	held_on    date    NOT NULL
);`

// Setup creates the tables.
func (*Facts) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, FactsDDL)
	return err
}

// Apply writes one commit's facts.
func (p *Facts) Apply(ctx context.Context, tx *projection.Tx, c eventstore.Commit) error {
	if p.cacheTx != tx {
		p.cacheTx, p.cache = tx, map[string]*caseEntry{}
	}
	events := make([]proto.Message, 0, len(c.Events))
	for _, ev := range c.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			// An event type this build does not know (a newer service's): it counts in no form yet.
			continue
		}
		events = append(events, m)
	}
	if c.Aggregate.Type == AggregateSession {
		return p.applySession(ctx, tx, events)
	}
	if !slices.ContainsFunc(events, counts) {
		return nil
	}
	id := c.Aggregate.ID
	fresh := c.Aggregate.Type == AggregatePetition && len(c.Events) > 0 && c.Events[0].Version() == 1
	st, err := p.load(ctx, tx, id, fresh)
	if err != nil {
		return err
	}
	oldFacts, oldProcessed := st.Facts(), st.ProcessedHandlings()
	for _, m := range events {
		st.Apply(m)
	}
	queueFacts(tx, domain.Diff(oldFacts, st.Facts()))
	if newProcessed := st.ProcessedHandlings(); !slices.Equal(oldProcessed, newProcessed) {
		tx.Queue("DELETE FROM "+TableProcessed+" WHERE case_id = $1", id)
		for i, h := range newProcessed {
			tx.Queue("INSERT INTO "+TableProcessed+" (case_id, idx, unit, class, received_on, processed_on) VALUES ($1, $2, $3, $4, $5, $6)",
				id, i, h.Unit, string(h.Class), pgDate(h.Received), pgDate(h.Processed))
		}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tx.Queue("INSERT INTO "+TableCaseState+" (case_id, state) VALUES ($1, $2) ON CONFLICT (case_id) DO UPDATE SET state = EXCLUDED.state", id, raw)
	return nil
}

// counts tells whether an event can change a case's facts (domain.CaseState.Apply): the others
// (verification, dialogue, legal clocks, assignments, repeats recorded on the original) cost no
// read or write of the case's state.
func counts(m proto.Message) bool {
	switch m.(type) {
	case *intakev1.PetitionRegistered, *routingv1.PetitionClassified, *routingv1.CaseAccepted, *routingv1.PetitionGuided,
		*routingv1.PetitionForwarded, *routingv1.PetitionReturned, *routingv1.PetitionFiledAway, *routingv1.ReplyReceived,
		*routingv1.ComplaintDecisionIssued, *routingv1.DenunciationConcluded, *routingv1.DecisionExecuted,
		*routingv1.ConclusionActedOn, *routingv1.PetitionWithdrawn, *routingv1.CaseTerminated:
		return true
	}
	return false
}

func (p *Facts) load(ctx context.Context, tx *projection.Tx, id string, fresh bool) (*domain.CaseState, error) {
	if e, ok := p.cache[id]; ok {
		return e.state, nil
	}
	st := &domain.CaseState{}
	if !fresh {
		var raw []byte
		err := tx.QueryRow(ctx, "SELECT state FROM "+TableCaseState+" WHERE case_id = $1", id).Scan(&raw)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return nil, err
		default:
			if err := json.Unmarshal(raw, st); err != nil {
				return nil, fmt.Errorf("case %s: stored state does not decode: %w", id, err)
			}
		}
	}
	p.cache[id] = &caseEntry{state: st}
	return st, nil
}

func (p *Facts) applySession(ctx context.Context, tx *projection.Tx, events []proto.Message) error {
	var facts []domain.Fact
	for _, m := range events {
		switch e := m.(type) {
		case *intakev1.ReceptionSessionOpened:
			tx.Queue("INSERT INTO "+TableSessions+" (session_id, unit, kind, held_on) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO NOTHING",
				e.GetSessionId(), e.GetUnitCode(), int32(e.GetKind()), pgDate(domain.DateOf(e.GetHeldOn())))
			facts = append(facts, domain.SessionFacts(e)...)
		case *intakev1.VisitRecorded:
			kind := e.GetSessionKind()
			if kind == intakev1.SessionKind_SESSION_KIND_UNSPECIFIED {
				var k int32
				err := tx.QueryRow(ctx, "SELECT kind FROM "+TableSessions+" WHERE session_id = $1", e.GetSessionId()).Scan(&k)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
				kind = intakev1.SessionKind(k)
			}
			facts = append(facts, domain.VisitFacts(e, kind)...)
		}
	}
	queueFacts(tx, domain.SumFacts(facts))
	return nil
}

// upsertSQL adds deltas to one level's sums, one statement for many rows.
func upsertSQL(lv level) string {
	return `INSERT INTO ` + lv.table + ` (unit, metric, ` + lv.column + `, value)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[])
ON CONFLICT (unit, ` + lv.column + `, metric) DO UPDATE SET value = ` + lv.table + `.value + EXCLUDED.value`
}

var upserts = func() []string {
	out := make([]string, len(levels))
	for i, lv := range levels {
		out[i] = upsertSQL(lv)
	}
	return out
}()

// queueFacts adds fact deltas to the sums of every level (day, half-month, month, year), one
// statement each.
func queueFacts(tx *projection.Tx, facts []domain.Fact) {
	if len(facts) == 0 {
		return
	}
	for i, lv := range levels {
		bucketed := make([]domain.Fact, len(facts))
		for j, f := range facts {
			f.Day = lv.start(f.Day)
			bucketed[j] = f
		}
		var units, metrics []string
		var days []time.Time
		var values []int64
		for _, f := range domain.SumFacts(bucketed) {
			units, metrics, days, values = append(units, f.Unit), append(metrics, f.Metric), append(days, pgDate(f.Day)), append(values, f.Value)
		}
		if len(units) > 0 {
			tx.Queue(upserts[i], units, metrics, days, values)
		}
	}
}

// YearOf is 1 January of d's year.
func YearOf(d calendar.Date) calendar.Date { return calendar.Date{Year: d.Year, Month: 1, Day: 1} }

// MonthOf is the first day of d's month.
func MonthOf(d calendar.Date) calendar.Date {
	return calendar.Date{Year: d.Year, Month: d.Month, Day: 1}
}

// pgDate is a civil date as pgx writes a date: midnight UTC of that day.
func pgDate(d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// dateOfPG reads a date pgx returned.
func dateOfPG(t time.Time) calendar.Date {
	y, m, d := t.Date()
	return calendar.Date{Year: y, Month: m, Day: d}
}
