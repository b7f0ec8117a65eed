package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision/internal/app"
	"github.com/civicase/civicase/services/supervision/internal/domain"
)

// Read answers the application's queries from the projection's tables.
type Read struct {
	db *pgxpool.Pool
}

// NewRead queries the tables of Projection in db (whose search_path is the service's schema).
func NewRead(db *pgxpool.Pool) *Read { return &Read{db: db} }

var _ app.ReadModel = (*Read)(nil)

// where builds a conjunction of conditions with numbered arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) add(format string, args ...any) {
	refs := make([]any, len(args))
	for i, a := range args {
		refs[i] = w.arg(a)
	}
	w.conds = append(w.conds, fmt.Sprintf(format, refs...))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func dateArg(d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// OpenClocks are the clocks started by f.AsOf and not stopped by then.
func (r *Read) OpenClocks(ctx context.Context, f app.ClockFilter) ([]app.ClockRow, error) {
	w := &where{}
	asOf := dateArg(f.AsOf)
	w.add("k.started_on <= %s", asOf)
	w.add("(k.stopped_on IS NULL OR k.stopped_on > %s)", asOf)
	if f.Units != nil {
		w.add("k.unit_code = ANY(%s)", f.Units)
	}
	if f.Handler != "" {
		w.add("p.handler_subject = %s", f.Handler)
	}
	if f.CaseID != "" {
		w.add("k.case_id = %s", f.CaseID)
	}
	rows, err := r.db.Query(ctx, `
SELECT k.case_id, k.clock, k.rule_id, k.basis, k.unit_code, k.started_on, k.recorded_due_on, k.conditions, k.facts, k.derivation,
	coalesce(p.handler_subject, ''), coalesce(p.assignee_unit_code, ''), coalesce(p.kind, 0),
	(SELECT count(*) FROM urgings_v1 u WHERE u.case_id = k.case_id),
	coalesce((SELECT array_agg(n.notice) FROM notices_v1 n WHERE n.case_id = k.case_id AND n.clock = k.clock), '{}')
FROM clocks_v1 k LEFT JOIN petitions_v1 p ON p.petition_id = k.case_id`+w.sql()+`
ORDER BY k.case_id, k.clock`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.ClockRow
	for rows.Next() {
		var (
			row          app.ClockRow
			started      time.Time
			due          *time.Time
			conds        []string
			facts        []byte
			kind         int32
			urgings      int64
			clock        = &row.Clock
			derivation   []string
			handler, asg string
		)
		if err := rows.Scan(&clock.CaseID, &clock.Clock, &clock.RuleID, &clock.Basis, &clock.Unit, &started, &due, &conds, &facts,
			&derivation, &handler, &asg, &kind, &urgings, &row.Noticed); err != nil {
			return nil, err
		}
		clock.StartedOn, clock.RecordedDue, clock.Derivation = civil(&started), civil(due), derivation
		for _, c := range conds {
			clock.Conditions = append(clock.Conditions, deadline.Condition(c))
		}
		if err := json.Unmarshal(facts, &clock.Facts); err != nil {
			return nil, fmt.Errorf("clock %s/%s facts: %w", clock.CaseID, clock.Clock, err)
		}
		row.Handler, row.Assignee, row.Kind, row.Urgings = handler, asg, commonv1.PetitionKind(kind), int(urgings)
		out = append(out, row)
	}
	return out, rows.Err()
}

// Urgings lists urgings, latest first.
func (r *Read) Urgings(ctx context.Context, f app.UrgingFilter, p app.Page) ([]*supervisionv1.Urging, bool, error) {
	w := &where{}
	if f.Unit != "" {
		w.add("(unit_code = %[1]s OR issuing_unit_code = %[1]s OR superior_unit_code = %[1]s)", f.Unit)
	}
	if f.CaseID != "" {
		w.add("case_id = %s", f.CaseID)
	}
	if f.OpenOnly {
		w.add("status <> %s", int32(supervisionv1.UrgingStatus_URGING_STATUS_ANSWERED))
	}
	rows, err := r.db.Query(ctx, `
SELECT urging_id, case_id, unit_code, issuing_unit_code, issued_on, letter_number, kind, clock, respond_by, status, superior_unit_code,
	escalated_on, report_due_on, automatic, responded_on, responding_unit_code, on_time, outside_competence, derivation
FROM urgings_v1`+w.sql()+fmt.Sprintf(` ORDER BY issued_on DESC, urging_id LIMIT %d OFFSET %d`, p.Limit+1, p.Offset), w.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*supervisionv1.Urging
	for rows.Next() {
		u := &supervisionv1.Urging{}
		var issued, respondBy time.Time
		var escalated, reportDue, responded *time.Time
		var kind, status int32
		if err := rows.Scan(&u.UrgingId, &u.CaseId, &u.UnitCode, &u.IssuingUnitCode, &issued, &u.LetterNumber, &kind, &u.Clock, &respondBy,
			&status, &u.SuperiorUnitCode, &escalated, &reportDue, &u.EscalatedAutomatically, &responded, &u.RespondingUnitCode, &u.OnTime,
			&u.OutsideCompetence, &u.Derivation); err != nil {
			return nil, false, err
		}
		u.IssuedOn, u.RespondBy = calendarpb.ToProto(civil(&issued)), calendarpb.ToProto(civil(&respondBy))
		u.EscalatedOn, u.ReportDueOn, u.RespondedOn = calendarpb.ToProto(civil(escalated)), calendarpb.ToProto(civil(reportDue)), calendarpb.ToProto(civil(responded))
		u.PetitionKind, u.Status = commonv1.PetitionKind(kind), supervisionv1.UrgingStatus(status)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return trim(out, p.Limit)
}

func trim[T any](out []T, limit int) ([]T, bool, error) {
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// UrgingsToEscalate are the urgings awaiting an answer whose answer date is before day.
func (r *Read) UrgingsToEscalate(ctx context.Context, day calendar.Date) ([]string, error) {
	rows, err := r.db.Query(ctx, `SELECT urging_id FROM urgings_v1 WHERE status = $1 AND respond_by < $2 ORDER BY respond_by, urging_id`,
		int32(supervisionv1.UrgingStatus_URGING_STATUS_AWAITING_ANSWER), dateArg(day))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Programmes lists programmes with their recommendation counts as of f.AsOf, latest first.
func (r *Read) Programmes(ctx context.Context, f app.ProgrammeFilter, p app.Page) ([]*supervisionv1.Programme, bool, error) {
	w := &where{}
	asOf := w.arg(dateArg(f.AsOf))
	if f.Unit != "" {
		w.add("(council_unit_code = %[1]s OR %[1]s = ANY(unit_codes))", f.Unit)
	}
	if f.OpenOnly {
		w.conds = append(w.conds, "closed_on IS NULL")
	}
	rows, err := r.db.Query(ctx, `
SELECT programme_id, council_unit_code, supervisor_kind, deputy_refs, unit_codes, period_from, period_to, topic, decided_on,
	decision_reference, report_due_on, findings, closed_on, report_on_time,
	(SELECT count(*) FROM recommendations_v1 r WHERE r.programme_id = p.programme_id),
	(SELECT count(*) FROM recommendations_v1 r WHERE r.programme_id = p.programme_id AND r.responded_on IS NOT NULL),
	(SELECT count(*) FROM recommendations_v1 r WHERE r.programme_id = p.programme_id AND r.responded_on IS NULL AND r.respond_by < `+asOf+`)
FROM programmes_v1 p`+w.sql()+fmt.Sprintf(` ORDER BY decided_on DESC, programme_id LIMIT %d OFFSET %d`, p.Limit+1, p.Offset), w.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*supervisionv1.Programme
	for rows.Next() {
		g := &supervisionv1.Programme{}
		var kind, findings int32
		var from, to, decided time.Time
		var reportDue, closed *time.Time
		var issued, answered, overdue int64
		if err := rows.Scan(&g.ProgrammeId, &g.CouncilUnitCode, &kind, &g.DeputyRefs, &g.UnitCodes, &from, &to, &g.Topic, &decided,
			&g.DecisionReference, &reportDue, &findings, &closed, &g.ReportOnTime, &issued, &answered, &overdue); err != nil {
			return nil, false, err
		}
		g.SupervisorKind = supervisionv1.SupervisorKind(kind)
		g.Period = &commonv1.DateRange{From: calendarpb.ToProto(civil(&from)), To: calendarpb.ToProto(civil(&to))}
		g.DecidedOn, g.ReportDueOn, g.ClosedOn = calendarpb.ToProto(civil(&decided)), calendarpb.ToProto(civil(reportDue)), calendarpb.ToProto(civil(closed))
		g.Closed = closed != nil
		g.FindingsRecorded, g.RecommendationsIssued = findings, int32(issued)
		g.RecommendationsAnswered, g.RecommendationsOverdue = int32(answered), int32(overdue)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return trim(out, p.Limit)
}

// FollowUps lists deputies' follow-ups, oldest first.
func (r *Read) FollowUps(ctx context.Context, f app.FollowUpFilter, p app.Page) ([]*supervisionv1.DeputyFollowUp, bool, error) {
	w := &where{}
	if f.DeputyRef != "" {
		w.add("deputy_ref = %s", f.DeputyRef)
	}
	if f.Unit != "" {
		w.add("(unit_code = %[1]s OR council_unit_code = %[1]s)", f.Unit)
	}
	if f.OpenOnly {
		w.conds = append(w.conds, "informed_on IS NULL")
	}
	rows, err := r.db.Query(ctx, `
SELECT petition_id, deputy_ref, unit_code, received_on, kind, council_unit_code, result_received_on, inform_by, informed_on, on_time
FROM followups_v1`+w.sql()+fmt.Sprintf(` ORDER BY received_on, petition_id LIMIT %d OFFSET %d`, p.Limit+1, p.Offset), w.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*supervisionv1.DeputyFollowUp
	for rows.Next() {
		fu := &supervisionv1.DeputyFollowUp{}
		var received time.Time
		var result, informBy, informed *time.Time
		var kind int32
		if err := rows.Scan(&fu.PetitionId, &fu.DeputyRef, &fu.UnitCode, &received, &kind, &fu.CouncilUnitCode, &result, &informBy, &informed, &fu.OnTime); err != nil {
			return nil, false, err
		}
		fu.ReceivedOn, fu.PetitionKind = calendarpb.ToProto(civil(&received)), commonv1.PetitionKind(kind)
		fu.ResultReceivedOn, fu.InformBy, fu.InformedOn = calendarpb.ToProto(civil(result)), calendarpb.ToProto(civil(informBy)), calendarpb.ToProto(civil(informed))
		switch {
		case informed != nil:
			fu.Status = supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_INFORMED
		case result != nil:
			fu.Status = supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_INFORM
			if by := civil(informBy); f.AsOf.After(by) {
				fu.DaysOverdue = int32(f.AsOf.DaysSince(by))
			}
		default:
			fu.Status = supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_RESULT
		}
		out = append(out, fu)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return trim(out, p.Limit)
}

// HotSpots lists the register, latest first.
func (r *Read) HotSpots(ctx context.Context, f app.HotSpotFilter, p app.Page) ([]*supervisionv1.HotSpot, bool, error) {
	w := &where{}
	if f.Units != nil {
		w.add("h.unit_code = ANY(%s)", f.Units)
	}
	if f.OpenOnly {
		w.add("h.status <> %s", int32(supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED))
	}
	rows, err := r.db.Query(ctx, `
SELECT h.hot_spot_id, h.unit_code, h.title, h.leader_subject, h.status, h.registered_on, h.updated_on, h.closed_on, h.rule_ids, h.outcome,
	coalesce((SELECT array_agg(c.case_id ORDER BY c.case_id) FROM hotspot_cases_v1 c WHERE c.hot_spot_id = h.hot_spot_id), '{}')
FROM hotspots_v1 h`+w.sql()+fmt.Sprintf(` ORDER BY h.registered_on DESC, h.hot_spot_id LIMIT %d OFFSET %d`, p.Limit+1, p.Offset), w.args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []*supervisionv1.HotSpot
	for rows.Next() {
		h := &supervisionv1.HotSpot{}
		var status int32
		var registered, updated time.Time
		var closed *time.Time
		if err := rows.Scan(&h.HotSpotId, &h.UnitCode, &h.Title, &h.LeaderSubject, &status, &registered, &updated, &closed, &h.RuleIds,
			&h.Outcome, &h.CaseIds); err != nil {
			return nil, false, err
		}
		h.Status = supervisionv1.HotSpotStatus(status)
		h.RegisteredOn, h.UpdatedOn, h.ClosedOn = calendarpb.ToProto(civil(&registered)), calendarpb.ToProto(civil(&updated)), calendarpb.ToProto(civil(closed))
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return trim(out, p.Limit)
}

// Evidence gathers, per case, its petitions (the original and the repeats), the visits about it,
// the units it passed through and the open hot spot it belongs to; visits that belong to no case
// are grouped by matter ("matter:<index>"). Only facts dated up to asOf count; cases are kept when
// one of units received, holds or routed them (every case when units is nil).
func (r *Read) Evidence(ctx context.Context, units []string, asOf calendar.Date) ([]domain.CaseEvidence, error) {
	day := dateArg(asOf)
	byCase := map[string]*domain.CaseEvidence{}
	var order []string
	inScope := map[string]bool{}
	in := func(unit string) bool {
		if units == nil {
			return true
		}
		for _, u := range units {
			if u == unit {
				return true
			}
		}
		return false
	}
	get := func(id string) *domain.CaseEvidence {
		c, ok := byCase[id]
		if !ok {
			c = &domain.CaseEvidence{CaseID: id}
			byCase[id] = c
			order = append(order, id)
		}
		return c
	}

	rows, err := r.db.Query(ctx, `SELECT petition_id, case_id, unit_code, current_unit, kind, received_on, signatory_count, repeat_number
		FROM petitions_v1 WHERE received_on <= $1 ORDER BY received_on, petition_id`, day)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, caseID, unit, current string
		var kind, people, repeat int32
		var received time.Time
		if err := rows.Scan(&id, &caseID, &unit, &current, &kind, &received, &people, &repeat); err != nil {
			rows.Close()
			return nil, err
		}
		c := get(caseID)
		if id == caseID {
			c.Unit, c.Kind = current, commonv1.PetitionKind(kind)
			inScope[caseID] = inScope[caseID] || in(current)
		}
		inScope[caseID] = inScope[caseID] || in(unit)
		c.Petitions = append(c.Petitions, domain.PetitionFact{ID: id, On: civil(&received), People: int(people), RepeatNumber: int(repeat)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = r.db.Query(ctx, `SELECT case_id, unit_code, on_date, how FROM case_units_v1 WHERE on_date <= $1 ORDER BY on_date, how`, day)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var caseID, unit, how string
		var on time.Time
		if err := rows.Scan(&caseID, &unit, &on, &how); err != nil {
			rows.Close()
			return nil, err
		}
		c := get(caseID)
		c.Units = append(c.Units, domain.UnitFact{Unit: unit, On: civil(&on), How: how})
		inScope[caseID] = inScope[caseID] || in(unit)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = r.db.Query(ctx, `SELECT visit_id, unit_code, held_on, people_count, repeat, case_id, matter_index, kind
		FROM visits_v1 WHERE held_on <= $1 ORDER BY held_on, visit_id`, day)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, unit, caseID, matter string
		var people, kind int32
		var repeat bool
		var held time.Time
		if err := rows.Scan(&id, &unit, &held, &people, &repeat, &caseID, &matter, &kind); err != nil {
			rows.Close()
			return nil, err
		}
		key := caseID
		if key == "" {
			if matter == "" {
				key = "visit:" + id
			} else {
				key = "matter:" + matter
			}
		}
		c := get(key)
		if c.Unit == "" {
			c.Unit, c.Kind = unit, commonv1.PetitionKind(kind)
		}
		c.Visits = append(c.Visits, domain.VisitFact{ID: id, On: civil(&held), People: int(people), Repeat: repeat})
		inScope[key] = inScope[key] || in(unit)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = r.db.Query(ctx, `SELECT c.case_id, c.hot_spot_id FROM hotspot_cases_v1 c JOIN hotspots_v1 h USING (hot_spot_id)
		WHERE h.status <> $1 ORDER BY h.registered_on`, int32(supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var caseID, hs string
		if err := rows.Scan(&caseID, &hs); err != nil {
			rows.Close()
			return nil, err
		}
		if c, ok := byCase[caseID]; ok && c.HotSpotID == "" {
			c.HotSpotID = hs
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	out := make([]domain.CaseEvidence, 0, len(order))
	for _, id := range order {
		if inScope[id] {
			out = append(out, *byCase[id])
		}
	}
	return out, nil
}
