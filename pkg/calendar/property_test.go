package calendar

import "testing"

// Exhaustive over every start day from December 2023 to January 2031 (published and computed years,
// every Tết, swap and make-up Saturday) and n = 1..30: AddWorkingDays lands on a working day after
// the start, grows strictly with n, is undone by counting back, and agrees with WorkingDaysBetween
// and NextWorkingDay.
func TestAddWorkingDaysProperties(t *testing.T) {
	c := Default()
	for from := d("2023-12-01"); from.Before(d("2031-02-01")); from = from.AddDays(1) {
		prev := from
		for n := 1; n <= 30; n++ {
			got := c.AddWorkingDays(from, n)
			if !c.IsWorkingDay(got) {
				t.Fatalf("AddWorkingDays(%v, %d) = %v, not a working day: %v", from, n, got, c.Explain(got))
			}
			if !got.After(prev) {
				t.Fatalf("AddWorkingDays(%v, %d) = %v is not after n-1's %v", from, n, got, prev)
			}
			if k := c.WorkingDaysBetween(from, got); k != n {
				t.Fatalf("WorkingDaysBetween(%v, %v) = %d, want %d", from, got, k, n)
			}
			if c.IsWorkingDay(from) {
				if back := c.AddWorkingDays(got, -n); back != from {
					t.Fatalf("AddWorkingDays(AddWorkingDays(%v, %d), -%d) = %v", from, n, n, back)
				}
			}
			prev = got
		}
		if c.NextWorkingDay(from) != c.AddWorkingDays(from, 1) {
			t.Fatalf("NextWorkingDay(%v) != AddWorkingDays(%v, 1)", from, from)
		}
		on := c.WorkingDayOnOrAfter(from)
		if !c.IsWorkingDay(on) || on.Before(from) || c.WorkingDaysBetween(from.AddDays(-1), on.AddDays(-1)) != 0 {
			t.Fatalf("WorkingDayOnOrAfter(%v) = %v", from, on)
		}
	}
}

// FuzzAddWorkingDays checks the same properties on arbitrary start days over 1900–2199 (the range of
// the lunar computation) and both directions.
func FuzzAddWorkingDays(f *testing.F) {
	f.Add(0, 10)
	f.Add(9160, 5) // 2025-01-29, Tết
	f.Add(9250, 1) // 2025-04-29, before 30/4
	f.Add(20000, 30)
	f.Add(0, -80) // backwards from a Saturday: once disagreed with WorkingDaysBetween
	f.Fuzz(func(t *testing.T, offset, n int) {
		base := d("2000-01-01")
		offset %= 70000 // about ±190 years around 2000
		n %= 400
		from := base.AddDays(offset)
		c := Default()
		got := c.AddWorkingDays(from, n)
		if n == 0 {
			if got != from {
				t.Fatalf("AddWorkingDays(%v, 0) = %v", from, got)
			}
			return
		}
		if !c.IsWorkingDay(got) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v, not a working day", from, n, got)
		}
		if (n > 0) != got.After(from) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v went the wrong way", from, n, got)
		}
		if k := c.WorkingDaysBetween(from, got); k != n {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d, want %d", from, got, k, n)
		}
		if n > 1 && !c.AddWorkingDays(from, n-1).Before(got) {
			t.Fatalf("AddWorkingDays(%v, %d) is not after n-1", from, n)
		}
	})
}
