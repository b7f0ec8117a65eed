package unitreg_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

var d = calendar.MustParseDate

const (
	province   = unitv1.UnitKind_UNIT_KIND_PROVINCE
	city       = unitv1.UnitKind_UNIT_KIND_CITY
	ward       = unitv1.UnitKind_UNIT_KIND_WARD
	committee  = unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE
	department = unitv1.UnitKind_UNIT_KIND_DEPARTMENT

	complaint    = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	denunciation = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	feedback     = commonv1.PetitionKind_PETITION_KIND_FEEDBACK

	first  = unitv1.Instance_INSTANCE_FIRST
	second = unitv1.Instance_INSTANCE_SECOND
	noInst = unitv1.Instance_INSTANCE_UNSPECIFIED

	self = unitv1.Respondent_RESPONDENT_SELF
	subs = unitv1.Respondent_RESPONDENT_SUBORDINATES
)

func rule(k commonv1.PetitionKind, i unitv1.Instance, r unitv1.Respondent, basis string) *unitv1.CompetenceRule {
	return &unitv1.CompetenceRule{Kind: k, Instance: i, Respondent: r, Basis: basis}
}

func register(code, name string, kind unitv1.UnitKind, parent, from string, rules ...*unitv1.CompetenceRule) *unitv1.UnitRegistered {
	return &unitv1.UnitRegistered{Code: code, Name: name, Kind: kind, ParentCode: parent,
		EffectiveFrom: unitreg.DateProto(d(from)), Competence: rules}
}

func merge(code, successor, from string) *unitv1.UnitMerged {
	return &unitv1.UnitMerged{Code: code, SuccessorCode: successor, EffectiveFrom: unitreg.DateProto(d(from)), Basis: "NQ 1667/NQ-UBTVQH15"}
}

func reparent(code, parent, from string) *unitv1.UnitReparented {
	return &unitv1.UnitReparented{Code: code, ParentCode: parent, EffectiveFrom: unitreg.DateProto(d(from))}
}

func changeCompetence(code, from string, rules ...*unitv1.CompetenceRule) *unitv1.UnitCompetenceChanged {
	return &unitv1.UnitCompetenceChanged{Code: code, EffectiveFrom: unitreg.DateProto(d(from)), Competence: rules}
}

// Rule sets of the fixture, as in the demo registry (before and after 1/7/2025).
var (
	wardPC = []*unitv1.CompetenceRule{
		rule(complaint, first, self, "Luật KN Đ17"),
		rule(denunciation, noInst, self, "Luật TC Đ13.1"),
	}
	cityPC = []*unitv1.CompetenceRule{
		rule(complaint, first, self, "Luật KN Đ18.1"),
		rule(complaint, second, subs, "Luật KN Đ18.2"),
		rule(denunciation, noInst, self, "Luật TC Đ13.3"),
		rule(denunciation, noInst, subs, "Luật TC Đ13.3"),
	}
	cityDept = []*unitv1.CompetenceRule{
		rule(complaint, first, self, "Luật KN Đ17"),
		rule(denunciation, noInst, self, "Luật TC Đ13.2"),
	}
	provincePC = []*unitv1.CompetenceRule{
		rule(complaint, first, self, "Luật KN Đ21.1"),
		rule(complaint, second, subs, "Luật KN Đ21.2"),
		rule(denunciation, noInst, self, "Luật TC Đ13.5"),
		rule(denunciation, noInst, subs, "Luật TC Đ13.5"),
	}
	provincePC2025 = []*unitv1.CompetenceRule{
		rule(complaint, first, self, "Luật KN Đ21.1"),
		rule(complaint, second, subs, "Luật KN Đ21.2; NĐ 141/2025/NĐ-CP"),
		rule(denunciation, noInst, self, "Luật TC Đ13.5"),
		rule(denunciation, noInst, subs, "Luật TC Đ13.5; NĐ 141/2025/NĐ-CP"),
		rule(feedback, noInst, self, "Luật TCD Đ2"),
	}
)

// before is Phan Rang–Tháp Chàm as the demo has it from 2024 (two wards of fifteen), and Khánh Hòa.
func before() []proto.Message {
	return []proto.Message{
		register("NT", "Tỉnh Ninh Thuận", province, "", "2024-01-01"),
		register("NT.UBND", "Ủy ban nhân dân tỉnh Ninh Thuận", committee, "NT", "2024-01-01", provincePC...),
		register("NT.PRTC", "Thành phố Phan Rang–Tháp Chàm", city, "NT", "2024-01-01"),
		register("NT.PRTC.UBND", "Ủy ban nhân dân thành phố Phan Rang–Tháp Chàm", committee, "NT.PRTC", "2024-01-01", cityPC...),
		register("NT.PRTC.TNMT", "Phòng Tài nguyên và Môi trường", department, "NT.PRTC.UBND", "2024-01-01", cityDept...),
		register("NT.PRTC.KD", "Phường Kinh Dinh", ward, "NT.PRTC", "2024-01-01"),
		register("NT.PRTC.KD.UBND", "Ủy ban nhân dân phường Kinh Dinh", committee, "NT.PRTC.KD", "2024-01-01", wardPC...),
		register("NT.PRTC.PH", "Phường Phủ Hà", ward, "NT.PRTC", "2024-01-01"),
		register("NT.PRTC.PH.UBND", "Ủy ban nhân dân phường Phủ Hà", committee, "NT.PRTC.PH", "2024-01-01", wardPC...),
		register("KH", "Tỉnh Khánh Hòa", province, "", "2024-01-01"),
		register("KH.UBND", "Ủy ban nhân dân tỉnh Khánh Hòa", committee, "KH", "2024-01-01", provincePC...),
		register("KH.SNNMT", "Sở Nông nghiệp và Môi trường", department, "KH.UBND", "2025-03-01", cityDept...),
	}
}

// reorganisation is 1/7/2025: the city is abolished, Ninh Thuận merges into Khánh Hòa, Kinh Dinh and
// Phủ Hà merge into the new Phan Rang ward directly under the province.
func reorganisation() []proto.Message {
	return []proto.Message{
		register("KH.PHANRANG", "Phường Phan Rang", ward, "KH", "2025-07-01"),
		register("KH.PHANRANG.UBND", "Ủy ban nhân dân phường Phan Rang", committee, "KH.PHANRANG", "2025-07-01", wardPC...),
		changeCompetence("KH.UBND", "2025-07-01", provincePC2025...),
		merge("NT.PRTC.KD.UBND", "KH.PHANRANG.UBND", "2025-07-01"),
		merge("NT.PRTC.KD", "KH.PHANRANG", "2025-07-01"),
		merge("NT.PRTC.PH.UBND", "KH.PHANRANG.UBND", "2025-07-01"),
		merge("NT.PRTC.PH", "KH.PHANRANG", "2025-07-01"),
		merge("NT.PRTC.TNMT", "KH.SNNMT", "2025-07-01"),
		merge("NT.PRTC.UBND", "KH.UBND", "2025-07-01"),
		merge("NT.PRTC", "KH", "2025-07-01"),
		merge("NT.UBND", "KH.UBND", "2025-07-01"),
		merge("NT", "KH", "2025-07-01"),
	}
}

func build(t *testing.T, events ...[]proto.Message) *unitreg.Registry {
	t.Helper()
	r := unitreg.New()
	for _, evs := range events {
		for i, e := range evs {
			if err := r.Apply(e); err != nil {
				t.Fatalf("event %d (%T %v): %v", i, e, e, err)
			}
		}
	}
	return r
}

func codes(us []unitreg.Unit) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Code
	}
	return out
}

func TestKinhDinhMovesToPhanRangOnFirstJuly2025(t *testing.T) {
	r := build(t, before(), reorganisation())

	// Up to 30/6/2025 Kinh Dinh is a ward of the city.
	kd, ok := r.Unit("NT.PRTC.KD", d("2025-06-30"))
	if !ok || kd.Ended() || kd.ParentCode != "NT.PRTC" {
		t.Fatalf("Kinh Dinh on 2025-06-30 = %+v, %v; want in force under NT.PRTC", kd, ok)
	}
	if got := codes(r.Ancestors("NT.PRTC.KD.UBND", d("2025-06-30"))); !slices.Equal(got, []string{"NT.PRTC.KD", "NT.PRTC", "NT"}) {
		t.Errorf("ancestors of the Kinh Dinh committee on 2025-06-30 = %v", got)
	}
	if got, _ := r.ResolveSuccessor("NT.PRTC.KD", d("2025-06-30")); got.Code != "NT.PRTC.KD" {
		t.Errorf("Kinh Dinh's cases on 2025-06-30 are held by %s, want itself", got.Code)
	}

	// From 1/7/2025 its cases belong to the new Phan Rang ward under Khánh Hòa.
	kd, ok = r.Unit("NT.PRTC.KD", d("2025-07-01"))
	if !ok || kd.EndedOn != d("2025-06-30") || kd.SuccessorCode != "KH.PHANRANG" || kd.ParentCode != "NT.PRTC" {
		t.Fatalf("Kinh Dinh on 2025-07-01 = %+v; want ended 2025-06-30 into KH.PHANRANG, last under NT.PRTC", kd)
	}
	if kd.MergeBasis != "NQ 1667/NQ-UBTVQH15" {
		t.Errorf("merge basis = %q", kd.MergeBasis)
	}
	for _, code := range []string{"NT.PRTC.KD", "NT.PRTC.PH"} {
		if got, _ := r.ResolveSuccessor(code, d("2025-07-01")); got.Code != "KH.PHANRANG" || got.ParentCode != "KH" {
			t.Errorf("%s's cases on 2025-07-01 are held by %+v, want KH.PHANRANG under KH", code, got)
		}
	}
	if got, _ := r.ResolveSuccessor("NT.PRTC.KD.UBND", d("2026-01-01")); got.Code != "KH.PHANRANG.UBND" {
		t.Errorf("the Kinh Dinh committee's cases are held by %s, want KH.PHANRANG.UBND", got.Code)
	}
	if s, from, ok := r.Successor("NT.PRTC.KD"); !ok || s != "KH.PHANRANG" || from != d("2025-07-01") {
		t.Errorf("Successor(NT.PRTC.KD) = %s, %s, %v", s, from, ok)
	}
	if _, _, ok := r.Successor("KH.PHANRANG"); ok {
		t.Error("KH.PHANRANG has a successor")
	}
	if p, ok := r.Parent("KH.PHANRANG", d("2025-07-01")); !ok || p.Code != "KH" {
		t.Errorf("parent of Phan Rang = %v, %v", p.Code, ok)
	}
	if _, ok := r.Unit("KH.PHANRANG", d("2025-06-30")); ok {
		t.Error("Phan Rang exists before 1/7/2025")
	}
	if _, ok := r.ResolveSuccessor("KH.PHANRANG", d("2025-06-30")); ok {
		t.Error("Phan Rang holds cases before it exists")
	}

	// The hierarchy as of each day.
	if got := codes(r.Children("NT.PRTC", d("2025-06-30"))); !slices.Equal(got, []string{"NT.PRTC.KD", "NT.PRTC.PH", "NT.PRTC.UBND"}) {
		t.Errorf("children of the city on 2025-06-30 = %v", got)
	}
	if got := r.Children("NT.PRTC", d("2025-07-01")); len(got) != 0 {
		t.Errorf("children of the abolished city on 2025-07-01 = %v", codes(got))
	}
	if got := codes(r.Children("KH", d("2025-07-01"))); !slices.Equal(got, []string{"KH.PHANRANG", "KH.UBND"}) {
		t.Errorf("children of Khánh Hòa on 2025-07-01 = %v", got)
	}
	if got := codes(r.Children("KH.UBND", d("2025-06-30"))); !slices.Equal(got, []string{"KH.SNNMT"}) {
		t.Errorf("children of KH.UBND = %v", got)
	}
}

func TestList(t *testing.T) {
	r := build(t, before(), reorganisation())
	tests := []struct {
		on           string
		prefix       string
		includeEnded bool
		want         []string
	}{
		{"2023-12-31", "", true, nil},
		{"2025-06-30", "NT.PRTC", false, []string{"NT.PRTC", "NT.PRTC.KD", "NT.PRTC.KD.UBND", "NT.PRTC.PH", "NT.PRTC.PH.UBND", "NT.PRTC.TNMT", "NT.PRTC.UBND"}},
		{"2025-07-01", "NT.PRTC", false, nil},
		{"2025-07-01", "NT.PRTC.K", true, []string{"NT.PRTC.KD", "NT.PRTC.KD.UBND"}},
		{"2025-02-28", "KH", false, []string{"KH", "KH.UBND"}},
		{"2025-07-01", "KH", false, []string{"KH", "KH.PHANRANG", "KH.PHANRANG.UBND", "KH.SNNMT", "KH.UBND"}},
	}
	for _, tt := range tests {
		got := codes(r.List(d(tt.on), tt.prefix, tt.includeEnded))
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("List(%s, %q, %v) = %v, want %v", tt.on, tt.prefix, tt.includeEnded, got, tt.want)
		}
	}
	for _, u := range r.List(d("2025-07-01"), "NT", true) {
		if !u.Ended() || u.SuccessorCode == "" {
			t.Errorf("%s on 2025-07-01: %+v, want ended with a successor", u.Code, u)
		}
	}
}

func TestRollUpTarget(t *testing.T) {
	r := build(t, before(), reorganisation())
	// Report periods of Circular 01/2024/TT-TTCP for 2025.
	tests := []struct {
		name     string
		from, to string
		want     string
	}{
		{"Q1 2025, before the merger", "2024-12-15", "2025-03-14", "NT.PRTC.KD"},
		{"6 months 2025, before the merger", "2024-12-15", "2025-06-14", "NT.PRTC.KD"},
		{"a period ending the day before", "2025-06-01", "2025-06-30", "NT.PRTC.KD"},
		{"a period ending on the merger day", "2025-06-01", "2025-07-01", "KH.PHANRANG"},
		{"9 months 2025, across the merger", "2024-12-15", "2025-09-14", "KH.PHANRANG"},
		{"year 2026", "2025-12-15", "2026-12-14", "KH.PHANRANG"},
	}
	for _, tt := range tests {
		got, ok := r.RollUpTarget("NT.PRTC.KD", unitreg.Period{From: d(tt.from), To: d(tt.to)})
		if !ok || got.Code != tt.want {
			t.Errorf("%s: RollUpTarget = %q, %v; want %s", tt.name, got.Code, ok, tt.want)
		}
	}
	if _, ok := r.RollUpTarget("KH.PHANRANG", unitreg.Period{From: d("2024-12-15"), To: d("2025-03-14")}); ok {
		t.Error("a unit that did not exist yet has a roll-up target")
	}
	// The successor's own roll-up goes up its hierarchy: Phan Rang → Khánh Hòa.
	target, _ := r.RollUpTarget("NT.PRTC.KD", unitreg.Period{From: d("2024-12-15"), To: d("2025-12-14")})
	if got := codes(r.Ancestors(target.Code, d("2025-12-14"))); !slices.Equal(got, []string{"KH"}) {
		t.Errorf("ancestors of %s = %v", target.Code, got)
	}
}

func TestSuccessorChain(t *testing.T) {
	r := build(t, before(), reorganisation(), []proto.Message{
		register("KH.PHANRANG2", "Phường Phan Rang (mới)", ward, "KH", "2026-01-01"),
		merge("KH.PHANRANG.UBND", "KH.UBND", "2026-01-01"),
		merge("KH.PHANRANG", "KH.PHANRANG2", "2026-01-01"),
	})
	for _, tt := range []struct{ on, want string }{
		{"2025-06-30", "NT.PRTC.KD"},
		{"2025-07-01", "KH.PHANRANG"},
		{"2025-12-31", "KH.PHANRANG"},
		{"2026-01-01", "KH.PHANRANG2"},
	} {
		if got, _ := r.ResolveSuccessor("NT.PRTC.KD", d(tt.on)); got.Code != tt.want {
			t.Errorf("ResolveSuccessor(NT.PRTC.KD, %s) = %s, want %s", tt.on, got.Code, tt.want)
		}
	}
	if s, _, _ := r.Successor("NT.PRTC.KD"); s != "KH.PHANRANG" {
		t.Errorf("direct successor = %s", s)
	}
}

func TestReparent(t *testing.T) {
	r := build(t, before(), []proto.Message{reparent("NT.PRTC.TNMT", "NT.UBND", "2025-03-01")})
	for _, tt := range []struct{ on, want string }{{"2025-02-28", "NT.PRTC.UBND"}, {"2025-03-01", "NT.UBND"}} {
		if p, _ := r.Parent("NT.PRTC.TNMT", d(tt.on)); p.Code != tt.want {
			t.Errorf("parent on %s = %s, want %s", tt.on, p.Code, tt.want)
		}
	}
	if got := codes(r.Children("NT.PRTC.UBND", d("2025-03-01"))); len(got) != 0 {
		t.Errorf("children of the city committee after the move = %v", got)
	}
	if got := r.ChangeDates(); !slices.Equal(got, []calendar.Date{d("2024-01-01"), d("2025-03-01")}) {
		t.Errorf("ChangeDates = %v", got)
	}
}

func TestCompetenceChangeIsDated(t *testing.T) {
	r := build(t, before(), reorganisation())
	old, _ := r.Unit("KH.UBND", d("2025-06-30"))
	now, _ := r.Unit("KH.UBND", d("2025-07-01"))
	if len(old.Competence) != 4 || len(now.Competence) != 5 || now.Competence[1].Basis != "Luật KN Đ21.2; NĐ 141/2025/NĐ-CP" {
		t.Errorf("competence before %v, after %v", old.Competence, now.Competence)
	}
	// An ended unit shows the rules of its last day.
	kd, _ := r.Unit("NT.PRTC.KD.UBND", d("2030-01-01"))
	if len(kd.Competence) != 2 {
		t.Errorf("ended unit's competence = %v", kd.Competence)
	}
	if got := r.ChangeDates(); !slices.Equal(got, []calendar.Date{d("2024-01-01"), d("2025-03-01"), d("2025-07-01")}) {
		t.Errorf("ChangeDates = %v", got)
	}
}

func TestCompetentUnit(t *testing.T) {
	r := build(t, before(), reorganisation())
	tests := []struct {
		name        string
		q           unitreg.CompetenceQuery
		want, basis string
		firstInst   string
	}{
		{"first complaint about the ward committee's act: the ward chair",
			unitreg.CompetenceQuery{Kind: complaint, Instance: first, Respondent: "NT.PRTC.KD.UBND", On: d("2025-03-10")},
			"NT.PRTC.KD.UBND", "Luật KN Đ17", ""},
		{"a ward stands for its People's Committee",
			unitreg.CompetenceQuery{Kind: complaint, Instance: first, Respondent: "NT.PRTC.KD", On: d("2025-03-10")},
			"NT.PRTC.KD.UBND", "Luật KN Đ17", ""},
		{"second complaint about the ward chair's decision: the city chair before 1/7/2025",
			unitreg.CompetenceQuery{Kind: complaint, Instance: second, Respondent: "NT.PRTC.KD.UBND", On: d("2025-06-30")},
			"NT.PRTC.UBND", "Luật KN Đ18.2", "NT.PRTC.KD.UBND"},
		{"from 1/7/2025 the respondent is Phan Rang and the second instance the provincial chair",
			unitreg.CompetenceQuery{Kind: complaint, Instance: second, Respondent: "NT.PRTC.KD.UBND", On: d("2025-07-01")},
			"KH.UBND", "Luật KN Đ21.2; NĐ 141/2025/NĐ-CP", "KH.PHANRANG.UBND"},
		{"first complaint about a city department: its director",
			unitreg.CompetenceQuery{Kind: complaint, Instance: first, Respondent: "NT.PRTC.TNMT", On: d("2025-03-10")},
			"NT.PRTC.TNMT", "Luật KN Đ17", ""},
		{"second complaint about a city department: the city chair",
			unitreg.CompetenceQuery{Kind: complaint, Instance: second, Respondent: "NT.PRTC.TNMT", On: d("2025-03-10")},
			"NT.PRTC.UBND", "Luật KN Đ18.2", "NT.PRTC.TNMT"},
		{"second complaint about the city chair's decision: the provincial chair",
			unitreg.CompetenceQuery{Kind: complaint, Instance: second, Respondent: "NT.PRTC.UBND", On: d("2025-03-10")},
			"NT.UBND", "Luật KN Đ21.2", "NT.PRTC.UBND"},
		{"denunciation of ward staff: the ward chair who manages them",
			unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.PRTC.KD.UBND", On: d("2025-03-10")},
			"NT.PRTC.KD.UBND", "Luật TC Đ13.1", ""},
		{"denunciation of the ward chair: the city chair",
			unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.PRTC.KD.UBND", On: d("2025-03-10"), AgainstHead: true},
			"NT.PRTC.UBND", "Luật TC Đ13.3", ""},
		{"denunciation of the (successor) ward chair after 1/7/2025: the provincial chair",
			unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.PRTC.KD.UBND", On: d("2025-08-01"), AgainstHead: true},
			"KH.UBND", "Luật TC Đ13.5; NĐ 141/2025/NĐ-CP", ""},
		{"instance is ignored for a denunciation",
			unitreg.CompetenceQuery{Kind: denunciation, Instance: second, Respondent: "NT.PRTC.TNMT", On: d("2025-03-10")},
			"NT.PRTC.TNMT", "Luật TC Đ13.2", ""},
		{"feedback about the provincial committee after the change",
			unitreg.CompetenceQuery{Kind: feedback, Respondent: "KH", On: d("2025-07-01")},
			"KH.UBND", "Luật TCD Đ2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := r.Competent(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if c.Unit.Code != tt.want || c.Rule.Basis != tt.basis || c.FirstInstance.Code != tt.firstInst {
				t.Errorf("got %s (%q, first instance %q), want %s (%q, %q)", c.Unit.Code, c.Rule.Basis, c.FirstInstance.Code, tt.want, tt.basis, tt.firstInst)
			}
		})
	}
	if c, err := r.CompetentUnit(complaint, first, "KH.PHANRANG", d("2025-07-01")); err != nil || c.Unit.Code != "KH.PHANRANG.UBND" {
		t.Errorf("CompetentUnit = %+v, %v", c.Unit, err)
	}

	failures := []struct {
		name   string
		q      unitreg.CompetenceQuery
		kind   apperr.Kind
		reason string
	}{
		{"complaint without instance", unitreg.CompetenceQuery{Kind: complaint, Respondent: "NT.PRTC.KD.UBND", On: d("2025-03-10")}, apperr.KindInvalidArgument, ""},
		{"multi-content", unitreg.CompetenceQuery{Kind: commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT, Respondent: "NT", On: d("2025-03-10")}, apperr.KindInvalidArgument, ""},
		{"unknown respondent", unitreg.CompetenceQuery{Kind: denunciation, Respondent: "XX", On: d("2025-03-10")}, apperr.KindNotFound, unitreg.ReasonUnitUnknown},
		{"respondent not yet existing", unitreg.CompetenceQuery{Kind: denunciation, Respondent: "KH.PHANRANG", On: d("2025-03-10")}, apperr.KindNotFound, unitreg.ReasonUnitUnknown},
		{"no rule for feedback before the change", unitreg.CompetenceQuery{Kind: feedback, Respondent: "NT.PRTC.KD.UBND", On: d("2025-03-10")}, apperr.KindNotFound, unitreg.ReasonNoCompetentUnit},
		{"second instance above the top", unitreg.CompetenceQuery{Kind: complaint, Instance: second, Respondent: "KH.UBND", On: d("2025-07-10")}, apperr.KindNotFound, unitreg.ReasonNoCompetentUnit},
		{"a province has no committee above", unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.UBND", On: d("2025-03-10"), AgainstHead: true}, apperr.KindNotFound, unitreg.ReasonNoCompetentUnit},
	}
	for _, tt := range failures {
		_, err := r.Competent(tt.q)
		e, ok := apperr.As(err)
		if !ok || e.Kind() != tt.kind || (tt.reason != "" && e.Reason() != tt.reason) {
			t.Errorf("%s: err = %v, want %v %s", tt.name, err, tt.kind, tt.reason)
		}
	}
}

// TestApplyRefuses checks every refusal: the kind and reason a client sees, the field named, and
// that a refused event changes nothing.
func TestApplyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		setup  []proto.Message // applied after before()
		event  proto.Message
		kind   apperr.Kind
		reason string
		field  string
	}{
		{"missing code", nil, register("", "X", ward, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "code"},
		{"lower-case code", nil, register("nt.x", "X", ward, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "code"},
		{"underscore in code", nil, register("NT_X", "X", ward, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "code"},
		{"missing name", nil, register("NT.X", " ", ward, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "name"},
		{"missing kind", nil, register("NT.X", "X", 0, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "kind"},
		{"unknown kind", nil, register("NT.X", "X", 99, "NT.PRTC", "2024-01-01"), apperr.KindInvalidArgument, "", "kind"},
		{"own parent", nil, register("NT.X", "X", ward, "NT.X", "2024-01-01"), apperr.KindInvalidArgument, "", "parent_code"},
		{"missing date", nil, &unitv1.UnitRegistered{Code: "NT.X", Name: "X", Kind: ward, ParentCode: "NT.PRTC"}, apperr.KindInvalidArgument, "", "effective_from"},
		{"impossible date", nil, &unitv1.UnitRegistered{Code: "NT.X", Name: "X", Kind: ward, ParentCode: "NT.PRTC",
			EffectiveFrom: &commonv1.CivilDate{Year: 2025, Month: 2, Day: 29}}, apperr.KindInvalidArgument, "", "effective_from"},
		{"complaint rule without instance", nil, register("NT.X", "X", committee, "NT.PRTC", "2024-01-01", rule(complaint, noInst, self, "Luật KN Đ17")), apperr.KindInvalidArgument, "", "competence[0].instance"},
		{"denunciation rule with instance", nil, register("NT.X", "X", committee, "NT.PRTC", "2024-01-01", rule(denunciation, first, self, "Luật TC Đ13")), apperr.KindInvalidArgument, "", "competence[0].instance"},
		{"second instance over itself", nil, register("NT.X", "X", committee, "NT.PRTC", "2024-01-01", rule(complaint, second, self, "Luật KN Đ18")), apperr.KindInvalidArgument, "", "competence[0].respondent"},
		{"rule without basis", nil, register("NT.X", "X", committee, "NT.PRTC", "2024-01-01", rule(complaint, first, self, "")), apperr.KindInvalidArgument, "", "competence[0].basis"},
		{"repeated rule", nil, register("NT.X", "X", committee, "NT.PRTC", "2024-01-01", rule(complaint, first, self, "a"), rule(complaint, first, self, "b")), apperr.KindInvalidArgument, "", "competence[1]"},
		{"duplicate code", nil, register("NT.PRTC.KD", "Phường Kinh Dinh", ward, "NT.PRTC", "2024-01-01"), apperr.KindAlreadyExists, unitreg.ReasonUnitExists, "code"},
		{"unknown parent", nil, register("NT.X", "X", ward, "NT.NOPE", "2024-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonParentUnknown, "parent_code"},
		{"parent does not exist yet", nil, register("KH.X", "X", ward, "KH.SNNMT", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonParentNotInForce, "parent_code"},
		{"parent has ended", reorganisation(), register("NT.PRTC.X", "X", ward, "NT.PRTC", "2024-06-01"), apperr.KindFailedPrecondition, unitreg.ReasonParentNotInForce, "parent_code"},
		{"move an unknown unit", nil, reparent("NT.NOPE", "NT", "2025-01-01"), apperr.KindNotFound, unitreg.ReasonUnitUnknown, "code"},
		{"move before the unit exists", nil, reparent("KH.SNNMT", "KH", "2025-02-01"), apperr.KindFailedPrecondition, unitreg.ReasonBeforeUnit, "effective_from"},
		{"move on the registration day", nil, reparent("NT.PRTC.TNMT", "NT.UBND", "2024-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonOutOfOrder, "effective_from"},
		{"move under an unknown unit", nil, reparent("NT.PRTC.TNMT", "NT.NOPE", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonParentUnknown, "parent_code"},
		{"move under the same parent", nil, reparent("NT.PRTC.TNMT", "NT.PRTC.UBND", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonParentUnchanged, "parent_code"},
		{"move under its own child", nil, reparent("NT.PRTC", "NT.PRTC.KD", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonCycle, "parent_code"},
		{"move under a unit that moves under it later",
			[]proto.Message{reparent("NT.PRTC.PH", "NT.PRTC.KD", "2025-05-01")},
			reparent("NT.PRTC.KD", "NT.PRTC.PH.UBND", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonCycle, "parent_code"},
		{"move an ended unit", reorganisation(), reparent("NT.PRTC.KD", "KH", "2025-08-01"), apperr.KindFailedPrecondition, unitreg.ReasonUnitEnded, "code"},
		{"merge without basis", nil, &unitv1.UnitMerged{Code: "NT.PRTC.KD", SuccessorCode: "NT.PRTC.PH", EffectiveFrom: unitreg.DateProto(d("2025-01-01"))}, apperr.KindInvalidArgument, "", "basis"},
		{"merge into itself", nil, merge("NT.PRTC.KD", "NT.PRTC.KD", "2025-01-01"), apperr.KindInvalidArgument, "", "successor_code"},
		{"merge into an unknown unit", nil, merge("NT.PRTC.KD.UBND", "KH.NOPE", "2025-07-01"), apperr.KindFailedPrecondition, unitreg.ReasonSuccessorUnknown, "successor_code"},
		{"merge into a unit that does not exist yet", nil, merge("NT.PRTC.TNMT", "KH.SNNMT", "2025-02-01"), apperr.KindFailedPrecondition, unitreg.ReasonSuccessorNotInForce, "successor_code"},
		{"merge into an ended unit",
			[]proto.Message{merge("NT.PRTC.PH.UBND", "NT.PRTC.KD.UBND", "2025-01-01")},
			merge("NT.PRTC.TNMT", "NT.PRTC.PH.UBND", "2025-02-01"), apperr.KindFailedPrecondition, unitreg.ReasonSuccessorNotInForce, "successor_code"},
		{"merge an unknown unit", nil, merge("NT.NOPE", "KH", "2025-07-01"), apperr.KindNotFound, unitreg.ReasonUnitUnknown, "code"},
		{"merge an ended unit", reorganisation(), merge("NT.PRTC.KD", "KH", "2025-08-01"), apperr.KindFailedPrecondition, unitreg.ReasonUnitEnded, "code"},
		{"merge on the registration day", nil, merge("NT.PRTC.KD.UBND", "NT.PRTC.PH.UBND", "2024-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonBeforeUnit, "effective_from"},
		{"merge a unit that still has units under it", nil, merge("NT.PRTC.KD", "NT.PRTC.PH", "2025-01-01"), apperr.KindFailedPrecondition, unitreg.ReasonChildrenInForce, "code"},
		{"merge a unit that receives a merger later",
			[]proto.Message{merge("NT.PRTC.PH.UBND", "NT.PRTC.KD.UBND", "2025-05-01")},
			merge("NT.PRTC.KD.UBND", "NT.UBND", "2025-03-01"), apperr.KindFailedPrecondition, unitreg.ReasonReceivesMergerLater, "effective_from"},
		{"merge a unit on the day another merges into it",
			[]proto.Message{merge("NT.PRTC.PH.UBND", "NT.PRTC.KD.UBND", "2025-05-01")},
			merge("NT.PRTC.KD.UBND", "NT.UBND", "2025-05-01"), apperr.KindFailedPrecondition, unitreg.ReasonReceivesMergerLater, "effective_from"},
		{"merge before its last change",
			[]proto.Message{changeCompetence("NT.PRTC.KD.UBND", "2025-05-01")},
			merge("NT.PRTC.KD.UBND", "NT.PRTC.PH.UBND", "2025-03-01"), apperr.KindFailedPrecondition, unitreg.ReasonOutOfOrder, "effective_from"},
		{"competence of an unknown unit", nil, changeCompetence("NT.NOPE", "2025-01-01"), apperr.KindNotFound, unitreg.ReasonUnitUnknown, "code"},
		{"competence before the unit exists", nil, changeCompetence("KH.SNNMT", "2024-06-01"), apperr.KindFailedPrecondition, unitreg.ReasonBeforeUnit, "effective_from"},
		{"competence out of order",
			[]proto.Message{changeCompetence("KH.UBND", "2025-07-01")},
			changeCompetence("KH.UBND", "2025-06-01"), apperr.KindFailedPrecondition, unitreg.ReasonOutOfOrder, "effective_from"},
		{"competence of an ended unit", reorganisation(), changeCompetence("NT.UBND", "2025-08-01"), apperr.KindFailedPrecondition, unitreg.ReasonUnitEnded, "code"},
		{"competence with a bad rule", nil, changeCompetence("KH.UBND", "2025-07-01", rule(0, noInst, self, "x")), apperr.KindInvalidArgument, "", "competence[0].kind"},
		{"not a unit event", nil, &commonv1.CivilDate{}, apperr.KindInternal, unitreg.ReasonEventUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := build(t, before(), tt.setup)
			want := r.List(d("2030-01-01"), "", true)
			dates := r.ChangeDates()
			err := r.Apply(tt.event)
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("Apply = %v, want an apperr", err)
			}
			if e.Kind() != tt.kind || (tt.reason != "" && e.Reason() != tt.reason) {
				t.Fatalf("Apply = %v %s: %v; want %v %s", e.Kind(), e.Reason(), err, tt.kind, tt.reason)
			}
			if tt.field != "" && !hasField(e, tt.field) {
				t.Errorf("violations %+v do not name %s", e.Violations(), tt.field)
			}
			if tt.kind == apperr.KindFailedPrecondition && !strings.HasPrefix(e.Subject(), "unit/") {
				t.Errorf("subject = %q", e.Subject())
			}
			if got := r.List(d("2030-01-01"), "", true); !equalUnits(got, want) || !slices.Equal(r.ChangeDates(), dates) {
				t.Error("a refused event changed the registry")
			}
		})
	}
}

func hasField(e *apperr.Error, field string) bool {
	for _, v := range e.Violations() {
		if v.Field == field {
			return true
		}
	}
	return false
}

func equalUnits(a, b []unitreg.Unit) bool {
	return slices.EqualFunc(a, b, func(x, y unitreg.Unit) bool {
		return x.Code == y.Code && x.Name == y.Name && x.Kind == y.Kind && x.ParentCode == y.ParentCode &&
			x.EffectiveFrom == y.EffectiveFrom && x.EndedOn == y.EndedOn && x.SuccessorCode == y.SuccessorCode &&
			x.MergeBasis == y.MergeBasis && x.RemoteArea == y.RemoteArea && slices.Equal(x.Competence, y.Competence)
	})
}

func TestDateConversion(t *testing.T) {
	if unitreg.DateProto(calendar.Date{}) != nil || !unitreg.DateFromProto(nil).IsZero() {
		t.Error("zero date does not map to unset")
	}
	got := unitreg.DateFromProto(unitreg.DateProto(d("2025-07-01")))
	if got != d("2025-07-01") {
		t.Errorf("round trip = %v", got)
	}
	if unitreg.DateFromProto(&commonv1.CivilDate{Year: 2025, Month: 2, Day: 30}).IsValid() {
		t.Error("2025-02-30 was normalised into a valid date")
	}
}
