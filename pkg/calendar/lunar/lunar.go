// Package lunar converts between the Gregorian calendar and the Vietnamese lunisolar calendar (âm lịch).
//
// The Vietnamese calendar follows the same rules as the Chinese one but reckons new moons and solar
// terms at the meridian of UTC+7 instead of UTC+8, so the two disagree in some years (Tết 1985 and
// 2007, for instance). No maintained Go library computes the UTC+7 calendar (github.com/6tail/lunar-go
// is the Chinese one), so this package implements the algorithm published by Hồ Ngọc Đức,
// "Thuật toán tính âm lịch" (https://www.informatik.uni-leipzig.de/~duc/amlich/calrules.html), whose
// astronomical part is from Jean Meeus, "Astronomical Algorithms" (1998). It is accurate for the
// years 1800–2199, which covers every date a petition can carry. Checked against his published
// month tables for 2000–2099: every month start agrees except two whose new moon falls within minutes
// of midnight (2054-05-07 and 2072-12-09 are given as the last day of the previous month here);
// neither touches Tết or Hùng Kings' day.
package lunar

import "math"

// TimeZone is the offset of Vietnamese civil time from UTC, in hours; the calendar is reckoned there.
const TimeZone = 7.0

// Date is a day of the lunar calendar. Leap is true in the intercalary month (tháng nhuận) that
// repeats Month.
type Date struct {
	Year, Month, Day int
	Leap             bool
}

// julianDay is the Julian day number of a Gregorian (or, before 1582-10-15, Julian) date.
func julianDay(y, m, d int) int {
	a := (14 - m) / 12
	yy := y + 4800 - a
	mm := m + 12*a - 3
	jd := d + (153*mm+2)/5 + 365*yy + yy/4 - yy/100 + yy/400 - 32045
	if jd < 2299161 {
		jd = d + (153*mm+2)/5 + 365*yy + yy/4 - 32083
	}
	return jd
}

// fromJulianDay is the inverse of julianDay.
func fromJulianDay(jd int) (y, m, d int) {
	var a, b, c int
	if jd > 2299160 {
		a = jd + 32044
		b = (4*a + 3) / 146097
		c = a - (b*146097)/4
	} else {
		b = 0
		c = jd + 32082
	}
	dd := (4*c + 3) / 1461
	e := c - (1461*dd)/4
	mm := (5*e + 2) / 153
	d = e - (153*mm+2)/5 + 1
	m = mm + 3 - 12*(mm/10)
	y = b*100 + dd - 4800 + mm/10
	return y, m, d
}

// newMoon is the Julian day (fractional, UT) of the k-th new moon after the one of 1900-01-01
// (Meeus, ch. 49, with the terms that matter at day resolution).
func newMoon(k int) float64 {
	kf := float64(k)
	t := kf / 1236.85
	t2 := t * t
	t3 := t2 * t
	dr := math.Pi / 180
	jd1 := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3
	jd1 += 0.00033 * math.Sin((166.56+132.87*t-0.009173*t2)*dr)
	m := 359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3    // sun's mean anomaly
	mpr := 306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3 // moon's mean anomaly
	f := 21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3    // moon's argument of latitude
	c1 := (0.1734-0.000393*t)*math.Sin(m*dr) + 0.0021*math.Sin(2*dr*m)
	c1 = c1 - 0.4068*math.Sin(mpr*dr) + 0.0161*math.Sin(dr*2*mpr)
	c1 -= 0.0004 * math.Sin(dr*3*mpr)
	c1 = c1 + 0.0104*math.Sin(dr*2*f) - 0.0051*math.Sin(dr*(m+mpr))
	c1 = c1 - 0.0074*math.Sin(dr*(m-mpr)) + 0.0004*math.Sin(dr*(2*f+m))
	c1 = c1 - 0.0004*math.Sin(dr*(2*f-m)) - 0.0006*math.Sin(dr*(2*f+mpr))
	c1 = c1 + 0.0010*math.Sin(dr*(2*f-mpr)) + 0.0005*math.Sin(dr*(2*mpr+m))
	var deltaT float64 // TT − UT, in days
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return jd1 + c1 - deltaT
}

// newMoonDay is the Julian day number of the local (UTC+7) civil day holding the k-th new moon.
func newMoonDay(k int) int {
	return int(math.Floor(newMoon(k) + 0.5 + TimeZone/24))
}

// sunLongitude is the sun's apparent longitude in radians, normalised to [0, 2π), at Julian day jdn (UT).
func sunLongitude(jdn float64) float64 {
	t := (jdn - 2451545.0) / 36525
	t2 := t * t
	dr := math.Pi / 180
	m := 357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2
	l0 := 280.46645 + 36000.76983*t + 0.0003032*t2
	dl := (1.914600 - 0.004817*t - 0.000014*t2) * math.Sin(dr*m)
	dl += (0.019993-0.000101*t)*math.Sin(dr*2*m) + 0.000290*math.Sin(dr*3*m)
	l := (l0 + dl) * dr
	l -= math.Pi * 2 * math.Floor(l/(math.Pi*2))
	return l
}

// sunSector is the index 0..11 of the 30° sector (major solar term) the sun is in at the start of
// the local civil day dayNumber; a lunar month with no change of sector is a leap month.
func sunSector(dayNumber int) int {
	return int(math.Floor(sunLongitude(float64(dayNumber)-0.5-TimeZone/24) / math.Pi * 6))
}

// synodicMonth is the mean length of a lunation in days.
const synodicMonth = 29.530588853

// month11 is the Julian day number of the first day of lunar month 11 (the month holding the
// winter solstice) that begins in Gregorian year y.
func month11(y int) int {
	off := julianDay(y, 12, 31) - 2415021
	k := int(math.Floor(float64(off) / synodicMonth))
	nm := newMoonDay(k)
	if sunSector(nm) >= 9 { // sun already past 270° (solstice): that new moon starts month 12
		nm = newMoonDay(k - 1)
	}
	return nm
}

// leapMonthOffset is the position, counted from month 11 starting at a11, of the first month
// without a major solar term: that month is the leap month of a 13-month year.
func leapMonthOffset(a11 int) int {
	k := int(math.Floor((float64(a11)-2415021.076998695)/synodicMonth + 0.5))
	i := 1
	arc := sunSector(newMoonDay(k + i))
	for {
		last := arc
		i++
		arc = sunSector(newMoonDay(k + i))
		if arc == last || i >= 14 {
			break
		}
	}
	return i - 1
}

// FromSolar gives the lunar date of the Gregorian date y-m-d.
func FromSolar(y, m, d int) Date {
	dayNumber := julianDay(y, m, d)
	// k estimates, from the mean lunation, the new moon that starts the month; the true new moon
	// can be a day either side of the mean one, so step to the one actually on or before dayNumber.
	k := int(math.Floor((float64(dayNumber) - 2415021.076998695) / synodicMonth))
	for newMoonDay(k) > dayNumber {
		k--
	}
	for newMoonDay(k+1) <= dayNumber {
		k++
	}
	monthStart := newMoonDay(k)
	a11 := month11(y)
	b11 := a11
	var lunarYear int
	if a11 >= monthStart {
		lunarYear = y
		a11 = month11(y - 1)
	} else {
		lunarYear = y + 1
		b11 = month11(y + 1)
	}
	day := dayNumber - monthStart + 1
	diff := int(math.Floor(float64(monthStart-a11) / 29))
	leap := false
	month := diff + 11
	if b11-a11 > 365 {
		leapDiff := leapMonthOffset(a11)
		if diff >= leapDiff {
			month = diff + 10
			if diff == leapDiff {
				leap = true
			}
		}
	}
	if month > 12 {
		month -= 12
	}
	if month >= 11 && diff < 4 {
		lunarYear--
	}
	return Date{Year: lunarYear, Month: month, Day: day, Leap: leap}
}

// ToSolar gives the Gregorian date of a lunar date; ok is false when the lunar year has no such leap
// month.
func ToSolar(ld Date) (y, m, d int, ok bool) {
	var a11, b11 int
	if ld.Month < 11 {
		a11 = month11(ld.Year - 1)
		b11 = month11(ld.Year)
	} else {
		a11 = month11(ld.Year)
		b11 = month11(ld.Year + 1)
	}
	k := int(math.Floor(0.5 + (float64(a11)-2415021.076998695)/synodicMonth))
	off := ld.Month - 11
	if off < 0 {
		off += 12
	}
	if b11-a11 > 365 {
		leapOff := leapMonthOffset(a11)
		leapMonth := leapOff - 2 // the leap month repeats the month before it: offset 1 → 11, 2 → 12
		if leapMonth <= 0 {
			leapMonth += 12
		}
		if ld.Leap && ld.Month != leapMonth {
			return 0, 0, 0, false
		}
		if ld.Leap || off >= leapOff {
			off++
		}
	} else if ld.Leap {
		return 0, 0, 0, false
	}
	monthStart := newMoonDay(k + off)
	y, m, d = fromJulianDay(monthStart + ld.Day - 1)
	return y, m, d, true
}

// LeapMonth is the number of the month repeated as a leap month between months 1 and 10 of lunar
// year y, or 0 if there is none. (A leap 11th or 12th month is counted in the solstice-to-solstice
// span it falls in, so it shows up as LeapMonth of the next year's span and is reported as 0 here.)
func LeapMonth(y int) int {
	a11 := month11(y - 1)
	b11 := month11(y)
	if b11-a11 <= 365 {
		return 0
	}
	// Offset i counts months after month 11 of the previous year; the leap month repeats the month
	// before it, so offsets 1 and 2 repeat months 11 and 12 of year y-1.
	i := leapMonthOffset(a11)
	if i <= 2 {
		return 0
	}
	return i - 2
}

// NewYear gives the Gregorian date of Tết Nguyên đán, the first day of lunar year y (which begins in
// January or February of Gregorian year y).
func NewYear(y int) (month, day int) {
	_, m, d, _ := ToSolar(Date{Year: y, Month: 1, Day: 1})
	return m, d
}
