// Package postgres holds the routing service's read models in its PostgreSQL schema: the cases
// list with its open legal clocks, kept by a projection of the log (pkg/projection), and the
// queries that page through it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/domain"
)

// Table names of version 1.
const (
	casesTable  = "cases_v1"
	clocksTable = "case_clocks_v1"
)

// CasesProjection keeps one row per case (a registered petition that is not a duplicate) with its
// status, unit, assignee and kind, and one row per open legal clock with its due date. Statuses come
// from domain.StatusAfter, the function the write model uses, so the two cannot disagree.
type CasesProjection struct{}

// Name identifies the projection.
func (CasesProjection) Name() string { return "routing_cases" }

// Version of the tables and their meaning.
func (CasesProjection) Version() int { return 1 }

// Tables are the tables of this version.
func (CasesProjection) Tables() []string { return []string{casesTable, clocksTable} }

// AggregateTypes are the aggregates the projection reads: petitions (registration and the
// processing clock intake starts) and cases.
func (CasesProjection) AggregateTypes() []string {
	return []string{domain.AggregatePetition, domain.AggregateCase}
}

// Setup creates the tables.
func (CasesProjection) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE cases_v1 (
	case_id            text    PRIMARY KEY,
	receipt_number     text    NOT NULL,
	unit_code          text    NOT NULL,
	assignee_unit_code text    NOT NULL DEFAULT '',
	kind               integer NOT NULL,
	field              integer NOT NULL,
	status             integer NOT NULL,
	received_on        date    NOT NULL,
	complaint_instance integer NOT NULL DEFAULT 0,
	complex            boolean NOT NULL DEFAULT false,
	extensions         integer NOT NULL DEFAULT 0,
	guided             boolean NOT NULL DEFAULT false,
	forwarded          boolean NOT NULL DEFAULT false,
	version            bigint  NOT NULL DEFAULT 0
);
CREATE INDEX cases_v1_order ON cases_v1 (received_on, case_id);
CREATE INDEX cases_v1_unit ON cases_v1 (unit_code);
CREATE INDEX cases_v1_assignee ON cases_v1 (assignee_unit_code) WHERE assignee_unit_code <> '';
CREATE TABLE case_clocks_v1 (
	case_id    text    NOT NULL REFERENCES cases_v1 (case_id),
	clock      text    NOT NULL,
	rule_id    text    NOT NULL,
	basis      text    NOT NULL,
	unit_code  text    NOT NULL,
	started_on date    NOT NULL,
	due_on     date,
	derivation text[]  NOT NULL,
	paused     boolean NOT NULL DEFAULT false,
	PRIMARY KEY (case_id, clock)
);
CREATE INDEX case_clocks_v1_due ON case_clocks_v1 (due_on) WHERE due_on IS NOT NULL;`)
	return err
}

// Apply writes one commit.
func (p CasesProjection) Apply(ctx context.Context, tx *projection.Tx, c eventstore.Commit) error {
	for _, ev := range c.Events {
		msg, err := ev.Envelope.GetPayload().UnmarshalNew()
		if errors.Is(err, protoregistry.NotFound) {
			continue // a type of another service this version does not read
		}
		if err != nil {
			return fmt.Errorf("%s version %d: %w", c.Aggregate, ev.Version(), err)
		}
		if c.Aggregate.Type == domain.AggregatePetition {
			applyPetition(tx, c.Aggregate.ID, msg)
			continue
		}
		applyCase(tx, c.Aggregate.ID, ev.Version(), msg)
	}
	return nil
}

func applyPetition(tx *projection.Tx, id string, msg proto.Message) {
	switch e := msg.(type) {
	case *intakev1.PetitionRegistered:
		if e.GetDuplicateOf() != "" {
			return // a duplicate opens no case
		}
		tx.Queue(`INSERT INTO cases_v1 (case_id, receipt_number, unit_code, kind, field, status, received_on, complaint_instance)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (case_id) DO NOTHING`,
			id, e.GetReceiptNumber(), e.GetUnitCode(), int32(e.GetKind()), int32(e.GetField()),
			int32(routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING), sqlDate(e.GetReceivedOn()), e.GetComplaintInstance())
	case *commonv1.LegalClockStarted:
		startClock(tx, id, e.GetClock())
	}
}

func applyCase(tx *projection.Tx, id string, version uint64, msg proto.Message) {
	tx.Queue(`UPDATE cases_v1 SET version = $2 WHERE case_id = $1`, id, int64(version))
	if s, ok := domain.StatusAfter(msg); ok {
		tx.Queue(`UPDATE cases_v1 SET status = $2 WHERE case_id = $1`, id, int32(s))
	}
	switch e := msg.(type) {
	case *routingv1.PetitionClassified:
		tx.Queue(`UPDATE cases_v1 SET unit_code = $2, kind = $3, field = $4, complaint_instance = $5 WHERE case_id = $1`,
			id, e.GetUnitCode(), int32(e.GetKind()), int32(e.GetField()), e.GetComplaintInstance())
	case *routingv1.CaseAccepted:
		tx.Queue(`UPDATE cases_v1 SET unit_code = $2, kind = $3, complex = $4 WHERE case_id = $1`,
			id, e.GetUnitCode(), int32(e.GetKind()), e.GetComplex())
	case *routingv1.PetitionGuided:
		tx.Queue(`UPDATE cases_v1 SET guided = true WHERE case_id = $1`, id)
	case *routingv1.PetitionForwarded:
		tx.Queue(`UPDATE cases_v1 SET forwarded = true, unit_code = $2 WHERE case_id = $1`, id, e.GetToUnitCode())
	case *routingv1.CaseAssigned:
		tx.Queue(`UPDATE cases_v1 SET assignee_unit_code = $2 WHERE case_id = $1`, id, e.GetAssigneeUnitCode())
	case *routingv1.ResolutionExtended:
		tx.Queue(`UPDATE cases_v1 SET extensions = $2, complex = true WHERE case_id = $1`, id, e.GetExtensionNumber())
	case *commonv1.LegalClockStarted:
		startClock(tx, id, e.GetClock())
	case *commonv1.LegalClockExtended:
		updateClock(tx, id, e.GetClock())
	case *commonv1.LegalClockResumed:
		updateClock(tx, id, e.GetClock())
	case *commonv1.LegalClockPaused:
		tx.Queue(`UPDATE case_clocks_v1 SET paused = true, due_on = NULL WHERE case_id = $1 AND clock = $2`, id, e.GetClock())
	case *commonv1.LegalClockStopped:
		tx.Queue(`DELETE FROM case_clocks_v1 WHERE case_id = $1 AND clock = $2`, id, e.GetClock())
	}
}

// startClock records an open clock; a clock started again (processing at the unit a petition was
// forwarded to) replaces the stopped one. Clocks of petitions without a case row are ignored.
func startClock(tx *projection.Tx, id string, k *commonv1.LegalClock) {
	tx.Queue(`INSERT INTO case_clocks_v1 (case_id, clock, rule_id, basis, unit_code, started_on, due_on, derivation, paused)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, false WHERE EXISTS (SELECT 1 FROM cases_v1 WHERE case_id = $1)
		ON CONFLICT (case_id, clock) DO UPDATE SET rule_id = EXCLUDED.rule_id, basis = EXCLUDED.basis, unit_code = EXCLUDED.unit_code,
			started_on = EXCLUDED.started_on, due_on = EXCLUDED.due_on, derivation = EXCLUDED.derivation, paused = false`,
		id, k.GetClock(), k.GetRuleId(), k.GetBasis(), k.GetUnitCode(), sqlDate(k.GetStartedOn()), sqlDate(k.GetDueOn()), nonNil(k.GetDerivation()))
}

func updateClock(tx *projection.Tx, id string, k *commonv1.LegalClock) {
	tx.Queue(`UPDATE case_clocks_v1 SET due_on = $3, derivation = $4, paused = false WHERE case_id = $1 AND clock = $2`,
		id, k.GetClock(), sqlDate(k.GetDueOn()), nonNil(k.GetDerivation()))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sqlDate is a civil date as a PostgreSQL date parameter; nil for none.
func sqlDate(c *commonv1.CivilDate) any {
	d := calendarpb.FromProto(c)
	if !d.IsValid() {
		return nil
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// civilDate reads a PostgreSQL date.
func civilDate(t time.Time) *commonv1.CivilDate {
	return calendarpb.ToProto(calendar.NewDate(t.Year(), t.Month(), t.Day()))
}

// CountOpenCases counts the cases still being handled: awaiting processing, in resolution,
// suspended or forwarded (a metric of the service).
func CountOpenCases(ctx context.Context, db *pgxpool.Pool) (int64, error) {
	open := []int32{int32(routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING), int32(routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION),
		int32(routingv1.CaseStatus_CASE_STATUS_SUSPENDED), int32(routingv1.CaseStatus_CASE_STATUS_FORWARDED)}
	var n int64
	err := db.QueryRow(ctx, "SELECT count(*) FROM cases_v1 WHERE status = ANY($1)", open).Scan(&n)
	return n, err
}

// CountOverdueCases counts the cases with a running legal clock whose due date is before today.
func CountOverdueCases(ctx context.Context, db *pgxpool.Pool, today calendar.Date) (int64, error) {
	var n int64
	err := db.QueryRow(ctx, "SELECT count(DISTINCT case_id) FROM case_clocks_v1 WHERE NOT paused AND due_on < $1", today.Start()).Scan(&n)
	return n, err
}
