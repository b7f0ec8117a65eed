package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// sessionPlan is one reception session and its visits.
type sessionPlan struct {
	n      int
	unit   string
	kind   intakev1.SessionKind
	on     calendar.Date
	host   string
	visits []visitPlan
}

type visitPlan struct {
	people  int32
	kind    commonv1.PetitionKind
	field   commonv1.Field
	repeat  bool
	visitor *personv1.PersonalData
}

// planSessions: each ward's chair receives citizens on a fixed day each month (periodic, Luật TCD
// Đ15 asks at least a day a week; the demo keeps one a month to stay small), a deputy chair holds a
// delegated session every other month, and the city's reception board receives every week.
func (g *generator) planSessions() []sessionPlan {
	var out []sessionPlan
	add := func(unit string, kind intakev1.SessionKind, on calendar.Date, host string) {
		s := sessionPlan{n: len(out) + 1, unit: unit, kind: kind, on: calendar.NextWorkingDay(on.AddDays(-1)), host: host}
		for range g.rng.IntN(5) {
			v := visitPlan{people: int32(1 + g.rng.IntN(3)), repeat: g.rng.Float64() < 0.15, visitor: g.newPerson().data}
			if g.rng.Float64() < 0.06 {
				v.people = int32(5 + g.rng.IntN(25)) // a crowd delegation (Luật TCD Đ29)
			}
			v.kind = []commonv1.PetitionKind{commonv1.PetitionKind_PETITION_KIND_COMPLAINT, commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION,
				commonv1.PetitionKind_PETITION_KIND_FEEDBACK, commonv1.PetitionKind_PETITION_KIND_DENUNCIATION}[g.rng.IntN(4)]
			v.field = commonv1.Field_FIELD_ADMIN_LAND_HOUSING
			s.visits = append(s.visits, v)
		}
		if !s.on.After(historyEnd) {
			out = append(out, s)
		}
	}
	for m := 0; m < 24; m++ {
		first := calendar.NewDate(2024+m/12, time.Month(m%12+1), 1)
		for i, w := range wardsOn(first) {
			add(w, intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC, first.AddDays(8+i%10), "Chủ tịch UBND phường")
			if m%2 == 0 {
				add(w, intakev1.SessionKind_SESSION_KIND_DELEGATED, first.AddDays(18+i%8), "Phó Chủ tịch UBND phường")
			}
		}
	}
	// The city's (then the province's) People's Council deputies receive citizens once a quarter.
	for q := 0; q < 8; q++ {
		on := calendar.NewDate(2024+q/4, time.Month(3*(q%4)+2), 12)
		add(councilOn(on), intakev1.SessionKind_SESSION_KIND_COUNCIL_DEPUTY, on, "Đại biểu HĐND")
	}
	for d := historyStart; !d.After(historyEnd); d = d.AddDays(7) {
		board := "NT.PRTC.BTCD"
		if !d.Before(mergerDay) {
			board = "KH.BTCD"
		}
		add(board, intakev1.SessionKind_SESSION_KIND_REGULAR, d, "Ban Tiếp công dân")
	}
	return out
}

// holdSession opens a session, records its visits and closes it, as a reception officer of the unit.
func (g *generator) holdSession(ctx context.Context, prefix string, s sessionPlan) (int, error) {
	role := auth.RoleReceptionOfficer
	if s.kind == intakev1.SessionKind_SESSION_KIND_COUNCIL_DEPUTY {
		role = auth.RoleCouncilDeputy
	}
	conn, err := g.conn("intake", "demo-"+string(role)+"-"+s.unit, role, s.unit)
	if err != nil {
		return 0, err
	}
	cl := intakev1.NewIntakeServiceClient(conn)
	id := fmt.Sprintf("%s-session-%d", prefix, s.n)
	opened, err := cl.OpenReceptionSession(ctx, &intakev1.OpenReceptionSessionRequest{
		Meta: meta(id), UnitCode: s.unit, Kind: s.kind, HeldOn: civil(s.on), HostPosition: s.host})
	if err != nil {
		return 0, fmt.Errorf("session %d at %s on %s: %w", s.n, s.unit, s.on, err)
	}
	for i, v := range s.visits {
		reps := int32(0)
		if v.people >= 5 {
			reps = 2
		}
		if _, err := cl.RecordVisit(ctx, &intakev1.RecordVisitRequest{
			Meta: meta(fmt.Sprintf("%s-visit-%d", id, i)), SessionId: opened.GetSessionId(), PeopleCount: v.people,
			RepresentativeCount: reps, Kind: v.kind, Field: v.field, Visitor: v.visitor, Repeat: v.repeat,
			Content: &intakev1.SealedContent{Summary: summaryOf(v.kind)},
		}); err != nil {
			return i, fmt.Errorf("visit %d of session %d: %w", i, s.n, err)
		}
	}
	if _, err := cl.CloseReceptionSession(ctx, &intakev1.CloseReceptionSessionRequest{Meta: meta(id + "-close"), SessionId: opened.GetSessionId()}); err != nil {
		return len(s.visits), fmt.Errorf("closing session %d: %w", s.n, err)
	}
	return len(s.visits), nil
}
