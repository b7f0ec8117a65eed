package domain

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

func engine(t *testing.T) (Policy, *deadline.Engine) {
	t.Helper()
	p, e, err := EmbeddedPolicy()
	if err != nil {
		t.Fatal(err)
	}
	return p, e
}

func started(t *testing.T, e *deadline.Engine, rule, on string, conds ...deadline.Condition) *commonv1.LegalClock {
	t.Helper()
	res, err := e.Due(deadline.Request{Rule: rule, Base: d(on), Conditions: conds})
	if err != nil {
		t.Fatal(err)
	}
	return &commonv1.LegalClock{CaseId: "c", Clock: "resolution", RuleId: rule, StartedOn: calendarpb.ToProto(d(on)), DueOn: calendarpb.ToProto(res.Due), UnitCode: "U"}
}

// A complex first complaint accepted Mon 05/01/2026 has 45 days (Luật KN Đ28) → Thu 19/02, a Tết
// day off → Mon 23/02. The event does not say "complex": the condition is inferred from the due
// date it carries, so the clock is 45 days, not 30 (Wed 04/02).
func TestStartClockInfersConditionsFromTheRecordedDueDate(t *testing.T) {
	_, e := engine(t)
	k := started(t, e, "complaint.first.resolve", "2026-01-05", deadline.Complex)
	if calendarpb.FromProto(k.GetDueOn()) != d("2026-02-23") {
		t.Fatalf("due %v", k.GetDueOn())
	}
	w := StartClock(e, k)
	if len(w.Conditions) != 1 || w.Conditions[0] != deadline.Complex {
		t.Fatalf("conditions %v", w.Conditions)
	}
	if st := w.At(e, d("2026-02-25")); st.DaysOverdue != 2 || st.Due != d("2026-02-23") {
		t.Errorf("as of 25/02: %+v", st)
	}
	plain := StartClock(e, started(t, e, "complaint.first.resolve", "2026-01-05"))
	if len(plain.Conditions) != 0 || plain.At(e, d("2026-02-05")).DaysOverdue != 1 {
		t.Errorf("ordinary complaint: %+v", plain.At(e, d("2026-02-05")))
	}
}

// Extensions make a denunciation complex, then especially complex (Luật TC Đ30): two extensions of
// 30 days are accepted although the clock started with no condition.
func TestTwoExtensionsOfADenunciation(t *testing.T) {
	_, e := engine(t)
	cs := Clocks{}
	cs.Apply(e, &commonv1.LegalClockStarted{Clock: started(t, e, "denunciation.resolve", "2025-03-10")}, calendar.Date{})
	cs.Apply(e, &commonv1.LegalClockExtended{Clock: &commonv1.LegalClock{CaseId: "c", Clock: "resolution"}, Days: 30, ExtensionNumber: 1}, d("2025-04-08"))
	cs.Apply(e, &commonv1.LegalClockExtended{Clock: &commonv1.LegalClock{CaseId: "c", Clock: "resolution"}, Days: 30, ExtensionNumber: 2}, d("2025-05-08"))
	w := cs[[2]string{"c", "resolution"}]
	st := w.At(e, d("2025-05-09"))
	// 10/03 + 90 days = Sun 08/06/2025 → Mon 09/06.
	if st.Due != d("2025-06-09") || st.ExtensionsUsed != 2 || st.DaysOverdue != 0 {
		t.Errorf("%+v", st)
	}
}

// Facts the engine refuses (an extension of a rule that has none) fall back to the recorded due
// date, and the derivation says so.
func TestRefusedFactsFallBackToTheRecordedDueDate(t *testing.T) {
	_, e := engine(t)
	w := StartClock(e, started(t, e, "petition.process", "2026-02-09"))
	w = w.Apply(e, ClockFact{Kind: FactExtended, On: d("2026-02-10"), Days: 5}, &commonv1.LegalClock{DueOn: calendarpb.ToProto(d("2026-03-09"))})
	st := w.At(e, d("2026-03-11"))
	if st.Due != d("2026-03-09") || st.DaysOverdue != 2 || len(st.Derivation) == 0 {
		t.Errorf("%+v", st)
	}
}

func TestDecideNoticeOncePerDueDate(t *testing.T) {
	_, e := engine(t)
	w := StartClock(e, started(t, e, "petition.process", "2026-02-09"))
	today := d("2026-03-03")
	ns := Notices(WatchTarget{Clock: w}, w.At(e, today), today, 3)
	if len(ns) != 1 || ns[0].Kind != Missed || ns[0].CommandID() != "missed:c:resolution:2026-03-02" {
		t.Fatalf("notices %+v", ns)
	}
	first := DecideNotice(nil, ns[0])
	if len(first) != 1 || DecideNotice(first, ns[0]) != nil {
		t.Errorf("decided %v then again", first)
	}
	// Another due date of the same clock is another notice.
	moved := ns[0]
	moved.Status.Due = d("2026-03-05")
	if got := DecideNotice(first, moved); len(got) != 1 || !proto.Equal(got[0].(*supervisionv1.DeadlineMissed).GetDueOn(), calendarpb.ToProto(d("2026-03-05"))) {
		t.Errorf("moved due date: %v", got)
	}
	if DeadlineAggregateID("a.b", "send decision") != "a_b-send_decision" {
		t.Errorf("aggregate id %q", DeadlineAggregateID("a.b", "send decision"))
	}
}

type fakeUnits map[string]Unit

func (f fakeUnits) Unit(code string, _ calendar.Date) (Unit, bool) { u, ok := f[code]; return u, ok }
func (f fakeUnits) Children(code string, _ calendar.Date) []Unit {
	var out []Unit
	for _, u := range f {
		if u.ParentCode == code {
			out = append(out, u)
		}
	}
	return out
}

func TestSuperior(t *testing.T) {
	us := fakeUnits{
		"P":        {Code: "P", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE},
		"P.UBND":   {Code: "P.UBND", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: "P"},
		"P.SXD":    {Code: "P.SXD", Kind: unitv1.UnitKind_UNIT_KIND_DEPARTMENT, ParentCode: "P.UBND"},
		"P.W":      {Code: "P.W", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "P"},
		"P.W.UBND": {Code: "P.W.UBND", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, ParentCode: "P.W"},
		"P.W.HDND": {Code: "P.W.HDND", Kind: unitv1.UnitKind_UNIT_KIND_PEOPLES_COUNCIL, ParentCode: "P.W"},
	}
	for code, want := range map[string]string{"P.SXD": "P.UBND", "P.W.UBND": "P.UBND", "P.W": "P.UBND", "P.W.HDND": "P.UBND", "P.UBND": ""} {
		if got, _ := Superior(us, code, d("2026-01-01")); got != want {
			t.Errorf("superior of %s: %q, want %q", code, got, want)
		}
	}
	if l := Level(us, "P.W.UBND", d("2026-01-01")); l != "P.W" {
		t.Errorf("level %q", l)
	}
}

func TestEmbeddedRulesParse(t *testing.T) {
	p, e := engine(t)
	if p.EscalationRule(commonv1.PetitionKind_PETITION_KIND_COMPLAINT) != "denunciation.overdue.report" || p.WarnWorkingDays != 3 {
		t.Errorf("policy %+v", p)
	}
	if _, err := e.Rule("supervision.urging.answer"); err != nil {
		t.Error(err)
	}
	rs, err := EmbeddedDetectionRules()
	if err != nil || len(rs.Rules) != 5 {
		t.Fatalf("%v %v", rs, err)
	}
	if _, err := ParseDetectionRules([]byte("version: x\nrules:\n  - {id: a, name: A, detector: nope, threshold: 1}\n")); err == nil {
		t.Error("an unknown detector parsed")
	}
	if _, _, err := ParsePolicy([]byte("warn_working_days: 3\nurging: {answer_rule: no.such, escalation_rules: {default: x}}\n"), calendar.Default()); err == nil {
		t.Error("a policy naming unknown rules parsed")
	}
}

// BenchmarkWatchedClockAt measures the per-clock cost of the deadline lists and the watcher, which
// recompute every open clock's status from its facts as of the day asked.
func BenchmarkWatchedClockAt(b *testing.B) {
	_, e, err := EmbeddedPolicy()
	if err != nil {
		b.Fatal(err)
	}
	res, _ := e.Due(deadline.Request{Rule: "denunciation.resolve", Base: d("2026-01-05")})
	w := StartClock(e, &commonv1.LegalClock{CaseId: "c", Clock: "resolution", RuleId: "denunciation.resolve", StartedOn: calendarpb.ToProto(d("2026-01-05")), DueOn: calendarpb.ToProto(res.Due)})
	w = w.Apply(e, ClockFact{Kind: FactSuspended, On: d("2026-01-26")}, nil)
	w = w.Apply(e, ClockFact{Kind: FactResumed, On: d("2026-02-05")}, &commonv1.LegalClock{})
	asOf := d("2026-03-04")
	for b.Loop() {
		if st := w.At(e, asOf); st.DaysOverdue != 9 {
			b.Fatal(st)
		}
	}
}
