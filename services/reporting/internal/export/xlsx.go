package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// SheetName is the worksheet name of a form: its code with "/" (not allowed
// in sheet names) replaced by "-", e.g. "01-TCD".
func SheetName(f *forms.Form) string { return strings.ReplaceAll(f.Code, "/", "-") }

// XLSX writes the report as an Excel workbook with one sheet laid out like
// the printed form: form line, title, period label and line, optional stamp,
// the merged multi-level header, the MS row, unit rows, the "Tổng cộng" row
// and the notes line. Numbers are stored as numbers, so the sheet can be
// summed and re-checked; it prints on landscape A4, one page wide.
func XLSX(w io.Writer, r *forms.Report) error {
	if err := validate(r); err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := SheetName(r.Form)
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := (&xlsxWriter{f: x, sheet: sheet, r: r}).write(); err != nil {
		return err
	}
	_, err := x.WriteTo(w)
	return err
}

type xlsxWriter struct {
	f     *excelize.File
	sheet string
	r     *forms.Report
	err   error
}

// cell names the cell at 1-based column c and row n.
func cell(c, n int) string {
	s, _ := excelize.CoordinatesToCellName(c, n)
	return s
}

func (x *xlsxWriter) do(err error) {
	if x.err == nil && err != nil {
		x.err = err
	}
}

func (x *xlsxWriter) style(s *excelize.Style) int {
	id, err := x.f.NewStyle(s)
	x.do(err)
	return id
}

func (x *xlsxWriter) set(c, n int, v any, style int) {
	x.do(x.f.SetCellValue(x.sheet, cell(c, n), v))
	x.do(x.f.SetCellStyle(x.sheet, cell(c, n), cell(c, n), style))
}

// span writes v into the top-left cell of a range, merges it and styles every cell in it.
func (x *xlsxWriter) span(c1, n1, c2, n2 int, v any, style int) {
	x.do(x.f.SetCellValue(x.sheet, cell(c1, n1), v))
	if c1 != c2 || n1 != n2 {
		x.do(x.f.MergeCell(x.sheet, cell(c1, n1), cell(c2, n2)))
	}
	x.do(x.f.SetCellStyle(x.sheet, cell(c1, n1), cell(c2, n2), style))
}

func (x *xlsxWriter) write() error {
	f := x.r.Form
	last := len(f.Columns) + 1 // column A is the unit column
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	font := func(size float64, bold, italic bool) *excelize.Font {
		return &excelize.Font{Family: "Times New Roman", Size: size, Bold: bold, Italic: italic}
	}
	var (
		formStyle   = x.style(&excelize.Style{Font: font(10, false, true), Alignment: &excelize.Alignment{Horizontal: "right"}})
		titleStyle  = x.style(&excelize.Style{Font: font(14, true, false), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
		lineStyle   = x.style(&excelize.Style{Font: font(11, false, true), Alignment: &excelize.Alignment{Horizontal: "center"}})
		headStyle   = x.style(&excelize.Style{Font: font(9, true, false), Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
		msStyle     = x.style(&excelize.Style{Font: font(9, false, true), Border: border, Alignment: &excelize.Alignment{Horizontal: "center"}})
		unitStyle   = x.style(&excelize.Style{Font: font(10, false, false), Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
		totalStyle  = x.style(&excelize.Style{Font: font(10, true, false), Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
		notesStyle  = x.style(&excelize.Style{Font: font(10, false, false), Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
		numberStyle = map[bool]map[forms.Measure]int{}
	)
	for _, bold := range []bool{false, true} {
		numberStyle[bold] = map[forms.Measure]int{}
		for m, format := range map[forms.Measure]string{forms.Count: "#,##0", forms.Money: "#,##0.000", forms.Area: "#,##0.00", forms.Text: "@"} {
			numberStyle[bold][m] = x.style(&excelize.Style{Font: font(10, bold, false), Border: border, CustomNumFmt: &format,
				Alignment: &excelize.Alignment{Horizontal: map[bool]string{true: "left", false: "right"}[m == forms.Text], Vertical: "center", WrapText: m == forms.Text}})
		}
	}

	n := 1
	x.span(1, n, last, n, formLine(f), formStyle)
	n++
	x.span(1, n, last, n, nfc(f.Title), titleStyle)
	x.do(x.f.SetRowHeight(x.sheet, n, 24))
	n++
	x.span(1, n, last, n, periodLabel(x.r), lineStyle)
	n++
	x.span(1, n, last, n, x.r.Period.Line(), lineStyle)
	n++
	if s := stampLine(x.r); s != "" {
		x.span(1, n, last, n, s, lineStyle)
		n++
	}
	n++ // a blank line before the table

	// Header: a group spans its leaves on its own row; a leaf spans down to
	// the last header row.
	top, depth := n, f.HeaderDepth()
	bottom := top + depth - 1
	x.span(1, top, 1, bottom, nfc(f.UnitHeader), headStyle)
	col := 2
	var place func(h *forms.HeaderNode, level int)
	place = func(h *forms.HeaderNode, level int) {
		if h.Column != nil {
			x.span(col, top+level, col, bottom, nfc(h.Text), headStyle)
			col++
			return
		}
		first := col
		for _, c := range h.Children {
			place(c, level+1)
		}
		x.span(first, top+level, col-1, top+level, nfc(h.Text), headStyle)
	}
	for _, h := range f.Header {
		place(h, 0)
	}
	for i := top; i <= bottom; i++ {
		x.do(x.f.SetRowHeight(x.sheet, i, 42))
	}
	n = bottom + 1
	x.set(1, n, "MS", msStyle)
	for _, c := range f.Columns {
		x.set(c.No+1, n, c.No, msStyle)
	}
	n++

	for i, row := range rows(x.r) {
		total := i == len(x.r.Units)
		if total {
			x.set(1, n, forms.TotalLabel, totalStyle)
		} else {
			x.set(1, n, nfc(row.Unit.Name), unitStyle)
		}
		for _, c := range f.Columns {
			var v any
			if c.Measure == forms.Text {
				v = nfc(row.Text[c.No])
			} else {
				v = c.Measure.Float(row.Values[c.No])
			}
			x.set(c.No+1, n, v, numberStyle[total][c.Measure])
		}
		n++
	}
	n++
	x.span(1, n, last, n, notesLine(x.r), notesStyle)
	x.do(x.f.SetRowHeight(x.sheet, n, 30))

	x.do(x.f.SetColWidth(x.sheet, "A", "A", 28))
	for _, c := range f.Columns {
		width := 9.0
		if c.Measure == forms.Text {
			width = 18
		}
		name, _ := excelize.ColumnNumberToName(c.No + 1)
		x.do(x.f.SetColWidth(x.sheet, name, name, width))
	}
	// Keep the unit column and the header visible while scrolling, repeat
	// the header on every printed page, and print landscape A4 one page wide.
	x.do(x.f.SetPanes(x.sheet, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: bottom + 1,
		TopLeftCell: cell(2, bottom+2), ActivePane: "bottomRight"}))
	x.do(x.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: x.sheet,
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", x.sheet, top, bottom+1)}))
	orientation, size, fitW, fitH := "landscape", 9, 1, 0
	x.do(x.f.SetPageLayout(x.sheet, &excelize.PageLayoutOptions{Orientation: &orientation, Size: &size, FitToWidth: &fitW, FitToHeight: &fitH}))
	fit := true
	x.do(x.f.SetSheetProps(x.sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	x.do(x.f.SetDocProps(&excelize.DocProperties{Title: nfc(f.Title), Subject: f.Code + " " + x.r.Period.Label(), Language: "vi-VN"}))
	return x.err
}
