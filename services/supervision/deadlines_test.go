package supervision_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// Two cases across Tết 2026 (days off Mon 16/02 – Fri 20/02, break Sat 14/02 – Sun 22/02):
//
// Case A, a complaint received Mon 09/02/2026 by Kinh Dinh ward: processing takes 10 working days
// (petition.process): Tue 10, Wed 11, Thu 12, Fri 13 (4), Tết, Mon 23 (5), Tue 24 (6), Wed 25 (7),
// Thu 26 (8), Fri 27 (9), Mon 02/03 (10) → due Mon 02/03/2026. On Wed 04/03 it is 2 days overdue.
//
// Case B, a denunciation accepted Mon 05/01/2026 by the ward's People's Committee: 30 calendar
// days (Luật TC Đ30) → Wed 04/02. Suspended Mon 26/01 after 21 days had run (06/01–26/01), resumed
// Thu 05/02: the 10 days 27/01–05/02 do not count (Luật TC Đ34); the 9 days left run 06/02–14/02,
// Sat 14/02, which is in the Tết break, so the period ends on the next working day, Mon 23/02
// (Civil Code 2015 Đ148). On Wed 25/02 it is 2 days overdue, on Wed 04/03 9 days.
func TestOverdueAcrossTetAndSuspensionExactToTheDay(t *testing.T) {
	f := start(t, "2026-03-04")
	a := f.register(petition{unit: wardKD, receivedOn: "2026-02-09"})
	b := f.register(petition{unit: wardKD, receivedOn: "2026-01-02", kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION})
	f.acceptDenunciation(b, wardKDC, "2026-01-05")
	f.step(b, "2026-01-26",
		&routingv1.CaseSuspended{CaseId: b, SuspendedOn: civil("2026-01-26"), Reason: "chờ kết quả giám định"},
		&commonv1.LegalClockPaused{CaseId: b, Clock: "resolution", PausedOn: civil("2026-01-26")})
	resumed := clock(t, b, "resolution", "denunciation.resolve", wardKDC, "2026-01-05")
	resumed.DueOn = civil("2026-02-23")
	f.step(b, "2026-02-05",
		&routingv1.CaseResumed{CaseId: b, ResumedOn: civil("2026-02-05")},
		&commonv1.LegalClockResumed{Clock: resumed, ResumedOn: civil("2026-02-05")})
	f.step(a, "2026-02-10", &routingv1.CaseAssigned{CaseId: a, AssigneeUnitCode: wardKD, HandlerSubject: "officer-7", AssignedOn: civil("2026-02-10")})
	f.caughtUp()

	c := f.client("inspector-1", auth.RoleInspector, cityTTR)
	overdue := func(asOf string, req *supervisionv1.ListOverdueRequest) map[string]*supervisionv1.WatchedClock {
		t.Helper()
		req.AsOf = civil(asOf)
		res := must[*supervisionv1.ListOverdueResponse](t)(c.ListOverdue(ctx, req))
		out := map[string]*supervisionv1.WatchedClock{}
		for _, k := range res.GetClocks() {
			out[k.GetCaseId()+"/"+k.GetClock()] = k
		}
		return out
	}

	got := overdue("2026-02-25", &supervisionv1.ListOverdueRequest{})
	kb := got[b+"/resolution"]
	if len(got) != 1 || kb == nil || kb.GetDaysOverdue() != 2 || dateOf(kb.GetDueOn()) != "2026-02-23" || kb.GetUnitCode() != wardKDC ||
		kb.GetPetitionKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION {
		t.Fatalf("overdue on 25/02: %v, want only B's resolution, due 23/02, 2 days", got)
	}
	joined := strings.Join(kb.GetDerivation(), "\n")
	for _, want := range []string{"suspended 2026-01-26, resumed 2026-02-05: 10 days not counted", "next working day 2026-02-23"} {
		if !strings.Contains(joined, want) {
			t.Errorf("derivation lacks %q:\n%s", want, joined)
		}
	}

	got = overdue("2026-03-04", &supervisionv1.ListOverdueRequest{})
	if ka, kb := got[a+"/processing"], got[b+"/resolution"]; len(got) != 2 || ka.GetDaysOverdue() != 2 || dateOf(ka.GetDueOn()) != "2026-03-02" ||
		kb.GetDaysOverdue() != 9 || ka.GetHandlerSubject() != "officer-7" {
		t.Fatalf("overdue on 04/03: %v, want A 2 days (due 02/03) and B 9 days", got)
	}
	res := must[*supervisionv1.ListOverdueResponse](t)(c.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{AsOf: civil("2026-03-04")}))
	if res.GetClocks()[0].GetCaseId() != b {
		t.Error("the most overdue clock comes first")
	}
	// Filters: the handler, a unit, the unit with everything below it, a minimum.
	if got := overdue("2026-03-04", &supervisionv1.ListOverdueRequest{HandlerSubject: "officer-7"}); len(got) != 1 || got[a+"/processing"] == nil {
		t.Errorf("handler filter: %v", got)
	}
	if got := overdue("2026-03-04", &supervisionv1.ListOverdueRequest{UnitCode: wardKDC}); len(got) != 1 || got[b+"/resolution"] == nil {
		t.Errorf("unit filter: %v", got)
	}
	if got := overdue("2026-03-04", &supervisionv1.ListOverdueRequest{UnitCode: city}); len(got) != 0 {
		t.Errorf("the city itself answers for none: %v", got)
	}
	if got := overdue("2026-03-04", &supervisionv1.ListOverdueRequest{UnitCode: city, IncludeSubordinates: true}); len(got) != 2 {
		t.Errorf("the city with its wards: %v", got)
	}
	if got := overdue("2026-03-04", &supervisionv1.ListOverdueRequest{MinDaysOverdue: 3}); len(got) != 1 || got[b+"/resolution"] == nil {
		t.Errorf("at least 3 days: %v", got)
	}
	// While suspended the clock is not overdue (30/01), and B's processing clock stopped on time.
	if got := overdue("2026-01-30", &supervisionv1.ListOverdueRequest{}); len(got) != 0 {
		t.Errorf("overdue on 30/01: %v", got)
	}
	// The due date itself is on time.
	if got := overdue("2026-03-02", &supervisionv1.ListOverdueRequest{UnitCode: wardKD}); len(got) != 0 {
		t.Errorf("overdue on the due date: %v", got)
	}

	dueSoon := func(asOf string, within int32) []*supervisionv1.WatchedClock {
		t.Helper()
		return must[*supervisionv1.ListDueSoonResponse](t)(c.ListDueSoon(ctx, &supervisionv1.ListDueSoonRequest{AsOf: civil(asOf), WithinWorkingDays: within})).GetClocks()
	}
	// Fri 27/02: A has one working day left (Mon 02/03); B is already overdue.
	if got := dueSoon("2026-02-27", 1); len(got) != 1 || got[0].GetCaseId() != a || got[0].GetWorkingDaysRemaining() != 1 || got[0].GetDaysRemaining() != 3 {
		t.Errorf("due soon on 27/02 within 1: %v", got)
	}
	if got := dueSoon("2026-02-27", 0); len(got) != 0 {
		t.Errorf("due soon on 27/02 within 0: %v", got)
	}
	if got := dueSoon("2026-03-02", 0); len(got) != 1 || got[0].GetCaseId() != a {
		t.Errorf("due today: %v", got)
	}
	// Fri 13/02 to Mon 02/03 across Tết: Mon 23 – Fri 27 and Mon 02 are 6 working days for A; B's
	// Mon 23/02 is the first working day after Tết, 1 working day away.
	if got := dueSoon("2026-02-13", 6); len(got) != 2 || got[0].GetCaseId() != b || got[0].GetWorkingDaysRemaining() != 1 ||
		got[1].GetCaseId() != a || got[1].GetWorkingDaysRemaining() != 6 {
		t.Errorf("due soon on 13/02 within 6: %v", got)
	}
	if got := dueSoon("2026-02-13", 5); slices.ContainsFunc(got, func(k *supervisionv1.WatchedClock) bool { return k.GetCaseId() == a }) {
		t.Errorf("A is 6 working days away on 13/02: %v", got)
	}
	// Paging.
	p1 := must[*supervisionv1.ListOverdueResponse](t)(c.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{AsOf: civil("2026-03-04"), Page: &commonv1.PageRequest{PageSize: 1}}))
	if len(p1.GetClocks()) != 1 || p1.GetNextPageToken() == "" {
		t.Fatalf("page 1: %v", p1)
	}
	p2 := must[*supervisionv1.ListOverdueResponse](t)(c.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{AsOf: civil("2026-03-04"),
		Page: &commonv1.PageRequest{PageSize: 1, PageToken: p1.GetNextPageToken()}}))
	if len(p2.GetClocks()) != 1 || p2.GetNextPageToken() != "" || p2.GetClocks()[0].GetCaseId() != a {
		t.Errorf("page 2: %v", p2)
	}
}
