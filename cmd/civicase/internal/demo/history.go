package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// The demo's span: two years of reception and petitions, across the 1 July 2025 reorganisation.
var (
	historyStart = calendar.NewDate(2024, time.January, 2)
	historyEnd   = calendar.NewDate(2025, time.December, 31)
	mergerDay    = calendar.NewDate(2025, time.July, 1)
)

// ward is a ward of the demo registry with the unit that takes it over on 1 July 2025.
type ward struct{ code, successor string }

// oldWards are Phan Rang–Tháp Chàm's 15 wards and 1 commune and the new wards they merge into
// (services/intake/registry/phan-rang-thap-cham.yaml).
var oldWards = []ward{
	{"NT.PRTC.KD", "KH.PHANRANG"}, {"NT.PRTC.PH", "KH.PHANRANG"}, {"NT.PRTC.DS", "KH.PHANRANG"},
	{"NT.PRTC.DL", "KH.PHANRANG"}, {"NT.PRTC.TS", "KH.PHANRANG"}, {"NT.PRTC.MHU", "KH.PHANRANG"},
	{"NT.PRTC.TTA", "KH.PHANRANG"}, {"NT.PRTC.MB", "KH.DONGHAI"}, {"NT.PRTC.MD", "KH.DONGHAI"},
	{"NT.PRTC.MHA", "KH.DONGHAI"}, {"NT.PRTC.DH", "KH.DONGHAI"}, {"NT.PRTC.VH", "KH.NINHCHU"},
	{"NT.PRTC.PM", "KH.BAOAN"}, {"NT.PRTC.BA", "KH.BAOAN"}, {"NT.PRTC.DV", "KH.DOVINH"},
	{"NT.PRTC.TH", "KH.BAOAN"},
}

var newWards = []string{"KH.PHANRANG", "KH.DONGHAI", "KH.NINHCHU", "KH.BAOAN", "KH.DOVINH"}

// wardsOn are the wards that exist on a day.
func wardsOn(d calendar.Date) []string {
	if d.Before(mergerDay) {
		out := make([]string, len(oldWards))
		for i, w := range oldWards {
			out[i] = w.code
		}
		return out
	}
	return newWards
}

// cityDepartmentOn is a department above the wards on a day, the respondent of complaints that a
// ward must guide elsewhere.
func cityDepartmentOn(d calendar.Date) string {
	if d.Before(mergerDay) {
		return "NT.PRTC.QLDT"
	}
	return "KH.SXD"
}

// Vietnamese names: common family names, middle names and given names (generated people only).
var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quốc", "Thu", "Xuân"}
	givenNames  = []string{"An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Yến"}
	streets     = []string{"Thống Nhất", "Lê Hồng Phong", "21 Tháng 8", "Ngô Gia Tự", "Yên Ninh", "Trần Phú", "Nguyễn Văn Cừ", "Quang Trung"}
)

// person is a generated citizen.
type person struct{ data *personv1.PersonalData }

// petitionPlan is one generated petition and what happens to it.
type petitionPlan struct {
	n          int
	unit       string // receiving ward
	received   calendar.Date
	kind       commonv1.PetitionKind
	field      commonv1.Field
	source     commonv1.Source
	signers    int32
	sender     *person // nil: anonymous
	matter     string
	respondent string
	repeatOf   *petitionPlan
	seed       uint64 // the case's own randomness: cases are handled concurrently
}

// generator builds the history deterministically from a seed.
type generator struct {
	cfg    Config
	rng    *rand.Rand
	mu     sync.Mutex
	tokens map[string]string
	conns  map[string]*grpc.ClientConn
}

func (g *generator) conn(service, subject string, role auth.Role, unit string) (*grpc.ClientConn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := service + "|" + subject + "|" + string(role) + "|" + unit
	if c, ok := g.conns[key]; ok {
		return c, nil
	}
	c, err := dial(g.cfg, service, subject, role, unit)
	if err != nil {
		return nil, err
	}
	g.conns[key] = c
	return c, nil
}

func (g *generator) close() {
	for _, c := range g.conns {
		_ = c.Close()
	}
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *generator) newPerson() *person {
	name := g.pick(familyNames) + " " + g.pick(middleNames) + " " + g.pick(givenNames)
	return &person{data: &personv1.PersonalData{
		FullName: name,
		IdNumber: fmt.Sprintf("0%02d%09d", 58+g.rng.IntN(2), g.rng.IntN(1_000_000_000)), // CCCD: 058 is Ninh Thuận
		Address:  fmt.Sprintf("%d %s, Phan Rang–Tháp Chàm", 1+g.rng.IntN(300), g.pick(streets)),
		Phone:    fmt.Sprintf("09%08d", g.rng.IntN(100_000_000)),
	}}
}

// randomWorkingDay is a working day between from and to.
func (g *generator) randomWorkingDay(from, to calendar.Date) calendar.Date {
	d := from.AddDays(g.rng.IntN(to.DaysSince(from) + 1))
	return calendar.NextWorkingDay(d.AddDays(-1))
}

// plan draws the petitions: about 55 a month across the city, with realistic shares of kinds,
// fields, sources, crowds, anonymous denunciations and repeats.
func (g *generator) plan() []*petitionPlan {
	var out []*petitionPlan
	months := 24
	for m := 0; m < months; m++ {
		first := calendar.NewDate(2024+m/12, time.Month(m%12+1), 1)
		last := first.AddDays(40)
		last = calendar.NewDate(last.Year, last.Month, 1).AddDays(-1)
		n := 45 + g.rng.IntN(20)
		for range n {
			p := &petitionPlan{n: len(out) + 1, received: g.randomWorkingDay(first, last), seed: g.rng.Uint64()}
			if p.received.After(historyEnd) {
				p.received = historyEnd
			}
			p.unit = g.pick(wardsOn(p.received))
			// A repeat: the same person on the same matter, weeks later (≈8%).
			if len(out) > 20 && g.rng.Float64() < 0.08 {
				orig := out[len(out)-1-g.rng.IntN(min(len(out)-1, 120))]
				for orig.repeatOf != nil {
					orig = orig.repeatOf
				}
				if orig.sender != nil {
					r := *orig
					r.n, r.received, r.repeatOf, r.seed = p.n, p.received, orig, p.seed
					r.unit = g.pick(wardsOn(p.received))
					if p.received.Before(orig.received) {
						r.received = orig.received
					}
					out = append(out, &r)
					continue
				}
			}
			g.classify(p)
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].received.Before(out[j].received) })
	return out
}

func (g *generator) classify(p *petitionPlan) {
	r := g.rng.Float64()
	switch {
	case r < 0.32:
		p.kind = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
		p.field = []commonv1.Field{commonv1.Field_FIELD_ADMIN_LAND_HOUSING, commonv1.Field_FIELD_ADMIN_LAND_HOUSING, commonv1.Field_FIELD_ADMIN_LAND_HOUSING, commonv1.Field_FIELD_ADMIN_POLICY, commonv1.Field_FIELD_ADMIN_OTHER}[g.rng.IntN(5)]
	case r < 0.47:
		p.kind = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
		p.field = []commonv1.Field{commonv1.Field_FIELD_ADMIN_OFFICIALS, commonv1.Field_FIELD_ADMIN_LAND_HOUSING, commonv1.Field_FIELD_CORRUPTION, commonv1.Field_FIELD_ADMIN_OTHER}[g.rng.IntN(4)]
	case r < 0.75:
		p.kind = commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION
		p.field = []commonv1.Field{commonv1.Field_FIELD_ADMIN_POLICY, commonv1.Field_FIELD_ADMIN_LAND_HOUSING, commonv1.Field_FIELD_OTHER}[g.rng.IntN(3)]
	default:
		p.kind = commonv1.PetitionKind_PETITION_KIND_FEEDBACK
		p.field = []commonv1.Field{commonv1.Field_FIELD_ADMIN_POLICY, commonv1.Field_FIELD_ADMIN_OTHER, commonv1.Field_FIELD_OTHER}[g.rng.IntN(3)]
	}
	p.source = []commonv1.Source{commonv1.Source_SOURCE_IN_PERSON, commonv1.Source_SOURCE_IN_PERSON, commonv1.Source_SOURCE_POST,
		commonv1.Source_SOURCE_POST, commonv1.Source_SOURCE_ONLINE, commonv1.Source_SOURCE_DROP_BOX}[g.rng.IntN(6)]
	if g.rng.Float64() < 0.06 { // handed on by a People's Council deputy (Luật TCD Đ22)
		p.source = commonv1.Source_SOURCE_COUNCIL_DEPUTY
	}
	p.signers = 1
	if g.rng.Float64() < 0.06 {
		p.signers = int32(5 + g.rng.IntN(30)) // a crowd (Luật TCD Đ29)
	}
	if p.kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION && g.rng.Float64() < 0.12 {
		p.sender = nil // anonymous (Luật TC Đ25)
	} else {
		p.sender = g.newPerson()
	}
	ward := wardCommittee(p.unit)
	p.respondent = ward
	if g.rng.Float64() < 0.2 {
		p.respondent = cityDepartmentOn(p.received) // outside the ward's competence
	}
	p.matter = fmt.Sprintf("QĐ %d/QĐ-UBND ngày %s", 100+p.n, p.received.AddDays(-30-g.rng.IntN(60)))
}

func wardCommittee(unit string) string { return unit + ".UBND" }

// councilOn is the People's Council whose deputies hand on petitions and receive citizens on a day.
func councilOn(d calendar.Date) string {
	if d.Before(mergerDay) {
		return "NT.PRTC.HDND"
	}
	return "KH.HDND"
}
