package grpc_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/auth/devissuer"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/grpcx"
	"github.com/civicase/civicase/pkg/grpcx/grpcxtest"
	"github.com/civicase/civicase/pkg/testenv"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	intakegrpc "github.com/civicase/civicase/services/intake/internal/adapters/grpc"
	"github.com/civicase/civicase/services/intake/internal/app"
	"github.com/civicase/civicase/services/intake/registry"
)

var d = calendar.MustParseDate

// env is one intake process serving the unit registry over real gRPC, on a real JetStream log.
type env struct {
	store *eventstore.Store
	units *app.UnitRegistry
	iss   *devissuer.Issuer
	clk   *clock.Fake
	addr  string
	admin unitv1.UnitRegistryServiceClient
}

func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2025, 8, 1, 9, 0, 0, 0, calendar.Vietnam))
	store, err := eventstore.Open(ctx, testenv.StartNATS(t).Conn, eventstore.Config{Tenant: "prtc", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: store, clk: clk}
	e.serve(t)
	return e
}

// serve starts a process (registry, gRPC server with the dev issuer's auth) on the env's store.
func (e *env) serve(t *testing.T) {
	t.Helper()
	units, err := app.OpenUnitRegistry(context.Background(), e.store, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := devissuer.Open(devissuer.Config{Dir: t.TempDir(), Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(iss.VerifierConfig())
	if err != nil {
		t.Fatal(err)
	}
	icpt := auth.NewInterceptor(v, nil)
	gs := grpcx.NewServer(grpcx.ServerOptions{AuthUnary: icpt.Unary(), AuthStream: icpt.Stream()})
	unitv1.RegisterUnitRegistryServiceServer(gs, intakegrpc.NewUnitsServer(app.NewUnitHandlers(units)))
	cc := grpcxtest.Serve(t, gs)
	e.units, e.iss, e.addr = units, iss, cc.Target()
	e.admin = e.client(t, auth.RoleAdmin)
}

// client is a connection whose calls carry a token of a demo user with the role.
func (e *env) client(t *testing.T, role auth.Role) unitv1.UnitRegistryServiceClient {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if role != "" {
		tok, err := e.iss.Mint("demo-"+string(role), role, "NT.PRTC", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(auth.StaticToken(tok, true)))
	}
	cc, err := grpc.NewClient(e.addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return unitv1.NewUnitRegistryServiceClient(cc)
}

func (e *env) lastSeq(t *testing.T) uint64 {
	t.Helper()
	seq, err := e.store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func demoRequests(t *testing.T) []registry.Request {
	t.Helper()
	f, err := registry.Demo()
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := f.Requests()
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

func list(t *testing.T, c unitv1.UnitRegistryServiceClient, on, prefix string, includeEnded bool) map[string]*unitv1.Unit {
	t.Helper()
	resp, err := c.ListUnits(context.Background(), &unitv1.ListUnitsRequest{AsOf: unitreg.DateProto(d(on)), CodePrefix: prefix, IncludeEnded: includeEnded})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*unitv1.Unit{}
	for _, u := range resp.GetUnits() {
		out[u.GetCode()] = u
	}
	return out
}

func TestDemoRegistryLoadsOnceAndReplaysTheReorganisation(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	reqs := demoRequests(t)

	started := time.Now()
	if err := registry.Load(ctx, e.admin, reqs); err != nil {
		t.Fatal(err)
	}
	t.Logf("first load: %d commands in %v", len(reqs), time.Since(started))
	after := e.lastSeq(t)
	if after != uint64(len(reqs)) {
		t.Errorf("first load appended %d commits for %d requests", after, len(reqs))
	}
	started = time.Now()
	if err := registry.Load(ctx, e.admin, reqs); err != nil {
		t.Fatalf("second load: %v", err)
	}
	t.Logf("second load: %d commands in %v", len(reqs), time.Since(started))
	if got := e.lastSeq(t); got != after {
		t.Errorf("second load appended %d commits", got-after)
	}

	// Each unit is its own aggregate; a merger is recorded on the unit that ends.
	h, err := e.store.Load(ctx, app.UnitAggregate("NT.PRTC.KD"))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range h.Events {
		types = append(types, ev.Envelope.GetEventType())
		if a := ev.Envelope.GetActor(); a.GetRole() != string(auth.RoleAdmin) || a.GetSubject() != "demo-admin" {
			t.Errorf("event actor = %v, want the admin from the token", a)
		}
	}
	if !slices.Equal(types, []string{"UnitRegistered", "UnitMerged"}) {
		t.Errorf("Kinh Dinh's aggregate holds %v", types)
	}

	// As of 30/6/2025 the old wards are under the city.
	reader := e.client(t, auth.RoleReceptionOfficer) // listing needs no admin
	june := list(t, reader, "2025-06-30", "NT.PRTC.", false)
	for _, code := range []string{"NT.PRTC.KD", "NT.PRTC.PH", "NT.PRTC.MHU", "NT.PRTC.TH"} {
		if u := june[code]; u.GetParentCode() != "NT.PRTC" || u.GetEndedOn() != nil {
			t.Errorf("%s on 2025-06-30 = %v, want in force under NT.PRTC", code, u)
		}
	}
	if kd := june["NT.PRTC.KD.UBND"]; len(kd.GetCompetence()) == 0 || kd.GetCompetence()[0].GetBasis() != "Luật KN Đ17" {
		t.Errorf("Kinh Dinh committee's competence = %v", kd.GetCompetence())
	}
	if _, ok := list(t, reader, "2025-06-30", "KH.", false)["KH.PHANRANG"]; ok {
		t.Error("Phan Rang is listed before it exists")
	}

	// As of 1/7/2025 the new wards are under Khánh Hòa; the old ones are gone unless asked for,
	// then ended with their successors.
	july := list(t, reader, "2025-07-01", "", false)
	for _, code := range []string{"KH.PHANRANG", "KH.DONGHAI", "KH.NINHCHU", "KH.BAOAN", "KH.DOVINH"} {
		if u := july[code]; u.GetParentCode() != "KH" || u.GetKind() != unitv1.UnitKind_UNIT_KIND_WARD {
			t.Errorf("%s on 2025-07-01 = %v, want a ward under KH", code, u)
		}
	}
	for code := range july {
		if code == "NT" || len(code) > 3 && code[:3] == "NT." {
			t.Errorf("%s is in force on 2025-07-01", code)
		}
	}
	ended := list(t, reader, "2025-07-01", "NT.PRTC.", true)
	for code, succ := range map[string]string{"NT.PRTC.KD": "KH.PHANRANG", "NT.PRTC.MB": "KH.DONGHAI", "NT.PRTC.TH": "KH.BAOAN", "NT.PRTC.KD.UBND": "KH.PHANRANG.UBND"} {
		u := ended[code]
		if unitreg.DateFromProto(u.GetEndedOn()) != d("2025-06-30") || u.GetSuccessorCode() != succ {
			t.Errorf("%s on 2025-07-01 = %v, want ended 2025-06-30 into %s", code, u, succ)
		}
	}

	// No as_of means today by the server's clock (2025-08-01).
	resp, err := reader.ListUnits(ctx, &unitv1.ListUnitsRequest{CodePrefix: "KH.PHANRANG"})
	if err != nil || len(resp.GetUnits()) != 3 {
		t.Errorf("ListUnits today = %v, %v", resp.GetUnits(), err)
	}

	// A registry rebuilt from the log by a fresh process equals the live one on every day.
	started = time.Now()
	fresh, err := app.OpenUnitRegistry(ctx, e.store, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild from the log: %v", time.Since(started))
	assertSameRegistry(t, e.units, fresh)
}

func assertSameRegistry(t *testing.T, a, b *app.UnitRegistry) {
	t.Helper()
	ctx := context.Background()
	var dates []calendar.Date
	var lists [][]unitreg.Unit
	if err := a.Read(ctx, func(r *unitreg.Registry) error {
		dates = r.ChangeDates()
		for _, day := range dates {
			lists = append(lists, r.List(day.AddDays(-1), "", true), r.List(day, "", true))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(dates) < 3 {
		t.Fatalf("change dates = %v", dates)
	}
	if err := b.Read(ctx, func(r *unitreg.Registry) error {
		if got := r.ChangeDates(); !slices.Equal(got, dates) {
			t.Errorf("change dates %v, want %v", got, dates)
		}
		for i, day := range dates {
			if got := r.List(day.AddDays(-1), "", true); !equalUnits(got, lists[2*i]) {
				t.Errorf("registries differ on %s", day.AddDays(-1))
			}
			if got := r.List(day, "", true); !equalUnits(got, lists[2*i+1]) {
				t.Errorf("registries differ on %s", day)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func equalUnits(a, b []unitreg.Unit) bool {
	return slices.EqualFunc(a, b, func(x, y unitreg.Unit) bool {
		return x.Code == y.Code && x.Name == y.Name && x.Kind == y.Kind && x.ParentCode == y.ParentCode &&
			x.EffectiveFrom == y.EffectiveFrom && x.EndedOn == y.EndedOn && x.SuccessorCode == y.SuccessorCode &&
			x.MergeBasis == y.MergeBasis && x.RemoteArea == y.RemoteArea && slices.Equal(x.Competence, y.Competence)
	})
}

func meta(id string) *commonv1.CommandMeta { return &commonv1.CommandMeta{CommandId: id} }

func ward(code, parent, from string) *unitv1.UnitRegistered {
	return &unitv1.UnitRegistered{Code: code, Name: "Phường " + code, Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: parent, EffectiveFrom: unitreg.DateProto(d(from))}
}

func TestInvalidCommandsAreRefusedWithFieldsAndAppendNothing(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	setup := []*unitv1.RegisterUnitRequest{
		{Meta: meta("s1"), Unit: &unitv1.UnitRegistered{Code: "NT", Name: "Tỉnh Ninh Thuận", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE, EffectiveFrom: unitreg.DateProto(d("2024-01-01"))}},
		{Meta: meta("s2"), Unit: ward("NT.KD", "NT", "2024-01-01")},
	}
	for _, r := range setup {
		if _, err := e.admin.RegisterUnit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	clerk := e.client(t, auth.RoleReceptionOfficer)
	anonymous := e.client(t, "")

	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		field  string
	}{
		{"unknown parent", func() error {
			_, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("c1"), Unit: ward("NT.X", "NT.NOPE", "2024-01-01")})
			return err
		}, codes.FailedPrecondition, unitreg.ReasonParentUnknown, "unit.parent_code"},
		{"merge into an unknown unit", func() error {
			_, err := e.admin.MergeUnit(ctx, &unitv1.MergeUnitRequest{Meta: meta("c2"), Merger: &unitv1.UnitMerged{
				Code: "NT.KD", SuccessorCode: "KH.NOPE", EffectiveFrom: unitreg.DateProto(d("2025-07-01")), Basis: "NQ"}})
			return err
		}, codes.FailedPrecondition, unitreg.ReasonSuccessorUnknown, "merger.successor_code"},
		{"merge an unknown unit", func() error {
			_, err := e.admin.MergeUnit(ctx, &unitv1.MergeUnitRequest{Meta: meta("c3"), Merger: &unitv1.UnitMerged{
				Code: "NT.NOPE", SuccessorCode: "NT.KD", EffectiveFrom: unitreg.DateProto(d("2025-07-01")), Basis: "NQ"}})
			return err
		}, codes.NotFound, unitreg.ReasonUnitUnknown, "merger.code"},
		{"missing name and kind", func() error {
			_, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("c4"), Unit: &unitv1.UnitRegistered{
				Code: "NT.Y", ParentCode: "NT", EffectiveFrom: unitreg.DateProto(d("2024-01-01"))}})
			return err
		}, codes.InvalidArgument, "", "unit.kind"},
		{"missing date", func() error {
			_, err := e.admin.ReparentUnit(ctx, &unitv1.ReparentUnitRequest{Meta: meta("c5"), Change: &unitv1.UnitReparented{Code: "NT.KD", ParentCode: "NT"}})
			return err
		}, codes.InvalidArgument, "", "change.effective_from"},
		{"missing basis of a merger", func() error {
			_, err := e.admin.MergeUnit(ctx, &unitv1.MergeUnitRequest{Meta: meta("c6"), Merger: &unitv1.UnitMerged{
				Code: "NT.KD", SuccessorCode: "NT", EffectiveFrom: unitreg.DateProto(d("2025-07-01"))}})
			return err
		}, codes.InvalidArgument, "", "merger.basis"},
		{"missing command metadata", func() error {
			_, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Unit: ward("NT.Z", "NT", "2024-01-01")})
			return err
		}, codes.InvalidArgument, "", "meta"},
		{"impossible date", func() error {
			_, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("c7"), Unit: &unitv1.UnitRegistered{
				Code: "NT.Z", Name: "Z", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "NT", EffectiveFrom: &commonv1.CivilDate{Year: 2025, Month: 2, Day: 29}}})
			return err
		}, codes.InvalidArgument, "", "unit.effective_from"},
		{"a move dated before the unit exists", func() error {
			_, err := e.admin.ReparentUnit(ctx, &unitv1.ReparentUnitRequest{Meta: meta("c8"), Change: &unitv1.UnitReparented{
				Code: "NT.KD", ParentCode: "NT", EffectiveFrom: unitreg.DateProto(d("2023-06-01"))}})
			return err
		}, codes.FailedPrecondition, unitreg.ReasonBeforeUnit, "change.effective_from"},
		{"a competence change with a broken rule", func() error {
			_, err := e.admin.ChangeCompetence(ctx, &unitv1.ChangeCompetenceRequest{Meta: meta("c9"), Change: &unitv1.UnitCompetenceChanged{
				Code: "NT.KD", EffectiveFrom: unitreg.DateProto(d("2025-07-01")),
				Competence: []*unitv1.CompetenceRule{{Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Respondent: unitv1.Respondent_RESPONDENT_SELF, Basis: "Luật KN Đ17"}}}})
			return err
		}, codes.InvalidArgument, "", "change.competence[0].instance"},
		{"a code registered by another command", func() error {
			_, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("c10"), Unit: ward("NT.KD", "NT", "2024-01-01")})
			return err
		}, codes.AlreadyExists, unitreg.ReasonUnitExists, "unit.code"},
		{"not an administrator", func() error {
			_, err := clerk.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("c11"), Unit: ward("NT.Q", "NT", "2024-01-01")})
			return err
		}, codes.PermissionDenied, "UNIT_REGISTRY_ADMIN_ONLY", ""},
		{"no token", func() error {
			_, err := anonymous.ListUnits(ctx, &unitv1.ListUnitsRequest{})
			return err
		}, codes.Unauthenticated, auth.ReasonTokenMissing, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.lastSeq(t)
			err := tt.call()
			if status.Code(err) != tt.code {
				t.Fatalf("got %v, want %v", err, tt.code)
			}
			ae, _ := apperr.As(grpcx.FromStatus(err))
			if tt.reason != "" && ae.Reason() != tt.reason {
				t.Errorf("reason = %q, want %q (%v)", ae.Reason(), tt.reason, err)
			}
			if tt.field != "" && !slices.ContainsFunc(ae.Violations(), func(v apperr.Violation) bool { return v.Field == tt.field }) {
				t.Errorf("violations %+v do not name %s", ae.Violations(), tt.field)
			}
			if got := e.lastSeq(t); got != before {
				t.Errorf("a refused command appended %d commits", got-before)
			}
		})
	}
}

func TestCommandsOfAnotherProcessAreSeenBeforeValidating(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if _, err := e.admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("p1"), Unit: &unitv1.UnitRegistered{
		Code: "KH", Name: "Tỉnh Khánh Hòa", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE, EffectiveFrom: unitreg.DateProto(d("2024-01-01"))}}); err != nil {
		t.Fatal(err)
	}
	first := e.admin
	e.serve(t) // a second process on the same log
	second := e.admin

	// The second process registers a ward; the first validates a child of it and lists it.
	if _, err := second.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("p2"), Unit: ward("KH.PHANRANG", "KH", "2025-07-01")}); err != nil {
		t.Fatal(err)
	}
	if _, err := first.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("p3"), Unit: &unitv1.UnitRegistered{
		Code: "KH.PHANRANG.UBND", Name: "Ủy ban nhân dân phường Phan Rang", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE,
		ParentCode: "KH.PHANRANG", EffectiveFrom: unitreg.DateProto(d("2025-07-01"))}}); err != nil {
		t.Fatalf("the first process does not see the second's ward: %v", err)
	}
	if got := list(t, second, "2025-07-01", "KH.PHANRANG", false); len(got) != 2 {
		t.Errorf("the second process lists %v", got)
	}
	// The same command sent to either process is recorded once.
	seq := e.lastSeq(t)
	if _, err := first.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta("p2"), Unit: ward("KH.PHANRANG", "KH", "2025-07-01")}); err != nil {
		t.Errorf("retry through the other process: %v", err)
	}
	if e.lastSeq(t) != seq {
		t.Error("a retried command was appended again")
	}
}
