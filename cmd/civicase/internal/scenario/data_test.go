package scenario_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// scenario is testdata/scenario.yaml: what happens in the city, and the reports expected of it.
type scenario struct {
	Today     day        `yaml:"today"`
	Sessions  []session  `yaml:"sessions"`
	Petitions []petition `yaml:"petitions"`
	Reports   []expected `yaml:"reports"`
}

// day is a civil date written 2025-01-31.
type day struct{ calendar.Date }

func (d *day) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return err
	}
	d.Date = calendar.NewDate(t.Year(), t.Month(), t.Day())
	return nil
}

func (d day) civil() *commonv1.CivilDate {
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

type session struct {
	ID     string  `yaml:"id"`
	Unit   string  `yaml:"unit"`
	Kind   string  `yaml:"kind"`
	On     day     `yaml:"on"`
	Host   string  `yaml:"host"`
	By     string  `yaml:"by"` // the role holding it; a reception officer unless said
	Visits []visit `yaml:"visits"`
}

type visit struct {
	ID     string `yaml:"id"`
	People int32  `yaml:"people"`
	Reps   int32  `yaml:"reps"`
	Kind   string `yaml:"kind"`
	// Repeat is the officer's own statement that the matter was received before.
	Repeat bool `yaml:"repeat"`
	// VisitorOf makes the visitor the sender of that petition, about its matter: intake must find
	// the repeat itself.
	VisitorOf string `yaml:"visitor_of"`
}

type content struct {
	Kind  string `yaml:"kind"`
	Field string `yaml:"field"`
}

type petition struct {
	ID          string    `yaml:"id"`
	Unit        string    `yaml:"unit"`
	Received    day       `yaml:"received"`
	Kind        string    `yaml:"kind"`
	Field       string    `yaml:"field"`
	Contents    []content `yaml:"contents"`
	Respondent  string    `yaml:"respondent"`
	Instance    int32     `yaml:"instance"`
	Source      string    `yaml:"source"`
	ForwardedBy string    `yaml:"forwarded_by"`
	SenderType  string    `yaml:"sender_type"`
	Signatories int32     `yaml:"signatories"`
	Anonymous   bool      `yaml:"anonymous"`
	SameAs      string    `yaml:"same_as"`
	Visit       string    `yaml:"visit"`
	Steps       []step    `yaml:"steps"`
}

type step struct {
	On        day            `yaml:"on"`
	Do        string         `yaml:"do"`
	Complex   bool           `yaml:"complex"`
	RepeatOf  string         `yaml:"repeat_of"`
	Kind      string         `yaml:"kind"`
	Field     string         `yaml:"field"`
	To        string         `yaml:"to"`
	Reason    string         `yaml:"reason"`
	Finding   string         `yaml:"finding"`
	Remedies  map[string]any `yaml:"remedies"`
	Achieved  map[string]any `yaml:"achieved"`
	Days      int32          `yaml:"days"`
	Continues bool           `yaml:"continues"`
	By        string         `yaml:"by"`
	Role      string         `yaml:"role"`
	Urged     string         `yaml:"urged"`
}

// expected is one report's non-zero cells, written by hand ("200.5" for 200,5 as printed).
type expected struct {
	Form   string            `yaml:"form"`
	Unit   string            `yaml:"unit"`
	Period string            `yaml:"period"`
	Cells  map[int]yaml.Node `yaml:"cells"`
}

func loadScenario(t *testing.T) *scenario {
	t.Helper()
	raw, err := os.ReadFile("testdata/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	var s scenario
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("testdata/scenario.yaml: %v", err)
	}
	return &s
}

// enum reads a YAML enum name ("land_housing") as the proto value ("FIELD_ADMIN_LAND_HOUSING").
func enum(t *testing.T, values map[string]int32, prefix, name string) int32 {
	t.Helper()
	v, ok := values[prefix+strings.ToUpper(name)]
	if !ok || v == 0 {
		t.Fatalf("scenario: %q is not a %s… value", name, prefix)
	}
	return v
}

func kindOf(t *testing.T, name string) commonv1.PetitionKind {
	return commonv1.PetitionKind(enum(t, commonv1.PetitionKind_value, "PETITION_KIND_", name))
}

// fieldOf reads the short field names of the data file: the administrative fields without their
// "admin_" prefix, as the forms' headers group them.
func fieldOf(t *testing.T, name string) commonv1.Field {
	switch name {
	case "policy", "land_housing", "officials":
		name = "admin_" + name
	case "land":
		name = "admin_land_housing"
	}
	return commonv1.Field(enum(t, commonv1.Field_value, "FIELD_", name))
}

func complaintFinding(t *testing.T, name string) routingv1.ComplaintFinding {
	return routingv1.ComplaintFinding(enum(t, routingv1.ComplaintFinding_value, "COMPLAINT_FINDING_", name))
}

func denunciationFinding(t *testing.T, name string) routingv1.DenunciationFinding {
	if name == "untrue" {
		name = "false" // tố cáo sai
	}
	return routingv1.DenunciationFinding(enum(t, routingv1.DenunciationFinding_value, "DENUNCIATION_FINDING_", name))
}

func sessionKind(t *testing.T, name string) intakev1.SessionKind {
	return intakev1.SessionKind(enum(t, intakev1.SessionKind_value, "SESSION_KIND_", name))
}

// remedies reads a remedies map written with the proto's field names.
func remedies(t *testing.T, m map[string]any) *routingv1.Remedies {
	t.Helper()
	if m == nil {
		return nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var r routingv1.Remedies
	if err := protojson.Unmarshal(raw, &r); err != nil {
		t.Fatalf("scenario: remedies %s: %v", raw, err)
	}
	return &r
}
