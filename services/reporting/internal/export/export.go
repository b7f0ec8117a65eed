// Package export writes a filled statutory report as CSV, XLSX and PDF, laid
// out like the printed form: form code, title, period line, the multi-level
// header, the MS row of column numbers, unit rows, the total row and the
// notes line.
package export

import (
	"fmt"
	"strconv"

	"golang.org/x/text/unicode/norm"

	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// nfc composes text: Vietnamese typed with combining marks ("Unicode tổ
// hợp") would otherwise print as separate marks, since neither the PDF
// writer nor every spreadsheet shapes them.
func nfc(s string) string { return norm.NFC.String(s) }

// formLine is the line naming the form and its legal source.
func formLine(f *forms.Form) string {
	s := "Mẫu số " + f.Code + " (ban hành kèm theo Thông tư số " + f.Circular
	if f.Shape != "" && f.Shape != f.Circular {
		s += "; bố cục theo mẫu của Thông tư số " + f.Shape
	}
	return s + ")"
}

// periodLabel names the reporting period, e.g. "Kỳ báo cáo: Quý I năm 2025".
func periodLabel(r *forms.Report) string { return "Kỳ báo cáo: " + r.Period.Label() }

// stampLine is the "computed at" line, empty when the report has no stamp.
func stampLine(r *forms.Report) string {
	if r.ComputedAt == "" {
		return ""
	}
	return "Số liệu được tính tại: " + nfc(r.ComputedAt)
}

// notesLine is the notes line printed under the table.
func notesLine(r *forms.Report) string { return "Ghi chú: " + nfc(r.Notes) }

// rows returns the unit rows followed by the total row.
func rows(r *forms.Report) []forms.Row { return append(append([]forms.Row(nil), r.Units...), r.Total) }

// cellText is a cell as printed: numbers the Vietnamese way, text as is.
func cellText(c *forms.Column, row forms.Row) string {
	if c.Measure == forms.Text {
		return nfc(row.Text[c.No])
	}
	return c.Measure.FormatVN(row.Values[c.No])
}

func validate(r *forms.Report) error {
	if r == nil || r.Form == nil {
		return fmt.Errorf("export: report has no form")
	}
	if !r.Period.Kind.Valid() && (!r.Period.From.IsValid() || !r.Period.To.IsValid()) {
		return fmt.Errorf("export: %s report has no period", r.Form.Key())
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
