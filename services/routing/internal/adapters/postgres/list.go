package postgres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	"github.com/civicase/civicase/services/routing/internal/app"
)

// Cases answers list queries from the projection's tables.
type Cases struct {
	db *pgxpool.Pool
}

// NewCases queries the tables of CasesProjection in db (whose search_path is the service's schema).
func NewCases(db *pgxpool.Pool) *Cases { return &Cases{db: db} }

// pageToken is where a page ends in the list's order (received_on, case_id). It is opaque to
// clients: base64 of "v1|<date>|<case id>".
type pageToken struct {
	receivedOn time.Time
	caseID     string
}

func (t pageToken) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + t.receivedOn.Format(time.DateOnly) + "|" + t.caseID))
}

func decodeToken(s string) (pageToken, error) {
	bad := apperr.Invalid("page.page_token", "is not a token this service gave out")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != "v1" || parts[2] == "" {
		return pageToken{}, bad
	}
	d, err := time.Parse(time.DateOnly, parts[1])
	if err != nil {
		return pageToken{}, bad
	}
	return pageToken{receivedOn: d, caseID: parts[2]}, nil
}

func dateArg(d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// List returns one page of cases in the order of receipt (then case id), with their open clocks.
func (s *Cases) List(ctx context.Context, q app.ListCases) ([]*routingv1.Case, string, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Unit != "" {
		p := arg(q.Unit)
		where = append(where, fmt.Sprintf("(c.unit_code = %s OR c.assignee_unit_code = %s)", p, p))
	}
	if q.Kind != commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED {
		where = append(where, "c.kind = "+arg(int32(q.Kind)))
	}
	if len(q.Statuses) > 0 {
		st := make([]int32, len(q.Statuses))
		for i, s := range q.Statuses {
			st[i] = int32(s)
		}
		where = append(where, "c.status = ANY("+arg(st)+")")
	}
	if q.DueBefore.IsValid() {
		where = append(where, "EXISTS (SELECT 1 FROM case_clocks_v1 k WHERE k.case_id = c.case_id AND k.due_on <= "+arg(dateArg(q.DueBefore))+")")
	}
	if q.OverdueOn.IsValid() {
		where = append(where, "EXISTS (SELECT 1 FROM case_clocks_v1 k WHERE k.case_id = c.case_id AND k.due_on < "+arg(dateArg(q.OverdueOn))+")")
	}
	if q.PageToken != "" {
		t, err := decodeToken(q.PageToken)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(c.received_on, c.case_id) > (%s, %s)", arg(t.receivedOn), arg(t.caseID)))
	}
	sql := `SELECT c.case_id, c.receipt_number, c.unit_code, c.assignee_unit_code, c.kind, c.field, c.status, c.received_on,
		c.complaint_instance, c.complex, c.extensions, c.guided, c.forwarded, c.version FROM cases_v1 c`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY c.received_on, c.case_id LIMIT " + arg(q.PageSize+1)
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", apperr.Unavailable("READ_MODEL_UNAVAILABLE", "the cases list cannot be read").WithCause(err)
	}
	type row struct {
		c          *routingv1.Case
		receivedOn time.Time
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		c := &routingv1.Case{}
		var kind, field, status int32
		var received time.Time
		err := r.Scan(&c.CaseId, &c.ReceiptNumber, &c.UnitCode, &c.AssigneeUnitCode, &kind, &field, &status, &received,
			&c.ComplaintInstance, &c.Complex, &c.Extensions, &c.Guided, &c.Forwarded, &c.Version)
		c.Kind, c.Field, c.Status = commonv1.PetitionKind(kind), commonv1.Field(field), routingv1.CaseStatus(status)
		c.ReceivedOn = civilDate(received)
		return row{c, received}, err
	})
	if err != nil {
		return nil, "", apperr.Unavailable("READ_MODEL_UNAVAILABLE", "the cases list cannot be read").WithCause(err)
	}
	next := ""
	if len(list) > q.PageSize {
		list = list[:q.PageSize]
		last := list[len(list)-1]
		next = pageToken{receivedOn: last.receivedOn, caseID: last.c.CaseId}.encode()
	}
	out := make([]*routingv1.Case, len(list))
	byID := make(map[string]*routingv1.Case, len(list))
	ids := make([]string, len(list))
	for i, r := range list {
		out[i], byID[r.c.CaseId], ids[i] = r.c, r.c, r.c.CaseId
	}
	if err := s.clocks(ctx, ids, byID); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// clocks attaches the open clocks to the cases of a page.
func (s *Cases) clocks(ctx context.Context, ids []string, byID map[string]*routingv1.Case) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.db.Query(ctx, `SELECT case_id, clock, rule_id, basis, unit_code, started_on, due_on, derivation
		FROM case_clocks_v1 WHERE case_id = ANY($1) ORDER BY case_id, started_on, clock`, ids)
	if err != nil {
		return apperr.Unavailable("READ_MODEL_UNAVAILABLE", "the clocks cannot be read").WithCause(err)
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		k := &commonv1.LegalClock{}
		var started time.Time
		var due *time.Time
		if err := r.Scan(&k.CaseId, &k.Clock, &k.RuleId, &k.Basis, &k.UnitCode, &started, &due, &k.Derivation); err != nil {
			return struct{}{}, err
		}
		k.StartedOn = civilDate(started)
		if due != nil {
			k.DueOn = civilDate(*due)
		}
		byID[k.CaseId].OpenClocks = append(byID[k.CaseId].OpenClocks, k)
		return struct{}{}, nil
	})
	if err != nil {
		return apperr.Unavailable("READ_MODEL_UNAVAILABLE", "the clocks cannot be read").WithCause(err)
	}
	return nil
}
