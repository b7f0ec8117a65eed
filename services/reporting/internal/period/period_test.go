package period

import (
	"time"

	"testing"

	"cloud.google.com/go/civil"
)

func d(y, m, day int) civil.Date { return civil.Date{Year: y, Month: time.Month(m), Day: day} }

func TestForCircular012024(t *testing.T) {
	tests := []struct {
		year     int
		kind     Kind
		from, to civil.Date
	}{
		{2025, Q1, d(2024, 12, 15), d(2025, 3, 14)},
		{2025, Q2, d(2025, 3, 15), d(2025, 6, 14)},
		{2025, Q3, d(2025, 6, 15), d(2025, 9, 14)},
		{2025, Q4, d(2025, 9, 15), d(2025, 12, 14)},
		{2025, SixMonths, d(2024, 12, 15), d(2025, 6, 14)},
		{2025, NineMonths, d(2024, 12, 15), d(2025, 9, 14)},
		{2025, Year, d(2024, 12, 15), d(2025, 12, 14)},
		{2024, Q1, d(2023, 12, 15), d(2024, 3, 14)}, // leap year: February has no effect on the bounds
		{2000, Year, d(1999, 12, 15), d(2000, 12, 14)},
	}
	for _, tc := range tests {
		t.Run(tc.kind.Code(), func(t *testing.T) {
			r, err := For(tc.year, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if r.From != tc.from || r.To != tc.to || r.Year != tc.year || r.Kind != tc.kind {
				t.Fatalf("For(%d, %s) = %s, want %s..%s", tc.year, tc.kind, r, tc.from, tc.to)
			}
		})
	}
}

func TestQuartersTileTheYear(t *testing.T) {
	yr, _ := For(2026, Year)
	days := 0
	prev := yr.From.AddDays(-1)
	for _, q := range []Kind{Q1, Q2, Q3, Q4} {
		r, _ := For(2026, q)
		if r.From != prev.AddDays(1) {
			t.Fatalf("%s starts %s, want the day after %s", r, r.From, prev)
		}
		prev = r.To
		days += r.Days()
	}
	if prev != yr.To || days != yr.Days() {
		t.Fatalf("quarters end %s after %d days, year ends %s after %d", prev, days, yr.To, yr.Days())
	}
}

func TestContaining(t *testing.T) {
	tests := []struct {
		date     civil.Date
		kind     Kind
		ok       bool
		year     int
		from, to civil.Date
	}{
		{d(2024, 12, 14), Q4, true, 2024, d(2024, 9, 15), d(2024, 12, 14)},
		{d(2024, 12, 15), Q1, true, 2025, d(2024, 12, 15), d(2025, 3, 14)},
		{d(2024, 12, 31), Year, true, 2025, d(2024, 12, 15), d(2025, 12, 14)},
		{d(2025, 1, 1), Q1, true, 2025, d(2024, 12, 15), d(2025, 3, 14)},
		{d(2025, 3, 14), Q1, true, 2025, d(2024, 12, 15), d(2025, 3, 14)},
		{d(2025, 3, 15), Q1, false, 0, civil.Date{}, civil.Date{}},
		{d(2025, 3, 15), Q2, true, 2025, d(2025, 3, 15), d(2025, 6, 14)},
		{d(2025, 6, 14), SixMonths, true, 2025, d(2024, 12, 15), d(2025, 6, 14)},
		{d(2025, 6, 15), SixMonths, false, 0, civil.Date{}, civil.Date{}},
		{d(2025, 9, 14), NineMonths, true, 2025, d(2024, 12, 15), d(2025, 9, 14)},
		{d(2025, 10, 1), NineMonths, false, 0, civil.Date{}, civil.Date{}},
		{d(2025, 12, 20), NineMonths, true, 2026, d(2025, 12, 15), d(2026, 9, 14)},
		{d(2025, 12, 14), Year, true, 2025, d(2024, 12, 15), d(2025, 12, 14)},
	}
	for _, tc := range tests {
		r, ok := Containing(tc.date, tc.kind)
		if ok != tc.ok {
			t.Errorf("Containing(%s, %s) ok = %v, want %v", tc.date, tc.kind, ok, tc.ok)
			continue
		}
		if ok && (r.Year != tc.year || r.From != tc.from || r.To != tc.to || r.Kind != tc.kind) {
			t.Errorf("Containing(%s, %s) = %s, want %d %s..%s", tc.date, tc.kind, r, tc.year, tc.from, tc.to)
		}
	}
}

func TestQuarterEveryDay(t *testing.T) {
	for day := d(2024, 1, 1); day.Before(d(2027, 1, 1)); day = day.AddDays(1) {
		q := Quarter(day)
		if !q.Kind.Valid() || !q.Contains(day) {
			t.Fatalf("Quarter(%s) = %s", day, q)
		}
		yr, ok := Containing(day, Year)
		if !ok || yr.Year != q.Year {
			t.Fatalf("%s: quarter %s but year %s", day, q, yr)
		}
	}
}

func TestLineAndLabel(t *testing.T) {
	r, _ := For(2025, Q1)
	if got, want := r.Line(), "Số liệu tính từ ngày 15/12/2024 đến ngày 14/03/2025"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
	if got, want := r.Label(), "Quý I năm 2025"; got != want {
		t.Errorf("Label = %q, want %q", got, want)
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		got, err := ParseKind(k.Code())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.Code(), got, err)
		}
	}
	if _, err := ParseKind("Q5"); err == nil {
		t.Error("ParseKind(Q5) succeeded")
	}
	if _, err := For(2025, Kind(99)); err == nil {
		t.Error("For with an invalid kind succeeded")
	}
}
