package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signintech/gopdf"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/civicase/civicase/services/reporting/internal/forms"
	"github.com/civicase/civicase/services/reporting/internal/period"
)

const stamp = "checkpoint civicase.example/ninh-thuan 4711 (test)"

// wards of Phan Rang–Tháp Chàm before 1/7/2025 (DOMAIN.md).
var wards = []string{"Bảo An", "Đài Sơn", "Đạo Long", "Đô Vinh", "Đông Hải", "Kinh Dinh", "Mỹ Bình", "Mỹ Đông",
	"Mỹ Hải", "Mỹ Hương", "Phủ Hà", "Phước Mỹ", "Tấn Tài", "Thanh Sơn", "Văn Hải"}

// receptionReport fills 01/TCD for n wards with varied, consistent facts.
func receptionReport(t testing.TB, n int) *forms.Report {
	t.Helper()
	f, ok := forms.Builtin().Get("01/TCD", "2024.1")
	if !ok {
		t.Fatal("01/TCD missing")
	}
	var units []forms.UnitFacts
	for i := range n {
		name := "Phường " + wards[i%len(wards)]
		if i >= len(wards) {
			name += fmt.Sprintf(" (%d)", i/len(wards)+1)
		}
		facts := forms.Facts{}
		for j, m := range f.Metrics() {
			facts[m] = forms.Value((i*7 + j*3) % 13)
		}
		uf := forms.UnitFacts{Unit: forms.Unit{Code: fmt.Sprintf("P%02d", i+1), Name: name}, Facts: facts}
		if i == 0 {
			uf.Text = map[int]string{30: "Có 01 đoàn đông người về đất đai"}
		}
		units = append(units, uf)
	}
	p, _ := period.For(2025, period.Q1)
	r, err := forms.Compute(f, p, units)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forms.Check(r); err != nil {
		t.Fatal(err)
	}
	r.Notes = "Số liệu tổng hợp từ các phường; không có vụ việc phức tạp, kéo dài."
	r.ComputedAt = stamp
	return r
}

func TestCSV(t *testing.T) {
	r := receptionReport(t, 3)
	var b bytes.Buffer
	if err := CSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("CSV does not start with the UTF-8 byte order mark")
	}
	cr := csv.NewReader(bytes.NewReader(b.Bytes()[3:]))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	first := func(i int) string { return recs[i][0] }
	if first(1) != r.Form.Title || first(3) != "Số liệu tính từ ngày 15/12/2024 đến ngày 14/03/2025" ||
		first(4) != "Số liệu được tính tại: "+stamp || first(len(recs)-1) != "Ghi chú: "+r.Notes {
		t.Errorf("CSV lines: %q", recs)
	}
	head, ms := recs[5], recs[6]
	if head[1] != "Đơn vị" || head[2] != "Tổng số lượt tiếp" || head[5] != "Tiếp thường xuyên / Số lượt tiếp" ||
		head[18] != "Tiếp định kỳ và đột xuất của Thủ trưởng / Thủ trưởng tiếp / Đoàn đông người / Số đoàn" {
		t.Errorf("CSV header row = %q", head)
	}
	if ms[1] != "MS" || ms[2] != "1" || ms[31] != "30" {
		t.Errorf("CSV MS row = %q", ms)
	}
	total := recs[len(recs)-2]
	if total[1] != forms.TotalLabel || total[2] != fmt.Sprint(r.Total.Values[1]) {
		t.Errorf("CSV total row = %q, want column 1 = %d", total, r.Total.Values[1])
	}
	if recs[7][0] != "P01" || recs[7][31] != "Có 01 đoàn đông người về đất đai" {
		t.Errorf("CSV first unit row = %q", recs[7])
	}
}

func TestXLSXLaidOutLikeTheForm(t *testing.T) {
	r := receptionReport(t, 4)
	r.Units[1].Unit.Name = norm.NFD.String(r.Units[1].Unit.Name) // typed with combining marks
	var b bytes.Buffer
	if err := XLSX(&b, r); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := "01-TCD"
	if got := x.GetSheetList(); !slices.Equal(got, []string{sheet}) {
		t.Fatalf("sheets = %q", got)
	}
	get := func(cell string) string {
		v, err := x.GetCellValue(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Rows: 1 form line, 2 title, 3 period label, 4 period line, 5 stamp,
	// 6 blank, 7–11 header (5 levels), 12 MS, 13–16 units, 17 total, 19 notes.
	for cell, want := range map[string]string{
		"A1": "Mẫu số 01/TCD (ban hành kèm theo Thông tư số 01/2024/TT-TTCP)",
		"A2": "Tổng hợp kết quả tiếp công dân thường xuyên, định kỳ và đột xuất",
		"A3": "Kỳ báo cáo: Quý I năm 2025",
		"A4": "Số liệu tính từ ngày 15/12/2024 đến ngày 14/03/2025",
		"A5": "Số liệu được tính tại: " + stamp,
		"A7": "Đơn vị", "B7": "Tổng số lượt tiếp", "E7": "Tiếp thường xuyên", "E8": "Số lượt tiếp",
		"G8": "Số vụ việc", "G9": "Tiếp lần đầu", "I8": "Đoàn đông người", "K9": "Vụ việc", "K10": "Lần đầu",
		"M7": "Tiếp định kỳ và đột xuất của Thủ trưởng", "M8": "Thủ trưởng tiếp", "V8": "Ủy quyền tiếp",
		"R9": "Đoàn đông người", "T10": "Vụ việc", "T11": "Lần đầu", "AE7": "Ghi chú",
		"A12": "MS", "B12": "1", "AE12": "30",
		"A13": "Phường Bảo An", "A14": "Phường Đài Sơn", "AE13": "Có 01 đoàn đông người về đất đai",
		"A17": "Tổng cộng", "A19": "Ghi chú: " + r.Notes,
	} {
		if got := get(cell); got != want {
			t.Errorf("%s = %q, want %q", cell, got, want)
		}
	}
	merged, err := x.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var ranges []string
	for _, m := range merged {
		ranges = append(ranges, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	for _, want := range []string{
		"A2:AE2",   // title across the table
		"A7:A11",   // unit column over every header row
		"B7:B11",   // a top-level leaf down to the last header row
		"E7:L7",    // "Tiếp thường xuyên" over columns 4–11
		"M7:AD7",   // the head's reception over 12–29
		"M8:U8",    // "Thủ trưởng tiếp" over 12–20
		"K10:K11",  // leaf 10 under "Vụ việc"
		"AE7:AE11", // notes column
	} {
		if !slices.Contains(ranges, want) {
			t.Errorf("merged ranges %q lack %s", ranges, want)
		}
	}
	for col := 1; col <= 29; col++ { // 30 is the notes column
		c, _ := excelize.CoordinatesToCellName(col+1, 17)
		if got, want := get(c), fmt.Sprint(r.Total.Values[col]); got != want {
			t.Errorf("total column %d (%s) = %q, want %s", col, c, got, want)
		}
	}
	// Numbers are numbers: a formula over the total row recomputes column 1.
	if err := x.SetCellFormula(sheet, "AG17", "E17+N17+W17"); err != nil {
		t.Fatal(err)
	}
	if got, err := x.CalcCellValue(sheet, "AG17"); err != nil || got != get("B17") {
		t.Errorf("E17+N17+W17 = %q (%v), want column 1 total %s", got, err, get("B17"))
	}
}

func TestPDF(t *testing.T) {
	r := receptionReport(t, 5)
	var b bytes.Buffer
	if err := PDF(&b, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "01-TCD.pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, path)
	for _, want := range []string{
		"Tổng hợp kết quả tiếp công dân thường xuyên, định kỳ và đột xuất",
		"Số liệu tính từ ngày 15/12/2024 đến ngày 14/03/2025",
		"Số liệu được tính tại: " + stamp,
		"Mẫu số 01/TCD (ban hành kèm theo Thông tư số 01/2024/TT-TTCP)",
		"Phường Đạo Long", "Tổng cộng", "Ủy quyền tiếp", "Trang 1/1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	render(t, path, filepath.Join(dir, "page"))
}

// A report with more units than a page holds continues on further pages,
// each under the repeated header.
func TestPDFPagesRepeatTheHeader(t *testing.T) {
	r := receptionReport(t, 45)
	var b bytes.Buffer
	if err := PDF(&b, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "long.pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, path)
	pages := strings.Split(text, "\f")
	if len(pages) < 3 { // the last element follows the final form feed
		t.Fatalf("45 units fit on %d page(s)", len(pages)-1)
	}
	n := len(pages) - 1
	for i, p := range pages[:n] {
		for _, want := range []string{"Tiếp thường xuyên", fmt.Sprintf("Trang %d/%d", i+1, n)} {
			if !strings.Contains(p, want) {
				t.Errorf("page %d lacks %q", i+1, want)
			}
		}
	}
	if !strings.Contains(pages[n-1], "Tổng cộng") || !strings.Contains(pages[n-1], "Ghi chú: ") {
		t.Errorf("last page lacks the total row or the notes line")
	}
}

// Every form prints: the KQGQ forms have money and area columns and deep headers.
func TestEveryFormExports(t *testing.T) {
	p, _ := period.For(2025, period.Year)
	for _, f := range forms.Builtin().All() {
		facts := forms.Facts{}
		for _, m := range f.Metrics() {
			facts[m] = f.ByMetric(m).Measure.Of(1)
		}
		r, err := forms.Compute(f, p, []forms.UnitFacts{{Unit: forms.Unit{Code: "P01", Name: "Phường Phủ Hà"}, Facts: facts}})
		if err != nil {
			t.Fatal(err)
		}
		for name, write := range map[string]func(*bytes.Buffer, *forms.Report) error{
			"csv":  func(b *bytes.Buffer, r *forms.Report) error { return CSV(b, r) },
			"xlsx": func(b *bytes.Buffer, r *forms.Report) error { return XLSX(b, r) },
			"pdf":  func(b *bytes.Buffer, r *forms.Report) error { return PDF(b, r) },
		} {
			var b bytes.Buffer
			if err := write(&b, r); err != nil || b.Len() == 0 {
				t.Errorf("%s %s: %v", f.Code, name, err)
			}
		}
	}
}

// The embedded font has a glyph for every Vietnamese letter and for every
// character of every form's texts.
func TestFontCoversVietnamese(t *testing.T) {
	var pdf gopdf.GoPdf
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape})
	for _, style := range []struct {
		data []byte
		s    string
		st   int
	}{{fontRegular, "", gopdf.Regular}, {fontBold, "B", gopdf.Bold}} {
		if err := pdf.AddTTFFontDataWithOption(fontFamily, style.data, gopdf.TtfOption{Style: style.st}); err != nil {
			t.Fatal(err)
		}
		if err := pdf.SetFont(fontFamily, style.s, 10); err != nil {
			t.Fatal(err)
		}
		runes := []rune("ăâđêôơưĂÂĐÊÔƠƯ²Σ≈—")
		for r := rune(0x1EA0); r <= 0x1EF9; r++ {
			runes = append(runes, r)
		}
		for _, f := range forms.Builtin().All() {
			runes = append(runes, []rune(f.Title+formLine(f))...)
			for _, c := range f.Columns {
				runes = append(runes, []rune(c.Header+strings.Join(c.Path, ""))...)
			}
		}
		for _, r := range runes {
			if ok, err := pdf.IsCurrFontContainGlyph(r); err != nil || !ok {
				t.Errorf("font %q lacks %q (U+%04X)", style.s, r, r)
			}
		}
	}
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// render turns the first page into a PNG with pdftoppm, proving poppler can
// rasterise it; PDF_RENDER_DIR keeps a copy for a person to look at.
func render(t *testing.T, pdfPath, prefix string) {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Log("pdftoppm is not installed: render skipped")
		return
	}
	if dir := os.Getenv("PDF_RENDER_DIR"); dir != "" {
		prefix = filepath.Join(dir, filepath.Base(prefix))
		if b, err := os.ReadFile(pdfPath); err == nil {
			_ = os.WriteFile(prefix+".pdf", b, 0o644)
		}
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	st, err := os.Stat(prefix + ".png")
	if err != nil || st.Size() < 10_000 {
		t.Fatalf("rendered page: %v (size %v)", err, st)
	}
}
