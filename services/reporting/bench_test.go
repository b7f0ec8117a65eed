package reporting_test

import (
	"context"

	"cloud.google.com/go/civil"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/internal/domain"
	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// The synthetic province of the benchmark: 10 cities of 15 wards each; cases are received at the
// wards (and 1 in 10 at a city) over three reporting years, 2024–2026.
const (
	benchCities = 10
	benchWards  = 15
	benchDays   = 1096 // 2023-12-15 .. 2026-12-14
)

var benchStart = calendar.Date{Year: 2023, Month: 12, Day: 15}

func benchProvince() string  { return "BP" }
func benchCity(c int) string { return fmt.Sprintf("BP.C%02d", c) }
func benchWard(c, w int) string {
	return fmt.Sprintf("BP.C%02d.W%02d", c, w)
}

// benchCase is one synthetic case as the commits intake and routing would append: registration,
// processing (classification and action), for a forwarded petition the receiving city's
// processing, the resolution and its execution. Every choice is drawn from the case number, so
// the same case is generated in every run.
func benchCase(i int) [][]proto.Message {
	r := uint64(i)*6364136223846793005 + 1442695040888963407
	next := func(n int) int { r = r*6364136223846793005 + 1442695040888963407; return int((r >> 33) % uint64(n)) }
	c, w := next(benchCities), next(benchWards)
	unit := benchWard(c, w)
	if next(10) == 0 {
		unit = benchCity(c)
	}
	recv := benchStart.AddDays(next(benchDays))
	kinds := []commonv1.PetitionKind{commonv1.PetitionKind_PETITION_KIND_COMPLAINT, commonv1.PetitionKind_PETITION_KIND_COMPLAINT,
		commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION,
		commonv1.PetitionKind_PETITION_KIND_FEEDBACK, commonv1.PetitionKind_PETITION_KIND_COMPLAINT,
		commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT}
	kind := kinds[next(len(kinds))]
	field := commonv1.Field(1 + next(8))
	cid := fmt.Sprintf("bench-%07d", i)
	d := func(x calendar.Date) *commonv1.CivilDate {
		return &commonv1.CivilDate{Year: int32(x.Year), Month: int32(x.Month), Day: int32(x.Day)}
	}
	out := [][]proto.Message{{&intakev1.PetitionRegistered{PetitionId: cid, UnitCode: unit, ReceivedOn: d(recv), Kind: kind, Field: field, SignatoryCount: 1}}}
	if next(20) == 0 {
		return out // not processed yet
	}
	proc := recv.AddDays(1 + next(20))
	cls := &routingv1.PetitionClassified{CaseId: cid, UnitCode: unit, ProcessedOn: d(proc), Kind: kind, Field: field, Eligible: true}
	resolver := unit
	switch x := next(20); {
	case kind == commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT || x < 3:
		cls.Eligible = false
		out = append(out, []proto.Message{cls, &routingv1.PetitionFiledAway{CaseId: cid, FiledOn: d(proc), Reason: routingv1.FilingReason_FILING_REASON_OTHER}})
		return out
	case x < 7 && kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
		out = append(out, []proto.Message{cls, &routingv1.PetitionGuided{CaseId: cid, ToUnitCode: benchCity(c), GuidedOn: d(proc)}})
		return out
	case x < 7 && unit != benchCity(c):
		out = append(out, []proto.Message{cls, &routingv1.PetitionForwarded{CaseId: cid, ToUnitCode: benchCity(c), ForwardedOn: d(proc), FromUnitCode: unit}})
		resolver, proc = benchCity(c), proc.AddDays(1+next(7))
		cls = &routingv1.PetitionClassified{CaseId: cid, UnitCode: resolver, ProcessedOn: d(proc), Kind: kind, Field: field, Eligible: true, WithinCompetence: true}
	}
	cls.WithinCompetence = true
	out = append(out, []proto.Message{cls, &routingv1.CaseAccepted{CaseId: cid, UnitCode: resolver, AcceptedOn: d(proc), Kind: kind}})
	if next(10) < 2 {
		return out // being resolved
	}
	closed := proc.AddDays(15 + next(60))
	rem := &routingv1.Remedies{RecoverStateMoneyVnd: int64(next(5)) * 10_000_000, ReturnIndividualsLandM2: float64(next(3)) * 25.5, IndividualsRestored: int32(next(2))}
	switch kind {
	case commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
		out = append(out, []proto.Message{&routingv1.ComplaintDecisionIssued{CaseId: cid, DecidedOn: d(closed), ComplaintInstance: 1,
			Finding: routingv1.ComplaintFinding(1 + next(3)), OnTime: next(5) > 0, Remedies: rem}})
		if next(2) == 0 {
			out = append(out, []proto.Message{&routingv1.DecisionExecuted{CaseId: cid, ExecutedOn: d(closed.AddDays(30)), Achieved: rem}})
		}
	case commonv1.PetitionKind_PETITION_KIND_DENUNCIATION:
		out = append(out, []proto.Message{&routingv1.DenunciationConcluded{CaseId: cid, ConcludedOn: d(closed),
			Finding: routingv1.DenunciationFinding(1 + next(3)), OnTime: next(5) > 0, Remedies: rem}})
		if next(2) == 0 {
			out = append(out, []proto.Message{&routingv1.ConclusionActedOn{CaseId: cid, ActedOn: d(closed.AddDays(20)), Achieved: rem}})
		}
	default:
		out = append(out, []proto.Message{&routingv1.CaseTerminated{CaseId: cid, TerminatedOn: d(closed), Reason: "answered"}})
	}
	return out
}

// benchN is the number of cases of the province-sized state: CIVICASE_BENCH_CASES, else 1,000,000.
func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("CIVICASE_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

func (w *world) benchUnits() {
	reg := func(code string, kind unitv1.UnitKind, parent string) {
		w.append(unitAgg(code), "2020-01-01", &unitv1.UnitRegistered{Code: code, Name: "Đơn vị " + code, Kind: kind, ParentCode: parent, EffectiveFrom: day("2020-01-01")})
	}
	reg(benchProvince(), unitv1.UnitKind_UNIT_KIND_PROVINCE, "")
	for c := range benchCities {
		reg(benchCity(c), unitv1.UnitKind_UNIT_KIND_CITY, benchProvince())
		for x := range benchWards {
			reg(benchWard(c, x), unitv1.UnitKind_UNIT_KIND_WARD, benchCity(c))
		}
	}
}

type factKey struct {
	unit, metric int32
	day          int32
}

// loadProvince writes the facts projection's tables for n synthetic cases directly with pgx
// CopyFrom: each case's events are reduced by the projection's own domain code (CaseState), and
// the facts are summed in memory per unit, metric and day, as the projection would have summed
// them. The log is not involved: it would take hours to append 10 million events here.
func loadProvince(b *testing.B, w *world, n int) (rows int) {
	ctx := context.Background()
	units, metrics := map[string]int32{}, map[string]int32{}
	var unitNames, metricNames []string
	intern := func(m map[string]int32, names *[]string, s string) int32 {
		if i, ok := m[s]; ok {
			return i
		}
		m[s] = int32(len(*names))
		*names = append(*names, s)
		return m[s]
	}
	sums := map[factKey]int64{}
	var processed [][]any
	events := 0
	for i := range n {
		st := &domain.CaseState{}
		for _, commit := range benchCase(i) {
			for _, e := range commit {
				st.Apply(e)
				events++
			}
		}
		for _, f := range st.Facts() {
			k := factKey{intern(units, &unitNames, f.Unit), intern(metrics, &metricNames, f.Metric), int32(f.Day.DaysSince(benchStart))}
			sums[k] += f.Value
		}
		for j, p := range st.ProcessedHandlings() {
			processed = append(processed, []any{fmt.Sprintf("bench-%07d", i), j, p.Unit, string(p.Class), pgDate(p.Received), pgDate(p.Processed)})
		}
	}
	halves, months, years := map[factKey]int64{}, map[factKey]int64{}, map[factKey]int64{}
	var day [][]any
	for k, v := range sums {
		d := benchStart.AddDays(int(k.day))
		day = append(day, []any{unitNames[k.unit], metricNames[k.metric], pgDate(d), v})
		halves[factKey{k.unit, k.metric, int32(postgres.HalfOf(d).DaysSince(benchStart))}] += v
		months[factKey{k.unit, k.metric, int32(postgres.MonthOf(d).DaysSince(benchStart))}] += v
		years[factKey{k.unit, k.metric, int32(postgres.YearOf(d).DaysSince(benchStart))}] += v
	}
	coarse := func(m map[factKey]int64) (out [][]any) {
		for k, v := range m {
			out = append(out, []any{unitNames[k.unit], metricNames[k.metric], pgDate(benchStart.AddDays(int(k.day))), v})
		}
		return out
	}
	half, month, year := coarse(halves), coarse(months), coarse(years)
	db := w.svc.Env.DB
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{postgres.TableFactsDay, []string{"unit", "metric", "day", "value"}, day},
		{postgres.TableFactsHalf, []string{"unit", "metric", "half", "value"}, half},
		{postgres.TableFactsMonth, []string{"unit", "metric", "month", "value"}, month},
		{postgres.TableFactsYear, []string{"unit", "metric", "year", "value"}, year},
		{postgres.TableProcessed, []string{"case_id", "idx", "unit", "class", "received_on", "processed_on"}, processed},
	} {
		if _, err := db.CopyFrom(ctx, pgx.Identifier{"reporting", t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			b.Fatal(err)
		}
		rows += len(t.rows)
	}
	// Autovacuum does this on a live server; here it would run at some point of the timings.
	if _, err := db.Exec(ctx, "VACUUM (FREEZE, ANALYZE) reporting.facts_day_v1, reporting.facts_half_v1, reporting.facts_month_v1, reporting.facts_year_v1, reporting.processed_v1"); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("province state: %d cases, %d events reduced, %d daily rows, %d monthly rows, %d yearly rows, %d processed rows (written with CopyFrom)\n",
		n, events, len(day), len(month), len(year), len(processed))
	return rows
}

func pgDate(d calendar.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// BenchmarkYearReport times GenerateReport of a reporting year (2025: 15/12/2024–14/12/2025)
// on a province-sized state, for one form, at city and at province level, through gRPC.
//
//	go test -run '^$' -bench YearReport -benchtime 20x ./services/reporting
//
// CIVICASE_BENCH_CASES sets the number of cases (default 1,000,000).
func BenchmarkYearReport(b *testing.B) {
	w := newWorld(b, time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC))
	w.benchUnits()
	w.caughtUp()
	start := time.Now()
	loadProvince(b, w, benchN())
	fmt.Printf("state generated and written in %s\n", time.Since(start).Round(time.Millisecond))
	if os.Getenv("CIVICASE_BENCH_EXPLAIN") != "" {
		var units []string
		units = append(units, benchProvince())
		for c := range benchCities {
			units = append(units, benchCity(c))
			for x := range benchWards {
				units = append(units, benchWard(c, x))
			}
		}
		f, _ := forms.Builtin().InForce("01/XLD", civil.Date{Year: 2025, Month: 12, Day: 14})
		plan, err := postgres.SumsReader{DB: w.svc.Env.DB}.Explain(context.Background(), units, domain.BaseMetrics(f.Metrics()),
			calendar.Date{Year: 2024, Month: 12, Day: 15}, calendar.Date{Year: 2025, Month: 12, Day: 14})
		if err != nil {
			b.Fatal(err)
		}
		fmt.Println(plan)
	}
	year := &reportingv1.PeriodSpec{Period: &reportingv1.PeriodSpec_Statutory{Statutory: &reportingv1.StatutoryPeriod{Year: 2025, Kind: reportingv1.PeriodKind_PERIOD_KIND_YEAR}}}
	for _, c := range []struct {
		name, form, unit string
		rows             reportingv1.RowMode
	}{
		{"city/01-XLD", "01/XLD", benchCity(3), alone},
		{"city/01-KQGQ", "01/KQGQ", benchCity(3), alone},
		{"province/01-XLD", "01/XLD", benchProvince(), alone},
		{"province/01-KQGQ", "01/KQGQ", benchProvince(), alone},
		{"province-by-city/01-XLD", "01/XLD", benchProvince(), children},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := &reportingv1.GenerateReportRequest{Spec: &reportingv1.ReportSpec{FormCode: c.form, UnitCode: c.unit, Period: year, Rows: c.rows}}
			var total string
			for b.Loop() {
				res, err := w.client.GenerateReport(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				total = cells(res.GetReport().GetTotal())[1]
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
			b.Logf("%s %s: column 1 = %s", c.form, c.unit, total)
		})
	}
}

// BenchmarkProjectionRebuild appends synthetic cases to the log, rebuilds the facts projection
// from sequence 1 into a schema of its own, and then writes the very rows it produced with raw
// pgx CopyFrom into empty tables of the same shape, in the same run: the ratio is the price of
// reading the log and computing the facts. CIVICASE_BENCH_REBUILD_CASES sets the number of cases
// (default 5,000).
func BenchmarkProjectionRebuild(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("CIVICASE_BENCH_REBUILD_CASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	w := newWorld(b, time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC))
	w.benchUnits()
	events := w.appendBenchCases(b, n)
	w.caughtUp()
	pool := w.svc.Env.DB
	for b.Loop() {
		for _, s := range []string{"bench_rebuild", "bench_raw"} {
			if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE"); err != nil {
				b.Fatal(err)
			}
		}
		r, err := projection.NewRunner(postgres.NewFacts(), projection.Config{Store: w.store, Pool: pool, Schema: "bench_rebuild"})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := r.CatchUp(ctx); err != nil {
			b.Fatal(err)
		}
		rebuild := time.Since(t0)
		// The same rows, copied raw.
		if _, err := pool.Exec(ctx, "CREATE SCHEMA bench_raw; SET search_path = bench_raw; "+postgres.FactsDDL+"; SET search_path = reporting"); err != nil {
			b.Fatal(err)
		}
		tables := (&postgres.Facts{}).Tables()
		data := map[string][][]any{}
		rows := 0
		for _, t := range tables {
			res, err := pool.Query(ctx, "SELECT * FROM bench_rebuild."+t)
			if err != nil {
				b.Fatal(err)
			}
			all, err := pgx.CollectRows(res, func(row pgx.CollectableRow) ([]any, error) { return row.Values() })
			if err != nil {
				b.Fatal(err)
			}
			data[t], rows = all, rows+len(all)
		}
		t1 := time.Now()
		for _, t := range tables {
			res, err := pool.Query(ctx, "SELECT * FROM bench_rebuild."+t+" LIMIT 0")
			if err != nil {
				b.Fatal(err)
			}
			var cols []string
			for _, f := range res.FieldDescriptions() {
				cols = append(cols, f.Name)
			}
			res.Close()
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_raw", t}, cols, pgx.CopyFromRows(data[t])); err != nil {
				b.Fatal(err)
			}
		}
		raw := time.Since(t1)
		b.ReportMetric(float64(events)/rebuild.Seconds(), "events/s")
		b.ReportMetric(float64(rows)/rebuild.Seconds(), "rows/s-rebuild")
		b.ReportMetric(float64(rows)/raw.Seconds(), "rows/s-rawcopy")
		b.Logf("%d cases, %d events, %d rows: rebuild %s (%.0f events/s), raw CopyFrom of the same rows %s (%.1f× faster)",
			n, events, rows, rebuild.Round(time.Millisecond), float64(events)/rebuild.Seconds(), raw.Round(time.Millisecond), rebuild.Seconds()/raw.Seconds())
	}
}

// appendBenchCases appends n synthetic cases to the log, as intake and routing would, and returns
// the number of events.
func (w *world) appendBenchCases(b *testing.B, n int) int {
	ctx := context.Background()
	events := 0
	for i := range n {
		var tail eventstore.Tail
		for j, commit := range benchCase(i) {
			agg := eventstore.Aggregate{Type: "case", ID: fmt.Sprintf("bench-%07d", i)}
			if j == 0 {
				agg.Type = "petition"
			}
			evs := make([]eventstore.Event, len(commit))
			for k, e := range commit {
				evs[k] = eventstore.Event{Payload: e}
			}
			if j == 1 {
				tail = eventstore.Tail{}
			}
			res, err := w.store.Append(ctx, agg, tail, eventstore.Metadata{CommandID: fmt.Sprintf("c%d-%d", i, j)}, evs...)
			if err != nil {
				b.Fatal(err)
			}
			tail = res.Tail()
			events += len(commit)
		}
	}
	return events
}

// BenchmarkReportAsOf appends synthetic cases to the log and fills a province's year report as of
// the log's middle: the first time rebuilds the read model up to there (the unit and facts
// projections into a scratch schema), later times reuse it. CIVICASE_BENCH_REBUILD_CASES sets the
// number of cases (default 5,000).
func BenchmarkReportAsOf(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("CIVICASE_BENCH_REBUILD_CASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	w := newWorld(b, time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC))
	w.benchUnits()
	events := w.appendBenchCases(b, n)
	w.caughtUp()
	last, err := w.store.LastSeq(ctx)
	if err != nil {
		b.Fatal(err)
	}
	spec := &reportingv1.ReportSpec{FormCode: "01/XLD", UnitCode: benchProvince(), Period: &reportingv1.PeriodSpec{
		Period: &reportingv1.PeriodSpec_Statutory{Statutory: &reportingv1.StatutoryPeriod{Year: 2025, Kind: reportingv1.PeriodKind_PERIOD_KIND_YEAR}}}}
	timed := func(asOf uint64) time.Duration {
		s := proto.Clone(spec).(*reportingv1.ReportSpec)
		if asOf != 0 {
			s.AsOf = &reportingv1.AsOf{Point: &reportingv1.AsOf_Sequence{Sequence: asOf}}
		}
		t0 := time.Now()
		if _, err := w.client.GenerateReport(ctx, &reportingv1.GenerateReportRequest{Spec: s}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	point := last / 2
	for b.Loop() {
		point++ // a new point each time: the first request rebuilds
		cold := timed(point)
		warm := timed(point)
		live := timed(0)
		b.ReportMetric(float64(point)/cold.Seconds(), "seq/s-cold")
		b.Logf("%d cases, %d events: as of sequence %d: first %s (rebuild), again %s; live %s",
			n, events, point, cold.Round(time.Millisecond), warm.Round(time.Millisecond), live.Round(time.Millisecond))
	}
}
