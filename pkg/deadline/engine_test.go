package deadline

import (
	"errors"
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
)

var d = calendar.MustParseDate

// Every rule of the DOMAIN.md table, hand-computed on the published 2024–2026 schedules (and the
// computed 2027 one). Day-of-week anchors: 2024-01-01 Mon, 2025-01-01 Wed, 2026-01-01 Thu.
// Days off used: Tết 2024 Thu 08/02–Wed 14/02; 30/4 2024 Sat 27/04–Wed 01/05 (Mon 29/04 swapped,
// Sat 04/05 worked); 2/9 2024 Sat 31/08–Tue 03/09; Tết 2025 Sat 25/01–Sun 02/02; Hùng Kings Mon
// 07/04/2025; 30/4 2025 Wed 30/04–Sun 04/05 (Fri 02/05 swapped, Sat 26/04 worked); 2/9 2025 Sat
// 30/08–Tue 02/09; 1/1 2026 Thu 01/01–Sun 04/01 (Fri 02/01 swapped, Sat 10/01 worked); Tết 2026
// Sat 14/02–Sun 22/02; Hùng Kings Sun 26/04/2026 + Mon 27/04; 30/4–1/5 2026 Thu–Fri; 2/9 2026
// Sat 29/08–Wed 02/09 (Mon 31/08 swapped, Sat 22/08 worked).
var dueCases = []struct {
	name string
	req  Request
	want string
}{
	// 90 calendar days from Thu 30/01/2025: Jan 31 (1), Feb (29), Mar (60), Apr 30 (90) = Wed 30/04,
	// Reunification Day; 01/05 holiday, 02/05 swapped, 03–04/05 weekend → Mon 05/05.
	{"complaint.file ends on 30/4", Request{Rule: "complaint.file", Base: d("2025-01-30")}, "2025-05-05"},
	// 10 working days from Tue 10/02/2026: 11, 12, 13/02 (3); 14–22/02 Tết; 23–27/02 (8); Mon 02/03
	// (9), Tue 03/03 (10).
	{"complaint.first.accept across Tết 2026", Request{Rule: "complaint.first.accept", Base: d("2026-02-10")}, "2026-03-03"},
	// 30 calendar days from Mon 10/03/2025: Mar 11–31 (21), Apr 1–9 (30) → Wed 09/04.
	{"complaint.first.resolve", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10")}, "2025-04-09"},
	// 30 days from Fri 14/03/2025: Mar 15–31 (17), Apr 1–13 (30) → Sun 13/04 → Mon 14/04.
	{"complaint.first.resolve ends on a Sunday", Request{Rule: "complaint.first.resolve", Base: d("2025-03-14")}, "2025-04-14"},
	// 30 days from Thu 02/01/2025: Jan 3–31 (29), Feb 1 (30) = Sat 01/02 inside the Tết break →
	// Mon 03/02.
	{"complaint.first.resolve across Tết 2025", Request{Rule: "complaint.first.resolve", Base: d("2025-01-02")}, "2025-02-03"},
	// complex: 45 days from 10/03/2025: Mar (21), Apr 1–24 (45) → Thu 24/04.
	{"complaint.first.resolve complex", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex}}, "2025-04-24"},
	// remote: also 45 → Thu 24/04.
	{"complaint.first.resolve remote", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{Remote}}, "2025-04-24"},
	// complex in a remote area: 60 days: Mar (21), Apr (51), May 1–9 (60) → Fri 09/05.
	{"complaint.first.resolve complex+remote", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{Remote, Complex}}, "2025-05-09"},
	// 3 working days from Tue 29/04/2025: 30/04, 01/05 holidays, 02/05 swapped, weekend; Mon 05/05
	// (1), Tue 06/05 (2), Wed 07/05 (3).
	{"complaint.first.send_decision across 30/4 2025", Request{Rule: "complaint.first.send_decision", Base: d("2025-04-29")}, "2025-05-07"},
	// 30 days from Sun 03/08/2025: Aug 4–31 (28), Sep 1 (29), Sep 2 (30) = National Day; 03/09 Wed
	// works.
	{"complaint.second.file ends on 2/9", Request{Rule: "complaint.second.file", Base: d("2025-08-03")}, "2025-09-03"},
	// remote: 45 from Mon 04/08/2025: Aug 5–31 (27), Sep 1–18 (45) → Thu 18/09. "complex" has no
	// variant of its own here, so complex+remote is the remote period.
	{"complaint.second.file remote", Request{Rule: "complaint.second.file", Base: d("2025-08-04"), Conditions: []Condition{Complex, Remote}}, "2025-09-18"},
	// 10 days from Tue 10/02/2026 → Fri 20/02, mùng 4 Tết; 21–22 weekend → Mon 23/02.
	{"complaint.second.accept across Tết 2026", Request{Rule: "complaint.second.accept", Base: d("2026-02-10")}, "2026-02-23"},
	// 45 days from Mon 02/03/2026: Mar 3–31 (29), Apr 1–16 (45) → Thu 16/04.
	{"complaint.second.resolve", Request{Rule: "complaint.second.resolve", Base: d("2026-03-02")}, "2026-04-16"},
	// complex: 60: Mar (29), Apr (59), May 1 (60) = Fri, Labour Day; 02–03/05 weekend → Mon 04/05.
	{"complaint.second.resolve complex ends on 1/5 2026", Request{Rule: "complaint.second.resolve", Base: d("2026-03-02"), Conditions: []Condition{Complex}}, "2026-05-04"},
	// complex+remote: 70: Mar (29), Apr (59), May 1–11 (70) → Mon 11/05.
	{"complaint.second.resolve complex+remote", Request{Rule: "complaint.second.resolve", Base: d("2026-03-02"), Conditions: []Condition{Complex, Remote}}, "2026-05-11"},
	// 7 days from Mon 20/04/2026 → Mon 27/04, compensatory day for Hùng Kings → Tue 28/04.
	{"complaint.second.send_decision on a compensatory day", Request{Rule: "complaint.second.send_decision", Base: d("2026-04-20")}, "2026-04-28"},
	// 15 days from Sat 20/12/2025: Dec 21–31 (11), Jan 1–4 (15) = Sun 04/01/2026 → Mon 05/01.
	{"disciplinary.first.file", Request{Rule: "disciplinary.first.file", Base: d("2025-12-20")}, "2026-01-05"},
	// dismissal: 30 days: Dec 21–31 (11), Jan 1–19 (30) → Mon 19/01/2026.
	{"disciplinary.first.file dismissal", Request{Rule: "disciplinary.first.file", Base: d("2025-12-20"), Conditions: []Condition{Dismissal}}, "2026-01-19"},
	// 10 days from Mon 22/12/2025 → Thu 01/01/2026; 02/01 swapped, weekend → Mon 05/01.
	{"disciplinary.second.file ends on 1/1", Request{Rule: "disciplinary.second.file", Base: d("2025-12-22")}, "2026-01-05"},
	// 10 days from Fri 19/04/2024 → Mon 29/04, swapped day off; 30/04, 01/05 holidays → Thu 02/05.
	{"disciplinary.accept ends on a swapped day", Request{Rule: "disciplinary.accept", Base: d("2024-04-19")}, "2024-05-02"},
	// 7 working days from Mon 05/02/2024: 06, 07/02 (2); 08–14/02 Tết; 15, 16 (4); 19, 20, 21 (7)
	// → Wed 21/02.
	{"denunciation.accept across Tết 2024", Request{Rule: "denunciation.accept", Base: d("2024-02-05")}, "2024-02-21"},
	// several sites: 10: 22, 23 (9), Mon 26/02 (10).
	{"denunciation.accept several sites", Request{Rule: "denunciation.accept", Base: d("2024-02-05"), Conditions: []Condition{SeveralSites}}, "2024-02-26"},
	// 5 working days from Thu 25/04/2024: Fri 26 (1); 27–28 weekend, 29 swapped, 30, 01/05
	// holidays; Thu 02/05 (2), Fri 03/05 (3), Sat 04/05 make-up (4), Mon 06/05 (5).
	{"denunciation.forward counts the make-up Saturday", Request{Rule: "denunciation.forward", Base: d("2024-04-25")}, "2024-05-06"},
	// 5 working days from Thu 24/04/2025: Fri 25 (1), Sat 26 make-up (2), Mon 28 (3), Tue 29 (4);
	// 30/04–04/05 off → Mon 05/05 (5).
	{"denunciation.notify_acceptance", Request{Rule: "denunciation.notify_acceptance", Base: d("2025-04-24")}, "2025-05-05"},
	// 30 days from 10/03/2025 → Wed 09/04.
	{"denunciation.resolve", Request{Rule: "denunciation.resolve", Base: d("2025-03-10")}, "2025-04-09"},
	// Especially complex, extended twice: 30 + 30 + 30 = 90 days from Mon 02/06/2025: Jun 3–30
	// (28), Jul (59), Aug (90) = Sun 31/08; 01–02/09 National Day → Wed 03/09. Extension 1 on
	// 25/06 is before the first end (Wed 02/07); extension 2 on 30/07 before the second (Fri 01/08).
	{"denunciation.resolve extended twice", Request{Rule: "denunciation.resolve", Base: d("2025-06-02"),
		Conditions: []Condition{EspeciallyComplex},
		Extensions: []Extension{{On: d("2025-06-25"), Days: 30, Decision: "01/QĐ-GH"}, {On: d("2025-07-30"), Days: 30, Decision: "02/QĐ-GH"}}}, "2025-09-03"},
	// Suspended Thu 20/03/2025, resumed Tue 01/04: days 21/03–01/04 (12) do not count;
	// 09/04 + 12 → Mon 21/04.
	{"denunciation.resolve suspended 12 days", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"),
		Pauses: []Pause{{Suspended: d("2025-03-20"), Resumed: d("2025-04-01")}}}, "2025-04-21"},
	// 7 working days from Thu 28/08/2025: Fri 29 (1); 30/08–02/09 off; Wed 03, Thu 04, Fri 05 (4);
	// Mon 08, Tue 09, Wed 10 (7).
	{"denunciation.conclusion.act across 2/9 2025", Request{Rule: "denunciation.conclusion.act", Base: d("2025-08-28")}, "2025-09-10"},
	// 5 working days from Thu 27/08/2026: Fri 28 (1); 29/08–02/09 off (31/08 swapped); Thu 03 (2),
	// Fri 04 (3), Mon 07 (4), Tue 08/09 (5).
	{"denunciation.conclusion.report_back across 2/9 2026", Request{Rule: "denunciation.conclusion.report_back", Base: d("2026-08-27")}, "2026-09-08"},
	// 7 working days from Mon 17/08/2026: 18–21 (4), Sat 22 make-up (5), Mon 24 (6), Tue 25 (7).
	{"denunciation.conclusion.publish counts the make-up Saturday", Request{Rule: "denunciation.conclusion.publish", Base: d("2026-08-17")}, "2026-08-25"},
	// 5 working days from Thu 23/04/2026: Fri 24 (1); 25–26 weekend, 27 compensatory; Tue 28 (2),
	// Wed 29 (3); 30/04, 01/05 holidays, weekend; Mon 04/05 (4), Tue 05/05 (5).
	{"denunciation.overdue.report across Hùng Kings and 30/4 2026", Request{Rule: "denunciation.overdue.report", Base: d("2026-04-23")}, "2026-05-05"},
	// 20 days from Tue 27/01/2026 → Mon 16/02, last day of Ất Tỵ, Tết → Mon 23/02.
	{"denunciation.repeat.review ends in Tết 2026", Request{Rule: "denunciation.repeat.review", Base: d("2026-01-27")}, "2026-02-23"},
	// 10 working days from Mon 30/12/2024: Tue 31/12 (1); 01/01 holiday; Thu 02, Fri 03 (3);
	// 06–10/01 (8); Mon 13 (9), Tue 14/01/2025 (10).
	{"reception.answer across the new year", Request{Rule: "reception.answer", Base: d("2024-12-30")}, "2025-01-14"},
	// 5 working days from Thu 23/01/2025: Fri 24 (1); 25/01–02/02 Tết; Mon 03 – Thu 06/02 (5).
	{"reception.deputy_inform across Tết 2025", Request{Rule: "reception.deputy_inform", Base: d("2025-01-23")}, "2025-02-06"},
	// 10 working days from Mon 20/01/2025: 21–24 (4); Tết; 03–07/02 (9); Mon 10/02 (10).
	{"petition.process across Tết 2025", Request{Rule: "petition.process", Base: d("2025-01-20")}, "2025-02-10"},
	// 7 days from Mon 01/02/2027 → Mon 08/02, in the computed Tết 2027 (Fri 05 – Tue 09 statutory,
	// Wed 10 and Thu 11 compensatory for Sat 06, Sun 07) → Fri 12/02.
	{"supervision.answer on the computed 2027 calendar", Request{Rule: "supervision.answer", Base: d("2027-02-01")}, "2027-02-12"},
	// 10 days from Thu 20/11/2025 → Sun 30/11 → Mon 01/12.
	{"supervision.committee_report ends on a Sunday", Request{Rule: "supervision.committee_report", Base: d("2025-11-20")}, "2025-12-01"},
}

func TestDueDates(t *testing.T) {
	e := Default()
	for _, tc := range dueCases {
		res, err := e.Due(tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if res.Due != d(tc.want) {
			t.Errorf("%s: due %v, want %s\n%s", tc.name, res.Due, tc.want, res.Derivation)
		}
		if !e.Calendar().IsWorkingDay(res.Due) {
			t.Errorf("%s: due %v is not a working day", tc.name, res.Due)
		}
		if last := res.Derivation.Steps[len(res.Derivation.Steps)-1]; last.Date != res.Due {
			t.Errorf("%s: derivation ends on %v, due %v", tc.name, last.Date, res.Due)
		}
		if !strings.Contains(res.Derivation.String(), res.Rule.Citation) {
			t.Errorf("%s: derivation does not cite %s:\n%s", tc.name, res.Rule.Citation, res.Derivation)
		}
	}
}

func TestEveryRuleIsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range dueCases {
		covered[tc.req.Rule] = true
	}
	for _, r := range Default().Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no hand-computed case", r.ID)
		}
	}
	// The DOMAIN.md table, row by row (the suspension row is a property of denunciation.resolve,
	// the leaders' reception row a recurring duty).
	want := []string{"complaint.file", "complaint.first.accept", "complaint.first.resolve", "complaint.first.send_decision",
		"complaint.second.file", "complaint.second.accept", "complaint.second.resolve", "complaint.second.send_decision",
		"disciplinary.first.file", "disciplinary.second.file", "disciplinary.accept", "denunciation.accept",
		"denunciation.forward", "denunciation.notify_acceptance", "denunciation.resolve", "denunciation.conclusion.act",
		"denunciation.conclusion.report_back", "denunciation.conclusion.publish", "denunciation.overdue.report",
		"denunciation.repeat.review", "reception.answer", "reception.deputy_inform", "petition.process",
		"supervision.answer", "supervision.committee_report"}
	for _, id := range want {
		if _, err := Default().Rule(id); err != nil {
			t.Error(err)
		}
	}
	if r, _ := Default().Rule("denunciation.resolve"); r.Suspension == nil || r.Suspension.Citation != "Luật TC Đ34" {
		t.Error("denunciation.resolve must pause on suspension (Luật TC Đ34)")
	}
	if len(Default().Recurring()) != 3 {
		t.Errorf("recurring duties: %+v", Default().Recurring())
	}
}

func TestDerivationTexts(t *testing.T) {
	e := Default()
	cases := []struct {
		req  Request
		want string
	}{
		{Request{Rule: "complaint.first.resolve", Base: d("2025-03-10")},
			"30 calendar days from acceptance 2025-03-10 (Luật KN Đ28) → 2025-04-09"},
		{Request{Rule: "complaint.first.resolve", Base: d("2025-03-13")},
			"30 calendar days from acceptance 2025-03-13 (Luật KN Đ28) → 2025-04-12\n" +
				"2025-04-12 is a Saturday → next working day 2025-04-14 (Civil Code 2015 Đ148)"},
		{Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex, Remote}},
			"60 calendar days (complex and remote) from acceptance 2025-03-10 (Luật KN Đ28) → 2025-05-09"},
		{Request{Rule: "complaint.file", Base: d("2025-01-30")},
			"90 calendar days from receiving or learning of the administrative decision or act 2025-01-30 (Luật KN Đ9) → 2025-04-30\n" +
				"2025-04-30 is a public holiday (Reunification Day, Ngày Chiến thắng (30/4)) → next working day 2025-05-05 (Civil Code 2015 Đ148)"},
		{Request{Rule: "petition.process", Base: d("2025-01-20")},
			"10 working days from receipt of the petition 2025-01-20 (TT 05/2021/TT-TTCP) → 2025-02-10\n" +
				"not counted, besides weekends: 2025-01-27–2025-01-31 Lunar New Year"},
		{Request{Rule: "denunciation.notify_acceptance", Base: d("2025-04-24")},
			"5 working days from the acceptance decision 2025-04-24 (Luật TC Đ29.3) → 2025-05-05\n" +
				"not counted, besides weekends: 2025-04-30 Reunification Day; 2025-05-01 International Labour Day; 2025-05-02 Reunification Day and International Labour Day\n" +
				"counted as make-up working days: 2025-04-26 (Saturday)"},
		{Request{Rule: "denunciation.resolve", Base: d("2025-06-02"), Conditions: []Condition{EspeciallyComplex},
			Extensions: []Extension{{On: d("2025-06-25"), Days: 30, Decision: "01/QĐ-GH"}, {On: d("2025-07-30"), Days: 30, Decision: "02/QĐ-GH"}},
			Pauses:     []Pause{{Suspended: d("2025-07-01"), Resumed: d("2025-07-13")}}},
			// 30 from 02/06 → 02/07; +30 → 01/08; 12 days paused → 13/08; +30 → 12/09.
			"30 calendar days from acceptance 2025-06-02 (Luật TC Đ30) → 2025-07-02\n" +
				"+ 30 calendar days: extension 1 of at most 2 (decision 01/QĐ-GH, issued 2025-06-25; Luật TC Đ30, at most 30 days each) → 2025-08-01\n" +
				"suspended 2025-07-01, resumed 2025-07-13: 12 days not counted (Luật TC Đ34) → 2025-08-13\n" +
				"+ 30 calendar days: extension 2 of at most 2 (decision 02/QĐ-GH, issued 2025-07-30; Luật TC Đ30, at most 30 days each) → 2025-09-12"},
		{Request{Rule: "supervision.answer", Base: d("2027-02-01")},
			"7 calendar days from the body's decision on the request 2027-02-01 (Luật GS Đ66, Đ73) → 2027-02-08\n" +
				"2027-02-08 is a public holiday (Lunar New Year, Tết Âm lịch (Tết Nguyên đán)) → next working day 2027-02-12 (Civil Code 2015 Đ148)\n" +
				"days off in 2027 are computed from the Labour Code (no schedule published yet): verify when it is"},
		{Request{Rule: "denunciation.accept", Base: d("2024-02-05"), Conditions: []Condition{SeveralSites}},
			"10 working days (several sites) from receipt of the denunciation 2024-02-05 (Luật TC Đ24.1) → 2024-02-26\n" +
				"not counted, besides weekends: 2024-02-08–2024-02-14 Lunar New Year"},
		{Request{Rule: "denunciation.resolve", Base: d("2025-03-10"), Pauses: []Pause{{Suspended: d("2025-03-20")}}},
			"30 calendar days from acceptance 2025-03-10 (Luật TC Đ30) → 2025-04-09\n" +
				"suspended 2025-03-20: the clock is paused with 20 calendar days remaining (Luật TC Đ34)"},
	}
	for _, tc := range cases {
		res, err := e.Due(tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.req.Rule, err)
			continue
		}
		if got := res.Derivation.String(); got != tc.want {
			t.Errorf("%s from %v:\n got: %s\nwant: %s", tc.req.Rule, tc.req.Base, got, tc.want)
		}
	}
}

func TestRefusals(t *testing.T) {
	e := Default()
	cases := []struct {
		name string
		req  Request
		want error
	}{
		{"unknown rule", Request{Rule: "complaint.third.resolve", Base: d("2025-03-10")}, ErrUnknownRule},
		{"no base date", Request{Rule: "complaint.first.resolve"}, ErrInvalidFact},
		{"unknown condition", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{"urgent"}}, ErrUnknownCond},
		{"complaints are not extended", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex},
			Extensions: []Extension{{On: d("2025-03-20"), Days: 10}}}, ErrNotExtendable},
		{"an ordinary denunciation is not extended", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"),
			Extensions: []Extension{{On: d("2025-03-20"), Days: 30}}}, ErrNotExtendable},
		{"a complex denunciation is extended once", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex},
			Extensions: []Extension{{On: d("2025-03-20"), Days: 30}, {On: d("2025-04-20"), Days: 30}}}, ErrNotExtendable},
		{"an extension is at most 30 days", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex},
			Extensions: []Extension{{On: d("2025-03-20"), Days: 31}}}, ErrNotExtendable},
		// Due 09/04/2025: an extension decided on 10/04 comes too late.
		{"an extension after the period ran out", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"), Conditions: []Condition{Complex},
			Extensions: []Extension{{On: d("2025-04-10"), Days: 30}}}, ErrNotExtendable},
		{"a first complaint's clock does not pause", Request{Rule: "complaint.first.resolve", Base: d("2025-03-10"),
			Pauses: []Pause{{Suspended: d("2025-03-20"), Resumed: d("2025-03-25")}}}, ErrNotSuspended},
		{"resumed before suspended", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"),
			Pauses: []Pause{{Suspended: d("2025-03-20"), Resumed: d("2025-03-15")}}}, ErrInvalidFact},
		{"overlapping suspensions", Request{Rule: "denunciation.resolve", Base: d("2025-03-10"),
			Pauses: []Pause{{Suspended: d("2025-03-20"), Resumed: d("2025-03-25")}, {Suspended: d("2025-03-22"), Resumed: d("2025-03-28")}}}, ErrInvalidFact},
	}
	for _, tc := range cases {
		if _, err := e.Due(tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// The roll-over of Civil Code 2015 Đ148 is a per-rule flag: with it off, a period ends on the
// Saturday itself.
func TestRollOverIsPerRule(t *testing.T) {
	table, err := EmbeddedRules()
	if err != nil {
		t.Fatal(err)
	}
	for i := range table.Rules {
		if table.Rules[i].ID == "complaint.first.resolve" {
			table.Rules[i].RollToWorkingDay = false
		}
	}
	e, err := New(calendar.Default(), table)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Due(Request{Rule: "complaint.first.resolve", Base: d("2025-03-13")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Due != d("2025-04-12") || len(res.Derivation.Steps) != 1 {
		t.Errorf("without roll-over: due %v\n%s", res.Due, res.Derivation)
	}
}

func TestRuleTableValidation(t *testing.T) {
	ok := "rules:\n  - {id: r, name: n, name_vi: v, days: 10, day_type: calendar, base_event: b, base_event_vi: bv, citation: c}\n"
	if _, err := ParseRules([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"day type":         "rules:\n  - {id: r, name: n, name_vi: v, days: 10, day_type: weekly, base_event: b, base_event_vi: bv, citation: c}\n",
		"no citation":      "rules:\n  - {id: r, name: n, name_vi: v, days: 10, day_type: calendar, base_event: b, base_event_vi: bv}\n",
		"zero days":        "rules:\n  - {id: r, name: n, name_vi: v, days: 0, day_type: calendar, base_event: b, base_event_vi: bv, citation: c}\n",
		"unknown variant":  "rules:\n  - {id: r, name: n, name_vi: v, days: 10, variants: {urgent: 5}, day_type: calendar, base_event: b, base_event_vi: bv, citation: c}\n",
		"shorter variant":  "rules:\n  - {id: r, name: n, name_vi: v, days: 10, variants: {remote: 5}, day_type: calendar, base_event: b, base_event_vi: bv, citation: c}\n",
		"unknown field":    "rules:\n  - {id: r, name: n, name_vi: v, days: 10, day_type: calendar, base_event: b, base_event_vi: bv, citation: c, extra: 1}\n",
		"duplicate":        ok + "  - {id: r, name: n, name_vi: v, days: 10, day_type: calendar, base_event: b, base_event_vi: bv, citation: c}\n",
		"extension limits": "rules:\n  - {id: r, name: n, name_vi: v, days: 10, day_type: calendar, base_event: b, base_event_vi: bv, citation: c, extensions: {max_days: 30}}\n",
	}
	for name, y := range bad {
		if _, err := ParseRules([]byte(y)); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
