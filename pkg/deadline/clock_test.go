package deadline

import (
	"errors"
	"strings"
	"testing"
)

// A complex denunciation accepted Mon 10/03/2025 (30 days → Wed 09/04), suspended Thu 20/03 with 20
// days left (11–20/03 counted), resumed Tue 01/04 (12 days not counted → Mon 21/04), extended on
// Tue 15/04 by 30 days (→ Wed 21/05), concluded Tue 20/05.
func TestClockLifecycle(t *testing.T) {
	e := Default()
	c, err := e.NewClock("denunciation.resolve",
		Start(d("2025-03-10"), Complex),
		Suspend(d("2025-03-20")),
		Resume(d("2025-04-01")),
		Extend(d("2025-04-15"), 30, "05/QĐ-GH"),
		Stop(d("2025-05-20")),
	)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		asOf                  string
		state                 State
		due                   string
		remaining, workingRem int
		paused                int
		overdue               int
		late                  bool
	}{
		{"2025-03-09", NotStarted, "", 0, 0, 0, 0, false},
		// (15/03 Sat, 09/04]: 25 days; working: 17–21, 24–28, 31/03–04/04 (15), 07/04 is Hùng Kings'
		// day, 08, 09 (17).
		{"2025-03-15", Running, "2025-04-09", 25, 17, 0, 0, false},
		{"2025-03-25", Paused, "", 0, 0, 20, 0, false},
		// 21/04 − 02/04 = 19 days; working 03, 04, 08–11, 14–18, 21 (12) — 07/04 is a holiday.
		{"2025-04-02", Running, "2025-04-21", 19, 12, 0, 0, false},
		{"2025-04-16", Running, "2025-05-21", 35, 0, 0, 0, false},
		{"2025-06-01", StoppedState, "2025-05-21", 0, 0, 0, 0, false},
	}
	for _, tc := range cases {
		st := c.At(d(tc.asOf))
		if st.State != tc.state || (tc.due == "" && !st.Due.IsZero()) || (tc.due != "" && st.Due != d(tc.due)) ||
			st.DaysRemaining != tc.remaining || st.Remaining != tc.paused || st.DaysOverdue != tc.overdue || st.Late != tc.late {
			t.Errorf("as of %s: %+v", tc.asOf, st)
		}
		if tc.workingRem != 0 && st.WorkingDaysRemaining != tc.workingRem {
			t.Errorf("as of %s: %d working days remaining, want %d", tc.asOf, st.WorkingDaysRemaining, tc.workingRem)
		}
	}
	st := c.At(d("2025-04-16"))
	if st.ExtensionsUsed != 1 || st.ExtensionsLeft != 0 {
		t.Errorf("extensions used %d, left %d", st.ExtensionsUsed, st.ExtensionsLeft)
	}
	for _, want := range []string{"12 days not counted (Luật TC Đ34) → 2025-04-21", "extension 1 of at most 1 (decision 05/QĐ-GH"} {
		if !strings.Contains(st.Derivation.String(), want) {
			t.Errorf("derivation lacks %q:\n%s", want, st.Derivation)
		}
	}
	if st := c.At(d("2025-06-01")); st.StoppedOn != d("2025-05-20") {
		t.Errorf("stopped on %v", st.StoppedOn)
	}
	// A complex case has one extension only.
	if _, err := c.Apply(Extend(d("2025-05-20"), 10, "x")); !errors.Is(err, ErrInvalidFact) {
		t.Errorf("extension after the stop: %v", err)
	}
	open, _ := e.NewClock("denunciation.resolve", c.Facts()[:4]...)
	if _, err := open.Apply(Extend(d("2025-04-20"), 10, "x")); !errors.Is(err, ErrNotExtendable) {
		t.Errorf("second extension of a complex case: %v", err)
	}
}

func TestClockOverdueAndLate(t *testing.T) {
	e := Default()
	// 10 working days from Mon 20/01/2025 across Tết → Mon 10/02.
	c, err := e.NewClock("complaint.first.accept", Start(d("2025-01-20")))
	if err != nil {
		t.Fatal(err)
	}
	if st := c.At(d("2025-02-12")); st.State != Running || st.Due != d("2025-02-10") || st.DaysOverdue != 2 {
		t.Errorf("as of 12/02: %+v", st)
	}
	// Fri 24/01 to Mon 10/02: working days 03–07/02 and 10/02 = 6.
	if st := c.At(d("2025-01-24")); st.WorkingDaysRemaining != 6 || st.DaysRemaining != 17 {
		t.Errorf("as of 24/01: %+v", st)
	}
	late, err := c.Apply(Stop(d("2025-02-11")))
	if err != nil {
		t.Fatal(err)
	}
	if st := late.At(d("2025-03-01")); !st.Late || st.DaysOverdue != 1 {
		t.Errorf("stopped on 11/02: %+v", st)
	}
	onTime, _ := c.Apply(Stop(d("2025-02-10")))
	if st := onTime.At(d("2025-03-01")); st.Late || st.DaysOverdue != 0 {
		t.Errorf("stopped on the due date: %+v", st)
	}
	// The old value is unchanged by Apply.
	if len(c.Facts()) != 1 {
		t.Errorf("Apply changed its receiver: %v", c.Facts())
	}
}

// A suspension after the period ran out does not give the time back: the denunciation accepted
// 10/03/2025 was due 09/04; suspended 15/04 it stays 6 days overdue.
func TestClockSuspendedWhenAlreadyOverdue(t *testing.T) {
	c, err := Default().NewClock("denunciation.resolve", Start(d("2025-03-10")), Suspend(d("2025-04-15")))
	if err != nil {
		t.Fatal(err)
	}
	st := c.At(d("2025-05-01"))
	if st.State != Paused || st.Due != d("2025-04-09") || st.DaysOverdue != 6 {
		t.Errorf("%+v\n%s", st, st.Derivation)
	}
}

func TestClockRefusesImpossibleFacts(t *testing.T) {
	e := Default()
	cases := []struct {
		name  string
		rule  string
		facts []Fact
		want  error
	}{
		{"no start", "denunciation.resolve", []Fact{Suspend(d("2025-03-20"))}, ErrInvalidFact},
		{"started twice", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Start(d("2025-03-11"))}, ErrInvalidFact},
		{"out of order", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Suspend(d("2025-03-09"))}, ErrInvalidFact},
		{"resume without suspension", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Resume(d("2025-03-20"))}, ErrInvalidFact},
		{"suspended twice", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Suspend(d("2025-03-20")), Suspend(d("2025-03-21"))}, ErrInvalidFact},
		{"extended while suspended", "denunciation.resolve", []Fact{Start(d("2025-03-10"), Complex), Suspend(d("2025-03-20")), Extend(d("2025-03-21"), 30, "x")}, ErrInvalidFact},
		{"a complaint's clock does not pause", "complaint.first.resolve", []Fact{Start(d("2025-03-10")), Suspend(d("2025-03-20"))}, ErrNotSuspended},
		{"an ordinary denunciation is not extended", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Extend(d("2025-03-20"), 30, "x")}, ErrNotExtendable},
		{"an extension after the period ran out", "denunciation.resolve", []Fact{Start(d("2025-03-10"), Complex), Extend(d("2025-04-10"), 30, "x")}, ErrNotExtendable},
		{"stopped twice", "denunciation.resolve", []Fact{Start(d("2025-03-10")), Stop(d("2025-03-20")), Stop(d("2025-03-21"))}, ErrInvalidFact},
		{"unknown condition", "denunciation.resolve", []Fact{Start(d("2025-03-10"), "urgent")}, ErrUnknownCond},
		{"unknown rule", "complaint.third.resolve", []Fact{Start(d("2025-03-10"))}, ErrUnknownRule},
	}
	for _, tc := range cases {
		if _, err := e.NewClock(tc.rule, tc.facts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}
