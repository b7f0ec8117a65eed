// Package unitreg is the effective-dated registry of administrative units and agencies: which units
// exist on a civil date, where they sit in the hierarchy, which unit took over an ended unit's cases
// and reporting history, and which unit is competent for a petition.
//
// Every service builds its own Registry from the unit events of the log (UnitRegistered,
// UnitReparented, UnitMerged, UnitCompetenceChanged of civicase.unit.v1). Apply validates each event
// against the registry as it stands, so a command handler can Check an event before appending it and
// a replay of the log rebuilds exactly the same registry.
//
// The package knows nothing of gRPC, NATS or PostgreSQL: it reads the event messages and answers
// queries as of a civil date. A Registry is not safe for concurrent use; its owner guards it.
package unitreg

import (
	"slices"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/calendar/calendarpb"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Rule is a competence rule: the unit holding it resolves petitions of a kind (and, for complaints,
// an instance) about the acts of the respondents it names. Rules are data because the law moves
// competence (Decree 141/2025/NĐ-CP, 1/7/2025, *verify*).
type Rule struct {
	// Kind of petition.
	Kind commonv1.PetitionKind
	// Instance of a complaint; unspecified for other kinds.
	Instance unitv1.Instance
	// Respondent says whose acts: the holder's own (and its staff's) or its direct subordinates'.
	Respondent unitv1.Respondent
	// Basis is the legal basis, e.g. "Luật KN Đ18.2".
	Basis string
}

// Proto is the rule as carried in events and responses.
func (r Rule) Proto() *unitv1.CompetenceRule {
	return &unitv1.CompetenceRule{Kind: r.Kind, Instance: r.Instance, Respondent: r.Respondent, Basis: r.Basis}
}

// RuleFromProto reads a rule from an event or request.
func RuleFromProto(p *unitv1.CompetenceRule) Rule {
	return Rule{Kind: p.GetKind(), Instance: p.GetInstance(), Respondent: p.GetRespondent(), Basis: p.GetBasis()}
}

// RulesProto converts rules for events and responses.
func RulesProto(rules []Rule) []*unitv1.CompetenceRule {
	out := make([]*unitv1.CompetenceRule, len(rules))
	for i, r := range rules {
		out[i] = r.Proto()
	}
	return out
}

// RulesFromProto reads rules from an event or request.
func RulesFromProto(ps []*unitv1.CompetenceRule) []Rule {
	out := make([]Rule, len(ps))
	for i, p := range ps {
		out[i] = RuleFromProto(p)
	}
	return out
}

// Unit is a unit as it stood on a date. For a unit that had ended by that date, the parent and the
// competence are those of its last day, and EndedOn and SuccessorCode say who took over.
type Unit struct {
	// Code is stable for ever: a successor gets a new code.
	Code string
	// Name is the official Vietnamese name.
	Name string
	// Kind of unit.
	Kind unitv1.UnitKind
	// ParentCode is the unit above it on the date; empty for the top.
	ParentCode string
	// EffectiveFrom is the first day it exists.
	EffectiveFrom calendar.Date
	// EndedOn is its last day if it had ended by the date asked; zero otherwise.
	EndedOn calendar.Date
	// SuccessorCode is the unit that took over, when ended.
	SuccessorCode string
	// MergeBasis is the decision that ordered the merger, when ended.
	MergeBasis string
	// RemoteArea is vùng sâu, vùng xa: longer legal periods apply (Luật KN Đ28, Đ37).
	RemoteArea bool
	// Competence is the rule set on the date.
	Competence []Rule
}

// Ended tells whether the unit had ended by the date it was asked for.
func (u Unit) Ended() bool { return !u.EndedOn.IsZero() }

// IsTerritorial tells whether a kind is an administrative unit (province, city, ward, commune)
// rather than an organ or agency within one. Organs hang under the territorial unit of their level.
func IsTerritorial(k unitv1.UnitKind) bool {
	switch k {
	case unitv1.UnitKind_UNIT_KIND_PROVINCE, unitv1.UnitKind_UNIT_KIND_CITY,
		unitv1.UnitKind_UNIT_KIND_WARD, unitv1.UnitKind_UNIT_KIND_COMMUNE:
		return true
	}
	return false
}

// Period is an inclusive span of civil dates, such as a report period (15/12 – 14/3).
type Period struct {
	From, To calendar.Date
}

// DateFromProto is calendarpb.FromProto, kept for the callers that knew it here.
func DateFromProto(c *commonv1.CivilDate) calendar.Date { return calendarpb.FromProto(c) }

// DateProto is calendarpb.ToProto, kept for the callers that knew it here.
func DateProto(d calendar.Date) *commonv1.CivilDate { return calendarpb.ToProto(d) }

// parentSpan is a parent from a date until the next span.
type parentSpan struct {
	from   calendar.Date
	parent string
}

// competenceSpan is a rule set from a date until the next span.
type competenceSpan struct {
	from  calendar.Date
	rules []Rule
}

// record is a unit's whole history.
type record struct {
	code       string
	name       string
	kind       unitv1.UnitKind
	from       calendar.Date
	remote     bool
	parents    []parentSpan     // ascending, first at from
	competence []competenceSpan // ascending, first at from
	end        calendar.Date    // first day under the successor; zero while in force
	successor  string
	basis      string
}

func (u *record) registeredBy(d calendar.Date) bool { return !d.Before(u.from) }
func (u *record) endedBy(d calendar.Date) bool      { return !u.end.IsZero() && !d.Before(u.end) }
func (u *record) inForce(d calendar.Date) bool      { return u.registeredBy(d) && !u.endedBy(d) }
func (u *record) lastDay() calendar.Date            { return u.end.AddDays(-1) }

// clamp is the day whose state a view on d shows: d itself, or the last day of an ended unit.
func (u *record) clamp(d calendar.Date) calendar.Date {
	if u.endedBy(d) {
		return u.lastDay()
	}
	return d
}

func (u *record) parentOn(d calendar.Date) string {
	p := ""
	for _, s := range u.parents {
		if s.from.After(d) {
			break
		}
		p = s.parent
	}
	return p
}

func (u *record) rulesOn(d calendar.Date) []Rule {
	var rules []Rule
	for _, s := range u.competence {
		if s.from.After(d) {
			break
		}
		rules = s.rules
	}
	return rules
}

// lastChange is the date of the unit's latest parent or competence change (its registration if none).
func (u *record) lastChange() calendar.Date {
	last := u.parents[len(u.parents)-1].from
	if c := u.competence[len(u.competence)-1].from; c.After(last) {
		last = c
	}
	return last
}

func (u *record) view(on calendar.Date) Unit {
	d := u.clamp(on)
	v := Unit{
		Code:          u.code,
		Name:          u.name,
		Kind:          u.kind,
		ParentCode:    u.parentOn(d),
		EffectiveFrom: u.from,
		RemoteArea:    u.remote,
		Competence:    slices.Clone(u.rulesOn(d)),
	}
	if u.endedBy(on) {
		v.EndedOn, v.SuccessorCode, v.MergeBasis = u.lastDay(), u.successor, u.basis
	}
	return v
}
