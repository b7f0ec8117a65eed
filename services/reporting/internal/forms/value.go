package forms

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Measure is what a numbered column counts: a number of things, an amount of
// money in million VND, a land area in m², or free text (a notes column).
type Measure int

// The measures a column can have. Identities only ever relate columns of the
// same measure.
const (
	// Count is a number of things: visits, people, petitions, cases.
	Count Measure = iota + 1
	// Money is an amount in million VND (triệu đồng).
	Money
	// Area is a land area in m².
	Area
	// Text is a free-text cell, such as the notes column of 01/TCD.
	Text
)

var measureNames = map[Measure]string{Count: "count", Money: "money", Area: "area", Text: "text"}

// String is the measure's name as written in form data.
func (m Measure) String() string {
	if n, ok := measureNames[m]; ok {
		return n
	}
	return fmt.Sprintf("Measure(%d)", int(m))
}

// Numeric reports whether values of this measure are summed.
func (m Measure) Numeric() bool { return m == Count || m == Money || m == Area }

// Unit is the unit printed with the column: "triệu đồng" for money, "m²" for area.
func (m Measure) Unit() string {
	switch m {
	case Money:
		return "triệu đồng"
	case Area:
		return "m²"
	}
	return ""
}

// Scale is the number of decimal places a Value of this measure keeps: money
// to the thousand đồng (0.001 million), area to the hundredth of a m².
// Fixed point keeps every identity exact.
func (m Measure) Scale() int {
	switch m {
	case Money:
		return 3
	case Area:
		return 2
	}
	return 0
}

func parseMeasure(s string) (Measure, error) {
	for m, n := range measureNames {
		if n == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown measure %q (want count, money, area or text)", s)
}

// Value is a cell's number in fixed point at its column's Measure.Scale: a
// count is the count itself, money is thousands of đồng, area is hundredths
// of a m².
type Value int64

// Of builds the Value of a whole number n of the measure's unit (n people,
// n million VND, n m²).
func (m Measure) Of(n int64) Value { return Value(n * pow10(m.Scale())) }

// MoneyFromVND converts an amount in đồng to a money Value, rounding half
// away from zero to the thousand đồng the forms print.
func MoneyFromVND(vnd int64) Value {
	q, r := vnd/1000, vnd%1000
	if r >= 500 {
		q++
	} else if r <= -500 {
		q--
	}
	return Value(q)
}

// Parse reads a decimal number ("12", "12.5", "-3.25") in the measure's unit.
func (m Measure) Parse(s string) (Value, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > m.Scale() {
		return 0, fmt.Errorf("%q has more than %d decimals for a %s", s, m.Scale(), m)
	}
	frac += strings.Repeat("0", m.Scale()-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || whole == "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if neg {
		n = -n
	}
	return Value(n), nil
}

// Format writes v in the measure's unit with a dot decimal separator and no
// trailing zeros ("12", "12.5"): the machine-readable form used in CSV.
func (m Measure) Format(v Value) string {
	sc := m.Scale()
	if sc == 0 {
		return strconv.FormatInt(int64(v), 10)
	}
	p := pow10(sc)
	sign := ""
	n := int64(v)
	if n < 0 {
		sign, n = "-", -n
	}
	s := sign + strconv.FormatInt(n/p, 10)
	if f := n % p; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%0*d", sc, f), "0")
	}
	return s
}

// FormatVN writes v the Vietnamese way, with "." between thousands and ","
// before decimals ("1.234,5"), as printed reports do.
func (m Measure) FormatVN(v Value) string {
	s := m.Format(v)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("," + frac)
	}
	return sign + b.String()
}

// Float is v in the measure's unit, for spreadsheets.
func (m Measure) Float(v Value) float64 { return float64(v) / math.Pow10(m.Scale()) }

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
