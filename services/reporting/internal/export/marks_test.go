package export

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/signintech/gopdf"
	"golang.org/x/text/unicode/norm"
)

// vietnameseLetters are every letter with a Vietnamese mark: Latin Extended
// Additional U+1EA0–U+1EF9 plus those already in Latin-1 and Latin Extended-A.
// đ and Đ are left out: they are drawn as one glyph, not a letter and a mark,
// and at this size their bar may ink no more than the bowl it crosses.
func vietnameseLetters() []rune {
	rs := []rune("ăâêôơưĂÂÊÔƠƯàáãèéìíòóõùúýÀÁÃÈÉÌÍÒÓÕÙÚÝĩũĨŨ")
	for r := rune(0x1EA0); r <= 0x1EF9; r++ {
		rs = append(rs, r)
	}
	return rs
}

// base is the letter without its marks; for i it is the dotless ı, since
// ì í ỉ ĩ replace the dot rather than add to it.
func base(r rune) rune {
	b := []rune(norm.NFD.String(string(r)))[0]
	if b == 'i' {
		return 'ı'
	}
	return b
}

// pdftotext reads the text layer, which stays right even when a glyph is
// drawn without its marks; this test looks at the pixels instead. Each
// letter gets its own document, since the font subset of one letter can
// carry a mark glyph another letter lacks: page 1 draws the letter, page 2
// its bare base letter, pages 3 and 4 the same in bold. A letter that inks
// no more than its base lost its mark.
func TestPDFDrawsEveryVietnameseMark(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	dir := t.TempDir()
	for i, r := range vietnameseLetters() {
		var pdf gopdf.GoPdf
		pdf.Start(gopdf.Config{PageSize: gopdf.Rect{W: 48, H: 48}})
		if err := addFonts(&pdf); err != nil {
			t.Fatal(err)
		}
		for _, style := range []string{"", "B"} {
			for _, glyph := range []rune{r, base(r)} {
				pdf.AddPage()
				if err := pdf.SetFont(fontFamily, style, 28); err != nil {
					t.Fatal(err)
				}
				pdf.SetXY(12, 8)
				if err := pdf.Cell(nil, string(glyph)); err != nil {
					t.Fatal(err)
				}
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.pdf", i))
		if err := pdf.WritePdf(path); err != nil {
			t.Fatal(err)
		}
		prefix := filepath.Join(dir, fmt.Sprint(i))
		if out, err := exec.Command("pdftoppm", "-png", "-gray", "-r", "72", path, prefix).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		var ink [4]int
		for page := range ink {
			ink[page] = inkOf(t, fmt.Sprintf("%s-%d.png", prefix, page+1))
		}
		for s, style := range []string{"regular", "bold"} {
			if marked, bare := ink[2*s], ink[2*s+1]; bare == 0 || marked <= bare {
				t.Errorf("%s: %c (U+%04X) inks %d pixels, its base %c %d: the mark is not drawn",
					style, r, r, marked, base(r), bare)
			}
		}
	}
}

// inkOf counts the dark pixels of a rendered page.
func inkOf(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				n++
			}
		}
	}
	return n
}
