package registry_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake/registry"
)

var d = calendar.MustParseDate

// replay builds a registry from a file's requests, as the service would from their events.
func replay(t *testing.T, reqs []registry.Request) *unitreg.Registry {
	t.Helper()
	r := unitreg.New()
	for _, req := range reqs {
		if err := r.Apply(req.Event()); err != nil {
			t.Fatalf("%s: %v", req.Where, err)
		}
	}
	return r
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

// The command id pattern of civicase.common.v1.CommandMeta.
var commandIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

func TestDemoCommandIDsAreStableAndValid(t *testing.T) {
	a, b := demoRequests(t), demoRequests(t)
	seen := map[string]string{}
	for i, r := range a {
		id := r.Meta().GetCommandId()
		if id != b[i].Meta().GetCommandId() {
			t.Errorf("%s: command id differs between two readings: %s, %s", r.Where, id, b[i].Meta().GetCommandId())
		}
		if len(id) > 64 || !commandIDPattern.MatchString(id) {
			t.Errorf("%s: command id %q is not a valid CommandMeta.command_id", r.Where, id)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("%s and %s share command id %s", prev, r.Where, id)
		}
		seen[id] = r.Where
		if r.Meta().GetCorrelationId() != "unitfile:phan-rang-thap-cham" {
			t.Errorf("correlation id = %q", r.Meta().GetCorrelationId())
		}
	}
}

func TestDemoCity(t *testing.T) {
	reqs := demoRequests(t)
	r := replay(t, reqs)

	// Before the reorganisation: 15 wards and 1 commune under the city, each with its People's
	// Committee and council standing committee, named with their diacritics.
	var wards []string
	for _, u := range r.Children("NT.PRTC", d("2025-06-30")) {
		if unitreg.IsTerritorial(u.Kind) {
			wards = append(wards, strings.TrimPrefix(strings.TrimPrefix(u.Name, "Phường "), "Xã "))
			if got := len(r.Children(u.Code, d("2025-06-30"))); got != 2 {
				t.Errorf("%s has %d organs, want 2", u.Code, got)
			}
		}
	}
	slices.Sort(wards)
	want := []string{"Bảo An", "Mỹ Bình", "Mỹ Hương", "Mỹ Hải", "Mỹ Đông", "Phước Mỹ", "Phủ Hà", "Thanh Sơn",
		"Thành Hải", "Tấn Tài", "Văn Hải", "Đài Sơn", "Đô Vinh", "Đông Hải", "Đạo Long", "Kinh Dinh"}
	slices.Sort(want)
	if !slices.Equal(wards, want) {
		t.Errorf("wards of the city = %v\nwant %v", wards, want)
	}
	if th, _ := r.Unit("NT.PRTC.TH", d("2024-01-01")); th.Kind != unitv1.UnitKind_UNIT_KIND_COMMUNE || th.Name != "Xã Thành Hải" {
		t.Errorf("Thành Hải = %+v", th)
	}
	if p, _ := r.Parent("NT.PRTC.KD", d("2025-06-30")); p.Code != "NT.PRTC" || p.Name != "Thành phố Phan Rang–Tháp Chàm" {
		t.Errorf("Kinh Dinh is under %+v on 2025-06-30", p)
	}

	// From 1/7/2025: five wards directly under Khánh Hòa; every old ward ended into its new ward.
	var newWards []string
	for _, u := range r.Children("KH", d("2025-07-01")) {
		if unitreg.IsTerritorial(u.Kind) {
			newWards = append(newWards, u.Code)
		}
	}
	if !slices.Equal(newWards, []string{"KH.BAOAN", "KH.DONGHAI", "KH.DOVINH", "KH.NINHCHU", "KH.PHANRANG"}) {
		t.Errorf("wards of Khánh Hòa on 2025-07-01 = %v", newWards)
	}
	successors := map[string]string{
		"KD": "PHANRANG", "PH": "PHANRANG", "DS": "PHANRANG", "DL": "PHANRANG", "TS": "PHANRANG", "MHU": "PHANRANG", "TTA": "PHANRANG",
		"MB": "DONGHAI", "MD": "DONGHAI", "MHA": "DONGHAI", "DH": "DONGHAI",
		"VH": "NINHCHU", "PM": "BAOAN", "BA": "BAOAN", "TH": "BAOAN", "DV": "DOVINH",
	}
	for old, succ := range successors {
		for _, organ := range []string{"", ".UBND", ".TTHDND"} {
			u, _ := r.Unit("NT.PRTC."+old+organ, d("2025-07-01"))
			if u.EndedOn != d("2025-06-30") || u.SuccessorCode != "KH."+succ+organ {
				t.Errorf("NT.PRTC.%s%s on 2025-07-01: ended %s into %q, want 2025-06-30 into KH.%s%s", old, organ, u.EndedOn, u.SuccessorCode, succ, organ)
			}
		}
	}
	if left := r.List(d("2025-07-01"), "NT", false); len(left) != 0 {
		t.Errorf("Ninh Thuận units still in force on 2025-07-01: %v", left)
	}
	// The city and its organs went to the province; Ninh Thuận to Khánh Hòa.
	for old, succ := range map[string]string{"NT.PRTC": "KH", "NT.PRTC.UBND": "KH.UBND", "NT.PRTC.HDND": "KH.HDND", "NT.PRTC.TTHDND": "KH.TTHDND", "NT": "KH", "NT.UBND": "KH.UBND"} {
		if s, from, _ := r.Successor(old); s != succ || from != d("2025-07-01") {
			t.Errorf("successor of %s = %s from %s, want %s from 2025-07-01", old, s, from, succ)
		}
	}
	// A chain: the natural resources office → agriculture and environment office (March) → the
	// provincial department (July).
	for _, tt := range []struct{ on, want string }{{"2025-02-28", "NT.PRTC.TNMT"}, {"2025-03-01", "NT.PRTC.NNMT"}, {"2025-07-01", "KH.SNNMT"}} {
		if got, _ := r.ResolveSuccessor("NT.PRTC.TNMT", d(tt.on)); got.Code != tt.want {
			t.Errorf("TNMT's cases on %s are held by %s, want %s", tt.on, got.Code, tt.want)
		}
	}
	// A city People's Council plan of February 2025 reports under Khánh Hòa's council for 2025.
	if got, _ := r.RollUpTarget("NT.PRTC.HDND", unitreg.Period{From: d("2024-12-15"), To: d("2025-12-14")}); got.Code != "KH.HDND" {
		t.Errorf("city council's 2025 roll-up target = %s", got.Code)
	}

	// Competence as data, across the reorganisation.
	complaint, denunciation := commonv1.PetitionKind_PETITION_KIND_COMPLAINT, commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
	for _, tt := range []struct {
		q           unitreg.CompetenceQuery
		want, basis string
	}{
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_FIRST, Respondent: "NT.PRTC.KD", On: d("2025-03-10")}, "NT.PRTC.KD.UBND", "Luật KN Đ17"},
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_SECOND, Respondent: "NT.PRTC.KD", On: d("2025-03-10")}, "NT.PRTC.UBND", "Luật KN Đ18.2"},
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_SECOND, Respondent: "NT.PRTC.KD", On: d("2025-07-01")}, "KH.UBND", "Luật KN Đ21.2; NĐ 141/2025/NĐ-CP"},
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_FIRST, Respondent: "NT.PRTC.KD.UBND", On: d("2025-07-01")}, "KH.PHANRANG.UBND", "Luật KN Đ17; NĐ 141/2025/NĐ-CP"},
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_SECOND, Respondent: "NT.PRTC.TNMT", On: d("2024-06-01")}, "NT.PRTC.UBND", "Luật KN Đ18.2"},
		{unitreg.CompetenceQuery{Kind: complaint, Instance: unitv1.Instance_INSTANCE_SECOND, Respondent: "NT.PRTC.UBND", On: d("2024-06-01")}, "NT.UBND", "Luật KN Đ21.2"},
		{unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.PRTC.PM", On: d("2025-03-10"), AgainstHead: true}, "NT.PRTC.UBND", "Luật TC Đ13.3"},
		{unitreg.CompetenceQuery{Kind: denunciation, Respondent: "NT.PRTC.PM", On: d("2025-09-10"), AgainstHead: true}, "KH.UBND", "Luật TC Đ13.5; NĐ 141/2025/NĐ-CP"},
	} {
		c, err := r.Competent(tt.q)
		if err != nil || c.Unit.Code != tt.want || c.Rule.Basis != tt.basis {
			t.Errorf("%+v: %s (%q), %v; want %s (%q)", tt.q, c.Unit.Code, c.Rule.Basis, err, tt.want, tt.basis)
		}
	}
}

func TestMergersAreOrderedChildrenFirst(t *testing.T) {
	// The file lists the ward before its committee; the committee must end first.
	f, err := registry.Parse([]byte(`
id: t
effective_from: 2024-01-01
units:
  - {code: A, name: A, kind: province}
  - {code: A.W, name: W, kind: ward, parent: A}
  - {code: A.W.UBND, name: W committee, kind: peoples_committee, parent: A.W}
  - {code: A.V, name: V, kind: ward, parent: A}
  - {code: A.V.UBND, name: V committee, kind: peoples_committee, parent: A.V}
changes:
  - effective_from: 2025-07-01
    basis: test
    merge:
      - {code: A.W, successor: A.V}
      - {code: A.W.UBND, successor: A.V.UBND, basis: own basis}
`))
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := f.Requests()
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, r := range reqs {
		if r.Merge != nil {
			merged = append(merged, r.Merge.GetMerger().GetCode()+":"+r.Merge.GetMerger().GetBasis())
		}
	}
	if !slices.Equal(merged, []string{"A.W.UBND:own basis", "A.W:test"}) {
		t.Errorf("mergers sent as %v", merged)
	}
}

func TestEditedEntryGetsANewCommandID(t *testing.T) {
	ids := func(name string) []string {
		f, err := registry.Parse([]byte("id: t\neffective_from: 2024-01-01\nunits:\n  - {code: A, name: " + name + ", kind: province}\n"))
		if err != nil {
			t.Fatal(err)
		}
		reqs, err := f.Requests()
		if err != nil {
			t.Fatal(err)
		}
		return []string{reqs[0].Meta().GetCommandId()}
	}
	if a, b := ids("Tỉnh A"), ids("Tỉnh B"); slices.Equal(a, b) {
		t.Errorf("an edited registration kept its command id %v", a)
	}
}

func TestBrokenFiles(t *testing.T) {
	head := "id: t\neffective_from: 2024-01-01\n"
	tests := []struct{ name, yaml, want string }{
		{"unknown field", head + "units:\n  - {code: A, name: A, kind: province, colour: red}\n", "colour"},
		{"missing id", "effective_from: 2024-01-01\n", "id"},
		{"unknown kind", head + "units:\n  - {code: A, name: A, kind: county}\n", `units[0] A: unknown kind "county"`},
		{"unknown rule kind", head + "units:\n  - {code: A, name: A, kind: province, competence: [{kind: petition, respondent: self, basis: x}]}\n", `unknown kind "petition"`},
		{"child before parent", head + "units:\n  - {code: A.B, name: B, kind: ward, parent: A}\n  - {code: A, name: A, kind: province}\n", "units[0] A.B: parent A is not registered"},
		{"changes out of order", head + "units:\n  - {code: A, name: A, kind: province}\nchanges:\n  - {effective_from: 2025-07-01}\n  - {effective_from: 2025-03-01}\n", "changes[1]: changes must be in date order"},
		{"merge into nothing", head + "units:\n  - {code: A, name: A, kind: province}\nchanges:\n  - effective_from: 2025-07-01\n    basis: x\n    merge: [{code: A, successor: B}]\n", "changes[0].merge[0] A: successor B is not registered"},
		{"bad date", head + "units:\n  - {code: A, name: A, kind: province, effective_from: 2025-02-30}\n", "2025-02-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := registry.Parse([]byte(tt.yaml))
			if err == nil {
				_, err = f.Requests()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
