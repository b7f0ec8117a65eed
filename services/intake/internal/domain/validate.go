package domain

import (
	"fmt"
	"unicode/utf8"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/seal"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// Limits of free text, in characters. They bound what one event carries (the sealed data is part
// of it) far above what a petition needs; a longer text is an attachment, not a field.
const (
	MaxSummary           = 10000
	MaxRespondent        = 1000
	MaxDecisionReference = 500
	MaxConclusion        = 10000
	MaxFullName          = 200
	MaxAddress           = 500
	MaxPhone             = 30
	MaxEmail             = 254
)

// violations collects field violations. Descriptions never repeat the value: it may be personal
// data, and errors are logged and sent to clients.
type violations []apperr.Violation

func (vs *violations) add(field, format string, args ...any) {
	*vs = append(*vs, apperr.Field(field, format, args...))
}

// text checks a free-text field's length in characters.
func (vs *violations) text(field, s string, maxChars int) {
	if n := utf8.RuneCountInString(s); n > maxChars {
		vs.add(field, "has %d characters, at most %d are allowed", n, maxChars)
	}
}

// PersonalDataViolations checks a person's data given at prefix ("sender", "visitor"). Identity
// numbers are matched exactly for duplicates, so they must be a CCCD (12 digits) or a CMND
// (9 digits) as issued.
func PersonalDataViolations(prefix string, pd *personv1.PersonalData) []apperr.Violation {
	var vs violations
	if pd == nil {
		return nil
	}
	vs.text(prefix+".full_name", pd.GetFullName(), MaxFullName)
	if id := pd.GetIdNumber(); id != "" {
		n, err := seal.NormalizeIDNumber(id)
		switch {
		case err != nil:
			vs.add(prefix+".id_number", "must be digits only")
		case len(n) != 9 && len(n) != 12:
			vs.add(prefix+".id_number", "must have 12 digits (citizen identity card) or 9 (old identity card)")
		}
	}
	vs.text(prefix+".address", pd.GetAddress(), MaxAddress)
	vs.text(prefix+".phone", pd.GetPhone(), MaxPhone)
	vs.text(prefix+".email", pd.GetEmail(), MaxEmail)
	return vs
}

// ContentViolations checks sealed free text given at prefix ("content"); a petition must say what
// it is about, a visit may leave it to the conclusion.
func ContentViolations(prefix string, c *intakev1.SealedContent, summaryRequired bool) []apperr.Violation {
	var vs violations
	if summaryRequired && seal.NormalizeName(c.GetSummary()) == "" {
		vs.add(prefix+".summary", "is required: what the petition asks or reports")
	}
	vs.text(prefix+".summary", c.GetSummary(), MaxSummary)
	vs.text(prefix+".respondent", c.GetRespondent(), MaxRespondent)
	vs.text(prefix+".decision_reference", c.GetDecisionReference(), MaxDecisionReference)
	vs.text(prefix+".conclusion", c.GetConclusion(), MaxConclusion)
	return vs
}

func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
