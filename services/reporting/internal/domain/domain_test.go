package domain

import (
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

func pd(s string) *commonv1.CivilDate { return unitreg.DateProto(d(s)) }

func TestStatus(t *testing.T) {
	due := d("2025-11-30")
	for _, c := range []struct {
		submitted, asOf string
		want            reportingv1.ObligationStatus
	}{
		{"2025-11-30", "2025-12-10", reportingv1.ObligationStatus_OBLIGATION_STATUS_ON_TIME},
		{"2025-12-01", "2025-12-10", reportingv1.ObligationStatus_OBLIGATION_STATUS_LATE},
		{"", "2025-12-01", reportingv1.ObligationStatus_OBLIGATION_STATUS_MISSING},
		{"", "2025-11-30", reportingv1.ObligationStatus_OBLIGATION_STATUS_DUE_SOON},
		{"", "2025-11-23", reportingv1.ObligationStatus_OBLIGATION_STATUS_DUE_SOON},
		{"", "2025-11-22", reportingv1.ObligationStatus_OBLIGATION_STATUS_PENDING},
	} {
		var sub calendar.Date
		if c.submitted != "" {
			sub = d(c.submitted)
		}
		if got := Status(due, sub, d(c.asOf), 7); got != c.want {
			t.Errorf("submitted %q as of %s: %v, want %v", c.submitted, c.asOf, got, c.want)
		}
	}
}

func TestDueDates(t *testing.T) {
	o := &reportingv1.Obligation{
		DueDates: []*commonv1.CivilDate{pd("2025-02-28")},
		Yearly:   []*reportingv1.YearlyDue{{Month: 11, Day: 30, FromYear: 2025}, {Month: 2, Day: 31, FromYear: 2026, UntilYear: 2027}},
	}
	got := DueDates(o, d("2024-01-01"), d("2028-12-31"))
	want := []string{"2025-02-28", "2025-11-30", "2026-02-28", "2026-11-30", "2027-02-28", "2027-11-30", "2028-11-30"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

// A case's facts are retracted and re-added as it changes, so the diff of its facts before and
// after an event is exactly what the event changed.
func TestCaseFactsMoveWithReclassification(t *testing.T) {
	s := &CaseState{}
	s.Apply(&intakev1.PetitionRegistered{UnitCode: "W", ReceivedOn: pd("2025-01-02"), Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT})
	before := s.Facts()
	s.Apply(&routingv1.PetitionClassified{UnitCode: "W", ProcessedOn: pd("2025-01-05"), Kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION, Eligible: true})
	s.Apply(&routingv1.PetitionForwarded{ToUnitCode: "C", ForwardedOn: pd("2025-01-05"), FromUnitCode: "W"})
	got := map[string]int64{}
	for _, f := range Diff(before, s.Facts()) {
		got[f.Unit+" "+f.Metric+" "+f.Day.String()] = f.Value
	}
	want := map[string]int64{
		"W xld.in.complaint 2025-01-02":                        -1,
		"W xld.in.denunciation 2025-01-02":                     1,
		"W xld.out.denunciation 2025-01-05":                    1,
		"W xld.elig.denunciation 2025-01-05":                   1,
		"W xld.elig_field.unspecified.denunciation 2025-01-05": 1,
		"W xld.forwarded.denunciation 2025-01-05":              1,
		"C xld.in.denunciation 2025-01-05":                     1,
	}
	if len(got) != len(want) {
		t.Errorf("diff %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d, want %d (diff %v)", k, got[k], v, got)
		}
	}
}

func TestRollupAcrossAMerger(t *testing.T) {
	reg := unitreg.New()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(reg.Apply(&unitv1.UnitRegistered{Code: "C", Name: "City", Kind: unitv1.UnitKind_UNIT_KIND_CITY, EffectiveFrom: pd("2024-01-01")}))
	must(reg.Apply(&unitv1.UnitRegistered{Code: "C.A", Name: "A", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "C", EffectiveFrom: pd("2024-01-01")}))
	must(reg.Apply(&unitv1.UnitRegistered{Code: "C.B", Name: "B", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "C", EffectiveFrom: pd("2024-01-01")}))
	must(reg.Apply(&unitv1.UnitMerged{Code: "C.B", SuccessorCode: "C.A", EffectiveFrom: pd("2025-07-01"), Basis: "test"}))
	q2 := unitreg.Period{From: d("2025-03-15"), To: d("2025-06-14")}
	q3 := unitreg.Period{From: d("2025-06-15"), To: d("2025-09-14")}
	rows, err := Rollup(reg, "C", q2, DirectChildren)
	must(err)
	if len(rows.Units) != 3 || rows.Of["C.B"] != 2 || rows.Of["C.A"] != 1 || rows.Of["C"] != 0 {
		t.Errorf("Q2 rows %v of %v", rows.Units, rows.Of)
	}
	rows, err = Rollup(reg, "C", q3, DirectChildren)
	must(err)
	if len(rows.Units) != 2 || rows.Of["C.B"] != 1 || rows.Of["C.A"] != 1 {
		t.Errorf("Q3 rows %v of %v", rows.Units, rows.Of)
	}
	if _, err := Rollup(reg, "C.B", q3, UnitAlone); err == nil {
		t.Errorf("a report of a merged ward for a period after the merger was made")
	}
}
