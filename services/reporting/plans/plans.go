// Package plans holds plans with reporting obligations as data: YAML files in the field names of
// civicase.reporting.v1.Plan, declared to the reporting service with DeclarePlan.
package plans

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"

	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
)

//go:embed thuong-truc-hdnd-prtc-2025.yaml
var seed []byte

// Seed is the plan of shared/seed: the city People's Council standing committee's plan of 2025
// and its obligations (section III).
func Seed() (*reportingv1.Plan, error) { return Parse(seed) }

// Parse reads a plan from YAML. Unknown fields are errors, so a misspelt obligation is caught.
func Parse(raw []byte) (*reportingv1.Plan, error) {
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	p := &reportingv1.Plan{}
	if err := protojson.Unmarshal(js, p); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	return p, nil
}
