package supervision_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
)

// A People's Council deputy forwarded a petition to Kinh Dinh ward. The result reaches the deputy
// on Thu 12/02/2026; the citizen must be informed within 5 working days (Luật TCD Đ28.2): Fri 13,
// (Tết 16–20), Mon 23, Tue 24, Wed 25, Thu 26/02. Informed on Mon 02/03, 4 days late.
func TestDeputyForwardedPetitionFollowedUntilTheCitizenIsInformed(t *testing.T) {
	f := start(t, "2026-03-04")
	p := f.register(petition{unit: wardKD, receivedOn: "2026-02-02", source: commonv1.Source_SOURCE_COUNCIL_DEPUTY, forwardBy: "deputy-12"})
	other := f.register(petition{unit: wardKD, receivedOn: "2026-02-02"})
	second := f.register(petition{unit: wardKD, receivedOn: "2026-02-03", source: commonv1.Source_SOURCE_COUNCIL_DEPUTY, forwardBy: "deputy-12"})
	deputy := f.client("deputy-12", auth.RoleCouncilDeputy, cityHDND)
	f.caughtUp()

	list := must[*supervisionv1.ListDeputyFollowUpsResponse](t)(deputy.ListDeputyFollowUps(ctx, &supervisionv1.ListDeputyFollowUpsRequest{DeputyRef: "deputy-12"}))
	if len(list.GetFollowUps()) != 2 || list.GetFollowUps()[0].GetPetitionId() != p ||
		list.GetFollowUps()[0].GetStatus() != supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_RESULT {
		t.Fatalf("follow-ups %v", list)
	}

	res := must[*supervisionv1.RecordDeputyResultReceivedResponse](t)(deputy.RecordDeputyResultReceived(ctx, &supervisionv1.RecordDeputyResultReceivedRequest{
		Meta: meta(), PetitionId: p, CouncilUnitCode: cityHDND, ReceivedOn: civil("2026-02-12")}))
	fu := res.GetFollowUp()
	if fu.GetStatus() != supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_AWAITING_INFORM || dateOf(fu.GetInformBy()) != "2026-02-26" ||
		fu.GetDaysOverdue() != 6 || fu.GetDeputyRef() != "deputy-12" || fu.GetCouncilUnitCode() != cityHDND {
		t.Fatalf("follow-up %v", fu)
	}
	evs := f.history("followup", p)
	started, ok := evs[1].(*commonv1.LegalClockStarted)
	if len(evs) != 2 || !ok || started.GetClock().GetClock() != "deputy_inform" || started.GetClock().GetRuleId() != "reception.deputy_inform" ||
		started.GetClock().GetUnitCode() != cityHDND || dateOf(started.GetClock().GetDueOn()) != "2026-02-26" {
		t.Fatalf("follow-up events %v", evs)
	}
	// The deputy's clock is in the deadline watch like any other: 4 days overdue on 02/03.
	f.caughtUp()
	od := must[*supervisionv1.ListOverdueResponse](t)(deputy.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{UnitCode: cityHDND, AsOf: civil("2026-03-02")}))
	if len(od.GetClocks()) != 1 || od.GetClocks()[0].GetClock() != "deputy_inform" || od.GetClocks()[0].GetDaysOverdue() != 4 {
		t.Fatalf("overdue %v", od)
	}

	before := f.lastSeq()
	for _, tc := range []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
	}{
		{"not forwarded by a deputy", func() error {
			_, err := deputy.RecordDeputyResultReceived(ctx, &supervisionv1.RecordDeputyResultReceivedRequest{Meta: meta(), PetitionId: other, CouncilUnitCode: cityHDND, ReceivedOn: civil("2026-02-12")})
			return err
		}, codes.FailedPrecondition, "NOT_FORWARDED_BY_DEPUTY"},
		{"result twice", func() error {
			_, err := deputy.RecordDeputyResultReceived(ctx, &supervisionv1.RecordDeputyResultReceivedRequest{Meta: meta(), PetitionId: p, CouncilUnitCode: cityHDND, ReceivedOn: civil("2026-02-13")})
			return err
		}, codes.FailedPrecondition, "RESULT_ALREADY_RECEIVED"},
		{"informed before the result", func() error {
			_, err := deputy.RecordCitizenInformed(ctx, &supervisionv1.RecordCitizenInformedRequest{Meta: meta(), PetitionId: second, InformedOn: civil("2026-03-02")})
			return err
		}, codes.FailedPrecondition, "RESULT_NOT_RECEIVED"},
		{"informed before the result arrived", func() error {
			_, err := deputy.RecordCitizenInformed(ctx, &supervisionv1.RecordCitizenInformedRequest{Meta: meta(), PetitionId: p, InformedOn: civil("2026-02-11")})
			return err
		}, codes.FailedPrecondition, "DATE_BEFORE_PREVIOUS_FACT"},
		{"informed in the future", func() error {
			_, err := deputy.RecordCitizenInformed(ctx, &supervisionv1.RecordCitizenInformedRequest{Meta: meta(), PetitionId: p, InformedOn: civil("2026-03-05")})
			return err
		}, codes.InvalidArgument, ""},
		{"unknown petition", func() error {
			_, err := deputy.RecordCitizenInformed(ctx, &supervisionv1.RecordCitizenInformedRequest{Meta: meta(), PetitionId: "00000000-0000-4000-8000-000000000000", InformedOn: civil("2026-03-02")})
			return err
		}, codes.NotFound, ""},
	} {
		err := tc.call()
		if codeOf(err) != tc.code || (tc.reason != "" && reason(err) != tc.reason) {
			t.Errorf("%s: %v, want %s %s", tc.name, err, tc.code, tc.reason)
		}
	}
	if f.lastSeq() != before {
		t.Errorf("refused commands appended %d commits", f.lastSeq()-before)
	}

	inf := must[*supervisionv1.RecordCitizenInformedResponse](t)(deputy.RecordCitizenInformed(ctx, &supervisionv1.RecordCitizenInformedRequest{
		Meta: meta(), PetitionId: p, InformedOn: civil("2026-03-02")})).GetFollowUp()
	if inf.GetStatus() != supervisionv1.FollowUpStatus_FOLLOW_UP_STATUS_INFORMED || inf.GetOnTime() || inf.GetDaysOverdue() != 0 {
		t.Errorf("informed %v", inf)
	}
	f.caughtUp()
	if od := must[*supervisionv1.ListOverdueResponse](t)(deputy.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{UnitCode: cityHDND})); len(od.GetClocks()) != 0 {
		t.Errorf("the stopped clock is still overdue: %v", od)
	}
	// As of a day before the citizen was informed, the clock was open and 3 days overdue.
	if od := must[*supervisionv1.ListOverdueResponse](t)(deputy.ListOverdue(ctx, &supervisionv1.ListOverdueRequest{UnitCode: cityHDND, AsOf: civil("2026-03-01")})); len(od.GetClocks()) != 1 ||
		od.GetClocks()[0].GetDaysOverdue() != 3 {
		t.Errorf("overdue as of 01/03: %v", od)
	}
	open := must[*supervisionv1.ListDeputyFollowUpsResponse](t)(deputy.ListDeputyFollowUps(ctx, &supervisionv1.ListDeputyFollowUpsRequest{DeputyRef: "deputy-12", OpenOnly: true}))
	if len(open.GetFollowUps()) != 1 || open.GetFollowUps()[0].GetPetitionId() != second {
		t.Errorf("open follow-ups %v", open)
	}
}
