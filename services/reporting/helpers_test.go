package reporting_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/reporting"
)

// world is a reporting service on real NATS and PostgreSQL, with a log the test writes to
// directly, as the intake and routing services would.
type world struct {
	t      testing.TB
	env    *svctest.Env
	svc    *svc.Running
	store  *eventstore.Store
	client reportingv1.ReportingServiceClient
	n      int
	logs   *syncBuffer
}

// syncBuffer collects the service's log, which names what an Internal status withholds.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newWorld(t testing.TB, now time.Time) *world {
	t.Helper()
	env := svctest.New(t, now)
	return startWorld(t, env, reporting.New, slog.LevelWarn)
}

// startWorld starts the reporting service built by build in env, logging at level into w.logs.
func startWorld(t testing.TB, env *svctest.Env, build svc.Builder, level slog.Level) *world {
	t.Helper()
	logs := &syncBuffer{}
	env.Shared.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	r := env.Start("reporting", build)
	conn := env.Dial(r, "officer-1", auth.RoleCouncilStanding, "NT.PRTC.TTHDND")
	return &world{t: t, env: env, svc: r, store: r.Env.Store, client: reportingv1.NewReportingServiceClient(conn), logs: logs}
}

// id is a stable UUID for a short test name ("K1"), as intake would give a petition.
func id(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("civicase-test/"+name)).String()
}

// day parses "2025-01-22" as a civil date.
func day(s string) *commonv1.CivilDate {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &commonv1.CivilDate{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// append records one command's events on an aggregate, with a realistic envelope: a command id,
// the actor, and business time on the day of the first event.
func (w *world) append(agg eventstore.Aggregate, on string, events ...proto.Message) {
	w.t.Helper()
	w.n++
	occurred, _ := time.ParseInLocation(time.DateOnly, on, time.FixedZone("ICT", 7*3600))
	occurred = occurred.Add(9 * time.Hour)
	evs := make([]eventstore.Event, len(events))
	for i, e := range events {
		evs[i] = eventstore.Event{OccurredAt: occurred, Payload: e}
	}
	meta := eventstore.Metadata{CommandID: fmt.Sprintf("test-cmd-%d", w.n), CorrelationID: agg.ID,
		Actor: &eventv1.Actor{Subject: "officer-1", Role: string(auth.RoleProcessingOfficer), Unit: "NT.PRTC"}}
	if _, err := w.store.Execute(context.Background(), agg, meta, func(eventstore.History) ([]eventstore.Event, error) {
		return evs, nil
	}); err != nil {
		w.t.Fatalf("append to %s: %v", agg, err)
	}
}

func unitAgg(code string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: "unit", ID: strings.ReplaceAll(code, ".", "_")}
}

func (w *world) unit(code, name string, kind unitv1.UnitKind, parent string) {
	w.append(unitAgg(code), "2024-01-01", &unitv1.UnitRegistered{Code: code, Name: name, Kind: kind, ParentCode: parent, EffectiveFrom: day("2024-01-01")})
}

func (w *world) merge(code, successor, on string) {
	w.append(unitAgg(code), on, &unitv1.UnitMerged{Code: code, SuccessorCode: successor, EffectiveFrom: day(on), Basis: "NQ 1666/NQ-UBTVQH15 (test)"})
}

// caughtUp waits until every projection of the service has applied the whole log.
func (w *world) caughtUp() {
	w.t.Helper()
	ctx := context.Background()
	last, err := w.store.LastSeq(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range w.svc.Runners {
		for r.Status().CheckpointSeq < last {
			if err := w.svc.Err(); err != nil {
				w.t.Fatalf("the service stopped: %v", err)
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("projection %s at %d, log at %d", r.Status().Name, r.Status().CheckpointSeq, last)
			}
			time.Sleep(10 * time.Millisecond) // polling with a deadline, not synchronisation by sleep
		}
	}
}

// expected is testdata/expected.yaml.
type expected struct {
	Reports []struct {
		Form   string            `yaml:"form"`
		Unit   string            `yaml:"unit"`
		Period string            `yaml:"period"`
		Cells  map[int]yaml.Node `yaml:"cells"`
	} `yaml:"reports"`
}

func loadExpected(t *testing.T) expected {
	t.Helper()
	raw, err := os.ReadFile("testdata/expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := yaml.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

var quarters = map[string]reportingv1.PeriodKind{
	"Q1": reportingv1.PeriodKind_PERIOD_KIND_Q1, "Q2": reportingv1.PeriodKind_PERIOD_KIND_Q2,
	"Q3": reportingv1.PeriodKind_PERIOD_KIND_Q3, "Q4": reportingv1.PeriodKind_PERIOD_KIND_Q4,
	"Y": reportingv1.PeriodKind_PERIOD_KIND_YEAR,
}

func spec(form, unit, quarter string, rows reportingv1.RowMode) *reportingv1.ReportSpec {
	return &reportingv1.ReportSpec{FormCode: form, UnitCode: unit, Rows: rows, Period: &reportingv1.PeriodSpec{
		Period: &reportingv1.PeriodSpec_Statutory{Statutory: &reportingv1.StatutoryPeriod{Year: 2025, Kind: quarters[quarter]}}}}
}

// cells are a row's non-zero cells as printed ("15,5" is written "15.5" in expectations).
func cells(row *reportingv1.ReportRow) map[int]string {
	out := map[int]string{}
	for _, c := range row.GetCells() {
		if c.GetValue() != 0 {
			out[int(c.GetColumn())] = strings.ReplaceAll(strings.ReplaceAll(c.GetText(), ".", ""), ",", ".")
		}
	}
	return out
}

func want(nodes map[int]yaml.Node) map[int]string {
	out := map[int]string{}
	for k, n := range nodes {
		out[k] = n.Value
	}
	return out
}

func diffCells(got, want map[int]string) string {
	var b strings.Builder
	for c := 1; c <= 40; c++ {
		g, w := got[c], want[c]
		if g != w {
			fmt.Fprintf(&b, " col %d: got %q want %q;", c, g, w)
		}
	}
	return b.String()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
