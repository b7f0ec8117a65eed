package scenario_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/intake/registry"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/routing"
	"github.com/civicase/civicase/services/supervision"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The forms and units every report of the scenario is expected for, in both quarters.
var (
	forms = []string{"01/TCD", "01/XLD", "02/XLD", "03/XLD", "04/XLD", "01/KQGQ", "02/KQGQ", "03/KQGQ", "04/KQGQ"}
	units = []string{"NT.PRTC.KD", "NT.PRTC"}
	// urged is the "đôn đốc giải quyết" metric of each XLD form, zero until reporting reads
	// supervision's urging letters (see the data file).
	urged = map[string]string{"01/XLD": "xld.outside.urged", "02/XLD": "xld.complaint.outside.urged",
		"03/XLD": "xld.denunciation.outside.urged", "04/XLD": "xld.recommendation.outside.urged"}
	quarters = map[string]reportingv1.PeriodKind{"Q1": reportingv1.PeriodKind_PERIOD_KIND_Q1, "Q2": reportingv1.PeriodKind_PERIOD_KIND_Q2}
)

// TestComplianceScenario drives the city of testdata/scenario.yaml through the public gRPC APIs —
// the unit registry, reception sessions, petitions, processing, resolution, urgings — as the
// officers who would, waits for the reporting projections, and compares every cell of every form,
// for Kinh Dinh ward and for the city, in Q1 and Q2 2025, with the numbers worked out by hand in
// the data file: each expected cell must match and every other cell be zero. GenerateReport checks
// every identity printed on the form, so each report being served is the check that they hold.
func TestComplianceScenario(t *testing.T) {
	ctx := context.Background()
	s := loadScenario(t)
	today := time.Date(s.Today.Year, s.Today.Month, s.Today.Day, 10, 0, 0, 0, calendar.Vietnam)
	env := svctest.New(t, today)
	c := &city{t: t, env: env, conns: map[string]*grpc.ClientConn{}, petitions: map[string]*petition{},
		ids: map[string]string{}, holder: map[string]string{}, visits: map[string]string{}}
	c.intake = env.Start("intake", intake.New)
	c.routing = env.Start("routing", routing.New)
	// No background watcher: the scenario's urgings are its own, and nothing else appends.
	c.superv = env.Start("supervision", supervision.Builder(supervision.Options{TickEvery: -1}))
	c.reporting = env.Start("reporting", reporting.New)

	start := time.Now()
	reg, err := os.ReadFile("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	admin := unitv1.NewUnitRegistryServiceClient(c.dial(c.intake, auth.RoleAdmin, "NT"))
	if err := registry.LoadFile(ctx, admin, reg); err != nil {
		t.Fatal(err)
	}
	plan := c.plan(s)
	for _, a := range plan {
		if err := a.run(ctx); err != nil {
			t.Fatalf("%s on %s: %v", a.name, a.on.Date, err)
		}
	}
	c.caughtUp(ctx, c.intake, c.routing, c.superv, c.reporting)
	t.Logf("%d petitions, %d sessions, %d commands driven and projected in %v", len(s.Petitions), len(s.Sessions), len(plan), time.Since(start).Round(time.Millisecond))

	t.Run("urgings recorded", func(t *testing.T) {
		// Supervision has them, though no form counts them yet.
		cl := supervisionv1.NewSupervisionServiceClient(c.dial(c.superv, auth.RoleAuditor, "NT"))
		res, err := cl.ListUrgings(ctx, &supervisionv1.ListUrgingsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetUrgings()) != c.urgings || c.urgings != 4 {
			t.Errorf("%d urgings listed, %d issued; the scenario issues 4", len(res.GetUrgings()), c.urgings)
		}
	})

	t.Run("reports", func(t *testing.T) {
		cl := reportingv1.NewReportingServiceClient(c.dial(c.reporting, auth.RoleAuditor, "NT"))
		seen := map[string]bool{}
		for _, e := range s.Reports {
			name := e.Form + " " + e.Unit + " " + e.Period
			if seen[name] {
				t.Errorf("%s: expected twice", name)
			}
			seen[name] = true
			spec := &reportingv1.ReportSpec{FormCode: e.Form, UnitCode: e.Unit, Rows: reportingv1.RowMode_ROW_MODE_UNIT_ALONE,
				Period: &reportingv1.PeriodSpec{Period: &reportingv1.PeriodSpec_Statutory{Statutory: &reportingv1.StatutoryPeriod{Year: 2025, Kind: quarters[e.Period]}}}}
			res, err := cl.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: spec})
			if err != nil {
				t.Errorf("%s: %v", name, err) // an identity that fails is refused (Internal, REPORT_IDENTITY_FAILED)
				continue
			}
			r := res.GetReport()
			if len(r.GetRows()) != 1 || r.GetRows()[0].GetUnitCode() != e.Unit {
				t.Errorf("%s: rows %v, want the unit alone", name, r.GetRows())
				continue
			}
			want := map[int]string{}
			for col, n := range e.Cells {
				want[col] = n.Value
			}
			if d := diff(cells(r.GetRows()[0]), want); d != "" {
				t.Errorf("%s:%s", name, d)
			}
			if d := diff(cells(r.GetTotal()), want); d != "" {
				t.Errorf("%s total:%s", name, d)
			}
			if len(r.GetIdentitiesChecked()) == 0 && e.Form != "02/KQGQ" && e.Form != "04/KQGQ" {
				t.Errorf("%s: no identity reported as checked", name)
			}
			if key, ok := urged[e.Form]; ok && !slices.ContainsFunc(r.GetZeroUntilSource(), func(z string) bool { return strings.HasPrefix(z, key+":") }) {
				t.Errorf("%s: %s is no longer zero until a source exists (%v): count the scenario's urgings in the expected cells",
					name, key, r.GetZeroUntilSource())
			}
		}
		for _, f := range forms {
			for _, u := range units {
				for q := range quarters {
					if name := f + " " + u + " " + q; !seen[name] {
						t.Errorf("%s: no expected cells in the data file", name)
					}
				}
			}
		}
	})
}

// cells are a row's non-zero cells as printed, with the decimal comma as a point and without the
// thousands separators ("1.200" is "1200", "200,5" is "200.5").
func cells(row *reportingv1.ReportRow) map[int]string {
	out := map[int]string{}
	for _, c := range row.GetCells() {
		if c.GetValue() != 0 {
			out[int(c.GetColumn())] = strings.ReplaceAll(strings.ReplaceAll(c.GetText(), ".", ""), ",", ".")
		}
	}
	return out
}

func diff(got, want map[int]string) string {
	var b strings.Builder
	for col := 1; col <= 40; col++ {
		if g, w := got[col], want[col]; g != w {
			fmt.Fprintf(&b, " col %d: got %q want %q;", col, g, w)
		}
	}
	return b.String()
}
