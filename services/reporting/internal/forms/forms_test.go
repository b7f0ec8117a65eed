package forms

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"cloud.google.com/go/civil"
	"golang.org/x/text/unicode/norm"

	"github.com/civicase/civicase/services/reporting/internal/period"
)

// The titles as headed in shared/FORMS.md (01/KQGQ without the brackets
// around "khiếu nại").
var wantForms = map[string]struct {
	title    string
	numbered int
	shape    string
}{
	"01/TCD":  {"Tổng hợp kết quả tiếp công dân thường xuyên, định kỳ và đột xuất", 30, ""},
	"01/XLD":  {"Tổng hợp kết quả xử lý đơn", 22, ""},
	"02/XLD":  {"Tổng hợp kết quả xử lý đơn khiếu nại", 26, ""},
	"03/XLD":  {"Tổng hợp kết quả xử lý đơn tố cáo", 27, ""},
	"04/XLD":  {"Tổng hợp kết quả xử lý đơn kiến nghị, phản ánh", 20, ""},
	"01/KQGQ": {"Tổng hợp kết quả giải quyết khiếu nại thuộc thẩm quyền", 26, ""},
	"02/KQGQ": {"Tổng hợp kết quả thi hành quyết định giải quyết khiếu nại", 19, ""},
	"03/KQGQ": {"Tổng hợp kết quả giải quyết tố cáo thuộc thẩm quyền", 31, "02/2021/TT-TTCP"},
	"04/KQGQ": {"Tổng hợp kết quả thực hiện kết luận nội dung tố cáo", 24, "02/2021/TT-TTCP"},
}

func TestBuiltinDefinitions(t *testing.T) {
	all := Builtin().All()
	if len(all) != len(wantForms) {
		t.Fatalf("%d form versions loaded, want %d", len(all), len(wantForms))
	}
	for _, f := range all {
		want, ok := wantForms[f.Code]
		if !ok {
			t.Errorf("unexpected form %s", f.Key())
			continue
		}
		if f.Title != want.title || len(f.Columns) != want.numbered || f.Shape != want.shape {
			t.Errorf("%s: title %q, %d columns, shape %q; want %q, %d, %q",
				f.Key(), f.Title, len(f.Columns), f.Shape, want.title, want.numbered, want.shape)
		}
		if f.Circular != "01/2024/TT-TTCP" || f.EffectiveFrom != (civil.Date{Year: 2024, Month: 3, Day: 5}) {
			t.Errorf("%s: circular %s from %s", f.Key(), f.Circular, f.EffectiveFrom)
		}
		got, ok := Builtin().InForce(f.Code, civil.Date{Year: 2025, Month: 1, Day: 1})
		if !ok || got != f {
			t.Errorf("InForce(%s, 2025-01-01) = %v", f.Code, got)
		}
		if _, ok := Builtin().InForce(f.Code, civil.Date{Year: 2024, Month: 3, Day: 4}); ok {
			t.Errorf("%s is in force before Circular 01/2024 took effect", f.Code)
		}
		for _, c := range f.Columns {
			for _, s := range append([]string{c.Header}, c.Path...) {
				if !norm.NFC.IsNormalString(s) {
					t.Errorf("%s column %d: %q is not NFC", f.Key(), c.No, s)
				}
			}
			if c.Measure.Numeric() && f.ByMetric(c.Metric) != c {
				t.Errorf("%s column %d: metric %q does not lead back to it", f.Key(), c.No, c.Metric)
			}
		}
	}
}

func TestPrintedIdentitiesAreData(t *testing.T) {
	want := map[string][]string{
		"01/TCD":  {"1 = 4+13+22", "2 = 5+14+23", "3 = 6+7+15+16+24+25"},
		"01/XLD":  {"1 = 2+3 = 4+5", "6 = 8+9+10 = 11+12+13 = 14+18", "14 = 15+16+17", "18 = 19+20+21"},
		"02/XLD":  {"1 = 2+3", "4 = 5+6", "9 = 10+11+12", "20 = 21+22", "23 = 24+25"},
		"03/XLD":  {"1 = 2+3", "4 = 5+6", "8 = 9+14+15+16+17 = 18+19+20 = 21+24", "9 = 10+11+12+13", "21 = 22+23", "24 = 25+26"},
		"04/XLD":  {"1 = 2+3", "4 = 5+6", "8 = 9+10+11+12 = 13+14 = 15+16", "16 = 17+18"},
		"01/KQGQ": {"1 = 2+3", "5 = 20+21+22+23+24"},
		"03/KQGQ": {"1 = 2+3", "6 = 7+8+9+10 = 24+26+28 = 30+31", "8 = 25+27+29"},
	}
	for _, f := range Builtin().All() {
		var got []string
		for _, id := range f.Identities {
			got = append(got, id.Printed)
		}
		if strings.Join(got, "; ") != strings.Join(want[f.Code], "; ") {
			t.Errorf("%s identities = %q, want %q", f.Code, got, want[f.Code])
		}
	}
	f := mustForm(t, "01/TCD")
	if c := f.Column(1); c.Formula.String() != "4+13+22" || c.Metric != "reception.total.visits" {
		t.Errorf("01/TCD column 1 = %s (%s), want 4+13+22", c.Formula, c.Metric)
	}
	if c := f.Column(30); c.Measure != Text || c.Header != "Ghi chú" {
		t.Errorf("01/TCD column 30 = %+v, want the notes column", c)
	}
	k := mustForm(t, "01/KQGQ")
	if c := k.ByMetric("kqgq.complaint.first_instance.right"); c == nil || c.No != 20 {
		t.Errorf("kqgq.complaint.first_instance.right is column %v, want 20", c)
	}
	if k.Column(7).Measure != Money || k.Column(8).Measure != Area {
		t.Errorf("01/KQGQ columns 7, 8 measure %s, %s; want money, area", k.Column(7).Measure, k.Column(8).Measure)
	}
}

func mustForm(t *testing.T, code string) *Form {
	t.Helper()
	f, ok := Builtin().Get(code, "2024.1")
	if !ok {
		t.Fatalf("form %s@2024.1 not found", code)
	}
	return f
}

const validDef = `
code: 99/T
circular: 01/2024/TT-TTCP
version: "1"
effective_from: "2024-03-05"
title: Thử
title_en: test
unit_header: Đơn vị
numbered_columns: 3
columns:
  - {no: 1, header: Tổng, en: total, metric: t.total, measure: count, formula: 2+3}
  - header: Nhóm
    en: group
    children:
      - {no: 2, header: A, en: a, metric: t.a, measure: count}
      - {no: 3, header: B, en: b, metric: t.b, measure: count}
identities:
  - 1 = 2+3
`

func TestLoadRejectsInconsistentDefinitions(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"duplicate number", "{no: 3, header: B", "{no: 2, header: B", "column number 2 is used twice"},
		{"gap in numbers", "{no: 3, header: B", "{no: 4, header: B", "3 is missing"},
		{"formula to a missing column", "formula: 2+3}", "formula: 2+9}", "column 9, which does not exist"},
		{"identity to a missing column", "  - 1 = 2+3\n", "  - 1 = 2+3\n  - 2 = 7\n", "column 7, which does not exist"},
		{"cycle", "metric: t.a, measure: count}", "metric: t.a, measure: count, formula: 1+3}", "cycle: "},
		{"formula not printed", "  - 1 = 2+3\n", "  - 1 = 2+3+3\n", "counts column 3 twice"},
		{"unprinted formula", "identities:\n  - 1 = 2+3\n", "identities: []\n", "not among the printed identities"},
		{"missing metric", "metric: t.b, ", "", "metric \"\""},
		{"duplicate metric", "metric: t.b,", "metric: t.a,", "both count t.a"},
		{"mixed measures", "metric: t.b, measure: count", "metric: t.b, measure: money", "adds column 3 (money) to a count"},
		{"unknown field", "title_en: test", "title_en: test\ncolour: red", "colour"},
		{"column count", "numbered_columns: 3", "numbered_columns: 4", "numbered_columns says 4"},
		{"printed order", "{no: 2, header: A, en: a, metric: t.a, measure: count}\n      - {no: 3, header: B, en: b, metric: t.b, measure: count}",
			"{no: 3, header: B, en: b, metric: t.b, measure: count}\n      - {no: 2, header: A, en: a, metric: t.a, measure: count}", "printed in position"},
	}
	if _, err := Load(fstest.MapFS{"x/99.yaml": {Data: []byte(validDef)}}); err != nil {
		t.Fatalf("the valid definition is rejected: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := strings.Replace(validDef, tc.old, tc.new, 1)
			if def == validDef {
				t.Fatalf("test case does not change the definition")
			}
			if tc.name == "cycle" {
				def = strings.Replace(def, "  - 1 = 2+3\n", "  - 1 = 2+3\n  - 2 = 1+3\n", 1)
			}
			_, err := Load(fstest.MapFS{"x/99.yaml": {Data: []byte(def)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	_, err := Load(fstest.MapFS{"a.yaml": {Data: []byte(validDef)}, "b.yaml": {Data: []byte(validDef)}})
	if err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Errorf("two definitions of one version: %v", err)
	}
}

var (
	phuHa  = Unit{Code: "P-PHUHA", Name: "Phường Phủ Hà"}
	baoAn  = Unit{Code: "P-BAOAN", Name: "Phường Bảo An"}
	q12025 = func() period.Range { r, _ := period.For(2025, period.Q1); return r }()
)

// xldFacts are hand-picked leaf values for 01/XLD that satisfy every
// identity: 6 = 8+9+10 = 11+12+13 = 14+18 and 1 = 2+3 = 4+5.
func xldFacts() []UnitFacts {
	return []UnitFacts{
		{Unit: phuHa, Facts: Facts{
			"xld.carried_over": 4, "xld.received_in_period": 21, "xld.processed": 20, "xld.unprocessed": 5,
			"xld.eligible.cases":             15,
			"xld.eligible.content.complaint": 9, "xld.eligible.content.denunciation": 3, "xld.eligible.content.recommendation": 6,
			"xld.eligible.status.resolved_once": 2, "xld.eligible.status.resolved_repeatedly": 1, "xld.eligible.status.unresolved": 15,
			"xld.competent.complaint": 5, "xld.competent.denunciation": 2, "xld.competent.recommendation": 4,
			"xld.outside.guided": 3, "xld.outside.forwarded": 2, "xld.outside.urged": 2,
			"xld.forwarded.replies_received": 1,
		}},
		{Unit: baoAn, Facts: Facts{
			"xld.carried_over": 0, "xld.received_in_period": 7, "xld.processed": 7,
			"xld.eligible.cases":             5,
			"xld.eligible.content.complaint": 2, "xld.eligible.content.recommendation": 4,
			"xld.eligible.status.unresolved": 6,
			"xld.competent.complaint":        2, "xld.competent.recommendation": 3,
			"xld.outside.forwarded": 1,
		}},
	}
}

func TestComputeFillsFormulasAndTotal(t *testing.T) {
	f := mustForm(t, "01/XLD")
	r, err := Compute(f, q12025, xldFacts())
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][3]Value{ // column → Phủ Hà, Bảo An, total
		1: {25, 7, 32}, 6: {18, 6, 24}, 14: {11, 5, 16}, 18: {7, 1, 8}, 3: {21, 7, 28}, 22: {1, 0, 1},
	}
	for no, w := range want {
		got := [3]Value{r.Units[0].Values[no], r.Units[1].Values[no], r.Total.Values[no]}
		if got != w {
			t.Errorf("column %d = %v, want %v", no, got, w)
		}
	}
	if r.Total.Unit.Name != TotalLabel || r.Period != q12025 {
		t.Errorf("total row %q, period %s", r.Total.Unit.Name, r.Period)
	}
	if warnings, err := Check(r); err != nil || len(warnings) != 0 {
		t.Fatalf("Check of a consistent report: %v, warnings %v", err, warnings)
	}
}

func TestCheckNamesTheBrokenIdentity(t *testing.T) {
	f := mustForm(t, "01/XLD")
	r, err := Compute(f, q12025, xldFacts())
	if err != nil {
		t.Fatal(err)
	}
	r.Units[0].Values[12] = 2 // one wrong cell: resolved several times
	r.Total.Values[12]++      // keep the total the sum of the units: the identity fails there too
	_, err = Check(r)
	var ce *CheckError
	if !errors.As(err, &ce) || len(ce.Violations) != 2 || ce.Violations[1].Row != TotalLabel {
		t.Fatalf("Check = %v, want the identity to fail on the unit row and the total row", err)
	}
	v := ce.Violations[0]
	if v.Form != "01/XLD@2024.1" || v.Row != "P-PHUHA Phường Phủ Hà" || v.Identity != "6 = 8+9+10 = 11+12+13 = 14+18" ||
		v.Left.String() != "6" || v.Right.String() != "11+12+13" || v.LeftValue != "18" || v.RightValue != "19" {
		t.Errorf("violation = %+v", v)
	}
	for _, s := range []string{"01/XLD", "Phường Phủ Hà", "6 = 8+9+10 = 11+12+13 = 14+18", "6 = 18", "11+12+13 = 19"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}

	r.Total.Values[12]-- // now the total row no longer sums the unit rows either
	_, err = Check(r)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Tổng cộng = Σ đơn vị (cột 12)") {
		t.Errorf("Check with an inconsistent total = %v", err)
	}
}

// A one-cell error on any side of any identity of any form is caught and
// named: no identity is left unchecked. An identity marked for verification
// is named as a warning, every other one as an error.
func TestCheckCoversEveryIdentity(t *testing.T) {
	for _, f := range Builtin().All() {
		for _, id := range f.Identities {
			for s, side := range id.Sides {
				r, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa}})
				if err != nil {
					t.Fatal(err)
				}
				r.Units[0].Values[side[0]]++
				r.Total.Values[side[0]]++
				var ce *CheckError
				warnings, err := Check(r)
				named := warnings
				if id.Verify == "" {
					if !errors.As(err, &ce) {
						t.Errorf("%s: a wrong column %d passes Check", f.Key(), side[0])
						continue
					}
					named = ce.Violations
				}
				found := false
				for _, v := range named {
					found = found || (v.Identity == id.Printed && v.Row == phuHa.Code+" "+phuHa.Name && v.Verify == id.Verify)
				}
				if !found {
					t.Errorf("%s: changing column %d (side %d of %q) gives %v", f.Key(), side[0], s, id.Printed, ce)
				}
			}
		}
	}
}

func TestComputeRejectsUnknownAndComputedFacts(t *testing.T) {
	f := mustForm(t, "01/TCD")
	for metric, want := range map[string]string{
		"reception.regular.visitz": "not a metric of this form",
		"reception.total.visits":   "column 1 = 4+13+22, computed",
	} {
		_, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa, Facts: Facts{metric: 1}}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compute with %s: %v, want %q", metric, err, want)
		}
	}
	_, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa, Text: map[int]string{4: "x"}}})
	if err == nil {
		t.Error("Compute accepted text in a count column")
	}
	if _, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa}, {Unit: phuHa}}); err == nil {
		t.Error("Compute accepted two rows for one unit")
	}
	r, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa, Text: map[int]string{30: "Tiếp tại trụ sở"}}})
	if err != nil || r.Units[0].Text[30] != "Tiếp tại trụ sở" {
		t.Errorf("notes column: %v, %v", r, err)
	}
}

func TestKQGQMoneyAndNestedFormulas(t *testing.T) {
	f := mustForm(t, "03/KQGQ")
	facts := Facts{
		"kqgq.denunciation.resolved.first": 3, "kqgq.denunciation.resolved.withdrawn": 1,
		"kqgq.denunciation.conclusion.true": 2, "kqgq.denunciation.conclusion.true_repeat": 1,
		"kqgq.denunciation.conclusion.untrue": 2, "kqgq.denunciation.conclusion.untrue_repeat": 1,
		"kqgq.denunciation.conclusion.partly_true": 1,
		"kqgq.denunciation.deadline.on_time":       4, "kqgq.denunciation.deadline.late": 1,
		"kqgq.denunciation.recovery.state.money": MoneyFromVND(125_400_600), // 125,400,600 đồng ≈ 125.401 million VND
	}
	r, err := Compute(f, q12025, []UnitFacts{{Unit: baoAn, Facts: facts}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Units[0].Values; got[8] != 2 || got[6] != 6 {
		t.Errorf("8 = 25+27+29 = %d and 6 = 7+8+9+10 = %d, want 2 and 6", got[8], got[6])
	}
	if got := Money.Format(r.Total.Values[11]); got != "125.401" {
		t.Errorf("money = %s million VND, want 125.401", got)
	}
	// 24+26+28 = 5 ≠ 6: the identity is marked for verification, so the failure is a warning.
	warnings, err := Check(r)
	if err != nil || len(warnings) != 4 || warnings[0].Identity != "6 = 7+8+9+10 = 24+26+28 = 30+31" ||
		warnings[0].Detail() != "6 = 6 ≠ 24+26+28 = 5" || !strings.Contains(warnings[0].Verify, "printed") || warnings[2].Row != TotalLabel {
		t.Errorf("Check = %v, warnings %+v; want the marked identity as a warning on the unit and the total row", err, warnings)
	}
}

// A verify mark demotes only its own identity: an unmarked identity that fails
// still refuses the report, beside the marked one's warning.
func TestVerifyMarkedIdentities(t *testing.T) {
	marked := strings.Replace(validDef, "identities:\n  - 1 = 2+3\n",
		"identities:\n  - 1 = 2+3\n  - identity: 2 = 3\n    verify: the source may be wrong\n", 1)
	reg, err := Load(fstest.MapFS{"x/99.yaml": {Data: []byte(marked)}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := reg.Get("99/T", "1")
	if f.Identities[0].Verify != "" || f.Identities[1].Verify != "the source may be wrong" {
		t.Fatalf("identities %+v", f.Identities)
	}
	r, err := Compute(f, q12025, []UnitFacts{{Unit: phuHa, Facts: Facts{"t.a": 2, "t.b": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	warnings, err := Check(r)
	if err != nil || len(warnings) != 2 || warnings[0].Identity != "2 = 3" || warnings[0].Verify != "the source may be wrong" {
		t.Fatalf("marked identity failing: %v, warnings %+v", err, warnings)
	}
	r.Units[0].Values[1]++ // 1 = 2+3 is not marked
	r.Total.Values[1]++
	var ce *CheckError
	warnings, err = Check(r)
	if !errors.As(err, &ce) || len(ce.Violations) != 2 || ce.Violations[0].Identity != "1 = 2+3" || len(warnings) != 2 {
		t.Errorf("unmarked identity failing: %v, warnings %v", err, warnings)
	}
	for name, def := range map[string]string{
		"empty verify":  strings.Replace(marked, "verify: the source may be wrong", "verify: \"\"", 1),
		"unknown field": strings.Replace(marked, "verify:", "verified:", 1),
		"no identity":   strings.Replace(marked, "identity: 2 = 3", "identity: \"\"", 1),
	} {
		if _, err := Load(fstest.MapFS{"x/99.yaml": {Data: []byte(def)}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValueFormatting(t *testing.T) {
	tests := []struct {
		m        Measure
		in       string
		v        Value
		out, vn  string
		parseErr bool
	}{
		{Count, "1234567", 1234567, "1234567", "1.234.567", false},
		{Money, "12.5", 12500, "12.5", "12,5", false},
		{Money, "-1500.25", -1500250, "-1500.25", "-1.500,25", false},
		{Area, "300", 30000, "300", "300", false},
		{Area, "0.125", 0, "", "", true},
		{Count, "1.5", 0, "", "", true},
		{Count, "abc", 0, "", "", true},
	}
	for _, tc := range tests {
		v, err := tc.m.Parse(tc.in)
		if (err != nil) != tc.parseErr {
			t.Errorf("%s.Parse(%q) error = %v", tc.m, tc.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if v != tc.v || tc.m.Format(v) != tc.out || tc.m.FormatVN(v) != tc.vn {
			t.Errorf("%s %q → %d, %q, %q; want %d, %q, %q", tc.m, tc.in, v, tc.m.Format(v), tc.m.FormatVN(v), tc.v, tc.out, tc.vn)
		}
	}
	if MoneyFromVND(1_499) != 1 || MoneyFromVND(1_500) != 2 || MoneyFromVND(-1_500) != -2 {
		t.Error("MoneyFromVND does not round half away from zero to the thousand đồng")
	}
	if Money.Of(3) != 3000 || Area.Float(12345) != 123.45 {
		t.Error("Of/Float do not use the measure's scale")
	}
}
