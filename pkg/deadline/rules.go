package deadline

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The rule table: legal periods change with the law, so they are data.
//
//go:embed rules.yaml
var rulesYAML []byte

// DayType says how a period is counted.
type DayType string

// Day types: "ngày" alone is calendar days, "ngày làm việc" working days.
const (
	CalendarDays DayType = "calendar"
	WorkingDays  DayType = "working"
)

// unit names the day type in a derivation ("30 calendar days").
func (t DayType) unit() string { return string(t) + " days" }

// Condition is a fact about a case that lengthens a period or allows extensions.
type Condition string

// Conditions named by the rule table.
const (
	Complex           Condition = "complex"            // vụ việc phức tạp
	EspeciallyComplex Condition = "especially_complex" // đặc biệt phức tạp (Luật TC Đ30)
	Remote            Condition = "remote"             // vùng sâu, vùng xa đi lại khó khăn
	Dismissal         Condition = "dismissal"          // kỷ luật buộc thôi việc (Luật KN Đ48)
	SeveralSites      Condition = "several_sites"      // phải kiểm tra, xác minh nhiều địa điểm (Luật TC Đ24.1)
)

var knownConditions = map[Condition]bool{Complex: true, EspeciallyComplex: true, Remote: true, Dismissal: true, SeveralSites: true}

// Rule is one legal period.
type Rule struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	NameVI string `yaml:"name_vi"`
	// Days is the period of an ordinary case.
	Days int `yaml:"days"`
	// Variants maps a set of conditions, written "complex+remote", to a longer period.
	Variants    map[string]int  `yaml:"variants"`
	DayType     DayType         `yaml:"day_type"`
	BaseEvent   string          `yaml:"base_event"`
	BaseEventVI string          `yaml:"base_event_vi"`
	Extensions  *ExtensionRule  `yaml:"extensions"`
	Suspension  *SuspensionRule `yaml:"suspension"`
	// RollToWorkingDay moves a calendar-day period that ends on a day off to the next working day
	// (Civil Code 2015 Đ148.5, *verify*: kept per rule so it can be turned off where a law says
	// otherwise).
	RollToWorkingDay bool   `yaml:"roll_to_working_day"`
	Citation         string `yaml:"citation"`
	Note             string `yaml:"note"`
	Verify           string `yaml:"verify"`

	variants []variant
}

// ExtensionRule says how far a period may be extended, each time by a written decision.
type ExtensionRule struct {
	MaxDays  int               `yaml:"max_days"`
	MaxCount map[Condition]int `yaml:"max_count"`
	Citation string            `yaml:"citation"`
}

// SuspensionRule says that suspended time does not count towards the period.
type SuspensionRule struct {
	Citation string `yaml:"citation"`
	Note     string `yaml:"note"`
}

// RecurringDuty is an obligation that recurs per week or month rather than running from an event.
type RecurringDuty struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	NameVI   string `yaml:"name_vi"`
	MinDays  int    `yaml:"min_days"`
	Per      string `yaml:"per"` // week or month
	Citation string `yaml:"citation"`
}

// RuleTable is the parsed rule file.
type RuleTable struct {
	Rules     []Rule          `yaml:"rules"`
	Recurring []RecurringDuty `yaml:"recurring"`
}

type variant struct {
	when []Condition
	days int
	name string
}

// Errors a caller can test for with errors.Is.
var (
	ErrUnknownRule   = errors.New("deadline: unknown rule")
	ErrInvalidRule   = errors.New("deadline: invalid rule")
	ErrInvalidFact   = errors.New("deadline: invalid fact")
	ErrUnknownCond   = errors.New("deadline: unknown condition")
	ErrNotExtendable = errors.New("deadline: extension not allowed")
	ErrNotSuspended  = errors.New("deadline: suspension not allowed")
)

// ParseRules reads a rule table; unknown fields are errors, so a typo cannot drop a limit.
func ParseRules(b []byte) (RuleTable, error) {
	var t RuleTable
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return RuleTable{}, fmt.Errorf("%w: %v", ErrInvalidRule, err)
	}
	seen := map[string]bool{}
	for i := range t.Rules {
		if err := t.Rules[i].prepare(); err != nil {
			return RuleTable{}, err
		}
		if seen[t.Rules[i].ID] {
			return RuleTable{}, fmt.Errorf("%w: %s listed twice", ErrInvalidRule, t.Rules[i].ID)
		}
		seen[t.Rules[i].ID] = true
	}
	for _, r := range t.Recurring {
		if r.ID == "" || r.MinDays < 1 || (r.Per != "week" && r.Per != "month") || r.Citation == "" {
			return RuleTable{}, fmt.Errorf("%w: recurring duty %+v", ErrInvalidRule, r)
		}
	}
	return t, nil
}

// EmbeddedRules is the rule table shipped with the package.
func EmbeddedRules() (RuleTable, error) { return ParseRules(rulesYAML) }

func (r *Rule) prepare() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidRule, r.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case r.ID == "":
		return bad("no id")
	case r.Name == "" || r.NameVI == "":
		return bad("name and name_vi are required")
	case r.Days < 1:
		return bad("days must be positive")
	case r.DayType != CalendarDays && r.DayType != WorkingDays:
		return bad("day_type %q is not calendar or working", r.DayType)
	case r.BaseEvent == "" || r.BaseEventVI == "":
		return bad("base_event and base_event_vi are required")
	case r.Citation == "":
		return bad("every rule cites its article")
	}
	r.variants = nil
	for key, days := range r.Variants {
		v := variant{days: days, name: strings.ReplaceAll(strings.ReplaceAll(key, "+", " and "), "_", " ")}
		for _, c := range strings.Split(key, "+") {
			if !knownConditions[Condition(c)] {
				return bad("variant %q: unknown condition %q", key, c)
			}
			v.when = append(v.when, Condition(c))
		}
		if days < r.Days {
			return bad("variant %q shortens the period", key)
		}
		r.variants = append(r.variants, v)
	}
	sort.Slice(r.variants, func(i, j int) bool { return r.variants[i].name < r.variants[j].name })
	if e := r.Extensions; e != nil {
		if e.MaxDays < 1 || len(e.MaxCount) == 0 || e.Citation == "" {
			return bad("extensions need max_days, max_count and citation")
		}
		for c := range e.MaxCount {
			if !knownConditions[c] {
				return bad("extensions: unknown condition %q", c)
			}
		}
	}
	if s := r.Suspension; s != nil && s.Citation == "" {
		return bad("suspension needs a citation")
	}
	return nil
}

func checkConditions(conds []Condition) error {
	for _, c := range conds {
		if !knownConditions[c] {
			return fmt.Errorf("%w: %q", ErrUnknownCond, c)
		}
	}
	return nil
}

func holds(conds []Condition, c Condition) bool {
	for _, x := range conds {
		if x == c {
			return true
		}
	}
	return false
}

// Period is the period for a case with the given conditions, and the name of the variant applied
// ("" for the ordinary period). Of the variants whose conditions all hold, the one with the most
// conditions applies (complex+remote over remote); among equals the longer period, which is the
// one the law grants the citizen and the resolver.
func (r Rule) Period(conds ...Condition) (days int, variantName string) {
	days = r.Days
	best := 0
	for _, v := range r.variants {
		ok := true
		for _, c := range v.when {
			ok = ok && holds(conds, c)
		}
		if !ok {
			continue
		}
		if len(v.when) > best || (len(v.when) == best && v.days > days) {
			best, days, variantName = len(v.when), v.days, v.name
		}
	}
	return days, variantName
}

// MaxExtensions is how many extensions the rule allows for a case with the given conditions.
func (r Rule) MaxExtensions(conds ...Condition) int {
	if r.Extensions == nil {
		return 0
	}
	n := 0
	for c, k := range r.Extensions.MaxCount {
		if holds(conds, c) && k > n {
			n = k
		}
	}
	return n
}
