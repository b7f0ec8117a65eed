package demo_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/civicase/civicase/cmd/civicase/internal/demo"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/routing"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// With the demo city loaded through the services' APIs, the 2025 year report of Khánh Hòa rolls the
// pre-merger wards' petitions up into the five new wards, and the city's report for 2024 still shows
// the sixteen wards and communes it had then.
func TestDemoCityReportsRollUpAcrossTheMerger(t *testing.T) {
	if testing.Short() {
		t.Skip("loads two years of history")
	}
	ctx := context.Background()
	env := svctest.New(t, time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	eps := map[string]string{}
	var running []*svc.Running
	for _, s := range []struct {
		name  string
		build svc.Builder
	}{{"intake", intake.New}, {"routing", routing.New}, {"reporting", reporting.New}} {
		r := env.Start(s.name, s.build)
		eps[s.name] = r.Addr.String()
		running = append(running, r)
	}
	sum, err := demo.Load(ctx, demo.Config{Endpoints: eps, Mint: env.Issuer.Mint, Seed: 2025})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Petitions < 1000 || sum.Sessions < 400 || sum.Steps < 2000 || len(sum.Refused) != 0 {
		t.Fatalf("demo history: %+v", sum)
	}
	live, err := running[0].Env.Store.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep := running[2]
	testenv.Eventually(t, 2*time.Minute, func() bool {
		for _, pr := range rep.Runners {
			if pr.Status().CheckpointSeq < live {
				return false
			}
		}
		return true
	}, "reporting projections caught up to %d", live)

	client := reportingv1.NewReportingServiceClient(env.Dial(rep, "auditor", auth.RoleAuditor, "KH"))
	rowsWithPetitions := func(unit string, year int32) map[string]string {
		t.Helper()
		resp, err := client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: &reportingv1.ReportSpec{
			FormCode: "01/XLD", UnitCode: unit, Rows: reportingv1.RowMode_ROW_MODE_DIRECT_CHILDREN,
			Period: &reportingv1.PeriodSpec{Period: &reportingv1.PeriodSpec_Statutory{Statutory: &reportingv1.StatutoryPeriod{Year: year, Kind: reportingv1.PeriodKind_PERIOD_KIND_YEAR}}},
		}})
		if err != nil {
			t.Fatalf("report %s %d: %v", unit, year, err)
		}
		out := map[string]string{}
		for _, row := range resp.GetReport().GetRows() {
			for _, c := range row.GetCells() {
				if c.GetColumn() == 1 && c.GetValue() != 0 { // col 1: petitions to process
					out[row.GetUnitCode()] = c.GetText()
				}
			}
		}
		return out
	}

	wards2025 := rowsWithPetitions("KH", 2025)
	for _, w := range []string{"KH.PHANRANG", "KH.DONGHAI", "KH.NINHCHU", "KH.BAOAN", "KH.DOVINH"} {
		if wards2025[w] == "" {
			t.Errorf("2025: successor ward %s has no petitions (rows %v)", w, keys(wards2025))
		}
	}
	for code := range wards2025 {
		if strings.HasPrefix(code, "NT.") {
			t.Errorf("2025: pre-merger unit %s reported on its own instead of under its successor", code)
		}
	}
	city2024 := rowsWithPetitions("NT.PRTC", 2024)
	old := 0
	for code := range city2024 {
		if strings.HasPrefix(code, "NT.PRTC.") && strings.Count(code, ".") == 2 && !strings.HasSuffix(code, "UBND") {
			old++
		}
	}
	if old != 16 {
		t.Errorf("2024 city report shows %d old wards and communes with petitions, want 16: %v", old, keys(city2024))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
