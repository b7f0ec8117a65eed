package domain

import (
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Unit is a unit of the registry as it stood on a date.
type Unit struct {
	Code       string
	Kind       unitv1.UnitKind
	ParentCode string
	// RemoteArea is vùng sâu, vùng xa: longer periods for complaints (Luật KN Đ28, Đ37).
	RemoteArea bool
	// Ended is set when the unit had been merged by the date; SuccessorCode took over its cases.
	Ended         bool
	SuccessorCode string
}

// Competence is the unit the competence rules choose for a petition, with the rule's legal basis.
type Competence struct {
	Unit  Unit
	Basis string
}

// Units is the unit registry as of a date, kept current from the log's unit events (pkg/unitreg).
// Competence is data attached to the registry because the law moves it (Decree 141/2025/NĐ-CP).
type Units interface {
	// Unit is the unit with that code on a date; false if unknown or not yet existing.
	Unit(code string, on calendar.Date) (Unit, bool)
	// Holding is the unit that holds code's cases on a date: code itself while in force, else the
	// successor it merged into.
	Holding(code string, on calendar.Date) (Unit, bool)
	// Competent is the unit that must resolve a petition of a kind (and instance, for complaints)
	// about the respondent unit's acts or staff. It returns an apperr NotFound when the rules name
	// nobody (unknown respondent, no rule).
	Competent(kind commonv1.PetitionKind, instance int32, respondent string, on calendar.Date) (Competence, error)
}

// isTerritorial tells an administrative unit (province, city, ward, commune) from an organ within one.
func isTerritorial(k unitv1.UnitKind) bool {
	switch k {
	case unitv1.UnitKind_UNIT_KIND_PROVINCE, unitv1.UnitKind_UNIT_KIND_CITY,
		unitv1.UnitKind_UNIT_KIND_WARD, unitv1.UnitKind_UNIT_KIND_COMMUNE:
		return true
	}
	return false
}

// ActsFor tells whether the processing unit acts for the competent unit. The head of a People's
// Committee resolves (Luật KN Đ17–Đ21, Luật TC Đ13–Đ15), but petitions addressed to the level are
// received and processed by the level itself or by its reception board or office (Luật TCD Đ8,
// *verify*), so those act for the committee of their level; any other unit acts only for itself.
func ActsFor(processing, competent Unit) bool {
	if processing.Code == competent.Code {
		return true
	}
	if competent.Kind != unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE {
		return false
	}
	switch processing.Kind {
	case unitv1.UnitKind_UNIT_KIND_RECEPTION_BOARD, unitv1.UnitKind_UNIT_KIND_OFFICE:
		return processing.ParentCode != "" && processing.ParentCode == competent.ParentCode
	}
	return isTerritorial(processing.Kind) && competent.ParentCode == processing.Code
}
