package unitreg

import (
	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// CompetenceQuery asks which unit must resolve a petition.
type CompetenceQuery struct {
	// Kind of petition; a multi-content petition is split first.
	Kind commonv1.PetitionKind
	// Instance of a complaint; ignored for other kinds.
	Instance unitv1.Instance
	// Respondent is the code of the unit whose decision or act is complained about, or whose staff
	// member is denounced. A territorial unit (a ward) stands for its People's Committee. An ended
	// unit stands for the successor that holds its cases on the date.
	Respondent string
	// On is the date competence is judged on.
	On calendar.Date
	// AgainstHead says a denunciation is about the respondent unit's head or deputy head, whose
	// manager is the head of the unit above (Luật TC Đ12.2, Đ13.3, *verify*); ignored for other kinds, since a
	// complaint about a chair's decision goes to the chair first (Luật KN Đ17, Đ18.1).
	AgainstHead bool
}

// Competence is the answer to a CompetenceQuery.
type Competence struct {
	// Unit is the competent unit (its head resolves).
	Unit Unit
	// Rule is the rule that makes it competent; Rule.Basis is the legal basis to cite.
	Rule Rule
	// Respondent is the respondent unit as resolved on the date (successor, People's Committee).
	Respondent Unit
	// FirstInstance is, for a second-instance complaint, the unit competent at first instance,
	// whose decision the second instance reviews; zero otherwise.
	FirstInstance Unit
}

// CompetentUnit is the unit competent on a date for a petition of a kind (and instance, for a
// complaint) about the acts of the respondent unit or its staff, with the rule's legal basis. See
// Competent for the walk.
func (r *Registry) CompetentUnit(kind commonv1.PetitionKind, instance unitv1.Instance, respondentUnitCode string, on calendar.Date) (Competence, error) {
	return r.Competent(CompetenceQuery{Kind: kind, Instance: instance, Respondent: respondentUnitCode, On: on})
}

// Competent walks the hierarchy with the rules as data. The respondent unit itself is competent if
// it holds a rule for its own acts (respondent SELF: a ward chair resolves first complaints about
// the ward committee's and its staff's acts, Luật KN Đ17); otherwise its manager is, if that holds a
// rule for its subordinates (SUBORDINATES). A second-instance complaint goes to the manager of the
// first-instance unit (Luật KN Đ18.2, Đ21.2). A denunciation of a unit's head skips the unit itself
// (Luật TC Đ12.2, *verify*).
//
// A unit's manager is its parent when the parent is an organ (a department under a People's
// Committee); for an organ hanging directly under a territorial unit it is the organ of the same kind
// one level up — the People's Committee above a People's Committee — since lower committees answer
// to the committee above (before 1/7/2025 a ward's committee to the city's, from then on to the
// province's).
func (r *Registry) Competent(q CompetenceQuery) (Competence, error) {
	var vs violations
	complaint := q.Kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT
	switch _, known := commonv1.PetitionKind_name[int32(q.Kind)]; {
	case q.Kind == commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED || !known:
		vs.add("kind", "is required")
	case q.Kind == commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT:
		vs.add("kind", "a multi-content petition is split per competent body first")
	}
	if complaint && q.Instance != unitv1.Instance_INSTANCE_FIRST && q.Instance != unitv1.Instance_INSTANCE_SECOND {
		vs.add("instance", "a complaint is resolved at first or second instance (Luật KN Đ7)")
	}
	if q.Respondent == "" {
		vs.add("respondent", "is required")
	}
	if !q.On.IsValid() {
		vs.add("on", "is not a calendar date")
	}
	if err := apperr.Violations(vs...); err != nil {
		return Competence{}, err
	}
	resp, ok := r.ResolveSuccessor(q.Respondent, q.On)
	if !ok {
		return Competence{}, apperr.NotFound(ReasonUnitUnknown, "unit %s is not registered on %s", q.Respondent, q.On).WithSubject(Subject(q.Respondent))
	}
	if IsTerritorial(resp.Kind) {
		pc, ok := r.organ(resp.Code, unitv1.UnitKind_UNIT_KIND_PEOPLES_COMMITTEE, q.On)
		if !ok {
			return Competence{}, noCompetentUnit(q, resp, "it has no People's Committee")
		}
		resp = pc
	}
	first := unitv1.Instance_INSTANCE_UNSPECIFIED
	if complaint {
		first = unitv1.Instance_INSTANCE_FIRST
	}
	var c Competence
	if !(q.AgainstHead && q.Kind == commonv1.PetitionKind_PETITION_KIND_DENUNCIATION) {
		if rule, ok := holds(resp, q.Kind, first, unitv1.Respondent_RESPONDENT_SELF); ok {
			c = Competence{Unit: resp, Rule: rule, Respondent: resp}
		}
	}
	if c.Unit.Code == "" {
		if m, ok := r.manager(resp, q.On); ok {
			if rule, ok := holds(m, q.Kind, first, unitv1.Respondent_RESPONDENT_SUBORDINATES); ok {
				c = Competence{Unit: m, Rule: rule, Respondent: resp}
			}
		}
	}
	if c.Unit.Code == "" {
		return Competence{}, noCompetentUnit(q, resp, "neither it nor its manager holds a rule for it")
	}
	if !complaint || q.Instance != unitv1.Instance_INSTANCE_SECOND {
		return c, nil
	}
	m, ok := r.manager(c.Unit, q.On)
	if !ok {
		return Competence{}, noCompetentUnit(q, resp, c.Unit.Code+" resolves at first instance and has no manager")
	}
	rule, ok := holds(m, q.Kind, unitv1.Instance_INSTANCE_SECOND, unitv1.Respondent_RESPONDENT_SUBORDINATES)
	if !ok {
		return Competence{}, noCompetentUnit(q, resp, "the manager "+m.Code+" of first-instance "+c.Unit.Code+" holds no second-instance rule")
	}
	return Competence{Unit: m, Rule: rule, Respondent: resp, FirstInstance: c.Unit}, nil
}

func noCompetentUnit(q CompetenceQuery, resp Unit, why string) error {
	return apperr.NotFound(ReasonNoCompetentUnit, "no unit is competent on %s for a %s about %s: %s",
		q.On, q.Kind, resp.Code, why).WithSubject(Subject(resp.Code))
}

func holds(u Unit, kind commonv1.PetitionKind, instance unitv1.Instance, respondent unitv1.Respondent) (Rule, bool) {
	for _, rule := range u.Competence {
		if rule.Kind == kind && rule.Instance == instance && rule.Respondent == respondent {
			return rule, true
		}
	}
	return Rule{}, false
}

// manager is the unit directly above u in the line of management on a date (see Competent).
func (r *Registry) manager(u Unit, on calendar.Date) (Unit, bool) {
	p, ok := r.Unit(u.ParentCode, on)
	if u.ParentCode == "" || !ok {
		return Unit{}, false
	}
	if IsTerritorial(u.Kind) || !IsTerritorial(p.Kind) {
		return p, true
	}
	if p.ParentCode == "" {
		return Unit{}, false
	}
	return r.organ(p.ParentCode, u.Kind, on)
}

// organ is the one unit of a kind directly under a territorial unit on a date.
func (r *Registry) organ(level string, kind unitv1.UnitKind, on calendar.Date) (Unit, bool) {
	var found []Unit
	for _, c := range r.Children(level, on) {
		if c.Kind == kind {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return Unit{}, false
	}
	return found[0], true
}
