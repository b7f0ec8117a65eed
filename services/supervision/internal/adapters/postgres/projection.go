// Package postgres holds the supervision service's read models in its PostgreSQL schema, kept by
// one projection of the log (pkg/projection), and the queries the lists and the watcher run on
// them. Nothing here decides: commands decide on the log itself.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// Projection keeps the supervision read model: every petition with where its case stands, the
// units a case passed through, the reception visits, the legal clocks with their dated facts (their
// due dates are computed when asked, as of the day asked), urgings, programmes and their
// recommendations, deputies' follow-ups and the hot-spot register.
type Projection struct {
	// Engine infers the conditions a clock started with (domain.StartClock); pure computation.
	Engine *deadline.Engine
}

// Name identifies the projection.
func (Projection) Name() string { return "supervision" }

// Version of the tables and their meaning.
func (Projection) Version() int { return 1 }

// Tables are the tables of this version.
func (Projection) Tables() []string {
	return []string{"petitions_v1", "case_units_v1", "visits_v1", "clocks_v1", "urgings_v1", "programmes_v1",
		"recommendations_v1", "followups_v1", "hotspots_v1", "hotspot_cases_v1", "notices_v1"}
}

// AggregateTypes are the aggregates the projection reads.
func (Projection) AggregateTypes() []string {
	return []string{domain.AggregatePetition, domain.AggregateCase, domain.AggregateSession, domain.AggregateFollowUp,
		domain.AggregateUrging, domain.AggregateProgramme, domain.AggregateHotSpot, domain.AggregateDeadline}
}

// Setup creates the tables.
func (Projection) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE petitions_v1 (
	petition_id        text    PRIMARY KEY,
	case_id            text    NOT NULL, -- the petition itself, or the original a repeat belongs to
	unit_code          text    NOT NULL, -- receiving unit
	current_unit       text    NOT NULL,
	assignee_unit_code text    NOT NULL DEFAULT '',
	handler_subject    text    NOT NULL DEFAULT '',
	kind               integer NOT NULL,
	field              integer NOT NULL,
	source             integer NOT NULL,
	received_on        date    NOT NULL,
	signatory_count    integer NOT NULL,
	crowd              boolean NOT NULL,
	repeat_number      integer NOT NULL,
	within_competence  boolean
);
CREATE INDEX petitions_v1_case ON petitions_v1 (case_id);
CREATE TABLE case_units_v1 (
	case_id   text NOT NULL,
	unit_code text NOT NULL,
	on_date   date NOT NULL,
	how       text NOT NULL,
	PRIMARY KEY (case_id, unit_code, how, on_date)
);
CREATE TABLE visits_v1 (
	visit_id     text    PRIMARY KEY,
	unit_code    text    NOT NULL,
	held_on      date    NOT NULL,
	people_count integer NOT NULL,
	crowd        boolean NOT NULL,
	repeat       boolean NOT NULL,
	case_id      text    NOT NULL,
	matter_index text    NOT NULL,
	kind         integer NOT NULL
);
CREATE TABLE clocks_v1 (
	case_id         text   NOT NULL,
	clock           text   NOT NULL,
	rule_id         text   NOT NULL,
	basis           text   NOT NULL,
	unit_code       text   NOT NULL,
	started_on      date   NOT NULL,
	recorded_due_on date,
	conditions      text[] NOT NULL,
	facts           jsonb  NOT NULL,
	derivation      text[] NOT NULL,
	stopped_on      date,
	PRIMARY KEY (case_id, clock)
);
CREATE INDEX clocks_v1_open ON clocks_v1 (unit_code) WHERE stopped_on IS NULL;
CREATE TABLE urgings_v1 (
	urging_id            text    PRIMARY KEY,
	case_id              text    NOT NULL,
	unit_code            text    NOT NULL,
	issuing_unit_code    text    NOT NULL,
	issued_on            date    NOT NULL,
	letter_number        text    NOT NULL,
	kind                 integer NOT NULL,
	clock                text    NOT NULL,
	respond_by           date    NOT NULL,
	status               integer NOT NULL,
	superior_unit_code   text    NOT NULL DEFAULT '',
	escalated_on         date,
	report_due_on        date,
	automatic            boolean NOT NULL DEFAULT false,
	responded_on         date,
	responding_unit_code text    NOT NULL DEFAULT '',
	on_time              boolean NOT NULL DEFAULT false,
	outside_competence   boolean NOT NULL,
	derivation           text[]  NOT NULL
);
CREATE INDEX urgings_v1_case ON urgings_v1 (case_id);
CREATE INDEX urgings_v1_due ON urgings_v1 (respond_by) WHERE status = 1;
CREATE TABLE programmes_v1 (
	programme_id       text    PRIMARY KEY,
	council_unit_code  text    NOT NULL,
	supervisor_kind    integer NOT NULL,
	deputy_refs        text[]  NOT NULL,
	unit_codes         text[]  NOT NULL,
	period_from        date    NOT NULL,
	period_to          date    NOT NULL,
	topic              text    NOT NULL,
	decided_on         date    NOT NULL,
	decision_reference text    NOT NULL,
	report_due_on      date,
	findings           integer NOT NULL DEFAULT 0,
	closed_on          date,
	report_on_time     boolean NOT NULL DEFAULT false
);
CREATE TABLE recommendations_v1 (
	programme_id        text NOT NULL,
	recommendation_id   text NOT NULL,
	addressed_unit_code text NOT NULL,
	issued_on           date NOT NULL,
	respond_by          date NOT NULL,
	responded_on        date,
	PRIMARY KEY (programme_id, recommendation_id)
);
CREATE TABLE followups_v1 (
	petition_id        text    PRIMARY KEY,
	deputy_ref         text    NOT NULL,
	unit_code          text    NOT NULL,
	received_on        date    NOT NULL,
	kind               integer NOT NULL,
	council_unit_code  text    NOT NULL DEFAULT '',
	result_received_on date,
	inform_by          date,
	informed_on        date,
	on_time            boolean NOT NULL DEFAULT false
);
CREATE TABLE hotspots_v1 (
	hot_spot_id    text    PRIMARY KEY,
	unit_code      text    NOT NULL,
	title          text    NOT NULL,
	leader_subject text    NOT NULL,
	status         integer NOT NULL,
	registered_on  date    NOT NULL,
	updated_on     date    NOT NULL,
	closed_on      date,
	rule_ids       text[]  NOT NULL,
	outcome        text    NOT NULL DEFAULT ''
);
CREATE TABLE hotspot_cases_v1 (
	hot_spot_id text NOT NULL,
	case_id     text NOT NULL,
	PRIMARY KEY (hot_spot_id, case_id)
);
CREATE INDEX hotspot_cases_v1_case ON hotspot_cases_v1 (case_id);
CREATE TABLE notices_v1 (
	case_id text NOT NULL,
	clock   text NOT NULL,
	notice  text NOT NULL, -- "approaching:<due date>" or "missed:<due date>"
	PRIMARY KEY (case_id, clock, notice)
);`)
	return err
}

// Apply writes one commit.
func (p Projection) Apply(ctx context.Context, tx *projection.Tx, c eventstore.Commit) error {
	msgs := make([]proto.Message, len(c.Events))
	for i, ev := range c.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return fmt.Errorf("%s version %d: %w", c.Aggregate, ev.Version(), err)
		}
		msgs[i] = m
	}
	ext := domain.ExtensionDate(msgs, calendar.DateOf(c.Events[0].Envelope.GetOccurredAt().AsTime()))
	for _, m := range msgs {
		if domain.IsClockEvent(m) {
			if err := p.applyClock(tx, m, ext); err != nil {
				return err
			}
			continue
		}
		applyFact(tx, c.Aggregate.ID, m)
	}
	return nil
}

func (p Projection) applyClock(tx *projection.Tx, m proto.Message, ext calendar.Date) error {
	caseID, clock, f, carried, _ := domain.FactOf(m, ext)
	if f.Kind == domain.FactStarted {
		w := domain.StartClock(p.Engine, carried)
		facts, err := json.Marshal(w.Facts)
		if err != nil {
			return err
		}
		conds := make([]string, len(w.Conditions))
		for i, c := range w.Conditions {
			conds[i] = string(c)
		}
		tx.Queue(`INSERT INTO clocks_v1 (case_id, clock, rule_id, basis, unit_code, started_on, recorded_due_on, conditions, facts, derivation)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
			ON CONFLICT (case_id, clock) DO UPDATE SET rule_id = EXCLUDED.rule_id, basis = EXCLUDED.basis, unit_code = EXCLUDED.unit_code,
				started_on = EXCLUDED.started_on, recorded_due_on = EXCLUDED.recorded_due_on, conditions = EXCLUDED.conditions,
				facts = EXCLUDED.facts, derivation = EXCLUDED.derivation, stopped_on = NULL`,
			caseID, clock, w.RuleID, w.Basis, w.Unit, sqlDate(w.StartedOn), sqlDate(w.RecordedDue), conds, string(facts), nonNil(w.Derivation))
		return nil
	}
	fact, err := json.Marshal([]domain.ClockFact{f})
	if err != nil {
		return err
	}
	switch f.Kind {
	case domain.FactSuspended:
		tx.Queue(`UPDATE clocks_v1 SET facts = facts || $3::jsonb, recorded_due_on = NULL WHERE case_id = $1 AND clock = $2`, caseID, clock, string(fact))
	case domain.FactStopped:
		tx.Queue(`UPDATE clocks_v1 SET facts = facts || $3::jsonb, stopped_on = $4 WHERE case_id = $1 AND clock = $2`, caseID, clock, string(fact), sqlDate(f.On))
	default: // resumed, extended: the event carries the new due date
		tx.Queue(`UPDATE clocks_v1 SET facts = facts || $3::jsonb, recorded_due_on = $4, derivation = $5 WHERE case_id = $1 AND clock = $2`,
			caseID, clock, string(fact), sqlDate(calendarpb.FromProto(carried.GetDueOn())), nonNil(carried.GetDerivation()))
	}
	return nil
}

func applyFact(tx *projection.Tx, aggID string, m proto.Message) {
	switch e := m.(type) {
	case *intakev1.PetitionRegistered:
		caseID := aggID
		if e.GetDuplicateOf() != "" {
			caseID = e.GetDuplicateOf()
		}
		tx.Queue(`INSERT INTO petitions_v1 (petition_id, case_id, unit_code, current_unit, kind, field, source, received_on, signatory_count, crowd, repeat_number)
			VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (petition_id) DO NOTHING`,
			aggID, caseID, e.GetUnitCode(), int32(e.GetKind()), int32(e.GetField()), int32(e.GetSource()), sqlDate(calendarpb.FromProto(e.GetReceivedOn())),
			e.GetSignatoryCount(), e.GetCrowd(), max(e.GetRepeatNumber(), 1))
		if e.GetDuplicateOf() == "" {
			caseUnit(tx, aggID, e.GetUnitCode(), e.GetReceivedOn(), "received by")
		}
		if e.GetSource() == commonv1.Source_SOURCE_COUNCIL_DEPUTY {
			tx.Queue(`INSERT INTO followups_v1 (petition_id, deputy_ref, unit_code, received_on, kind) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (petition_id) DO NOTHING`,
				aggID, e.GetForwardedBy(), e.GetUnitCode(), sqlDate(calendarpb.FromProto(e.GetReceivedOn())), int32(e.GetKind()))
		}
	case *routingv1.PetitionClassified:
		tx.Queue(`UPDATE petitions_v1 SET kind = $2, field = $3, within_competence = $4 WHERE petition_id = $1`,
			aggID, int32(e.GetKind()), int32(e.GetField()), e.GetWithinCompetence())
	case *routingv1.CaseAccepted:
		tx.Queue(`UPDATE petitions_v1 SET current_unit = $2, kind = $3 WHERE petition_id = $1`, aggID, e.GetUnitCode(), int32(e.GetKind()))
		caseUnit(tx, aggID, e.GetUnitCode(), e.GetAcceptedOn(), "accepted by")
	case *routingv1.PetitionForwarded:
		tx.Queue(`UPDATE petitions_v1 SET current_unit = $2 WHERE petition_id = $1`, aggID, e.GetToUnitCode())
		if e.GetFromUnitCode() != "" {
			caseUnit(tx, aggID, e.GetFromUnitCode(), e.GetForwardedOn(), "forwarded by")
		}
		caseUnit(tx, aggID, e.GetToUnitCode(), e.GetForwardedOn(), "forwarded to")
	case *routingv1.PetitionGuided:
		caseUnit(tx, aggID, e.GetToUnitCode(), e.GetGuidedOn(), "guided to")
	case *routingv1.CaseAssigned:
		tx.Queue(`UPDATE petitions_v1 SET assignee_unit_code = $2, handler_subject = $3 WHERE petition_id = $1`,
			aggID, e.GetAssigneeUnitCode(), e.GetHandlerSubject())
	case *intakev1.VisitRecorded:
		tx.Queue(`INSERT INTO visits_v1 (visit_id, unit_code, held_on, people_count, crowd, repeat, case_id, matter_index, kind)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (visit_id) DO NOTHING`,
			e.GetVisitId(), e.GetUnitCode(), sqlDate(calendarpb.FromProto(e.GetHeldOn())), e.GetPeopleCount(), e.GetCrowd(), e.GetRepeat(),
			e.GetCaseId(), e.GetMatterIndex(), int32(e.GetKind()))
	case *supervisionv1.DeputyResultReceived:
		tx.Queue(`UPDATE followups_v1 SET council_unit_code = $2, result_received_on = $3, inform_by = $4 WHERE petition_id = $1`,
			e.GetPetitionId(), e.GetCouncilUnitCode(), sqlDate(calendarpb.FromProto(e.GetReceivedOn())), sqlDate(calendarpb.FromProto(e.GetInformBy())))
	case *supervisionv1.CitizenInformed:
		tx.Queue(`UPDATE followups_v1 SET informed_on = $2, on_time = $3 WHERE petition_id = $1`,
			e.GetPetitionId(), sqlDate(calendarpb.FromProto(e.GetInformedOn())), e.GetOnTime())
	default:
		applySupervision(tx, m)
	}
}

func applySupervision(tx *projection.Tx, m proto.Message) {
	switch e := m.(type) {
	case *supervisionv1.UrgingIssued:
		tx.Queue(`INSERT INTO urgings_v1 (urging_id, case_id, unit_code, issuing_unit_code, issued_on, letter_number, kind, clock, respond_by,
				status, outside_competence, derivation)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (urging_id) DO NOTHING`,
			e.GetUrgingId(), e.GetCaseId(), e.GetUnitCode(), e.GetIssuingUnitCode(), sqlDate(calendarpb.FromProto(e.GetIssuedOn())),
			e.GetLetterNumber(), int32(e.GetPetitionKind()), e.GetClock(), sqlDate(calendarpb.FromProto(e.GetRespondBy())),
			int32(supervisionv1.UrgingStatus_URGING_STATUS_AWAITING_ANSWER), e.GetOutsideCompetence(), nonNil(e.GetRespondDerivation()))
	case *supervisionv1.UrgingEscalated:
		tx.Queue(`UPDATE urgings_v1 SET status = $2, superior_unit_code = $3, escalated_on = $4, report_due_on = $5, automatic = $6,
				derivation = derivation || $7 WHERE urging_id = $1`,
			e.GetUrgingId(), int32(supervisionv1.UrgingStatus_URGING_STATUS_ESCALATED), e.GetSuperiorUnitCode(),
			sqlDate(calendarpb.FromProto(e.GetEscalatedOn())), sqlDate(calendarpb.FromProto(e.GetReportDueOn())), e.GetAutomatic(), nonNil(e.GetDerivation()))
	case *supervisionv1.UrgingAnswered:
		tx.Queue(`UPDATE urgings_v1 SET status = $2, responded_on = $3, responding_unit_code = $4, on_time = $5 WHERE urging_id = $1`,
			e.GetUrgingId(), int32(supervisionv1.UrgingStatus_URGING_STATUS_ANSWERED), sqlDate(calendarpb.FromProto(e.GetRespondedOn())),
			e.GetRespondingUnitCode(), e.GetOnTime())
	case *supervisionv1.ProgrammeCreated:
		tx.Queue(`INSERT INTO programmes_v1 (programme_id, council_unit_code, supervisor_kind, deputy_refs, unit_codes, period_from, period_to,
				topic, decided_on, decision_reference, report_due_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (programme_id) DO NOTHING`,
			e.GetProgrammeId(), e.GetCouncilUnitCode(), int32(e.GetSupervisorKind()), nonNil(e.GetDeputyRefs()), nonNil(e.GetUnitCodes()),
			sqlDate(calendarpb.FromProto(e.GetPeriod().GetFrom())), sqlDate(calendarpb.FromProto(e.GetPeriod().GetTo())), e.GetTopic(),
			sqlDate(calendarpb.FromProto(e.GetDecidedOn())), e.GetDecisionReference(), sqlDate(calendarpb.FromProto(e.GetReportDueOn())))
	case *supervisionv1.FindingRecorded:
		tx.Queue(`UPDATE programmes_v1 SET findings = findings + 1 WHERE programme_id = $1`, e.GetProgrammeId())
	case *supervisionv1.RecommendationIssued:
		tx.Queue(`INSERT INTO recommendations_v1 (programme_id, recommendation_id, addressed_unit_code, issued_on, respond_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			e.GetProgrammeId(), e.GetRecommendationId(), e.GetAddressedUnitCode(), sqlDate(calendarpb.FromProto(e.GetIssuedOn())),
			sqlDate(calendarpb.FromProto(e.GetRespondBy())))
	case *supervisionv1.RecommendationAnswered:
		tx.Queue(`UPDATE recommendations_v1 SET responded_on = $3 WHERE programme_id = $1 AND recommendation_id = $2`,
			e.GetProgrammeId(), e.GetRecommendationId(), sqlDate(calendarpb.FromProto(e.GetRespondedOn())))
	case *supervisionv1.ProgrammeClosed:
		tx.Queue(`UPDATE programmes_v1 SET closed_on = $2, report_on_time = $3 WHERE programme_id = $1`,
			e.GetProgrammeId(), sqlDate(calendarpb.FromProto(e.GetClosedOn())), e.GetReportOnTime())
	case *supervisionv1.DeadlineApproaching:
		tx.Queue(`INSERT INTO notices_v1 (case_id, clock, notice) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			e.GetCaseId(), e.GetClock(), domain.NoticeKey(domain.Approaching, calendarpb.FromProto(e.GetDueOn())))
	case *supervisionv1.DeadlineMissed:
		tx.Queue(`INSERT INTO notices_v1 (case_id, clock, notice) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			e.GetCaseId(), e.GetClock(), domain.NoticeKey(domain.Missed, calendarpb.FromProto(e.GetDueOn())))
	case *supervisionv1.HotSpotRegistered:
		on := sqlDate(calendarpb.FromProto(e.GetRegisteredOn()))
		tx.Queue(`INSERT INTO hotspots_v1 (hot_spot_id, unit_code, title, leader_subject, status, registered_on, updated_on, rule_ids)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (hot_spot_id) DO NOTHING`,
			e.GetHotSpotId(), e.GetUnitCode(), e.GetTitle(), e.GetLeaderSubject(), int32(e.GetStatus()), on, nonNil(e.GetRuleIds()))
		linkCases(tx, e.GetHotSpotId(), e.GetCaseIds())
	case *supervisionv1.HotSpotUpdated:
		tx.Queue(`UPDATE hotspots_v1 SET leader_subject = CASE WHEN $2 = '' THEN leader_subject ELSE $2 END,
				status = CASE WHEN $3 = 0 THEN status ELSE $3 END, updated_on = $4 WHERE hot_spot_id = $1`,
			e.GetHotSpotId(), e.GetLeaderSubject(), int32(e.GetStatus()), sqlDate(calendarpb.FromProto(e.GetUpdatedOn())))
		if len(e.GetRemovedCaseIds()) > 0 {
			tx.Queue(`DELETE FROM hotspot_cases_v1 WHERE hot_spot_id = $1 AND case_id = ANY($2)`, e.GetHotSpotId(), e.GetRemovedCaseIds())
		}
		linkCases(tx, e.GetHotSpotId(), e.GetAddedCaseIds())
	case *supervisionv1.HotSpotClosed:
		on := sqlDate(calendarpb.FromProto(e.GetClosedOn()))
		tx.Queue(`UPDATE hotspots_v1 SET status = $2, closed_on = $3, updated_on = $3, outcome = $4 WHERE hot_spot_id = $1`,
			e.GetHotSpotId(), int32(supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED), on, e.GetOutcome())
	}
}

func linkCases(tx *projection.Tx, id string, cases []string) {
	for _, c := range cases {
		tx.Queue(`INSERT INTO hotspot_cases_v1 (hot_spot_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, c)
	}
}

func caseUnit(tx *projection.Tx, caseID, unit string, on *commonv1.CivilDate, how string) {
	if unit == "" || !calendarpb.FromProto(on).IsValid() {
		return
	}
	tx.Queue(`INSERT INTO case_units_v1 (case_id, unit_code, on_date, how) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		caseID, unit, sqlDate(calendarpb.FromProto(on)), how)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sqlDate is a civil date as a PostgreSQL date parameter; nil for none.
func sqlDate(d calendar.Date) any {
	if !d.IsValid() {
		return nil
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// civil reads a PostgreSQL date; nil gives the zero Date.
func civil(t *time.Time) calendar.Date {
	if t == nil {
		return calendar.Date{}
	}
	return calendar.NewDate(t.Year(), t.Month(), t.Day())
}
