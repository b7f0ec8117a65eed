package export

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// utf8BOM lets Excel recognise the file as UTF-8; without it Excel reads a
// CSV in the system code page and garbles Vietnamese.
const utf8BOM = "\uFEFF"

// CSV writes the report as UTF-8 CSV with a byte order mark. The lines are:
// form line, title, period label, period line, optional stamp, the header
// row (unit code, unit name, then each column's header path joined by " / "),
// the MS row of column numbers, the unit rows, the total row and the notes line.
// Numbers use a dot decimal separator and no grouping so that they re-import
// as numbers.
func CSV(w io.Writer, r *forms.Report) error {
	if err := validate(r); err != nil {
		return err
	}
	f := r.Form
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	width := len(f.Columns) + 2
	line := func(s string) []string {
		rec := make([]string, width)
		rec[0] = s
		return rec
	}
	recs := [][]string{line(formLine(f)), line(nfc(f.Title)), line(periodLabel(r)), line(r.Period.Line())}
	if s := stampLine(r); s != "" {
		recs = append(recs, line(s))
	}
	head := []string{"Mã đơn vị", nfc(f.UnitHeader)}
	ms := []string{"", "MS"}
	for _, c := range f.Columns {
		head = append(head, nfc(strings.Join(append(append([]string(nil), c.Path...), c.Header), " / ")))
		ms = append(ms, itoa(c.No))
	}
	recs = append(recs, head, ms)
	for _, row := range rows(r) {
		rec := []string{row.Unit.Code, nfc(row.Unit.Name)}
		for _, c := range f.Columns {
			if c.Measure == forms.Text {
				rec = append(rec, nfc(row.Text[c.No]))
			} else {
				rec = append(rec, c.Measure.Format(row.Values[c.No]))
			}
		}
		recs = append(recs, rec)
	}
	recs = append(recs, line(notesLine(r)))
	if err := cw.WriteAll(recs); err != nil {
		return err
	}
	return cw.Error()
}
