// Package registry holds unit registry files and turns them into the commands of the unit registry
// API. A file describes the units as they stand from a start date and the dated changes after it
// (registrations, moves, competence changes, mergers), so a reorganisation is replayed through the
// same commands an administrator would send, and the log records it as events.
//
// Every command gets a command id derived from what it does (operation, unit, date and a hash of its
// content), so loading a file twice appends nothing the second time; an entry edited after it was
// loaded gets a new id and is refused by the registry (e.g. the code is already registered), rather
// than silently ignored.
package registry

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// PhanRangThapCham is the demo city's registry file: Phan Rang–Tháp Chàm in Ninh Thuận from 2024,
// and the 2025 reorganisation into Khánh Hòa.
//
//go:embed phan-rang-thap-cham.yaml
var PhanRangThapCham []byte

// Demo parses the demo city's registry file.
func Demo() (*File, error) { return Parse(PhanRangThapCham) }

// File is a registry file.
type File struct {
	// ID names the file; it becomes the correlation id of the commands it produces.
	ID string `yaml:"id"`
	// EffectiveFrom is the first day of every unit of Units that does not give its own.
	EffectiveFrom calendar.Date `yaml:"effective_from"`
	// RuleSets are named competence rule sets, for YAML anchors to refer to; only what the units and
	// changes use is loaded.
	RuleSets map[string][]Rule `yaml:"rule_sets"`
	// Units are registered first, in file order (parents before children).
	Units []Unit `yaml:"units"`
	// Changes follow in date order.
	Changes []Change `yaml:"changes"`
}

// Unit is a unit's registration.
type Unit struct {
	Code          string        `yaml:"code"`
	Name          string        `yaml:"name"`
	Kind          string        `yaml:"kind"` // province, city, ward, commune, peoples_committee, …
	Parent        string        `yaml:"parent"`
	EffectiveFrom calendar.Date `yaml:"effective_from"`
	RemoteArea    bool          `yaml:"remote_area"`
	Competence    []Rule        `yaml:"competence"`
}

// Rule is a competence rule.
type Rule struct {
	Kind       string `yaml:"kind"`       // complaint, denunciation, recommendation, feedback
	Instance   string `yaml:"instance"`   // first or second, for complaints
	Respondent string `yaml:"respondent"` // self or subordinates
	Basis      string `yaml:"basis"`
}

// Change is what happens on one date, applied as: registrations (in file order), moves,
// competence changes, then mergers (units below before the units above them).
type Change struct {
	EffectiveFrom calendar.Date `yaml:"effective_from"`
	// Basis is the decision behind the mergers of this change, unless a merger names its own.
	Basis      string             `yaml:"basis"`
	Register   []Unit             `yaml:"register"`
	Reparent   []Reparent         `yaml:"reparent"`
	Competence []CompetenceChange `yaml:"competence"`
	Merge      []Merge            `yaml:"merge"`
}

// Reparent moves a unit.
type Reparent struct {
	Code   string `yaml:"code"`
	Parent string `yaml:"parent"`
}

// CompetenceChange replaces a unit's rules.
type CompetenceChange struct {
	Code  string `yaml:"code"`
	Rules []Rule `yaml:"rules"`
}

// Merge ends a unit into a successor.
type Merge struct {
	Code      string `yaml:"code"`
	Successor string `yaml:"successor"`
	Basis     string `yaml:"basis"`
}

var fileID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)

// Parse reads a registry file strictly: an unknown field is an error, not a silent default.
func Parse(data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("registry file: %w", err)
	}
	if !fileID.MatchString(f.ID) {
		return nil, fmt.Errorf("registry file: id %q must match %s", f.ID, fileID)
	}
	return &f, nil
}

// Request is one command of a file, ready to send: exactly one of the request fields is set.
type Request struct {
	// Where names the entry of the file it comes from, e.g. "changes[2].merge[0] NT.PRTC.KD".
	Where            string
	Register         *unitv1.RegisterUnitRequest
	Reparent         *unitv1.ReparentUnitRequest
	Merge            *unitv1.MergeUnitRequest
	ChangeCompetence *unitv1.ChangeCompetenceRequest
}

// Meta is the request's command metadata.
func (r Request) Meta() *commonv1.CommandMeta {
	switch {
	case r.Register != nil:
		return r.Register.GetMeta()
	case r.Reparent != nil:
		return r.Reparent.GetMeta()
	case r.Merge != nil:
		return r.Merge.GetMeta()
	default:
		return r.ChangeCompetence.GetMeta()
	}
}

// Event is the event the request asks to record.
func (r Request) Event() proto.Message {
	switch {
	case r.Register != nil:
		return r.Register.GetUnit()
	case r.Reparent != nil:
		return r.Reparent.GetChange()
	case r.Merge != nil:
		return r.Merge.GetMerger()
	default:
		return r.ChangeCompetence.GetChange()
	}
}

// Requests turns the file into the sequence of commands that replays it, checking the whole
// sequence against a registry of its own first, so a broken file is refused before anything is
// sent and its error names the entry at fault.
func (f *File) Requests() ([]Request, error) {
	b := builder{file: f, reg: unitreg.New()}
	for i, u := range f.Units {
		from := u.EffectiveFrom
		if from.IsZero() {
			from = f.EffectiveFrom
		}
		if err := b.register(fmt.Sprintf("units[%d]", i), u, from); err != nil {
			return nil, err
		}
	}
	for ci, c := range f.Changes {
		at := fmt.Sprintf("changes[%d]", ci)
		if c.EffectiveFrom.IsZero() {
			return nil, fmt.Errorf("%s: effective_from is required", at)
		}
		if ci > 0 && c.EffectiveFrom.Before(f.Changes[ci-1].EffectiveFrom) {
			return nil, fmt.Errorf("%s: changes must be in date order (%s after %s)", at, c.EffectiveFrom, f.Changes[ci-1].EffectiveFrom)
		}
		for i, u := range c.Register {
			if !u.EffectiveFrom.IsZero() && u.EffectiveFrom != c.EffectiveFrom {
				return nil, fmt.Errorf("%s.register[%d] %s: effective_from differs from the change's", at, i, u.Code)
			}
			if err := b.register(fmt.Sprintf("%s.register[%d]", at, i), u, c.EffectiveFrom); err != nil {
				return nil, err
			}
		}
		for i, m := range c.Reparent {
			ev := &unitv1.UnitReparented{Code: m.Code, ParentCode: m.Parent, EffectiveFrom: unitreg.DateProto(c.EffectiveFrom)}
			if err := b.add(fmt.Sprintf("%s.reparent[%d]", at, i), "reparent", ev); err != nil {
				return nil, err
			}
		}
		for i, cc := range c.Competence {
			where := fmt.Sprintf("%s.competence[%d]", at, i)
			rules, err := rulesProto(cc.Rules)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", where, cc.Code, err)
			}
			ev := &unitv1.UnitCompetenceChanged{Code: cc.Code, Competence: rules, EffectiveFrom: unitreg.DateProto(c.EffectiveFrom)}
			if err := b.add(where, "competence", ev); err != nil {
				return nil, err
			}
		}
		// Units below end before the units above them, whatever order the file lists them in.
		order := make([]int, len(c.Merge))
		depth := make([]int, len(c.Merge))
		for i, m := range c.Merge {
			order[i], depth[i] = i, len(b.reg.Ancestors(m.Code, c.EffectiveFrom))
		}
		slices.SortStableFunc(order, func(x, y int) int { return depth[y] - depth[x] })
		for _, i := range order {
			m := c.Merge[i]
			basis := m.Basis
			if basis == "" {
				basis = c.Basis
			}
			ev := &unitv1.UnitMerged{Code: m.Code, SuccessorCode: m.Successor, EffectiveFrom: unitreg.DateProto(c.EffectiveFrom), Basis: basis}
			if err := b.add(fmt.Sprintf("%s.merge[%d]", at, i), "merge", ev); err != nil {
				return nil, err
			}
		}
	}
	return b.out, nil
}

type builder struct {
	file *File
	reg  *unitreg.Registry
	out  []Request
}

func (b *builder) register(where string, u Unit, from calendar.Date) error {
	kind, ok := unitv1.UnitKind_value["UNIT_KIND_"+strings.ToUpper(u.Kind)]
	if !ok || kind == 0 {
		return fmt.Errorf("%s %s: unknown kind %q", where, u.Code, u.Kind)
	}
	rules, err := rulesProto(u.Competence)
	if err != nil {
		return fmt.Errorf("%s %s: %w", where, u.Code, err)
	}
	return b.add(where, "register", &unitv1.UnitRegistered{
		Code:          u.Code,
		Name:          u.Name,
		Kind:          unitv1.UnitKind(kind),
		ParentCode:    u.Parent,
		EffectiveFrom: unitreg.DateProto(from),
		RemoteArea:    u.RemoteArea,
		Competence:    rules,
	})
}

// add checks an event against the file's own registry and wraps it in its request.
func (b *builder) add(where, op string, ev proto.Message) error {
	code := ev.(interface{ GetCode() string }).GetCode()
	where += " " + code
	if err := b.reg.Apply(ev); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	meta := &commonv1.CommandMeta{CommandId: commandID(op, code, ev), CorrelationId: "unitfile:" + b.file.ID}
	r := Request{Where: where}
	switch e := ev.(type) {
	case *unitv1.UnitRegistered:
		r.Register = &unitv1.RegisterUnitRequest{Meta: meta, Unit: e}
	case *unitv1.UnitReparented:
		r.Reparent = &unitv1.ReparentUnitRequest{Meta: meta, Change: e}
	case *unitv1.UnitMerged:
		r.Merge = &unitv1.MergeUnitRequest{Meta: meta, Merger: e}
	case *unitv1.UnitCompetenceChanged:
		r.ChangeCompetence = &unitv1.ChangeCompetenceRequest{Meta: meta, Change: e}
	}
	b.out = append(b.out, r)
	return nil
}

// maxCommandID is CommandMeta.command_id's limit.
const maxCommandID = 64

// commandID is deterministic: readable when it fits ("unitfile:merge:NT.PRTC.KD:20250701:…"), and
// always ending in a hash of the event, so the same entry gives the same id and an edited one a new
// id.
func commandID(op, code string, ev proto.Message) string {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		panic(err) // generated messages always marshal
	}
	sum := sha256.Sum256(body)
	date := strings.ReplaceAll(unitreg.DateFromProto(ev.(interface {
		GetEffectiveFrom() *commonv1.CivilDate
	}).GetEffectiveFrom()).String(), "-", "")
	id := fmt.Sprintf("unitfile:%s:%s:%s:%s", op, code, date, hex.EncodeToString(sum[:6]))
	if len(id) <= maxCommandID {
		return id
	}
	long := sha256.Sum256(append([]byte(op+"\x00"+code+"\x00"), body...))
	return "unitfile:" + op + ":" + hex.EncodeToString(long[:16])
}

func rulesProto(rules []Rule) ([]*unitv1.CompetenceRule, error) {
	out := make([]*unitv1.CompetenceRule, len(rules))
	for i, r := range rules {
		kind, ok := commonv1.PetitionKind_value["PETITION_KIND_"+strings.ToUpper(r.Kind)]
		if !ok || kind == 0 {
			return nil, fmt.Errorf("competence[%d]: unknown kind %q", i, r.Kind)
		}
		var inst int32
		if r.Instance != "" {
			if inst, ok = unitv1.Instance_value["INSTANCE_"+strings.ToUpper(r.Instance)]; !ok || inst == 0 {
				return nil, fmt.Errorf("competence[%d]: unknown instance %q", i, r.Instance)
			}
		}
		resp, ok := unitv1.Respondent_value["RESPONDENT_"+strings.ToUpper(r.Respondent)]
		if !ok || resp == 0 {
			return nil, fmt.Errorf("competence[%d]: unknown respondent %q", i, r.Respondent)
		}
		out[i] = &unitv1.CompetenceRule{
			Kind:       commonv1.PetitionKind(kind),
			Instance:   unitv1.Instance(inst),
			Respondent: unitv1.Respondent(resp),
			Basis:      r.Basis,
		}
	}
	return out, nil
}
