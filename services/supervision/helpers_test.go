package supervision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/supervision"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var ctx = context.Background()

// Units of the test registry: a city with its People's Committee, council, standing committee, a
// council committee and an inspectorate, and two wards with their People's Committees.
const (
	city      = "PRTC"
	cityUBND  = "PRTC.UBND"
	cityHDND  = "PRTC.HDND"
	cityTT    = "PRTC.TTHDND"
	cityBPC   = "PRTC.BPC"
	cityTTR   = "PRTC.TTR"
	wardKD    = "PRTC.KD"
	wardKDC   = "PRTC.KD.UBND"
	wardDV    = "PRTC.DV"
	wardDVC   = "PRTC.DV.UBND"
	otherCity = "NT"
)

var registry = []*unitv1.UnitRegistered{
	{Code: otherCity, Name: "Tỉnh", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE},
	{Code: city, Name: "Thành phố", Kind: unitv1.UnitKind_UNIT_KIND_CITY, ParentCode: otherCity},
	{Code: cityUBND, Name: "UBND thành phố", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: city},
	{Code: cityHDND, Name: "HĐND thành phố", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COUNCIL, ParentCode: city},
	{Code: cityTT, Name: "Thường trực HĐND", Kind: unitv1.UnitKind_UNIT_KIND_COUNCIL_STANDING_COMMITTEE, ParentCode: cityHDND},
	{Code: cityBPC, Name: "Ban Pháp chế", Kind: unitv1.UnitKind_UNIT_KIND_COUNCIL_COMMITTEE, ParentCode: cityHDND},
	{Code: cityTTR, Name: "Thanh tra thành phố", Kind: unitv1.UnitKind_UNIT_KIND_INSPECTORATE, ParentCode: cityUBND},
	{Code: wardKD, Name: "Phường Kinh Dinh", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: city},
	{Code: wardKDC, Name: "UBND phường Kinh Dinh", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: wardKD},
	{Code: wardDV, Name: "Phường Đô Vinh", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: city},
	{Code: wardDVC, Name: "UBND phường Đô Vinh", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: wardDV},
}

// at is 10:00 in Vietnam on a civil date.
func at(day string) time.Time {
	return d(day).Start().Add(10 * time.Hour)
}

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

func civil(s string) *commonv1.CivilDate {
	x := d(s)
	return &commonv1.CivilDate{Year: int32(x.Year), Month: int32(x.Month), Day: int32(x.Day)}
}

func meta() *commonv1.CommandMeta { return &commonv1.CommandMeta{CommandId: uuid.NewString()} }

// fixture is the supervision service on its own NATS and database, with the test registry and the
// watcher driven by the test (no background ticking).
type fixture struct {
	t   testing.TB
	env *svctest.Env
	r   *svc.Running
	w   *supervision.Watcher
	log *eventstore.Store
}

func start(t testing.TB, today string) *fixture {
	t.Helper()
	env := svctest.New(t, at(today))
	f := &fixture{t: t, env: env}
	store, err := eventstore.Open(ctx, env.NATS.Conn, eventstore.Config{Tenant: env.Shared.Tenant, Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.log = store
	for _, u := range registry {
		u.EffectiveFrom = civil("2020-01-01")
		f.append("unit", strings.ReplaceAll(u.Code, ".", "_"), "seed-"+u.Code, time.Time{}, u)
	}
	f.r, f.w = f.startReplica()
	return f
}

// startReplica starts one more instance of the service on the same NATS and database.
func (f *fixture) startReplica() (*svc.Running, *supervision.Watcher) {
	f.t.Helper()
	var w *supervision.Watcher
	r := f.env.Start("supervision", supervision.Builder(supervision.Options{TickEvery: -1, OnWatcher: func(x *supervision.Watcher) { w = x }}))
	return r, w
}

// restart stops the service and starts it again on the same NATS and database.
func (f *fixture) restart() {
	f.t.Helper()
	f.r.Stop()
	f.r, f.w = f.startReplica()
}

func (f *fixture) store() *eventstore.Store { return f.log }

// setToday moves the injected clock to 10:00 of a day.
func (f *fixture) setToday(day string) { f.env.Clock.Set(at(day)) }

func (f *fixture) client(subject string, role auth.Role, unit string) supervisionv1.SupervisionServiceClient {
	return supervisionv1.NewSupervisionServiceClient(f.env.Dial(f.r, subject, role, unit))
}

// append records events of another service (intake, routing, the unit registry) in one commit, as
// that service would, with the business time occurred (zero: the clock's time).
func (f *fixture) append(typ, id, cmdID string, occurred time.Time, msgs ...proto.Message) {
	f.t.Helper()
	events := make([]eventstore.Event, len(msgs))
	for i, m := range msgs {
		events[i] = eventstore.Event{Payload: m, OccurredAt: occurred}
	}
	_, err := f.store().Execute(ctx, eventstore.Aggregate{Type: typ, ID: id}, eventstore.Metadata{CommandID: cmdID},
		func(eventstore.History) ([]eventstore.Event, error) { return events, nil })
	if err != nil {
		f.t.Fatal(err)
	}
}

// lastSeq is the log's last sequence.
func (f *fixture) lastSeq() uint64 {
	f.t.Helper()
	n, err := f.store().LastSeq(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// caughtUp waits until the projection of the running instance has applied the whole log.
func (f *fixture) caughtUp(rs ...*svc.Running) {
	f.t.Helper()
	if len(rs) == 0 {
		rs = []*svc.Running{f.r}
	}
	last := f.lastSeq()
	for _, r := range rs {
		testenv.Eventually(f.t, 10*time.Second, func() bool {
			for _, run := range r.Runners {
				if run.Status().CheckpointSeq < last {
					return false
				}
			}
			return true
		}, "projection reaches sequence %d (err %v)", last, r.Err())
	}
}

// tick runs the watcher at 10:00 of the clock's day, after the projection caught up.
func (f *fixture) tick() supervision.TickReport {
	f.t.Helper()
	f.caughtUp()
	rep, err := f.w.Tick(ctx, f.env.Clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

// history is the decoded events of an aggregate, with its hash chain checked.
func (f *fixture) history(typ, id string) []proto.Message {
	f.t.Helper()
	h, err := f.store().Load(ctx, eventstore.Aggregate{Type: typ, ID: id})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := eventstore.VerifyChain(h.Events); err != nil {
		f.t.Fatal(err)
	}
	var out []proto.Message
	for _, ev := range h.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// clock builds the LegalClock routing or intake would record, with the due date pkg/deadline gives.
func clock(t testing.TB, caseID, name, rule, unit, startedOn string, conds ...deadline.Condition) *commonv1.LegalClock {
	t.Helper()
	res, err := deadline.Compute(deadline.Request{Rule: rule, Base: d(startedOn), Conditions: conds})
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, len(res.Derivation.Steps))
	for i, s := range res.Derivation.Steps {
		lines[i] = s.Text
	}
	return &commonv1.LegalClock{CaseId: caseID, Clock: name, RuleId: rule, Basis: res.Rule.Citation, StartedOn: civil(startedOn),
		DueOn: civil(res.Due.String()), Derivation: lines, UnitCode: unit}
}

// petition is a petition registration as intake records it.
type petition struct {
	unit       string
	receivedOn string
	kind       commonv1.PetitionKind
	source     commonv1.Source
	forwardBy  string
	people     int32
	duplicate  string
	repeat     int32
}

// register appends a petition's registration (and, for an original, its processing clock, as
// intake does) and returns its id.
func (f *fixture) register(p petition) string {
	f.t.Helper()
	id := uuid.NewString()
	if p.kind == 0 {
		p.kind = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	}
	if p.source == 0 {
		p.source = commonv1.Source_SOURCE_POST
	}
	if p.people == 0 {
		p.people = 1
	}
	if p.repeat == 0 {
		p.repeat = 1
	}
	reg := &intakev1.PetitionRegistered{
		PetitionId: id, ReceiptNumber: "R-" + id[:6], UnitCode: p.unit, ReceivedOn: civil(p.receivedOn), WrittenOn: civil(p.receivedOn),
		Source: p.source, ForwardedBy: p.forwardBy, SenderType: commonv1.SenderType_SENDER_TYPE_INDIVIDUAL, SignatoryCount: p.people,
		Crowd: p.people >= 5, Kind: p.kind, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING, SenderRef: "ref-" + id[:8],
		DuplicateOf: p.duplicate, RepeatNumber: p.repeat,
	}
	msgs := []proto.Message{reg}
	if p.duplicate == "" {
		msgs = append(msgs, &commonv1.LegalClockStarted{Clock: clock(f.t, id, "processing", "petition.process", p.unit, p.receivedOn)})
	}
	f.append("petition", id, "register-"+id, at(p.receivedOn), msgs...)
	return id
}

// step appends a routing step on a case's aggregate.
func (f *fixture) step(caseID, on string, msgs ...proto.Message) {
	f.t.Helper()
	f.append("case", caseID, uuid.NewString(), at(on), msgs...)
}

// accept records routing accepting a denunciation for resolution on a day: the processing clock
// stops and the resolution clock starts (Luật TC Đ30).
func (f *fixture) acceptDenunciation(caseID, unit, on string) {
	f.t.Helper()
	f.step(caseID, on,
		&routingv1.CaseAccepted{CaseId: caseID, UnitCode: unit, AcceptedOn: civil(on), Kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION},
		&commonv1.LegalClockStopped{CaseId: caseID, Clock: "processing", StoppedOn: civil(on), OnTime: true},
		&commonv1.LegalClockStarted{Clock: clock(f.t, caseID, "resolution", "denunciation.resolve", unit, on)},
	)
}

// badRequest is the field violations of an error with the code wanted, by field.
func badRequest(t testing.TB, err error, want codes.Code) map[string]string {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	out := map[string]string{}
	for _, det := range st.Details() {
		if br, ok := det.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s without field violations: %v", want, err)
	}
	return out
}

// reason is the ErrorInfo reason of an error.
func reason(err error) string {
	st, _ := status.FromError(err)
	for _, det := range st.Details() {
		if ei, ok := det.(*errdetails.ErrorInfo); ok {
			return ei.GetReason()
		}
	}
	return ""
}

func count[T proto.Message](msgs []proto.Message) int {
	n := 0
	for _, m := range msgs {
		if _, ok := m.(T); ok {
			n++
		}
	}
	return n
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func dateOf(c *commonv1.CivilDate) string { return d0(c).String() }

func d0(c *commonv1.CivilDate) calendar.Date {
	if c == nil {
		return calendar.Date{}
	}
	return calendar.Date{Year: int(c.GetYear()), Month: time.Month(c.GetMonth()), Day: int(c.GetDay())}
}

func codeOf(err error) codes.Code { return status.Code(err) }

// errInfo is the ErrorInfo reason and every field violation's reason of an error.
func errInfo(err error) string {
	st, _ := status.FromError(err)
	var out []string
	for _, det := range st.Details() {
		switch x := det.(type) {
		case *errdetails.ErrorInfo:
			out = append(out, x.GetReason())
		case *errdetails.BadRequest:
			for _, v := range x.GetFieldViolations() {
				out = append(out, v.GetReason())
			}
		}
	}
	return strings.Join(out, " ")
}
