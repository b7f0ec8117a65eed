package calendar

import (
	"fmt"
	"time"

	"github.com/civicase/civicase/pkg/calendar/lunar"
)

// Names of the public holidays of the Labour Code 2019 Đ112.1, in English and Vietnamese.
const (
	NewYearsDay       = "New Year's Day"
	NewYearsDayVI     = "Tết Dương lịch"
	LunarNewYear      = "Lunar New Year"
	LunarNewYearVI    = "Tết Âm lịch (Tết Nguyên đán)"
	HungKings         = "Hùng Kings' Commemoration Day"
	HungKingsVI       = "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
	ReunificationDay  = "Reunification Day"
	ReunificationVI   = "Ngày Chiến thắng (30/4)"
	LabourDay         = "International Labour Day"
	LabourDayVI       = "Ngày Quốc tế lao động (1/5)"
	NationalDay       = "National Day"
	NationalDayVI     = "Quốc khánh (2/9)"
	labourCode        = "Labour Code 2019 Đ112.1"
	labourCodeComp    = "Labour Code 2019 Đ111.3"
	computedVerify    = "computed from the law: no schedule published for this year yet"
	computedAdjacency = "computed from the law: the Prime Minister chooses the day adjacent to 2/9 (Labour Code 2019 Đ112.3); this picks the one that joins a weekend"
)

// StatutoryHolidays are the public holidays of year y by the Labour Code 2019 Đ112.1, before
// compensatory days: 1/1; Tết, 5 days (the last day of the lunar year and the first four of the
// new one, the placement the Prime Minister chose for 2025 and 2026); Hùng Kings' day on 10/3 of
// the lunar calendar; 30/4; 1/5; 2/9 and one adjacent day.
func StatutoryHolidays(y int) []DayStatus {
	var out []DayStatus
	add := func(d Date, name, nameVI, verify string) {
		out = append(out, DayStatus{Date: d, Kind: PublicHoliday, Occasion: name, OccasionVI: nameVI,
			Source: labourCode, Verify: verify})
	}
	add(NewDate(y, time.January, 1), NewYearsDay, NewYearsDayVI, computedVerify)
	tet := TetDate(y)
	for i := -1; i <= 3; i++ {
		add(tet.AddDays(i), LunarNewYear, LunarNewYearVI, computedVerify+"; the Prime Minister may place the 5 days differently (2024: 2 before, 3 after)")
	}
	add(HungKingsDate(y), HungKings, HungKingsVI, computedVerify)
	add(NewDate(y, time.April, 30), ReunificationDay, ReunificationVI, computedVerify)
	add(NewDate(y, time.May, 1), LabourDay, LabourDayVI, computedVerify)
	national := NewDate(y, time.September, 2)
	adjacent := national.AddDays(1)
	switch national.Weekday() {
	case time.Tuesday, time.Wednesday, time.Friday, time.Saturday:
		// Tuesday: Monday joins the weekend; Wednesday: the day before, as in 2026; Friday and
		// Saturday: Thursday/Friday rather than a weekend day.
		adjacent = national.AddDays(-1)
	}
	add(national, NationalDay, NationalDayVI, computedVerify)
	add(adjacent, NationalDay, NationalDayVI, computedAdjacency)
	if adjacent.Before(national) {
		out[len(out)-1], out[len(out)-2] = out[len(out)-2], out[len(out)-1]
	}
	return out
}

// TetDate is the first day of the lunar year that begins in Gregorian year y, reckoned in UTC+7.
func TetDate(y int) Date {
	m, d := lunar.NewYear(y)
	return NewDate(y, time.Month(m), d)
}

// HungKingsDate is the 10th day of the 3rd lunar month of year y (never the leap 3rd month).
func HungKingsDate(y int) Date {
	yy, m, d, _ := lunar.ToSolar(lunar.Date{Year: y, Month: 3, Day: 10})
	return NewDate(yy, time.Month(m), d)
}

// computeYear is the schedule of a year with no published file: the statutory holidays, and for
// each one that falls on a Saturday or Sunday a compensatory day off on the next working day
// (Labour Code 2019 Đ111.3). It has no make-up Saturdays: swaps are the Prime Minister's choice.
func computeYear(y int) *year {
	cy := &year{days: map[Date]DayStatus{}, source: labourCode}
	hols := StatutoryHolidays(y)
	for _, h := range hols {
		cy.days[h.Date] = h
	}
	isOff := func(d Date) bool {
		if _, ok := cy.days[d]; ok {
			return true
		}
		return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
	}
	for _, h := range hols { // in date order, so a block's compensatory days follow the block
		if wd := h.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			continue
		}
		d := h.Date.AddDays(1)
		for isOff(d) {
			d = d.AddDays(1)
		}
		cy.days[d] = DayStatus{Date: d, Kind: CompensatoryDayOff,
			Occasion: h.Occasion, OccasionVI: h.OccasionVI,
			Source: fmt.Sprintf("%s: %s falls on a %s", labourCodeComp, h.Date, h.Date.Weekday()),
			Verify: computedVerify}
	}
	return cy
}
