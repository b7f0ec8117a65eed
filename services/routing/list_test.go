package routing_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// list collects every page of a query, checking the pages do not overlap.
func (f *fixture) list(client routingv1.RoutingServiceClient, q *routingv1.ListCasesRequest, pageSize int32) ([]*routingv1.Case, int) {
	f.t.Helper()
	var all []*routingv1.Case
	seen := map[string]bool{}
	pages := 0
	q.Page = &commonv1.PageRequest{PageSize: pageSize}
	for {
		r, err := client.ListCases(f.ctx, q)
		if err != nil {
			f.t.Fatal(err)
		}
		pages++
		for _, c := range r.GetCases() {
			if seen[c.GetCaseId()] {
				f.t.Fatalf("case %s on two pages", c.GetCaseId())
			}
			seen[c.GetCaseId()] = true
			all = append(all, c)
		}
		if r.GetNextPageToken() == "" {
			return all, pages
		}
		q.Page.PageToken = r.GetNextPageToken()
	}
}

func ids(cs []*routingv1.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.GetCaseId()
	}
	return out
}

func TestListCasesFiltersAndPages(t *testing.T) {
	f := start(t)
	reader := f.client(auth.RoleInspector, city)
	// Received on successive days, so the list's order (receipt, then id) is theirs.
	c1 := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
	c2 := f.register(petitionSpec{kind: denunciation, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-04"})
	c3 := f.register(petitionSpec{kind: complaint, unit: communePC, respondent: communePC, receivedOn: "2025-03-05"})
	c4 := f.register(petitionSpec{kind: feedback, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-06"})
	c5 := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: tnmt, receivedOn: "2025-03-07"})
	dup := f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-07", duplicateOf: c1})

	f.setToday("2025-03-10")
	if _, err := f.officer.ProcessPetition(f.ctx, accept(c1, "2025-03-10", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.officer.ProcessPetition(f.ctx, accept(c2, "2025-03-10", false)); err != nil {
		t.Fatal(err)
	}
	// The commune is in a remote area (from the registry): 45 days from 2025-03-10 (Luật KN Đ28) → 2025-04-24.
	r, err := f.client(auth.RoleProcessingOfficer, communePC).ProcessPetition(f.ctx, accept(c3, "2025-03-10", false))
	if err != nil {
		t.Fatal(err)
	}
	wantDue(t, r.GetCase(), "resolution", "2025-04-24")
	if _, err := f.officer.AssignCase(f.ctx, &routingv1.AssignCaseRequest{Meta: meta(), CaseId: c2, AssigneeUnitCode: inspector, AssignedOn: cd("2025-03-10")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.officer.ProcessPetition(f.ctx, &routingv1.ProcessPetitionRequest{Meta: meta(), PetitionId: c5, ProcessedOn: cd("2025-03-10"),
		Decision: &routingv1.ProcessPetitionRequest_Guide_{Guide: &routingv1.ProcessPetitionRequest_Guide{}}}); err != nil {
		t.Fatal(err)
	}

	// The projection follows the log: wait until it has the guidance, the last change.
	testenv.Eventually(t, 10*time.Second, func() bool {
		r, err := reader.ListCases(f.ctx, &routingv1.ListCasesRequest{Statuses: []routingv1.CaseStatus{routingv1.CaseStatus_CASE_STATUS_GUIDED}})
		return err == nil && len(r.GetCases()) == 1
	}, "the projection did not catch up")

	all, pages := f.list(reader, &routingv1.ListCasesRequest{}, 2)
	if got := ids(all); len(got) != 5 || got[0] != c1 || got[1] != c2 || got[2] != c3 || got[3] != c4 || got[4] != c5 || pages != 3 {
		t.Fatalf("all cases %v in %d pages (the duplicate %s has no case)", got, pages, dup)
	}
	tests := []struct {
		name string
		q    *routingv1.ListCasesRequest
		want []string
	}{
		{"handled by the ward or assigned to it", &routingv1.ListCasesRequest{UnitCode: wardPC}, []string{c1, c2, c4, c5}},
		{"assigned to the inspectorate", &routingv1.ListCasesRequest{UnitCode: inspector}, []string{c2}},
		{"complaints", &routingv1.ListCasesRequest{Kind: complaint}, []string{c1, c3, c5}},
		{"in resolution or guided", &routingv1.ListCasesRequest{Statuses: []routingv1.CaseStatus{routingv1.CaseStatus_CASE_STATUS_IN_RESOLUTION, routingv1.CaseStatus_CASE_STATUS_GUIDED}}, []string{c1, c2, c3, c5}},
		{"awaiting processing", &routingv1.ListCasesRequest{Statuses: []routingv1.CaseStatus{routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING}}, []string{c4}},
		// Resolution of c1 and c2 is due 2025-04-09 (30 days from 2025-03-10), of c3 2025-04-24; c4's
		// processing 10 working days from 2025-03-06 → 2025-03-20.
		{"due by 2025-04-09", &routingv1.ListCasesRequest{DueBefore: cd("2025-04-09")}, []string{c1, c2, c4}},
		{"due by 2025-03-31", &routingv1.ListCasesRequest{DueBefore: cd("2025-03-31")}, []string{c4}},
		{"overdue on 2025-04-10", &routingv1.ListCasesRequest{OverdueOn: cd("2025-04-10")}, []string{c1, c2, c4}},
		{"overdue on 2025-04-09", &routingv1.ListCasesRequest{OverdueOn: cd("2025-04-09")}, []string{c4}},
		{"ward complaints due by 2025-04-30", &routingv1.ListCasesRequest{UnitCode: wardPC, Kind: complaint, DueBefore: cd("2025-04-30")}, []string{c1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := f.list(reader, tt.q, 1)
			if g := ids(got); len(g) != len(tt.want) || !equal(g, tt.want) {
				t.Fatalf("got %v, want %v", g, tt.want)
			}
		})
	}
	got, _ := f.list(reader, &routingv1.ListCasesRequest{UnitCode: inspector}, 10)
	if len(got[0].GetOpenClocks()) != 1 || dateOf(got[0].GetOpenClocks()[0].GetDueOn()) != "2025-04-09" || got[0].GetAssigneeUnitCode() != inspector {
		t.Fatalf("listed case %v", got[0])
	}
	_, err = reader.ListCases(f.ctx, &routingv1.ListCasesRequest{Page: &commonv1.PageRequest{PageToken: "garbage"}})
	wantError(t, err, codes.InvalidArgument, "", "page.page_token")
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
