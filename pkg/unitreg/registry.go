package unitreg

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Limits of a unit's identifying fields.
const (
	// MaxCodeLen bounds a code, so it fits in a command id and an aggregate id.
	MaxCodeLen = 64
	// MaxNameLen bounds an official name.
	MaxNameLen = 256
	// MaxBasisLen bounds a legal basis citation.
	MaxBasisLen = 256
)

// CodePattern is the form of a unit code: dot-separated segments of capital letters, digits and
// hyphens ("NT.PRTC.KD.UBND"). No underscore, so a code maps one-to-one to an aggregate id.
var CodePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]*(\.[A-Z0-9][A-Z0-9-]*)*$`)

// Registry is the effective-dated registry built from unit events. The zero value is not usable;
// call New.
type Registry struct {
	units map[string]*record
}

// New returns an empty registry.
func New() *Registry { return &Registry{units: map[string]*record{}} }

// Len is the number of units ever registered.
func (r *Registry) Len() int { return len(r.units) }

// Apply checks an event against the registry and records it. An event that Check refuses changes
// nothing.
func (r *Registry) Apply(event proto.Message) error {
	if err := r.Check(event); err != nil {
		return err
	}
	switch e := event.(type) {
	case *unitv1.UnitRegistered:
		from := DateFromProto(e.GetEffectiveFrom())
		r.units[e.GetCode()] = &record{
			code:       e.GetCode(),
			name:       e.GetName(),
			kind:       e.GetKind(),
			from:       from,
			remote:     e.GetRemoteArea(),
			parents:    []parentSpan{{from: from, parent: e.GetParentCode()}},
			competence: []competenceSpan{{from: from, rules: RulesFromProto(e.GetCompetence())}},
		}
	case *unitv1.UnitReparented:
		u := r.units[e.GetCode()]
		u.parents = append(u.parents, parentSpan{from: DateFromProto(e.GetEffectiveFrom()), parent: e.GetParentCode()})
	case *unitv1.UnitMerged:
		u := r.units[e.GetCode()]
		u.end, u.successor, u.basis = DateFromProto(e.GetEffectiveFrom()), e.GetSuccessorCode(), e.GetBasis()
	case *unitv1.UnitCompetenceChanged:
		u := r.units[e.GetCode()]
		u.competence = append(u.competence, competenceSpan{from: DateFromProto(e.GetEffectiveFrom()), rules: RulesFromProto(e.GetCompetence())})
	}
	return nil
}

// Check tells whether Apply would accept an event, without recording it: first the event's own
// fields (Validate, InvalidArgument), then its fit with the registry as it stands
// (FailedPrecondition, NotFound for an unknown unit, AlreadyExists for a taken code).
func (r *Registry) Check(event proto.Message) error {
	if err := Validate(event); err != nil {
		return err
	}
	switch e := event.(type) {
	case *unitv1.UnitRegistered:
		return r.checkRegistered(e)
	case *unitv1.UnitReparented:
		return r.checkReparented(e)
	case *unitv1.UnitMerged:
		return r.checkMerged(e)
	case *unitv1.UnitCompetenceChanged:
		return r.checkCompetenceChanged(e)
	}
	return nil // Validate refused anything else
}

// Validate checks an event's own fields, whatever the registry holds: required fields, code form,
// real dates, well-formed competence rules. A command that fails here can never succeed.
func Validate(event proto.Message) error {
	var vs violations
	switch e := event.(type) {
	case *unitv1.UnitRegistered:
		vs.code("code", e.GetCode())
		vs.text("name", e.GetName(), MaxNameLen)
		switch _, known := unitv1.UnitKind_name[int32(e.GetKind())]; {
		case e.GetKind() == unitv1.UnitKind_UNIT_KIND_UNSPECIFIED:
			vs.add("kind", "is required")
		case !known:
			vs.add("kind", "unknown unit kind %d", e.GetKind())
		}
		if e.GetParentCode() != "" {
			vs.code("parent_code", e.GetParentCode())
			if e.GetParentCode() == e.GetCode() {
				vs.add("parent_code", "a unit cannot be its own parent")
			}
		}
		vs.date("effective_from", e.GetEffectiveFrom())
		vs.rules("competence", e.GetCompetence())
	case *unitv1.UnitReparented:
		vs.code("code", e.GetCode())
		vs.code("parent_code", e.GetParentCode())
		if e.GetParentCode() != "" && e.GetParentCode() == e.GetCode() {
			vs.add("parent_code", "a unit cannot be its own parent")
		}
		vs.date("effective_from", e.GetEffectiveFrom())
	case *unitv1.UnitMerged:
		vs.code("code", e.GetCode())
		vs.code("successor_code", e.GetSuccessorCode())
		if e.GetSuccessorCode() != "" && e.GetSuccessorCode() == e.GetCode() {
			vs.add("successor_code", "a unit cannot succeed itself")
		}
		vs.date("effective_from", e.GetEffectiveFrom())
		vs.text("basis", e.GetBasis(), MaxBasisLen)
	case *unitv1.UnitCompetenceChanged:
		vs.code("code", e.GetCode())
		vs.date("effective_from", e.GetEffectiveFrom())
		vs.rules("competence", e.GetCompetence())
	default:
		return apperr.Internal(ReasonEventUnknown, "unitreg: %T is not a unit event", event)
	}
	return apperr.Violations(vs...)
}

type violations []apperr.Violation

func (vs *violations) add(field, format string, args ...any) {
	*vs = append(*vs, apperr.Field(field, format, args...))
}

func (vs *violations) code(field, code string) {
	switch {
	case code == "":
		vs.add(field, "is required")
	case len(code) > MaxCodeLen:
		vs.add(field, "is longer than %d characters", MaxCodeLen)
	case !CodePattern.MatchString(code):
		vs.add(field, "%q is not a unit code: dot-separated segments of A-Z, 0-9 and '-', e.g. NT.PRTC.KD", code)
	}
}

func (vs *violations) text(field, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		vs.add(field, "is required")
	case len(s) > max:
		vs.add(field, "is longer than %d bytes", max)
	}
}

func (vs *violations) date(field string, c *commonv1.CivilDate) {
	if c == nil {
		vs.add(field, "is required")
		return
	}
	if d := DateFromProto(c); !d.IsValid() {
		vs.add(field, "%04d-%02d-%02d is not a calendar date", c.GetYear(), c.GetMonth(), c.GetDay())
	}
}

type ruleKey struct {
	kind       commonv1.PetitionKind
	instance   unitv1.Instance
	respondent unitv1.Respondent
}

func (vs *violations) rules(field string, rules []*unitv1.CompetenceRule) {
	seen := map[ruleKey]int{}
	for i, r := range rules {
		f := fmt.Sprintf("%s[%d]", field, i)
		_, knownKind := commonv1.PetitionKind_name[int32(r.GetKind())]
		switch {
		case r.GetKind() == commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED:
			vs.add(f+".kind", "is required")
		case !knownKind:
			vs.add(f+".kind", "unknown petition kind %d", r.GetKind())
		case r.GetKind() == commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT:
			vs.add(f+".kind", "a multi-content petition is split per competent body: a rule names one kind")
		}
		complaint := r.GetKind() == commonv1.PetitionKind_PETITION_KIND_COMPLAINT
		switch inst := r.GetInstance(); {
		case complaint && inst != unitv1.Instance_INSTANCE_FIRST && inst != unitv1.Instance_INSTANCE_SECOND:
			vs.add(f+".instance", "a complaint rule names its instance, first or second (Luật KN Đ7)")
		case !complaint && inst != unitv1.Instance_INSTANCE_UNSPECIFIED:
			vs.add(f+".instance", "only complaints have instances")
		}
		switch resp := r.GetRespondent(); {
		case resp != unitv1.Respondent_RESPONDENT_SELF && resp != unitv1.Respondent_RESPONDENT_SUBORDINATES:
			vs.add(f+".respondent", "is required: self or subordinates")
		case complaint && r.GetInstance() == unitv1.Instance_INSTANCE_SECOND && resp == unitv1.Respondent_RESPONDENT_SELF:
			// The second instance reviews a lower resolver's first decision (Luật KN Đ18.2, Đ21.2).
			vs.add(f+".respondent", "a second-instance rule covers subordinates, whose first decisions it reviews")
		}
		vs.text(f+".basis", r.GetBasis(), MaxBasisLen)
		k := ruleKey{r.GetKind(), r.GetInstance(), r.GetRespondent()}
		if j, dup := seen[k]; dup {
			vs.add(f, "repeats rule %d", j)
		} else {
			seen[k] = i
		}
	}
}

func (r *Registry) checkRegistered(e *unitv1.UnitRegistered) error {
	code := e.GetCode()
	if _, taken := r.units[code]; taken {
		return apperr.AlreadyExists(ReasonUnitExists, "unit %s is already registered", code).
			WithSubject(Subject(code)).WithViolations(apperr.Field("code", "unit %s is already registered", code))
	}
	if e.GetParentCode() == "" {
		return nil
	}
	return r.checkParent(code, e.GetParentCode(), DateFromProto(e.GetEffectiveFrom()))
}

// checkParent: a parent must exist on the date and must not have ended at all, since the child has
// no end yet and would outlive it.
func (r *Registry) checkParent(code, parent string, from calendar.Date) error {
	p, ok := r.units[parent]
	switch {
	case !ok:
		return precondition(ReasonParentUnknown, code, "parent_code", "parent %s is not registered", parent)
	case from.Before(p.from):
		return precondition(ReasonParentNotInForce, code, "parent_code", "parent %s exists only from %s, after %s", parent, p.from, from)
	case !p.end.IsZero():
		return precondition(ReasonParentNotInForce, code, "parent_code", "parent %s ended on %s (merged into %s)", parent, p.lastDay(), p.successor)
	}
	return nil
}

// live returns the unit a change addresses, which must exist and not have ended.
func (r *Registry) live(code string) (*record, error) {
	u, ok := r.units[code]
	if !ok {
		return nil, apperr.NotFound(ReasonUnitUnknown, "unit %s is not registered", code).
			WithSubject(Subject(code)).WithViolations(apperr.Field("code", "unit %s is not registered", code))
	}
	if !u.end.IsZero() {
		return nil, precondition(ReasonUnitEnded, code, "code", "unit %s ended on %s (merged into %s) and takes no more changes", code, u.lastDay(), u.successor)
	}
	return u, nil
}

func (r *Registry) checkReparented(e *unitv1.UnitReparented) error {
	code, parent, from := e.GetCode(), e.GetParentCode(), DateFromProto(e.GetEffectiveFrom())
	u, err := r.live(code)
	if err != nil {
		return err
	}
	if from.Before(u.from) {
		return precondition(ReasonBeforeUnit, code, "effective_from", "unit %s exists only from %s", code, u.from)
	}
	if last := u.parents[len(u.parents)-1].from; !from.After(last) {
		return precondition(ReasonOutOfOrder, code, "effective_from", "the parent of %s was last set on %s: a move must be dated after it", code, last)
	}
	if err := r.checkParent(code, parent, from); err != nil {
		return err
	}
	if u.parentOn(from) == parent {
		return precondition(ReasonParentUnchanged, code, "parent_code", "unit %s is already under %s on %s", code, parent, from)
	}
	// The hierarchy only changes on dates where some parent changes, so checking those dates from
	// the move on covers every day.
	for _, d := range r.parentChangeDates(from) {
		if r.reaches(parent, code, d) {
			return precondition(ReasonCycle, code, "parent_code", "moving %s under %s would put it under itself on %s", code, parent, d)
		}
	}
	return nil
}

// reaches tells whether target is start or one of its ancestors on d.
func (r *Registry) reaches(start, target string, d calendar.Date) bool {
	cur := start
	for range len(r.units) + 1 {
		if cur == target {
			return true
		}
		u, ok := r.units[cur]
		if !ok || !u.registeredBy(d) {
			return false
		}
		if cur = u.parentOn(u.clamp(d)); cur == "" {
			return false
		}
	}
	return true // a loop already in the registry: refuse to make anything worse
}

// parentChangeDates are from and every later date on which some unit's parent changes.
func (r *Registry) parentChangeDates(from calendar.Date) []calendar.Date {
	ds := []calendar.Date{from}
	for _, u := range r.units {
		for _, s := range u.parents {
			if s.from.After(from) {
				ds = append(ds, s.from)
			}
		}
	}
	slices.SortFunc(ds, calendar.Date.Compare)
	return slices.Compact(ds)
}

func (r *Registry) checkMerged(e *unitv1.UnitMerged) error {
	code, succ, from := e.GetCode(), e.GetSuccessorCode(), DateFromProto(e.GetEffectiveFrom())
	u, err := r.live(code)
	if err != nil {
		return err
	}
	if !from.After(u.from) {
		return precondition(ReasonBeforeUnit, code, "effective_from", "unit %s exists from %s: it can end at the earliest the day after", code, u.from)
	}
	s, ok := r.units[succ]
	switch {
	case !ok:
		return precondition(ReasonSuccessorUnknown, code, "successor_code", "successor %s is not registered", succ)
	case from.Before(s.from):
		return precondition(ReasonSuccessorNotInForce, code, "successor_code", "successor %s exists only from %s, after %s", succ, s.from, from)
	case !s.end.IsZero():
		return precondition(ReasonSuccessorNotInForce, code, "successor_code", "successor %s ended on %s (merged into %s)", succ, s.lastDay(), s.successor)
	}
	if last := u.lastChange(); !last.Before(from) {
		return precondition(ReasonOutOfOrder, code, "effective_from", "unit %s has a change dated %s: it cannot end before that", code, last)
	}
	var later, children []string
	for _, x := range r.units {
		if x.successor == code && !x.end.Before(from) {
			later = append(later, fmt.Sprintf("%s (from %s)", x.code, x.end))
		}
		if x != u && r.underOnOrAfter(x, code, from) {
			children = append(children, x.code)
		}
	}
	if len(later) > 0 {
		slices.Sort(later)
		return precondition(ReasonReceivesMergerLater, code, "effective_from", "units merge into %s on or after %s: %s", code, from, strings.Join(later, ", "))
	}
	if len(children) > 0 {
		slices.Sort(children)
		return precondition(ReasonChildrenInForce, code, "code", "units would still be under %s from %s: %s; merge or move them first", code, from, strings.Join(children, ", "))
	}
	return nil
}

// underOnOrAfter tells whether x is in force under parent on some day from d on.
func (r *Registry) underOnOrAfter(x *record, parent string, d calendar.Date) bool {
	for i, s := range x.parents {
		if s.parent != parent {
			continue
		}
		start := latest(s.from, d, x.from)
		var stop calendar.Date // exclusive; zero means open
		if i+1 < len(x.parents) {
			stop = x.parents[i+1].from
		}
		if !x.end.IsZero() && (stop.IsZero() || x.end.Before(stop)) {
			stop = x.end
		}
		if stop.IsZero() || start.Before(stop) {
			return true
		}
	}
	return false
}

func latest(ds ...calendar.Date) calendar.Date {
	m := ds[0]
	for _, d := range ds[1:] {
		if d.After(m) {
			m = d
		}
	}
	return m
}

func (r *Registry) checkCompetenceChanged(e *unitv1.UnitCompetenceChanged) error {
	code, from := e.GetCode(), DateFromProto(e.GetEffectiveFrom())
	u, err := r.live(code)
	if err != nil {
		return err
	}
	if from.Before(u.from) {
		return precondition(ReasonBeforeUnit, code, "effective_from", "unit %s exists only from %s", code, u.from)
	}
	if last := u.competence[len(u.competence)-1].from; !from.After(last) {
		return precondition(ReasonOutOfOrder, code, "effective_from", "the competence of %s was last set on %s: a change must be dated after it", code, last)
	}
	return nil
}
