package domain

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

//go:embed hotspots.yaml
var hotspotsYAML []byte

// Detectors the hot-spot rules can use.
const (
	DetectCrowd           = "crowd"
	DetectRepeatVisits    = "repeat_visits"
	DetectRepeatPetitions = "repeat_petitions"
	DetectOverdue         = "overdue"
	DetectUnitsInvolved   = "units_involved"
)

var detectors = []string{DetectCrowd, DetectRepeatVisits, DetectRepeatPetitions, DetectOverdue, DetectUnitsInvolved}

// DetectionRule is one hot-spot detection rule (hotspots.yaml).
type DetectionRule struct {
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	NameVI     string `yaml:"name_vi"`
	Detector   string `yaml:"detector"`
	Threshold  int    `yaml:"threshold"`
	WindowDays int    `yaml:"window_days"`
	Citation   string `yaml:"citation"`
}

// DetectionRules is the parsed rule file.
type DetectionRules struct {
	Version string          `yaml:"version"`
	Rules   []DetectionRule `yaml:"rules"`
}

// ParseDetectionRules reads hot-spot detection rules; unknown fields, unknown detectors and
// thresholds below 1 are errors.
func ParseDetectionRules(b []byte) (DetectionRules, error) {
	var rs DetectionRules
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&rs); err != nil {
		return DetectionRules{}, fmt.Errorf("hot-spot rules: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rs.Rules {
		switch {
		case r.ID == "" || seen[r.ID]:
			return DetectionRules{}, fmt.Errorf("hot-spot rules: missing or repeated id %q", r.ID)
		case !slices.Contains(detectors, r.Detector):
			return DetectionRules{}, fmt.Errorf("hot-spot rules: %s: unknown detector %q", r.ID, r.Detector)
		case r.Threshold < 1 || r.WindowDays < 0:
			return DetectionRules{}, fmt.Errorf("hot-spot rules: %s: threshold must be ≥ 1 and window_days ≥ 0", r.ID)
		case r.Name == "":
			return DetectionRules{}, fmt.Errorf("hot-spot rules: %s: name is required", r.ID)
		}
		seen[r.ID] = true
	}
	return rs, nil
}

// EmbeddedDetectionRules are the rules shipped with the service.
func EmbeddedDetectionRules() (DetectionRules, error) { return ParseDetectionRules(hotspotsYAML) }

// CaseEvidence is what the detection rules look at for one case (or one matter without a case).
type CaseEvidence struct {
	CaseID    string
	Unit      string
	Kind      commonv1.PetitionKind
	Petitions []PetitionFact
	Visits    []VisitFact
	Overdue   []OverdueFact
	Units     []UnitFact
	// HotSpotID is the open hot spot the case belongs to, if any.
	HotSpotID string
}

// PetitionFact is one petition of a case (the original or a repeat).
type PetitionFact struct {
	ID           string
	On           calendar.Date
	People       int
	RepeatNumber int
}

// VisitFact is one reception visit about a case or matter.
type VisitFact struct {
	ID     string
	On     calendar.Date
	People int
	Repeat bool
}

// OverdueFact is an open clock of a case past its due date as of the day asked.
type OverdueFact struct {
	Clock       string
	Unit        string
	Due         calendar.Date
	DaysOverdue int
}

// UnitFact is a unit a case passed through: received by, forwarded or guided to.
type UnitFact struct {
	Unit string
	On   calendar.Date
	How  string
}

// Evidence is one fact that made a rule fire.
type Evidence struct {
	Kind   string
	Ref    string
	On     calendar.Date
	Value  int
	Detail string
}

// Reason is one rule that fired, with its evidence.
type Reason struct {
	Rule     DetectionRule
	Summary  string
	Evidence []Evidence
}

// Candidate is a case at least one rule fires for.
type Candidate struct {
	CaseID    string
	Unit      string
	Kind      commonv1.PetitionKind
	Reasons   []Reason
	HotSpotID string
}

// Detect applies the rules to the evidence as of a day and returns the candidates, the ones with
// most reasons first.
func (rs DetectionRules) Detect(cases []CaseEvidence, asOf calendar.Date) []Candidate {
	var out []Candidate
	for _, c := range cases {
		cand := Candidate{CaseID: c.CaseID, Unit: c.Unit, Kind: c.Kind, HotSpotID: c.HotSpotID}
		for _, r := range rs.Rules {
			if reason, ok := r.apply(c, asOf); ok {
				cand.Reasons = append(cand.Reasons, reason)
			}
		}
		if len(cand.Reasons) > 0 {
			out = append(out, cand)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Reasons) != len(out[j].Reasons) {
			return len(out[i].Reasons) > len(out[j].Reasons)
		}
		return out[i].CaseID < out[j].CaseID
	})
	return out
}

// inWindow tells whether a fact of day on counts as of asOf: not after it, and within the window.
func (r DetectionRule) inWindow(on, asOf calendar.Date) bool {
	if on.After(asOf) {
		return false
	}
	return r.WindowDays == 0 || asOf.DaysSince(on) < r.WindowDays
}

func (r DetectionRule) cite() string {
	if r.Citation == "" {
		return ""
	}
	return ", " + r.Citation
}

func (r DetectionRule) window() string {
	if r.WindowDays == 0 {
		return ""
	}
	return fmt.Sprintf(" in the last %d days", r.WindowDays)
}

func (r DetectionRule) apply(c CaseEvidence, asOf calendar.Date) (Reason, bool) {
	reason := Reason{Rule: r}
	switch r.Detector {
	case DetectCrowd:
		for _, v := range c.Visits {
			if r.inWindow(v.On, asOf) && v.People >= r.Threshold {
				reason.Evidence = append(reason.Evidence, Evidence{Kind: "visit", Ref: v.ID, On: v.On, Value: v.People,
					Detail: fmt.Sprintf("visit of %d people on %s", v.People, v.On)})
			}
		}
		for _, p := range c.Petitions {
			if r.inWindow(p.On, asOf) && p.People >= r.Threshold {
				reason.Evidence = append(reason.Evidence, Evidence{Kind: "petition", Ref: p.ID, On: p.On, Value: p.People,
					Detail: fmt.Sprintf("petition signed by %d people received %s", p.People, p.On)})
			}
		}
		if len(reason.Evidence) == 0 {
			return Reason{}, false
		}
		most := slices.MaxFunc(reason.Evidence, func(a, b Evidence) int { return a.Value - b.Value })
		reason.Summary = fmt.Sprintf("crowd delegation: %s (≥ %d people%s%s)", most.Detail, r.Threshold, r.window(), r.cite())
	case DetectRepeatVisits:
		for _, v := range c.Visits {
			if r.inWindow(v.On, asOf) && v.Repeat {
				reason.Evidence = append(reason.Evidence, Evidence{Kind: "visit", Ref: v.ID, On: v.On, Value: v.People,
					Detail: fmt.Sprintf("repeat visit on %s", v.On)})
			}
		}
		if len(reason.Evidence) < r.Threshold {
			return Reason{}, false
		}
		reason.Summary = fmt.Sprintf("%d repeat visits on the matter (≥ %d%s%s)", len(reason.Evidence), r.Threshold, r.window(), r.cite())
	case DetectRepeatPetitions:
		var top *PetitionFact
		for i, p := range c.Petitions {
			if r.inWindow(p.On, asOf) && (top == nil || p.RepeatNumber > top.RepeatNumber) {
				top = &c.Petitions[i]
			}
		}
		if top == nil || top.RepeatNumber < r.Threshold {
			return Reason{}, false
		}
		reason.Evidence = []Evidence{{Kind: "petition", Ref: top.ID, On: top.On, Value: top.RepeatNumber,
			Detail: fmt.Sprintf("petition received %s is receipt number %d of the matter", top.On, top.RepeatNumber)}}
		reason.Summary = fmt.Sprintf("matter received %d times (≥ %d%s%s)", top.RepeatNumber, r.Threshold, r.window(), r.cite())
	case DetectOverdue:
		for _, o := range c.Overdue {
			if o.DaysOverdue >= r.Threshold {
				reason.Evidence = append(reason.Evidence, Evidence{Kind: "clock", Ref: c.CaseID + "/" + o.Clock, On: o.Due, Value: o.DaysOverdue,
					Detail: fmt.Sprintf("%s clock of %s due %s, %d days overdue", o.Clock, o.Unit, o.Due, o.DaysOverdue)})
			}
		}
		if len(reason.Evidence) == 0 {
			return Reason{}, false
		}
		most := slices.MaxFunc(reason.Evidence, func(a, b Evidence) int { return a.Value - b.Value })
		reason.Summary = fmt.Sprintf("open past its legal period: %s (≥ %d days%s)", most.Detail, r.Threshold, r.cite())
	case DetectUnitsInvolved:
		seen := map[string]bool{}
		var units []string
		for _, u := range c.Units {
			if r.inWindow(u.On, asOf) && !seen[u.Unit] {
				seen[u.Unit] = true
				units = append(units, u.Unit)
				reason.Evidence = append(reason.Evidence, Evidence{Kind: "routing", Ref: u.Unit, On: u.On, Value: len(units),
					Detail: fmt.Sprintf("%s %s on %s", u.How, u.Unit, u.On)})
			}
		}
		if len(units) < r.Threshold {
			return Reason{}, false
		}
		reason.Summary = fmt.Sprintf("passed across %d units: %s (≥ %d%s)", len(units), strings.Join(units, ", "), r.Threshold, r.cite())
	default:
		return Reason{}, false
	}
	return reason, true
}
