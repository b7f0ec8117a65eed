package calendar

import (
	"strings"
	"testing"
	"time"
)

var d = MustParseDate

func TestDateOfUsesVietnameseCivilTime(t *testing.T) {
	// A petition received at 23:30 in Vietnam on 14/12 belongs to 14/12, although it is already
	// 16:30 UTC; 30 minutes later it is 15/12 in Vietnam and still 14/12 in UTC.
	at := time.Date(2025, 12, 14, 16, 30, 0, 0, time.UTC)
	if got := DateOf(at); got != d("2025-12-14") {
		t.Errorf("DateOf(%v) = %v", at, got)
	}
	if got := DateOf(at.Add(30 * time.Minute)); got != d("2025-12-15") {
		t.Errorf("DateOf(%v) = %v", at.Add(30*time.Minute), got)
	}
	if got := d("2025-12-15").Start(); !got.Equal(at.Add(30 * time.Minute)) {
		t.Errorf("Start = %v", got)
	}
}

func TestDateArithmetic(t *testing.T) {
	if got := NewDate(2025, time.January, 32); got != d("2025-02-01") {
		t.Errorf("NewDate normalises: got %v", got)
	}
	if got := d("2024-02-28").AddDays(1); got != d("2024-02-29") {
		t.Errorf("leap day: got %v", got)
	}
	if got := d("2025-04-09").DaysSince(d("2025-03-10")); got != 30 {
		t.Errorf("DaysSince = %d, want 30", got)
	}
	if got := d("2025-03-10").DaysSince(d("2025-04-09")); got != -30 {
		t.Errorf("DaysSince = %d, want -30", got)
	}
	if !d("2025-01-31").Before(d("2025-02-01")) || !d("2026-01-01").After(d("2025-12-31")) || d("2025-01-01").Compare(d("2025-01-01")) != 0 {
		t.Error("ordering is wrong")
	}
	if _, err := ParseDate("2025-02-30"); err == nil {
		t.Error("ParseDate accepted 2025-02-30")
	}
	if (Date{Year: 2025, Month: 2, Day: 30}).IsValid() || !d("2025-02-28").IsValid() || (Date{}).IsValid() {
		t.Error("IsValid is wrong")
	}
	var back Date
	b, _ := d("2026-02-17").MarshalText()
	if err := back.UnmarshalText(b); err != nil || back != d("2026-02-17") || string(b) != "2026-02-17" {
		t.Errorf("text round trip: %s → %v (%v)", b, back, err)
	}
}

func TestEmbeddedSchedulesLoad(t *testing.T) {
	s, err := EmbeddedSchedules()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(s...)
	if err != nil {
		t.Fatal(err)
	}
	got := c.PublishedYears()
	if len(got) != 3 || got[0] != 2024 || got[2] != 2026 {
		t.Fatalf("published years %v, want 2024–2026", got)
	}
	for _, y := range got {
		if !c.IsPublished(y) {
			t.Errorf("IsPublished(%d) = false", y)
		}
	}
	if c.IsPublished(2027) {
		t.Error("2027 has no file and must be computed")
	}
}

// The published files and the lunar computation must agree on where the holidays are: every
// statutory holiday that the Prime Minister cannot move (1/1, Tết's first three days, Hùng Kings'
// day, 30/4, 1/5, 2/9) is a day off in every published year.
func TestPublishedSchedulesAgreeWithTheLaw(t *testing.T) {
	c := Default()
	for _, y := range c.PublishedYears() {
		tet := TetDate(y)
		fixed := []Date{NewDate(y, 1, 1), tet, tet.AddDays(1), tet.AddDays(2), HungKingsDate(y),
			NewDate(y, 4, 30), NewDate(y, 5, 1), NewDate(y, 9, 2)}
		for _, f := range fixed {
			st := c.Explain(f)
			if st.Working || st.Kind != PublicHoliday || !st.Published {
				t.Errorf("%d: %v", y, st)
			}
		}
		// 11 statutory days: 1 + 5 + 1 + 1 + 1 + 2 (Labour Code 2019 Đ112.1).
		n := 0
		for _, e := range c.Exceptions(NewDate(y, 1, 1), NewDate(y, 12, 31)) {
			if e.Kind == PublicHoliday {
				n++
			}
		}
		if n != 11 {
			t.Errorf("%d has %d public holidays in its file, want 11", y, n)
		}
	}
}

func TestPublishedDays(t *testing.T) {
	c := Default()
	cases := []struct {
		date    string
		working bool
		kind    DayKind
		reason  string // a part of Reason()
	}{
		{"2024-01-01", false, PublicHoliday, "New Year's Day"},
		{"2024-02-08", false, PublicHoliday, "29 tháng Chạp"},
		{"2024-02-14", false, CompensatoryDayOff, "Lunar New Year"},
		{"2024-02-15", true, OrdinaryWorkingDay, "Thursday"},
		{"2024-04-18", false, PublicHoliday, "Hùng Kings"},
		{"2024-04-29", false, SwappedDayOff, "made up on 2024-05-04"},
		{"2024-05-04", true, MakeUpWorkingDay, "in exchange for 2024-04-29"},
		{"2024-09-03", false, PublicHoliday, "National Day"},
		{"2025-01-25", false, WeeklyRest, "Saturday (Lunar New Year"},
		{"2025-01-27", false, PublicHoliday, "Lunar New Year"},
		{"2025-02-03", true, OrdinaryWorkingDay, "Monday"},
		{"2025-04-07", false, PublicHoliday, "Hùng Kings"},
		{"2025-04-12", false, WeeklyRest, "Saturday"},
		{"2025-04-26", true, MakeUpWorkingDay, "Saturday, worked in exchange for 2025-05-02"},
		{"2025-05-02", false, SwappedDayOff, "made up on 2025-04-26"},
		{"2025-09-01", false, PublicHoliday, "National Day"},
		{"2026-01-02", false, SwappedDayOff, "made up on 2026-01-10"},
		{"2026-01-10", true, MakeUpWorkingDay, "Saturday"},
		{"2026-02-16", false, PublicHoliday, "29 tháng Chạp"},
		{"2026-02-21", false, WeeklyRest, "Lunar New Year"},
		{"2026-02-23", true, OrdinaryWorkingDay, "Monday"},
		{"2026-04-26", false, PublicHoliday, "Hùng Kings"},
		{"2026-04-27", false, CompensatoryDayOff, "Hùng Kings"},
		{"2026-08-22", true, MakeUpWorkingDay, "2026-08-31"},
		{"2026-09-01", false, PublicHoliday, "National Day"},
		{"2026-09-03", true, OrdinaryWorkingDay, "Thursday"},
	}
	for _, tc := range cases {
		st := c.Explain(d(tc.date))
		if st.Working != tc.working || st.Kind != tc.kind || c.IsWorkingDay(d(tc.date)) != tc.working {
			t.Errorf("%s: got %v (working %v, kind %v), want working %v kind %v", tc.date, st, st.Working, st.Kind, tc.working, tc.kind)
		}
		if !strings.Contains(st.Reason(), tc.reason) {
			t.Errorf("%s: reason %q does not mention %q", tc.date, st.Reason(), tc.reason)
		}
	}
}

func TestWorkingDayArithmetic(t *testing.T) {
	c := Default()
	cases := []struct {
		name string
		from string
		n    int
		want string
	}{
		// Fri 24/01/2025; 25/01–02/02 is the Tết break → first working day Mon 03/02.
		{"across Tết 2025", "2025-01-24", 1, "2025-02-03"},
		// Fri 25/04/2025 → Sat 26/04 is a make-up working day.
		{"make-up Saturday counts", "2025-04-25", 1, "2025-04-26"},
		// Tue 29/04/2025 → 30/04, 01/05 holidays, 02/05 swapped, 03–04/05 weekend → Mon 05/05.
		{"across 30/4–1/5 2025", "2025-04-29", 1, "2025-05-05"},
		// Fri 13/02/2026 + 5: break 14–22/02; Mon 23 (1), Tue 24 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5).
		{"across Tết 2026", "2026-02-13", 5, "2026-02-27"},
		// Thu 29/08/2024 + 2: Fri 30/08 (1); 31/08–03/09 off; Wed 04/09 (2).
		{"across 2/9 2024", "2024-08-29", 2, "2024-09-04"},
		// Backwards: Mon 03/02/2025 − 1 → Fri 24/01/2025.
		{"backwards across Tết 2025", "2025-02-03", -1, "2025-01-24"},
		{"zero", "2025-04-12", 0, "2025-04-12"},
	}
	for _, tc := range cases {
		if got := c.AddWorkingDays(d(tc.from), tc.n); got != d(tc.want) {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %v, want %s", tc.name, tc.from, tc.n, got, tc.want)
		}
	}
	if got := c.NextWorkingDay(d("2025-04-12")); got != d("2025-04-14") {
		t.Errorf("NextWorkingDay(Sat 2025-04-12) = %v", got)
	}
	if got := c.NextWorkingDay(d("2025-04-14")); got != d("2025-04-15") {
		t.Errorf("NextWorkingDay is strictly after: got %v", got)
	}
	if got := c.WorkingDayOnOrAfter(d("2025-04-14")); got != d("2025-04-14") {
		t.Errorf("WorkingDayOnOrAfter(working day) = %v", got)
	}
	// (24/01/2025, 03/02/2025]: only 03/02 is a working day.
	if got := c.WorkingDaysBetween(d("2025-01-24"), d("2025-02-03")); got != 1 {
		t.Errorf("WorkingDaysBetween across Tết = %d, want 1", got)
	}
	if got := c.WorkingDaysBetween(d("2025-02-03"), d("2025-01-24")); got != -1 {
		t.Errorf("WorkingDaysBetween reversed = %d, want -1", got)
	}
	// Package-level helpers use the default calendar.
	if IsWorkingDay(d("2025-05-02")) || NextWorkingDay(d("2025-04-29")) != d("2025-05-05") ||
		AddWorkingDays(d("2025-04-25"), 1) != d("2025-04-26") || Explain(d("2025-04-30")).Kind != PublicHoliday {
		t.Error("package-level helpers disagree with the default calendar")
	}
}

func TestLunarHolidays(t *testing.T) {
	tet := map[int]string{2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
		2028: "2028-01-26", 2029: "2029-02-13",
		// Vietnam (UTC+7) 2 February, China (UTC+8) 3 February: the new moon is at 23:07 ICT.
		2030: "2030-02-02"}
	for y, want := range tet {
		if got := TetDate(y); got != d(want) {
			t.Errorf("TetDate(%d) = %v, want %s", y, got, want)
		}
	}
	// 2023 has a leap 2nd month; 2027–2030 agree with Hồ Ngọc Đức's published tables.
	hung := map[int]string{2020: "2020-04-02", 2023: "2023-04-29", 2024: "2024-04-18", 2025: "2025-04-07",
		2026: "2026-04-26", 2027: "2027-04-16", 2028: "2028-04-04", 2029: "2029-04-23", 2030: "2030-04-12"}
	for y, want := range hung {
		if got := HungKingsDate(y); got != d(want) {
			t.Errorf("HungKingsDate(%d) = %v, want %s", y, got, want)
		}
	}
}

func TestComputedFallback(t *testing.T) {
	c := Default()
	off := func(date string, kind DayKind, occasion string) {
		t.Helper()
		st := c.Explain(d(date))
		if st.Working || st.Kind != kind || st.Occasion != occasion || st.Published || st.Verify == "" {
			t.Errorf("%s: got %v (kind %v, published %v, verify %q), want %v of %s", date, st, st.Kind, st.Published, st.Verify, kind, occasion)
		}
	}
	working := func(date string) {
		t.Helper()
		if st := c.Explain(d(date)); !st.Working {
			t.Errorf("%s: got %v, want a working day", date, st)
		}
	}
	// 2027: Tết Sat 06/02 → statutory Fri 05/02 (last day of Bính Ngọ) – Tue 09/02; Sat 06 and Sun 07
	// are weekly rest days → compensatory Wed 10/02 and Thu 11/02; Fri 12/02 works.
	off("2027-02-05", PublicHoliday, LunarNewYear)
	off("2027-02-09", PublicHoliday, LunarNewYear)
	off("2027-02-10", CompensatoryDayOff, LunarNewYear)
	off("2027-02-11", CompensatoryDayOff, LunarNewYear)
	working("2027-02-12")
	working("2027-02-04")
	// 2027: Hùng Kings Fri 16/04; 1/5 is a Saturday → compensatory Mon 03/05.
	off("2027-04-16", PublicHoliday, HungKings)
	off("2027-05-03", CompensatoryDayOff, LabourDay)
	// 2027: 2/9 Thursday → adjacent Fri 03/09.
	off("2027-09-03", PublicHoliday, NationalDay)
	working("2027-09-01")
	// 2029: 2/9 Sunday → adjacent Mon 03/09, compensatory for Sunday Tue 04/09.
	off("2029-09-03", PublicHoliday, NationalDay)
	off("2029-09-04", CompensatoryDayOff, NationalDay)
	// 2028: 2/9 Saturday → adjacent Fri 01/09, compensatory Mon 04/09.
	off("2028-09-01", PublicHoliday, NationalDay)
	off("2028-09-04", CompensatoryDayOff, NationalDay)
	// Computed years have no make-up Saturdays.
	for _, e := range c.Exceptions(d("2027-01-01"), d("2030-12-31")) {
		if e.Kind == MakeUpWorkingDay || e.Kind == SwappedDayOff {
			t.Errorf("computed year has %v", e)
		}
	}
}

func TestScheduleValidation(t *testing.T) {
	head := "year: 2031\nsources:\n  - {id: s, ref: Công văn 1/VPCP}\n"
	bad := map[string]string{
		"unknown kind":         "days_off:\n  - {date: 2031-01-01, kind: festival, occasion: a, occasion_vi: b, source: s}\n",
		"unknown source":       "days_off:\n  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: nope}\n",
		"unknown field":        "days_off:\n  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s, note: x}\n",
		"wrong year":           "days_off:\n  - {date: 2030-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s}\n",
		"twice":                "days_off:\n  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s}\n  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s}\n",
		"weekday in break":     "days_off:\n  - {from: 2031-01-01, to: 2031-01-05, kind: break, occasion: a, occasion_vi: b, source: s}\n",
		"make-up on Monday":    "days_off:\n  - {date: 2031-01-03, kind: swapped, occasion: a, occasion_vi: b, source: s}\nmake_up_days:\n  - {date: 2031-01-06, for: 2031-01-03, occasion: a, occasion_vi: b, source: s}\n",
		"swap without make-up": "days_off:\n  - {date: 2031-01-03, kind: swapped, occasion: a, occasion_vi: b, source: s}\n",
		"make-up for a holiday": "days_off:\n  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s}\n" +
			"make_up_days:\n  - {date: 2031-01-04, for: 2031-01-01, occasion: a, occasion_vi: b, source: s}\n",
		"no occasion": "days_off:\n  - {date: 2031-01-01, kind: holiday, source: s}\n",
	}
	for name, body := range bad {
		if _, err := ParseSchedule([]byte(head + body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	good := head + "days_off:\n  - {from: 2031-01-01, to: 2031-01-05, kind: break, occasion: a, occasion_vi: b, source: s}\n" +
		"  - {date: 2031-01-01, kind: holiday, occasion: a, occasion_vi: b, source: s}\n" +
		"  - {date: 2031-01-02, kind: swapped, occasion: a, occasion_vi: b, source: s}\n" +
		"  - {date: 2031-01-03, kind: compensatory, occasion: a, occasion_vi: b, source: s}\n" +
		"make_up_days:\n  - {date: 2031-01-11, for: 2031-01-02, occasion: a, occasion_vi: b, source: s}\n"
	s, err := ParseSchedule([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	// 2031-01-01 Wed holiday, 02 Thu swapped (made up Sat 11/01), 03 Fri compensatory, 04–05 weekend
	// named after the break; 06 Mon works.
	if c.IsWorkingDay(d("2031-01-02")) || c.IsWorkingDay(d("2031-01-03")) || !c.IsWorkingDay(d("2031-01-06")) || !c.IsWorkingDay(d("2031-01-11")) || c.Explain(d("2031-01-04")).Occasion != "a" {
		t.Errorf("custom schedule not applied: %v / %v / %v", c.Explain(d("2031-01-02")), c.Explain(d("2031-01-11")), c.Explain(d("2031-01-04")))
	}
	if _, err := New(s, s); err == nil {
		t.Error("two schedules for one year accepted")
	}
}

// Computed years are built on first use; concurrent first uses must not race (run with -race).
func TestConcurrentUse(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Date)
	for i := 0; i < 8; i++ {
		go func(i int) { done <- c.AddWorkingDays(NewDate(2040+i%3, 1, 20), 30) }(i)
	}
	for i := 0; i < 8; i++ {
		if got := <-done; !c.IsWorkingDay(got) {
			t.Errorf("%v is not a working day", got)
		}
	}
}
