package intake_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Wednesday 12 March 2025, 10:00 in Vietnam.
var fixedTime = time.Date(2025, 3, 12, 10, 0, 0, 0, calendar.Vietnam)

const (
	unitKD = "PRTC.KD" // Kinh Dinh ward
	unitDV = "PRTC.DV" // Đô Vinh ward
)

var ctx = context.Background()

// fixture is one intake service on its own NATS and database, with the two wards registered.
type fixture struct {
	t      testing.TB
	env    *svctest.Env
	r      *svc.Running
	client intakev1.IntakeServiceClient
}

func start(t testing.TB, natsOpts ...testenv.NATSOption) *fixture {
	t.Helper()
	env := svctest.New(t, fixedTime, natsOpts...)
	return startIn(t, env)
}

func startIn(t testing.TB, env *svctest.Env) *fixture {
	t.Helper()
	r := env.Start("intake", intake.New)
	f := &fixture{t: t, env: env, r: r}
	f.registerUnit(unitKD, "2020-01-01")
	f.registerUnit(unitDV, "2020-01-01")
	f.client = f.as("officer-1", auth.RoleReceptionOfficer, unitKD)
	return f
}

func (f *fixture) as(subject string, role auth.Role, unit string) intakev1.IntakeServiceClient {
	return intakev1.NewIntakeServiceClient(f.env.Dial(f.r, subject, role, unit))
}

// registerUnit registers a unit through the unit registry's API, as an administrator.
func (f *fixture) registerUnit(code, from string) {
	f.t.Helper()
	admin := unitv1.NewUnitRegistryServiceClient(f.env.Dial(f.r, "admin-1", auth.RoleAdmin, "NT"))
	_, err := admin.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{Meta: meta(), Unit: &unitv1.UnitRegistered{
		Code: code, Name: "Phường " + code, Kind: unitv1.UnitKind_UNIT_KIND_WARD, EffectiveFrom: civil(from),
	}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// lastSeq is the log's last sequence.
func (f *fixture) lastSeq() uint64 {
	f.t.Helper()
	n, err := f.r.Env.Store.LastSeq(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// indexed waits until the petition index has applied the whole log.
func (f *fixture) indexed() {
	f.t.Helper()
	last := f.lastSeq()
	testenv.Eventually(f.t, 10*time.Second, func() bool {
		for _, r := range f.r.Runners {
			if r.Status().CheckpointSeq < last {
				return false
			}
		}
		return true
	}, "projections reach sequence %d (err %v)", last, f.r.Err())
}

// history is the decoded events of an aggregate.
func (f *fixture) history(typ, id string) []proto.Message {
	f.t.Helper()
	h, err := f.r.Env.Store.Load(ctx, eventstore.Aggregate{Type: typ, ID: id})
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

func civil(s string) *commonv1.CivilDate {
	d := calendar.MustParseDate(s)
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func meta() *commonv1.CommandMeta { return &commonv1.CommandMeta{CommandId: uuid.NewString()} }

// complaint is a valid first complaint about a ward decision from one person.
func complaint(sender *personv1.PersonalData, respondent, decision string) *intakev1.RegisterPetitionRequest {
	return &intakev1.RegisterPetitionRequest{
		Meta:           meta(),
		UnitCode:       unitKD,
		ReceivedOn:     civil("2025-03-10"),
		WrittenOn:      civil("2025-03-08"),
		Source:         commonv1.Source_SOURCE_POST,
		SenderType:     commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount: 1,
		Contents: []*intakev1.PetitionContent{{
			Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING,
		}},
		Sender: sender,
		Content: &intakev1.SealedContent{
			Summary:           "Khiếu nại quyết định thu hồi đất",
			Respondent:        respondent,
			DecisionReference: decision,
		},
		ComplaintInstance: 1,
	}
}

// badRequest is the field violations of an InvalidArgument error, by field.
func badRequest(t testing.TB, err error) map[string]string {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		t.Fatalf("error %v, want InvalidArgument", err)
	}
	out := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("InvalidArgument without field violations: %v", err)
	}
	return out
}

func codeOf(err error) codes.Code { return status.Code(err) }

// lockedBuffer is a log sink safe for the service's goroutines and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func debugLogger(w *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
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

var errNotFound = errors.New("not found")

func find[T proto.Message](msgs []proto.Message) (T, error) {
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			return v, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("%w: %T", errNotFound, zero)
}

func eventstoreAgg(typ, id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: typ, ID: id}
}
