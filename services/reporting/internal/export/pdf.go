package export

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/signintech/gopdf"

	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// Liberation Sans has every Vietnamese letter built from single-level
// composite glyphs, which the gopdf subsetter embeds whole (DejaVu's nested
// composites lose their marks); see fonts/README.md.
var (
	//go:embed fonts/LiberationSans-Regular.ttf
	fontRegular []byte
	//go:embed fonts/LiberationSans-Bold.ttf
	fontBold []byte
)

const (
	fontFamily = "liberation-sans"
	pageW      = 842.0 // A4 landscape, in points
	pageH      = 595.0
	margin     = 24.0
	headSize   = 6.5 // header and cell text
	cellSize   = 7.0
	lineGap    = 1.25 // line height as a multiple of the font size
	pad        = 2.0
)

// PDF writes the report as a landscape A4 PDF with Liberation Sans embedded
// (subset), laid out like the printed form. A table taller than a page
// continues on the next page under a repeated header; every page is numbered.
func PDF(w io.Writer, r *forms.Report) error {
	if err := validate(r); err != nil {
		return err
	}
	p := &pdfWriter{r: r}
	if err := p.write(); err != nil {
		return err
	}
	_, err := p.pdf.WriteTo(w)
	return err
}

// startDocument starts a landscape A4 document with the embedded fonts.
func startDocument(pdf *gopdf.GoPdf) error {
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape})
	return addFonts(pdf)
}

// addFonts registers the regular and bold faces under fontFamily.
func addFonts(pdf *gopdf.GoPdf) error {
	if err := pdf.AddTTFFontDataWithOption(fontFamily, fontRegular, gopdf.TtfOption{Style: gopdf.Regular}); err != nil {
		return err
	}
	return pdf.AddTTFFontDataWithOption(fontFamily, fontBold, gopdf.TtfOption{Style: gopdf.Bold})
}

type pdfWriter struct {
	pdf    gopdf.GoPdf
	r      *forms.Report
	widths []float64 // [0] is the unit column, [i] numbered column i
	levels []float64 // header row heights
	y      float64
	err    error
}

func (p *pdfWriter) do(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

func (p *pdfWriter) font(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	p.do(p.pdf.SetFont(fontFamily, style, size))
}

func (p *pdfWriter) width(s string) float64 {
	w, err := p.pdf.MeasureTextWidth(s)
	p.do(err)
	return w
}

// wrap breaks s into lines no wider than w, at spaces where it can and
// inside a word only when the word alone is too wide.
func (p *pdfWriter) wrap(s string, w float64) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for p.width(word) > w && len([]rune(word)) > 1 {
			rs := []rune(word)
			k := len(rs) - 1
			for k > 1 && p.width(string(rs[:k])) > w {
				k--
			}
			if cur != "" {
				lines, cur = append(lines, cur), ""
			}
			lines = append(lines, string(rs[:k]))
			word = string(rs[k:])
		}
		switch {
		case cur == "":
			cur = word
		case p.width(cur+" "+word) <= w:
			cur += " " + word
		default:
			lines, cur = append(lines, cur), word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// minSize is the smallest font size a cell shrinks to so that its longest
// word fits on one line.
const minSize = 5.0

// fit picks the font size for text in a cell of width w, shrinking it
// until no word has to be broken (down to minSize), and wraps the text.
func (p *pdfWriter) fit(text string, w float64, bold bool, size float64) (float64, []string) {
	for {
		p.font(bold, size)
		fits := true
		for _, word := range strings.Fields(text) {
			if p.width(word) > w-2*pad {
				fits = false
				break
			}
		}
		if fits || size <= minSize {
			return size, p.wrap(text, w-2*pad)
		}
		size -= 0.25
	}
}

// box draws a bordered cell and its text, wrapped and centred vertically;
// align is gopdf.Left, gopdf.Center or gopdf.Right.
func (p *pdfWriter) box(x, y, w, h float64, text string, bold bool, size float64, align int) {
	p.pdf.SetLineWidth(0.4)
	p.pdf.RectFromUpperLeftWithStyle(x, y, w, h, "D")
	size, lines := p.fit(text, w, bold, size)
	lh := size * lineGap
	ty := y + (h-lh*float64(len(lines)))/2
	for _, l := range lines {
		tx := x + pad
		switch align {
		case gopdf.Center:
			tx = x + (w-p.width(l))/2
		case gopdf.Right:
			tx = x + w - pad - p.width(l)
		}
		p.pdf.SetXY(tx, ty+(lh-size)/2)
		p.do(p.pdf.Cell(nil, l))
		ty += lh
	}
}

// textHeight is the height a cell of width w needs for text.
func (p *pdfWriter) textHeight(text string, w float64, bold bool, size float64) float64 {
	size, lines := p.fit(text, w, bold, size)
	return float64(len(lines))*size*lineGap + 2*pad
}

// centred writes one line of text centred on the page, shrinking the font
// until it fits so that it stays a single, searchable line.
func (p *pdfWriter) centred(text string, bold bool, size float64) {
	p.font(bold, size)
	for size > 6 && p.width(text) > pageW-2*margin {
		size -= 0.5
		p.font(bold, size)
	}
	p.pdf.SetXY((pageW-p.width(text))/2, p.y)
	p.do(p.pdf.Cell(nil, text))
	p.y += size * 1.5
}

func (p *pdfWriter) write() error {
	f := p.r.Form
	if err := startDocument(&p.pdf); err != nil {
		return err
	}
	p.pdf.SetInfo(gopdf.PdfInfo{Title: nfc(f.Title), Subject: f.Code + " " + p.r.Period.Label(), Creator: "civicase reporting"})
	p.layoutColumns()
	p.pdf.AddPage()
	p.y = margin

	p.font(false, 8)
	line := formLine(f)
	p.pdf.SetXY(pageW-margin-p.width(line), p.y)
	p.do(p.pdf.Cell(nil, line))
	p.y += 16
	p.centred(nfc(f.Title), true, 13)
	p.centred(periodLabel(p.r), false, 9)
	p.centred(p.r.Period.Line(), false, 9)
	if s := stampLine(p.r); s != "" {
		p.centred(s, false, 8)
	}
	p.y += 6

	p.header()
	for i, row := range rows(p.r) {
		p.row(row, i == len(p.r.Units))
	}
	p.y += 8
	p.font(false, 8)
	notes := p.wrap(notesLine(p.r), pageW-2*margin)
	if p.y+float64(len(notes))*10 > pageH-margin {
		p.newPage(false)
	}
	for _, l := range notes {
		p.pdf.SetXY(margin, p.y)
		p.do(p.pdf.Cell(nil, l))
		p.y += 10
	}
	p.pageNumbers()
	return p.err
}

// layoutColumns shares the page width: the unit column gets what its longest
// name needs (within bounds), a text column three shares, money and area
// (with decimals) one and a half, a count one.
func (p *pdfWriter) layoutColumns() {
	f := p.r.Form
	p.font(false, cellSize)
	unit := p.width(nfc(f.UnitHeader)) + 2*pad
	for _, row := range rows(p.r) {
		unit = max(unit, p.width(nfc(row.Unit.Name))+2*pad)
	}
	unit = min(max(unit, 60), 110)
	shares := 0.0
	for _, c := range f.Columns {
		shares += p.share(c)
	}
	each := (pageW - 2*margin - unit) / shares
	p.widths = []float64{unit}
	for _, c := range f.Columns {
		p.widths = append(p.widths, each*p.share(c))
	}
	// Header rows: each level is as tall as its tallest cell; a leaf that
	// spans several levels makes the last of them taller if it needs to.
	depth := f.HeaderDepth()
	p.levels = make([]float64, depth)
	var need func(h *forms.HeaderNode, level int) float64 // returns the node's width
	spans := map[int]float64{}                            // start level → tallest leaf starting there
	need = func(h *forms.HeaderNode, level int) float64 {
		if h.Column != nil {
			w := p.widths[h.Column.No]
			height := p.textHeight(nfc(h.Text), w, true, headSize)
			if level == depth-1 {
				p.levels[level] = max(p.levels[level], height)
			} else {
				spans[level] = max(spans[level], height)
			}
			return w
		}
		w := 0.0
		for _, c := range h.Children {
			w += need(c, level+1)
		}
		p.levels[level] = max(p.levels[level], p.textHeight(nfc(h.Text), w, true, headSize))
		return w
	}
	for _, h := range f.Header {
		need(h, 0)
	}
	for level, height := range spans {
		have := 0.0
		for _, l := range p.levels[level:] {
			have += l
		}
		if have < height {
			p.levels[depth-1] += height - have
		}
	}
	total := 0.0
	for _, l := range p.levels {
		total += l
	}
	if h := p.textHeight(nfc(f.UnitHeader), unit, true, headSize); total < h {
		p.levels[depth-1] += h - total
	}
}

func (p *pdfWriter) share(c *forms.Column) float64 {
	switch c.Measure {
	case forms.Text:
		return 3
	case forms.Money, forms.Area:
		return 1.5
	}
	return 1
}

// header draws the multi-level header and the MS row at p.y.
func (p *pdfWriter) header() {
	f := p.r.Form
	tops := make([]float64, len(p.levels)+1)
	tops[0] = p.y
	for i, l := range p.levels {
		tops[i+1] = tops[i] + l
	}
	bottom := tops[len(p.levels)]
	p.box(margin, p.y, p.widths[0], bottom-p.y, nfc(f.UnitHeader), true, headSize, gopdf.Center)
	x := margin + p.widths[0]
	var draw func(h *forms.HeaderNode, level int)
	draw = func(h *forms.HeaderNode, level int) {
		if h.Column != nil {
			w := p.widths[h.Column.No]
			p.box(x, tops[level], w, bottom-tops[level], nfc(h.Text), true, headSize, gopdf.Center)
			x += w
			return
		}
		start := x
		for _, c := range h.Children {
			draw(c, level+1)
		}
		p.box(start, tops[level], x-start, p.levels[level], nfc(h.Text), true, headSize, gopdf.Center)
	}
	for _, h := range f.Header {
		draw(h, 0)
	}
	p.y = bottom
	msH := cellSize*lineGap + 2*pad
	p.box(margin, p.y, p.widths[0], msH, "MS", false, cellSize, gopdf.Center)
	x = margin + p.widths[0]
	for _, c := range f.Columns {
		p.box(x, p.y, p.widths[c.No], msH, fmt.Sprint(c.No), false, cellSize, gopdf.Center)
		x += p.widths[c.No]
	}
	p.y += msH
}

func (p *pdfWriter) newPage(withHeader bool) {
	p.pdf.AddPage()
	p.y = margin
	if withHeader {
		p.header()
	}
}

// row draws one unit row or the total row, starting a new page when it
// would not fit.
func (p *pdfWriter) row(row forms.Row, total bool) {
	f := p.r.Form
	label := nfc(row.Unit.Name)
	if total {
		label = forms.TotalLabel
	}
	h := p.textHeight(label, p.widths[0], total, cellSize)
	for _, c := range f.Columns {
		h = max(h, p.textHeight(cellText(c, row), p.widths[c.No], total, cellSize))
	}
	if p.y+h > pageH-margin {
		p.newPage(true)
	}
	align := gopdf.Left
	if total {
		align = gopdf.Center
	}
	p.box(margin, p.y, p.widths[0], h, label, total, cellSize, align)
	x := margin + p.widths[0]
	for _, c := range f.Columns {
		a := gopdf.Right
		if c.Measure == forms.Text {
			a = gopdf.Left
		}
		p.box(x, p.y, p.widths[c.No], h, cellText(c, row), total, cellSize, a)
		x += p.widths[c.No]
	}
	p.y += h
}

// pageNumbers writes "Trang i/n" in the bottom right corner of every page.
func (p *pdfWriter) pageNumbers() {
	n := p.pdf.GetNumberOfPages()
	for i := 1; i <= n; i++ {
		p.do(p.pdf.SetPage(i))
		p.font(false, 7)
		s := fmt.Sprintf("%s — Trang %d/%d", p.r.Form.Code, i, n)
		p.pdf.SetXY(pageW-margin-p.width(s), pageH-margin/2-7)
		p.do(p.pdf.Cell(nil, s))
	}
}
