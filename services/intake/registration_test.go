package intake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/seal/sealpg"
	"github.com/civicase/civicase/pkg/svc"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake"
)

// A registration does not read its own history first, so a retry goes through the checks again.
// Where the index has meanwhile learnt of an earlier original on the same matter (it lagged when
// the petition was registered), the retry must still answer as the first call did and must not
// count a repeat on that other petition.
func TestRetryOfAnOriginalCountsNoRepeatTheIndexLearntOfLater(t *testing.T) {
	f := start(t)
	earlier, err := f.client.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND"))
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()
	// The index lags: it does not show the earlier petition yet.
	hide := func(prefix string) {
		t.Helper()
		if _, err := f.r.Env.DB.Exec(ctx, `UPDATE petitions_v1 SET matter_index = $2 || substr(matter_index, 6) WHERE petition_id = $1`,
			earlier.GetPetitionId(), prefix); err != nil {
			t.Fatal(err)
		}
	}
	hide("lag::") // five characters, like the five of the hash it replaces
	req := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	first, err := f.client.RegisterPetition(ctx, req)
	if err != nil || first.GetDuplicateOf() != "" {
		t.Fatalf("registered during the lag: %v, %v; want a second original", first, err)
	}
	f.indexed()
	var hash string
	if err := f.r.Env.DB.QueryRow(ctx, `SELECT substr(matter_index, 1, 5) FROM petitions_v1 WHERE petition_id = $1`, first.GetPetitionId()).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	hide(hash) // the index catches up
	before, earlierEvents := f.lastSeq(), len(f.history("petition", earlier.GetPetitionId()))

	again, err := f.client.RegisterPetition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(again, first) {
		t.Errorf("retry answered %v, first call %v", again, first)
	}
	if f.lastSeq() != before || len(f.history("petition", earlier.GetPetitionId())) != earlierEvents {
		t.Errorf("the retry appended: log %d → %d", before, f.lastSeq())
	}
}

// A retry the checks would now refuse — the officer has moved to another ward — still gets the
// registration it made.
func TestRetryAnswersWhatTheCommandRecordedEvenWhereItWouldNowBeRefused(t *testing.T) {
	f := start(t)
	req := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	first, err := f.client.RegisterPetition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	before := f.lastSeq()
	moved := f.as("officer-1", auth.RoleReceptionOfficer, unitDV)
	again, err := moved.RegisterPetition(ctx, req)
	if err != nil || !proto.Equal(again, first) {
		t.Fatalf("retry after moving: %v, %v; want %v", again, err, first)
	}
	// A new command of the moved officer for the old ward is refused.
	if _, err := moved.RegisterPetition(ctx, complaint(duc(), "UBND phường Kinh Dinh", "QĐ 2")); codeOf(err) != codes.PermissionDenied {
		t.Errorf("new command outside the scope: %v, want PermissionDenied", err)
	}
	if f.lastSeq() != before {
		t.Errorf("log moved from %d to %d", before, f.lastSeq())
	}
}

// Retries racing the first call (a client that timed out and sent again) register one petition
// and all get its answer.
func TestConcurrentRetriesRegisterOnePetition(t *testing.T) {
	f := start(t)
	req := complaint(duc(), "UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND")
	before := f.lastSeq()
	const n = 8
	answers := make([]*intakev1.RegisterPetitionResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i], errs[i] = f.client.RegisterPetition(ctx, req) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !proto.Equal(answers[i], answers[0]) {
			t.Errorf("call %d answered %v, call 0 %v", i, answers[i], answers[0])
		}
	}
	if got := f.lastSeq() - before; got != 1 {
		t.Errorf("%d commits for one command, want 1", got)
	}
}

// The receipt serials and the sender's data key are both leased or stored before the append: when
// either store is down and the registration needs it (a fresh process has no block of serials yet;
// a new person needs a new key), nothing is appended, and the client's retry registers the petition
// once, its data under a stored key.
func TestAFailedClaimOrKeyWriteAppendsNothingAndTheRetryRegistersOnce(t *testing.T) {
	for _, c := range []struct{ name, schema, table string }{
		{"receipt serials down", "intake", "receipt_serials"},
		{"key store down", svc.SealSchema, "seal_subject_keys"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := start(t)
			db := f.r.Env.DB
			if _, err := db.Exec(ctx, `ALTER TABLE `+c.schema+`.`+c.table+` RENAME TO down`); err != nil {
				t.Fatal(err)
			}
			// A new person (no identity number the index could know): their key is made now.
			req := complaint(&personv1.PersonalData{FullName: "Lê Thị Hoa", Address: "Kinh Dinh"}, "UBND phường Kinh Dinh", "QĐ 7")
			before := f.lastSeq()
			if _, err := f.client.RegisterPetition(ctx, req); codeOf(err) != codes.Unavailable {
				t.Fatalf("with %s gone: %v, want Unavailable", c.table, err)
			}
			if f.lastSeq() != before {
				t.Fatalf("log moved from %d to %d though the registration failed", before, f.lastSeq())
			}
			if _, err := db.Exec(ctx, `ALTER TABLE `+c.schema+`.down RENAME TO `+c.table); err != nil {
				t.Fatal(err)
			}
			res, err := f.client.RegisterPetition(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if f.lastSeq() != before+1 {
				t.Errorf("%d commits for the retried registration, want 1", f.lastSeq()-before)
			}
			if !receiptPattern.MatchString(res.GetReceiptNumber()) {
				t.Errorf("receipt %q after the retry", res.GetReceiptNumber())
			}
			// The data opens with the sender's stored key in a sealer that has nothing cached.
			h, err := f.r.Env.Store.Load(ctx, eventstoreAgg("petition", res.GetPetitionId()))
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := seal.New(seal.Options{Keys: f.env.Shared.Keys, Store: sealpg.New(db, svc.SealSchema),
				Recorder: seal.AccessRecorderFunc(func(context.Context, seal.AccessRecord) error { return nil })})
			if err != nil {
				t.Fatal(err)
			}
			scope := seal.Scope{Tenant: f.r.Env.Tenant, AggregateType: "petition", AggregateID: res.GetPetitionId()}
			pd, err := fresh.Open(ctx, h.Events[0].Envelope.GetSealed()[0], scope, seal.Access{Actor: &eventv1.Actor{Subject: "verifier"}, Purpose: "test: key is stored"})
			if err != nil || pd.GetFullName() != "Lê Thị Hoa" {
				t.Errorf("open with the stored key: %v, %v", pd, err)
			}
		})
	}
}

// The unit registry lives in memory in each replica; a unit registered or merged through another
// replica is seen by the next registration here.
func TestRegistrationSeesUnitChangesMadeThroughAnotherReplica(t *testing.T) {
	f := start(t)
	other := f.env.Start("intake", intake.New)
	admin := unitv1.NewUnitRegistryServiceClient(f.env.Dial(other, "admin-1", auth.RoleAdmin, "NT"))
	if _, err := admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta(), Unit: &unitv1.UnitRegistered{
		Code: "PRTC.MH", Name: "Phường Mỹ Hương", Kind: unitv1.UnitKind_UNIT_KIND_WARD, EffectiveFrom: civil("2020-01-01"),
	}}); err != nil {
		t.Fatal(err)
	}
	req := complaint(duc(), "UBND phường Mỹ Hương", "QĐ 9")
	req.RespondentUnitCode = "PRTC.MH"
	if _, err := f.client.RegisterPetition(ctx, req); err != nil {
		t.Fatalf("respondent registered through another replica: %v", err)
	}
	if _, err := admin.MergeUnit(ctx, &unitv1.MergeUnitRequest{Meta: meta(), Merger: &unitv1.UnitMerged{
		Code: "PRTC.MH", SuccessorCode: unitDV, EffectiveFrom: civil("2025-03-01"), Basis: "NQ 1/NQ-UBTVQH15",
	}}); err != nil {
		t.Fatal(err)
	}
	req = complaint(duc(), "UBND phường Mỹ Hương", "QĐ 10")
	req.RespondentUnitCode = "PRTC.MH"
	if _, ok := badRequest(t, must2(f.client.RegisterPetition(ctx, req)))["respondent_unit_code"]; !ok {
		t.Error("a unit merged away through another replica is still accepted")
	}
}

func must2(_ *intakev1.RegisterPetitionResponse, err error) error { return err }

// Receipt numbers are unique across replicas and restarts: each process hands out serials from
// blocks leased in PostgreSQL, and a block is never leased twice. Two replicas register at once,
// one is replaced by a new process, and every number given out is distinct.
func TestReceiptNumbersAreUniqueAcrossReplicasAndRestarts(t *testing.T) {
	f := start(t)
	other := f.env.Start("intake", intake.New)
	clients := []intakev1.IntakeServiceClient{f.client, intakev1.NewIntakeServiceClient(f.env.Dial(other, "officer-2", auth.RoleReceptionOfficer, unitKD))}
	var (
		mu   sync.Mutex
		seen = map[string]string{}
	)
	register := func(c intakev1.IntakeServiceClient, n int, label string) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req := complaint(&personv1.PersonalData{FullName: fmt.Sprintf("Người %s %d", label, i)}, "UBND phường Kinh Dinh", fmt.Sprintf("QĐ %s-%d", label, i))
				res, err := c.RegisterPetition(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := seen[res.GetReceiptNumber()]; dup {
					t.Errorf("receipt %s given to %s and %s", res.GetReceiptNumber(), prev, res.GetPetitionId())
				}
				seen[res.GetReceiptNumber()] = res.GetPetitionId()
			})
		}
		wg.Wait()
	}
	var both sync.WaitGroup
	both.Go(func() { register(clients[0], 40, "a") })
	both.Go(func() { register(clients[1], 40, "b") })
	both.Wait()
	// A new process in place of the second: it leases a block of its own.
	other.Stop()
	third := f.env.Start("intake", intake.New)
	register(intakev1.NewIntakeServiceClient(f.env.Dial(third, "officer-3", auth.RoleReceptionOfficer, unitKD)), 20, "c")
	if len(seen) != 100 {
		t.Errorf("%d distinct receipt numbers for 100 registrations", len(seen))
	}
}
