package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/domain"
)

// Aggregate types of the reporting service's own events.
const (
	AggregatePlan       = "plan"
	AggregateSubmission = "submission"
)

// Tables of the obligations projection.
const (
	TablePlans       = "plans_v1"
	TableSubmissions = "submissions_v1"
)

// Obligations is the projection of declared plans and submitted reports.
type Obligations struct{}

// Name identifies the projection.
func (Obligations) Name() string { return "obligations" }

// Version of the tables.
func (Obligations) Version() int { return 1 }

// Tables of this version.
func (Obligations) Tables() []string { return []string{TablePlans, TableSubmissions} }

// AggregateTypes are plans and submissions.
func (Obligations) AggregateTypes() []string { return []string{AggregatePlan, AggregateSubmission} }

// Setup creates the tables.
func (Obligations) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE plans_v1 (
	plan_id text  PRIMARY KEY,
	plan    bytea NOT NULL -- reportingv1.Plan
);
CREATE TABLE submissions_v1 (
	submission_id text PRIMARY KEY,
	plan_id       text NOT NULL,
	obligation_id text NOT NULL,
	unit_code     text NOT NULL,
	due_on        date NOT NULL,
	submitted_on  date NOT NULL,
	seq           bigint NOT NULL,
	event         bytea NOT NULL -- reportingv1.ReportSubmitted, with the frozen report
);
CREATE INDEX submissions_v1_by_obligation ON submissions_v1 (plan_id, obligation_id, unit_code, due_on);`)
	return err
}

// Apply records plans and submissions.
func (Obligations) Apply(_ context.Context, tx *projection.Tx, c eventstore.Commit) error {
	for _, ev := range c.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			continue
		}
		switch e := m.(type) {
		case *reportingv1.PlanDeclared:
			raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(e.GetPlan())
			if err != nil {
				return err
			}
			tx.Queue("INSERT INTO "+TablePlans+" (plan_id, plan) VALUES ($1, $2) ON CONFLICT (plan_id) DO UPDATE SET plan = EXCLUDED.plan", e.GetPlan().GetId(), raw)
		case *reportingv1.ReportSubmitted:
			raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(e)
			if err != nil {
				return err
			}
			tx.Queue("INSERT INTO "+TableSubmissions+` (submission_id, plan_id, obligation_id, unit_code, due_on, submitted_on, seq, event)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (submission_id) DO NOTHING`,
				e.GetSubmissionId(), e.GetPlanId(), e.GetObligationId(), e.GetUnitCode(),
				pgDate(domain.DateOf(e.GetDueOn())), pgDate(domain.DateOf(e.GetSubmittedOn())), int64(c.Seq), raw)
		}
	}
	return nil
}

// ObligationStore reads plans and submissions.
type ObligationStore struct{ DB *pgxpool.Pool }

// Plans returns the declared plans, or the one with id.
func (s ObligationStore) Plans(ctx context.Context, id string) ([]*reportingv1.Plan, error) {
	rows, err := s.DB.Query(ctx, "SELECT plan FROM "+TablePlans+" WHERE $1 = '' OR plan_id = $1 ORDER BY plan_id", id)
	if err != nil {
		if isUndefinedTable(err) {
			return nil, nil
		}
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*reportingv1.Plan, error) {
		var raw []byte
		if err := row.Scan(&raw); err != nil {
			return nil, err
		}
		p := &reportingv1.Plan{}
		return p, proto.Unmarshal(raw, p)
	})
}

// FirstSubmission is the earliest submission of a unit for a due date: the one that decides
// whether it was on time.
type FirstSubmission struct {
	ID          string
	SubmittedOn calendar.Date
}

// SubmissionKey names one unit's due date of one obligation.
type SubmissionKey struct {
	PlanID, ObligationID, Unit string
	Due                        calendar.Date
}

// FirstSubmissions returns the earliest submission per unit and due date of a plan (all plans
// when planID is empty).
func (s ObligationStore) FirstSubmissions(ctx context.Context, planID string) (map[SubmissionKey]FirstSubmission, error) {
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT ON (plan_id, obligation_id, unit_code, due_on)
			plan_id, obligation_id, unit_code, due_on, submission_id, submitted_on
		FROM `+TableSubmissions+` WHERE $1 = '' OR plan_id = $1
		ORDER BY plan_id, obligation_id, unit_code, due_on, submitted_on, seq`, planID)
	if err != nil {
		if isUndefinedTable(err) {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	out := map[SubmissionKey]FirstSubmission{}
	for rows.Next() {
		var k SubmissionKey
		var f FirstSubmission
		var due, sub pgDateScan
		if err := rows.Scan(&k.PlanID, &k.ObligationID, &k.Unit, &due.t, &f.ID, &sub.t); err != nil {
			return nil, err
		}
		k.Due, f.SubmittedOn = dateOfPG(due.t), dateOfPG(sub.t)
		out[k] = f
	}
	return out, rows.Err()
}

// Submission returns a submission's event, with its frozen report.
func (s ObligationStore) Submission(ctx context.Context, id string) (*reportingv1.ReportSubmitted, bool, error) {
	var raw []byte
	err := s.DB.QueryRow(ctx, "SELECT event FROM "+TableSubmissions+" WHERE submission_id = $1", id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || isUndefinedTable(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	e := &reportingv1.ReportSubmitted{}
	return e, true, proto.Unmarshal(raw, e)
}
