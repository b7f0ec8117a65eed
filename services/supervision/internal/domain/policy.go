package domain

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

//go:embed policy.yaml
var policyYAML []byte

// Policy is the supervision policy (policy.yaml): which deadline rule measures each supervision
// step, when the watcher warns, whether it escalates on its own.
type Policy struct {
	// WarnWorkingDays is how many working days before a due date the watcher warns.
	WarnWorkingDays int `yaml:"warn_working_days"`
	// Urging holds the periods of urging letters.
	Urging UrgingPolicy `yaml:"urging"`
	// Programme holds the periods of supervision programmes.
	Programme ProgrammePolicy `yaml:"programme"`
	// FollowUp holds the period of a deputy's follow-up.
	FollowUp FollowUpPolicy `yaml:"follow_up"`
	// Rules are deadline rules in pkg/deadline's format for periods no statute fixes.
	Rules []deadline.Rule `yaml:"rules"`
}

// UrgingPolicy says how urging letters are measured.
type UrgingPolicy struct {
	// AnswerRule sets the answer date of a letter that names none.
	AnswerRule string `yaml:"answer_rule"`
	// EscalationRules set the superior's report date, by petition kind name, with "default".
	EscalationRules map[string]string `yaml:"escalation_rules"`
	// AutoEscalate lets the watcher escalate unanswered letters.
	AutoEscalate bool `yaml:"auto_escalate"`
}

// ProgrammePolicy says how supervision programmes are measured.
type ProgrammePolicy struct {
	// RecommendationRule sets a recommendation's answer date (Luật GS Đ66, Đ73).
	RecommendationRule string `yaml:"recommendation_rule"`
	// CommitteeReportRule sets a committee's report date (Luật GS Đ82, Đ86).
	CommitteeReportRule string `yaml:"committee_report_rule"`
}

// FollowUpPolicy says how deputies' follow-ups are measured.
type FollowUpPolicy struct {
	// DeputyInformRule sets the day the citizen must be informed by (Luật TCD Đ28.2).
	DeputyInformRule string `yaml:"deputy_inform_rule"`
}

// ParsePolicy reads a policy and builds the deadline engine supervision counts with: the rules of
// pkg/deadline plus the policy's own, over the default calendar. Every rule the policy names must
// exist, so a typo cannot silently drop a deadline.
func ParsePolicy(b []byte, cal *calendar.Calendar) (Policy, *deadline.Engine, error) {
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return Policy{}, nil, fmt.Errorf("supervision policy: %w", err)
	}
	base, err := deadline.EmbeddedRules()
	if err != nil {
		return Policy{}, nil, err
	}
	table := deadline.RuleTable{Rules: append(append([]deadline.Rule(nil), base.Rules...), p.Rules...), Recurring: base.Recurring}
	eng, err := deadline.New(cal, table)
	if err != nil {
		return Policy{}, nil, fmt.Errorf("supervision policy: %w", err)
	}
	if p.WarnWorkingDays < 0 || p.WarnWorkingDays > 60 {
		return Policy{}, nil, fmt.Errorf("supervision policy: warn_working_days %d out of 0–60", p.WarnWorkingDays)
	}
	if p.Urging.EscalationRules["default"] == "" {
		return Policy{}, nil, fmt.Errorf("supervision policy: urging.escalation_rules needs a default")
	}
	named := []string{p.Urging.AnswerRule, p.Programme.RecommendationRule, p.Programme.CommitteeReportRule, p.FollowUp.DeputyInformRule}
	for k, id := range p.Urging.EscalationRules {
		if k != "default" && kindByName(k) == commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED {
			return Policy{}, nil, fmt.Errorf("supervision policy: escalation_rules: unknown kind %q", k)
		}
		named = append(named, id)
	}
	for _, id := range named {
		if _, err := eng.Rule(id); err != nil {
			return Policy{}, nil, fmt.Errorf("supervision policy: %w", err)
		}
	}
	return p, eng, nil
}

// EmbeddedPolicy is the policy shipped with the service, over calendar.Default().
func EmbeddedPolicy() (Policy, *deadline.Engine, error) {
	return ParsePolicy(policyYAML, calendar.Default())
}

// EscalationRule is the rule of the superior's report for a petition kind.
func (p Policy) EscalationRule(kind commonv1.PetitionKind) string {
	if id := p.Urging.EscalationRules[kindName(kind)]; id != "" {
		return id
	}
	return p.Urging.EscalationRules["default"]
}

// kindName is a petition kind as the policy writes it: "denunciation", "multi_content".
func kindName(k commonv1.PetitionKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "PETITION_KIND_"))
}

func kindByName(s string) commonv1.PetitionKind {
	v, ok := commonv1.PetitionKind_value["PETITION_KIND_"+strings.ToUpper(s)]
	if !ok {
		return commonv1.PetitionKind_PETITION_KIND_UNSPECIFIED
	}
	return commonv1.PetitionKind(v)
}

// DueOf computes a due date with pkg/deadline and returns it with its derivation as lines.
func DueOf(eng *deadline.Engine, rule string, base calendar.Date) (calendar.Date, []string, error) {
	res, err := eng.Due(deadline.Request{Rule: rule, Base: base})
	if err != nil {
		return calendar.Date{}, nil, err
	}
	return res.Due, derivationLines(res.Derivation), nil
}

func derivationLines(d deadline.Derivation) []string {
	out := make([]string, len(d.Steps))
	for i, s := range d.Steps {
		out[i] = s.Text
	}
	return out
}
