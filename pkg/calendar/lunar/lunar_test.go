package lunar

import "testing"

// Tết dates as published in Vietnamese calendars. 1985 and 2007 are years in which the Vietnamese
// (UTC+7) calendar differs from the Chinese (UTC+8) one, which is why a Chinese lunar library won't do.
func TestNewYear(t *testing.T) {
	cases := []struct{ year, month, day int }{
		{1985, 1, 21}, // Chinese New Year 1985 was 20 February
		{2007, 2, 17}, // Chinese New Year 2007 was 18 February
		{2020, 1, 25},
		{2021, 2, 12},
		{2022, 2, 1},
		{2023, 1, 22},
		{2024, 2, 10},
		{2025, 1, 29},
		{2026, 2, 17},
		{2027, 2, 6},
		{2028, 1, 26},
		{2029, 2, 13},
		// The new moon of February 2030 is at 23:07 on 2 February in UTC+7 and 00:07 on 3 February in
		// UTC+8: Tết 2030 is 2 February in Vietnam (Hồ Ngọc Đức's tables agree), 3 February in China.
		{2030, 2, 2},
	}
	for _, c := range cases {
		m, d := NewYear(c.year)
		if m != c.month || d != c.day {
			t.Errorf("Tết %d = %d-%02d, want %d-%02d", c.year, m, d, c.month, c.day)
		}
	}
}

// Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month. 2023 has a leap 2nd month, so its 3rd month
// starts a lunation later than a naive count would put it.
func TestHungKings(t *testing.T) {
	cases := []struct{ year, month, day int }{
		{2020, 4, 2},
		{2021, 4, 21},
		{2022, 4, 10},
		{2023, 4, 29},
		{2024, 4, 18},
		{2025, 4, 7},
		{2026, 4, 26},
	}
	for _, c := range cases {
		y, m, d, ok := ToSolar(Date{Year: c.year, Month: 3, Day: 10})
		if !ok || y != c.year || m != c.month || d != c.day {
			t.Errorf("10/3 lunar %d = %d-%02d-%02d (ok %v), want %d-%02d-%02d", c.year, y, m, d, ok, c.year, c.month, c.day)
		}
	}
}

func TestLeapMonth(t *testing.T) {
	cases := map[int]int{2020: 4, 2021: 0, 2022: 0, 2023: 2, 2024: 0, 2025: 6, 2026: 0, 2028: 5}
	for y, want := range cases {
		if got := LeapMonth(y); got != want {
			t.Errorf("LeapMonth(%d) = %d, want %d", y, got, want)
		}
	}
	if _, _, _, ok := ToSolar(Date{Year: 2024, Month: 3, Day: 1, Leap: true}); ok {
		t.Error("2024 has no leap 3rd month, ToSolar must say so")
	}
	y, m, d, ok := ToSolar(Date{Year: 2025, Month: 6, Day: 1, Leap: true})
	if !ok || y != 2025 || m != 7 || d != 25 {
		t.Errorf("1/6 nhuận 2025 = %d-%02d-%02d (ok %v), want 2025-07-25", y, m, d, ok)
	}
}

// Converting every day of 1900–2100 to the lunar calendar and back must give the same day, and
// lunar days must run 1..29 or 1..30 without gaps.
func TestRoundTrip(t *testing.T) {
	start := julianDay(1900, 1, 31) // Tết 1900
	end := julianDay(2100, 12, 31)
	prev := FromSolar(fromJulianDay3(start - 1))
	for jd := start; jd <= end; jd++ {
		y, m, d := fromJulianDay(jd)
		ld := FromSolar(y, m, d)
		y2, m2, d2, ok := ToSolar(ld)
		if !ok || y2 != y || m2 != m || d2 != d {
			t.Fatalf("%d-%02d-%02d → %+v → %d-%02d-%02d (ok %v)", y, m, d, ld, y2, m2, d2, ok)
		}
		if ld.Day == 1 {
			if prev.Day != 29 && prev.Day != 30 {
				t.Fatalf("month before %d-%02d-%02d has %d days", y, m, d, prev.Day)
			}
		} else if ld.Day != prev.Day+1 || ld.Month != prev.Month || ld.Leap != prev.Leap {
			t.Fatalf("%d-%02d-%02d: lunar %+v does not follow %+v", y, m, d, ld, prev)
		}
		prev = ld
	}
}

func fromJulianDay3(jd int) (int, int, int) { return fromJulianDay(jd) }

// Every leap month of 1800–2198, including the rare leap 11th month of 2033, converts to a
// Gregorian date and back.
func TestLeapMonthsRoundTrip(t *testing.T) {
	n := 0
	for y := 1800; y < 2199; y++ {
		for m := 1; m <= 12; m++ {
			want := Date{Year: y, Month: m, Day: 1, Leap: true}
			if yy, mm, dd, ok := ToSolar(want); ok {
				n++
				if got := FromSolar(yy, mm, dd); got != want {
					t.Errorf("%+v → %d-%02d-%02d → %+v", want, yy, mm, dd, got)
				}
			}
		}
	}
	// About 7 leap months in 19 years.
	if n < 140 || n > 150 {
		t.Errorf("%d leap months in 399 years", n)
	}
	if y, m, d, ok := ToSolar(Date{Year: 2033, Month: 11, Day: 1, Leap: true}); !ok || y != 2033 || m != 12 || d != 22 {
		t.Errorf("1/11 nhuận 2033 = %d-%02d-%02d (ok %v), want 2033-12-22", y, m, d, ok)
	}
}
