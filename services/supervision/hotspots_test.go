package supervision_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// processed records routing processing a petition within the unit: its processing clock stops.
func (f *fixture) processed(caseID, unit, on string) {
	f.t.Helper()
	f.step(caseID, on,
		&routingv1.PetitionClassified{CaseId: caseID, UnitCode: unit, ProcessedOn: civil(on), Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Eligible: true, WithinCompetence: true},
		&commonv1.LegalClockStopped{CaseId: caseID, Clock: "processing", StoppedOn: civil(on), OnTime: true})
}

// visit records a reception visit as intake does.
func (f *fixture) visit(unit, held string, people int32, repeat bool, caseID, matter string) string {
	f.t.Helper()
	session, id := uuid.NewString(), uuid.NewString()
	f.append("session", session, "visit-"+id, at(held), &intakev1.VisitRecorded{
		SessionId: session, VisitId: id, UnitCode: unit, HeldOn: civil(held), PeopleCount: people, Crowd: people >= 5,
		Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Repeat: repeat, CaseId: caseID, MatterIndex: matter, VisitorRef: "v-" + id[:8],
	})
	return id
}

// Each detection rule of hotspots.yaml produces its candidate with its reason and evidence, as of
// Wed 04/03/2026; facts outside a rule's window or after the day asked do not count.
func TestHotSpotProposalRules(t *testing.T) {
	f := start(t, "2026-03-04")
	// Crowd delegation (≥ 5 people, Luật TCD Đ29, last 90 days): a petition signed by 12 people…
	crowd := f.register(petition{unit: wardKD, receivedOn: "2026-02-25", people: 12})
	f.processed(crowd, wardKD, "2026-02-26")
	// …and a visit of 8 people about a case at Đô Vinh.
	crowdVisit := f.register(petition{unit: wardDV, receivedOn: "2026-02-23"})
	f.processed(crowdVisit, wardDV, "2026-02-24")
	visit8 := f.visit(wardDV, "2026-03-02", 8, false, crowdVisit, "m-dv")
	// A crowd of 20 on 01/11/2025 is 123 days before: outside the window.
	old := f.register(petition{unit: wardDV, receivedOn: "2025-10-20"})
	f.processed(old, wardDV, "2025-10-21")
	f.visit(wardDV, "2025-11-01", 20, false, old, "m-old")
	// Repeat visits (≥ 3 in a year): three repeats and a first visit on one case, and three
	// repeats on a matter that has no case yet.
	repeated := f.register(petition{unit: wardKD, receivedOn: "2026-01-05"})
	f.processed(repeated, wardKD, "2026-01-06")
	f.visit(wardKD, "2026-01-05", 1, false, repeated, "m-r")
	for _, on := range []string{"2026-01-20", "2026-02-10", "2026-03-02"} {
		f.visit(wardKD, on, 1, true, repeated, "m-r")
	}
	for _, on := range []string{"2026-02-02", "2026-02-09", "2026-02-23"} {
		f.visit(wardKD, on, 2, true, "", "abc123")
	}
	// Repeat petitions (≥ 3 receipts of the matter): the original and two repeats.
	original := f.register(petition{unit: wardDV, receivedOn: "2026-01-10"})
	f.processed(original, wardDV, "2026-01-12")
	f.register(petition{unit: wardDV, receivedOn: "2026-02-02", duplicate: original, repeat: 2})
	third := f.register(petition{unit: wardDV, receivedOn: "2026-02-26", duplicate: original, repeat: 3})
	// Prolonged (≥ 30 days overdue): a denunciation accepted Mon 01/12/2025, due Wed 31/12/2025,
	// is 63 days overdue on 04/03/2026.
	prolonged := f.register(petition{unit: wardKD, receivedOn: "2025-11-25", kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION})
	f.acceptDenunciation(prolonged, wardKDC, "2025-12-01")
	// Several units (≥ 3): received by Kinh Dinh, forwarded to Đô Vinh's committee, which forwarded
	// it to the city inspectorate.
	moved := f.register(petition{unit: wardKD, receivedOn: "2026-02-02"})
	f.step(moved, "2026-02-05", &routingv1.PetitionForwarded{CaseId: moved, FromUnitCode: wardKD, ToUnitCode: wardDVC, ForwardedOn: civil("2026-02-05")},
		&commonv1.LegalClockStopped{CaseId: moved, Clock: "processing", StoppedOn: civil("2026-02-05"), OnTime: true})
	f.step(moved, "2026-02-12", &routingv1.PetitionForwarded{CaseId: moved, FromUnitCode: wardDVC, ToUnitCode: cityTTR, ForwardedOn: civil("2026-02-12")})
	// A quiet case.
	quiet := f.register(petition{unit: wardKD, receivedOn: "2026-03-02"})
	f.caughtUp()

	inspector := f.client("inspector-1", auth.RoleInspector, cityTTR)
	propose := func(req *supervisionv1.ProposeHotSpotsRequest) map[string]*supervisionv1.HotSpotCandidate {
		t.Helper()
		res := must[*supervisionv1.ProposeHotSpotsResponse](t)(inspector.ProposeHotSpots(ctx, req))
		out := map[string]*supervisionv1.HotSpotCandidate{}
		for _, c := range res.GetCandidates() {
			out[c.GetCaseId()] = c
		}
		return out
	}
	got := propose(&supervisionv1.ProposeHotSpotsRequest{})
	only := func(caseID, rule string, value int32, evidence int) *supervisionv1.HotSpotReason {
		t.Helper()
		c := got[caseID]
		if c == nil || len(c.GetReasons()) != 1 || c.GetReasons()[0].GetRuleId() != rule {
			t.Errorf("case %s: %v, want only rule %s", caseID, c, rule)
			return nil
		}
		r := c.GetReasons()[0]
		top := int32(0)
		for _, e := range r.GetEvidence() {
			top = max(top, e.GetValue())
		}
		if len(r.GetEvidence()) != evidence || top != value {
			t.Errorf("rule %s on %s: evidence %v, want %d facts, top value %d", rule, caseID, r.GetEvidence(), evidence, value)
		}
		return r
	}
	if r := only(crowd, "crowd_delegation", 12, 1); r != nil && (!strings.Contains(r.GetSummary(), "12 people") || r.GetCitation() != "Luật TCD Đ29") {
		t.Errorf("crowd reason %v", r)
	}
	if r := only(crowdVisit, "crowd_delegation", 8, 1); r != nil && r.GetEvidence()[0].GetRef() != visit8 {
		t.Errorf("crowd visit evidence %v", r.GetEvidence())
	}
	only(repeated, "repeat_visits", 1, 3)
	only("matter:abc123", "repeat_visits", 2, 3)
	if r := only(original, "repeat_petitions", 3, 1); r != nil && r.GetEvidence()[0].GetRef() != third {
		t.Errorf("repeat petition evidence %v", r.GetEvidence())
	}
	if r := only(prolonged, "prolonged", 63, 1); r != nil && !strings.Contains(r.GetEvidence()[0].GetDetail(), "due 2025-12-31, 63 days overdue") {
		t.Errorf("prolonged evidence %v", r.GetEvidence())
	}
	if r := only(moved, "many_units", 3, 3); r != nil && !strings.Contains(r.GetSummary(), wardKD+", "+wardDVC+", "+cityTTR) {
		t.Errorf("units reason %v", r)
	}
	for _, id := range []string{old, quiet} {
		if got[id] != nil {
			t.Errorf("case %s is no candidate: %v", id, got[id])
		}
	}
	if len(got) != 7 {
		t.Errorf("%d candidates, want 7", len(got))
	}
	if got[crowd].GetUnitCode() != wardKD || got[prolonged].GetUnitCode() != wardKDC || got[prolonged].GetPetitionKind() != commonv1.PetitionKind_PETITION_KIND_DENUNCIATION {
		t.Errorf("candidate units and kinds: %v %v", got[crowd], got[prolonged])
	}

	// As of 20/02, the crowd petition had not arrived and the matter had been received twice.
	past := propose(&supervisionv1.ProposeHotSpotsRequest{AsOf: civil("2026-02-20")})
	if past[crowd] != nil || past[original] != nil || past[moved] == nil {
		t.Errorf("as of 20/02: %v", past)
	}
	// A unit with the units below it: Đô Vinh ward holds its committee's cases too.
	dv := propose(&supervisionv1.ProposeHotSpotsRequest{UnitCode: wardDV, IncludeSubordinates: true})
	if dv[crowdVisit] == nil || dv[original] == nil || dv[moved] == nil || dv[crowd] != nil || dv[prolonged] != nil {
		t.Errorf("Đô Vinh: %v", dv)
	}

	// Registering a candidate: it shows as registered, and can be left out.
	hs := must[*supervisionv1.RegisterHotSpotResponse](t)(inspector.RegisterHotSpot(ctx, &supervisionv1.RegisterHotSpotRequest{
		Meta: meta(), UnitCode: wardKD, Title: "Khiếu nại đông người khu phố 3", LeaderSubject: "leader-3", CaseIds: []string{crowd},
		RegisteredOn: civil("2026-03-04"), RuleIds: []string{"crowd_delegation"}})).GetHotSpot()
	if hs.GetStatus() != supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_WATCHING || hs.GetLeaderSubject() != "leader-3" {
		t.Fatalf("hot spot %v", hs)
	}
	f.caughtUp()
	if got := propose(&supervisionv1.ProposeHotSpotsRequest{}); got[crowd].GetRegisteredHotSpotId() != hs.GetHotSpotId() {
		t.Errorf("registered candidate %v", got[crowd])
	}
	if got := propose(&supervisionv1.ProposeHotSpotsRequest{ExcludeRegistered: true}); got[crowd] != nil || len(got) != 6 {
		t.Errorf("excluding registered: %v", got)
	}
}

func TestHotSpotRegister(t *testing.T) {
	f := start(t, "2026-03-04")
	a := f.register(petition{unit: wardKD, receivedOn: "2026-02-25", people: 12})
	b := f.register(petition{unit: wardKD, receivedOn: "2026-02-26"})
	c := f.client("tt-1", auth.RoleCouncilStanding, cityTT)
	hs := must[*supervisionv1.RegisterHotSpotResponse](t)(c.RegisterHotSpot(ctx, &supervisionv1.RegisterHotSpotRequest{
		Meta: meta(), UnitCode: wardKD, Title: "Thu hồi đất khu dân cư", LeaderSubject: "leader-3", CaseIds: []string{a},
		Status: supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_HANDLING, RegisteredOn: civil("2026-03-02")})).GetHotSpot()
	id := hs.GetHotSpotId()
	up := must[*supervisionv1.UpdateHotSpotResponse](t)(c.UpdateHotSpot(ctx, &supervisionv1.UpdateHotSpotRequest{
		Meta: meta(), HotSpotId: id, UpdatedOn: civil("2026-03-03"), LeaderSubject: "leader-9", Status: supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_STABILISED,
		AddCaseIds: []string{b, a}, Note: "Đã đối thoại"})).GetHotSpot()
	if up.GetLeaderSubject() != "leader-9" || up.GetStatus() != supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_STABILISED || len(up.GetCaseIds()) != 2 {
		t.Fatalf("updated %v", up)
	}

	before := f.lastSeq()
	for _, tc := range []struct {
		name   string
		call   func() error
		code   codes.Code
		field  string
		reason string
	}{
		{"unlinking a case it does not hold", func() error {
			_, err := c.UpdateHotSpot(ctx, &supervisionv1.UpdateHotSpotRequest{Meta: meta(), HotSpotId: id, UpdatedOn: civil("2026-03-04"), RemoveCaseIds: []string{uuid.NewString()}})
			return err
		}, codes.FailedPrecondition, "remove_case_ids", "CASE_NOT_LINKED"},
		{"before the last change", func() error {
			_, err := c.UpdateHotSpot(ctx, &supervisionv1.UpdateHotSpotRequest{Meta: meta(), HotSpotId: id, UpdatedOn: civil("2026-03-02"), Note: "x"})
			return err
		}, codes.FailedPrecondition, "updated_on", "DATE_BEFORE_PREVIOUS_FACT"},
		{"changing nothing", func() error {
			_, err := c.UpdateHotSpot(ctx, &supervisionv1.UpdateHotSpotRequest{Meta: meta(), HotSpotId: id, UpdatedOn: civil("2026-03-04")})
			return err
		}, codes.InvalidArgument, "", ""},
		{"a leader by name", func() error {
			_, err := c.RegisterHotSpot(ctx, &supervisionv1.RegisterHotSpotRequest{Meta: meta(), UnitCode: wardKD, Title: "x", LeaderSubject: "Nguyễn Văn A", RegisteredOn: civil("2026-03-04")})
			return err
		}, codes.InvalidArgument, "leader_subject", ""},
		{"an unknown case", func() error {
			_, err := c.RegisterHotSpot(ctx, &supervisionv1.RegisterHotSpotRequest{Meta: meta(), UnitCode: wardKD, Title: "x", LeaderSubject: "leader-1",
				CaseIds: []string{uuid.NewString()}, RegisteredOn: civil("2026-03-04")})
			return err
		}, codes.InvalidArgument, "case_ids", "CASE_NOT_FOUND"},
		{"registered closed", func() error {
			_, err := c.RegisterHotSpot(ctx, &supervisionv1.RegisterHotSpotRequest{Meta: meta(), UnitCode: wardKD, Title: "x", LeaderSubject: "leader-1",
				Status: supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED, RegisteredOn: civil("2026-03-04")})
			return err
		}, codes.InvalidArgument, "status", ""},
	} {
		err := tc.call()
		if v := badRequest(t, err, tc.code); func() bool { _, ok := v[tc.field]; return !ok }() {
			t.Errorf("%s: violations %v, want %q", tc.name, v, tc.field)
		}
		if tc.reason != "" && !strings.Contains(errInfo(err), tc.reason) {
			t.Errorf("%s: reasons %q, want %s", tc.name, errInfo(err), tc.reason)
		}
	}
	if f.lastSeq() != before {
		t.Errorf("refused commands appended %d commits", f.lastSeq()-before)
	}

	closed := must[*supervisionv1.CloseHotSpotResponse](t)(c.CloseHotSpot(ctx, &supervisionv1.CloseHotSpotRequest{
		Meta: meta(), HotSpotId: id, ClosedOn: civil("2026-03-04"), Outcome: "Công dân rút đơn"})).GetHotSpot()
	if closed.GetStatus() != supervisionv1.HotSpotStatus_HOT_SPOT_STATUS_CLOSED || dateOf(closed.GetClosedOn()) != "2026-03-04" {
		t.Errorf("closed %v", closed)
	}
	if _, err := c.UpdateHotSpot(ctx, &supervisionv1.UpdateHotSpotRequest{Meta: meta(), HotSpotId: id, UpdatedOn: civil("2026-03-04"), Note: "x"}); reason(err) != "HOT_SPOT_CLOSED" {
		t.Errorf("updating a closed hot spot: %v", err)
	}
	f.caughtUp()
	all := must[*supervisionv1.ListHotSpotsResponse](t)(c.ListHotSpots(ctx, &supervisionv1.ListHotSpotsRequest{UnitCode: city, IncludeSubordinates: true}))
	if len(all.GetHotSpots()) != 1 || len(all.GetHotSpots()[0].GetCaseIds()) != 2 || all.GetHotSpots()[0].GetLeaderSubject() != "leader-9" {
		t.Errorf("register %v", all)
	}
	if open := must[*supervisionv1.ListHotSpotsResponse](t)(c.ListHotSpots(ctx, &supervisionv1.ListHotSpotsRequest{OpenOnly: true})); len(open.GetHotSpots()) != 0 {
		t.Errorf("open %v", open)
	}
}
