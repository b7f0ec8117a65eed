package replay_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicase/civicase/cmd/civicase/internal/replay"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/routing"
	"github.com/civicase/civicase/services/supervision"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var services = []replay.Service{{"intake", intake.New}, {"routing", routing.New}, {"supervision", supervision.New}}

func civil(y, m, d int32) *commonv1.CivilDate { return &commonv1.CivilDate{Year: y, Month: m, Day: d} }

// Replaying every projection to the live point reproduces the live read models exactly; replaying
// to an earlier point does not (the later petitions are missing), and replaying again to the live
// point starts from scratch and is identical again.
func TestReplayToTheLivePointIsIdenticalToTheLiveReadModels(t *testing.T) {
	ctx := context.Background()
	env := svctest.New(t, time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC))
	var running []*svc.Running
	for _, s := range services {
		running = append(running, env.Start(s.Name, s.Build))
	}
	in := running[0]
	units := unitv1.NewUnitRegistryServiceClient(env.Dial(in, "admin", auth.RoleAdmin, "P"))
	for _, u := range []*unitv1.UnitRegistered{
		{Code: "P", Name: "Tỉnh", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE, EffectiveFrom: civil(2024, 1, 1)},
		{Code: "P.W", Name: "Phường", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "P", EffectiveFrom: civil(2024, 1, 1)},
	} {
		if _, err := units.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: &commonv1.CommandMeta{CommandId: "u-" + u.Code}, Unit: u}); err != nil {
			t.Fatal(err)
		}
	}
	intakeC := intakev1.NewIntakeServiceClient(env.Dial(in, "officer", auth.RoleReceptionOfficer, "P.W"))
	routingC := routingv1.NewRoutingServiceClient(env.Dial(running[1], "processor", auth.RoleProcessingOfficer, "P.W"))
	var ids []string
	for i := range 6 {
		resp, err := intakeC.RegisterPetition(ctx, &intakev1.RegisterPetitionRequest{
			Meta: &commonv1.CommandMeta{CommandId: fmt.Sprintf("p%d", i)}, UnitCode: "P.W", ReceivedOn: civil(2025, 5, int32(10+i)),
			Source: commonv1.Source_SOURCE_POST, SenderType: commonv1.SenderType_SENDER_TYPE_INDIVIDUAL, SignatoryCount: 1,
			Contents: []*intakev1.PetitionContent{{Kind: commonv1.PetitionKind_PETITION_KIND_FEEDBACK, Field: commonv1.Field_FIELD_OTHER}},
			Sender:   &personv1.PersonalData{FullName: fmt.Sprintf("Người %d", i), IdNumber: fmt.Sprintf("0580000000%02d", i)},
			Content:  &intakev1.SealedContent{Summary: "phản ánh", DecisionReference: fmt.Sprintf("việc %d", i)},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.GetPetitionId())
	}
	for _, id := range ids[:3] {
		if _, err := routingC.ProcessPetition(ctx, &routingv1.ProcessPetitionRequest{
			Meta: &commonv1.CommandMeta{CommandId: "proc-" + id}, PetitionId: id, ProcessedOn: civil(2025, 5, 20),
			Decision: &routingv1.ProcessPetitionRequest_Accept_{Accept: &routingv1.ProcessPetitionRequest_Accept{}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	live, err := running[0].Env.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() bool {
		for _, r := range running {
			for _, pr := range r.Runners {
				if st := pr.Status(); st.CheckpointSeq < live {
					return false
				}
			}
		}
		return true
	}, "projections caught up to %d", live)

	opts := replay.Options{Shared: env.Shared, Services: services}
	res, err := replay.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) < 3 || !res.Identical() || res.UntilSeq != live {
		t.Fatalf("replay to the live point %d: %+v", live, res)
	}

	opts.UntilSeq = live - 6 // before the last processings
	res, err = replay.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Identical() {
		t.Fatalf("a replay to sequence %d equals the live read models at %d: %+v", opts.UntilSeq, live, res)
	}
	opts.UntilSeq = 0
	if res, err = replay.Run(ctx, opts); err != nil || !res.Identical() {
		t.Fatalf("replay again to the live point: %+v %v", res, err)
	}
}
