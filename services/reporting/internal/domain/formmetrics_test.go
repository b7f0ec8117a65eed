package domain

import (
	"testing"

	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// Every fact column of every shipped form is computable: defined, or listed as zero until its
// source exists; and no definition is left over from a column that no longer exists.
func TestEveryFormMetricIsDefined(t *testing.T) {
	used := map[string]bool{}
	for _, f := range forms.Builtin().All() {
		for _, key := range f.Metrics() {
			used[key] = true
			if _, _, ok := Metric(key); !ok {
				t.Errorf("%s: metric %s has no definition and is not listed as zero until its source exists", f.Key(), key)
			}
		}
	}
	for _, key := range MetricKeys() {
		if !used[key] {
			t.Errorf("metric %s is defined but no form column counts it", key)
		}
		if _, z := ZeroUntilSource[key]; z {
			t.Errorf("metric %s is both defined and listed as zero until its source exists", key)
		}
	}
	for key := range ZeroUntilSource {
		if !used[key] {
			t.Errorf("zero-until-source metric %s is counted by no form column", key)
		}
	}
}
