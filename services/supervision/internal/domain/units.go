package domain

import (
	"github.com/civicase/civicase/pkg/calendar"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Unit is a unit of the registry as it stood on a date.
type Unit struct {
	Code       string
	Kind       unitv1.UnitKind
	ParentCode string
}

// Units is the unit registry as supervision needs it.
type Units interface {
	// Unit is the unit with that code on a date; false if unknown, not yet existing or merged away.
	Unit(code string, on calendar.Date) (Unit, bool)
	// Children are the units directly below code on a date.
	Children(code string, on calendar.Date) []Unit
}

func isTerritorial(k unitv1.UnitKind) bool {
	switch k {
	case unitv1.UnitKind_UNIT_KIND_PROVINCE, unitv1.UnitKind_UNIT_KIND_CITY,
		unitv1.UnitKind_UNIT_KIND_WARD, unitv1.UnitKind_UNIT_KIND_COMMUNE:
		return true
	}
	return false
}

// Superior is the unit a late unit's superior report is asked of (Luật TC Đ38: "cơ quan cấp trên
// trực tiếp"): for an agency under a People's Committee (a department, the inspectorate, the
// reception board), that committee; for a People's Committee, a ward or anything else, the People's
// Committee of the next territorial level up (the territory itself when it lists no committee).
// *verify*: the direct superior of non-administrative bodies is not modelled.
func Superior(us Units, code string, on calendar.Date) (string, bool) {
	u, ok := us.Unit(code, on)
	if !ok {
		return "", false
	}
	parent, ok := us.Unit(u.ParentCode, on)
	if !ok {
		return "", false
	}
	if !isTerritorial(u.Kind) && u.Kind != unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE && parent.Kind == unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE {
		return parent.Code, true
	}
	territory, ok := u, true
	for ok && !isTerritorial(territory.Kind) {
		territory, ok = us.Unit(territory.ParentCode, on)
	}
	if !ok {
		return "", false
	}
	upper, ok := us.Unit(territory.ParentCode, on)
	for ok && !isTerritorial(upper.Kind) {
		upper, ok = us.Unit(upper.ParentCode, on)
	}
	if !ok {
		return "", false
	}
	for _, c := range us.Children(upper.Code, on) {
		if c.Kind == unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE {
			return c.Code, true
		}
	}
	return upper.Code, true
}

// WithSubordinates is code and every unit below it on a date, breadth first.
func WithSubordinates(us Units, code string, on calendar.Date) []string {
	out := []string{code}
	seen := map[string]bool{code: true}
	for i := 0; i < len(out); i++ {
		for _, c := range us.Children(out[i], on) {
			if !seen[c.Code] {
				seen[c.Code] = true
				out = append(out, c.Code)
			}
		}
	}
	return out
}

// Level is the territorial unit (province, city, ward, commune) a unit belongs to: the unit itself
// when it is one, else its nearest territorial ancestor; "" when the registry does not know it.
func Level(us Units, code string, on calendar.Date) string {
	u, ok := us.Unit(code, on)
	for ok && !isTerritorial(u.Kind) {
		u, ok = us.Unit(u.ParentCode, on)
	}
	if !ok {
		return ""
	}
	return u.Code
}
