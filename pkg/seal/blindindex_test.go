package seal_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/civicase/civicase/pkg/seal"
)

func TestNormalizeName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Nguyễn Văn Đức", "nguyen van duc"},
		{"NGUYỄN  Văn Đức", "nguyen van duc"},
		{"  nguyễn\tvăn\u00a0đức \n", "nguyen van duc"},
		{norm.NFD.String("Nguyễn Văn Đức"), "nguyen van duc"}, // decomposed input, as some keyboards send
		{"Trần Thị Lệ Quyên", "tran thi le quyen"},
		{"ĐẶNG THỊ ÁNH NGUYỆT", "dang thi anh nguyet"},
		{"Ðinh Bộ Lĩnh", "dinh bo linh"}, // U+00D0, the look-alike of Đ
		{"Ｎguyễn", "nguyen"},             // full-width letter
		{"", ""},
	} {
		if got := seal.NormalizeName(c.in); got != c.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// referenceNormalizeName is the first NormalizeName, a chain of x/text transformers. Blind indexes
// already in the log were computed with it, so the faster one must give the very same strings.
func referenceNormalizeName(name string) string {
	fold := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), runes.Map(func(r rune) rune {
		switch r {
		case 'đ', 'Đ', 'Ð', 'ð':
			return 'd'
		}
		return r
	}))
	s, _, err := transform.String(fold, name)
	if err != nil {
		s = name
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

var normalizeCorpus = []string{
	"Nguyễn Văn Đức", "NGUYỄN  Văn Đức", "  nguyễn\tvăn\u00a0đức \n", "Trần Thị Lệ Quyên", "ĐẶNG THỊ ÁNH NGUYỆT",
	"Ðinh Bộ Lĩnh", "Ｎguyễn", "", " ", "İstanbul", "ǅ ǈ ǋ", "Ⅻ ﬁ ㎏", "Σίσυφος ΟΔΥΣΣΕΥΣ", "Khiếu nại QĐ 123/QĐ-UBND ngày 01/02/2025",
	"ð Ð đ Đ", "a\u0300\u0301b", "\u3000x\u2003y\u205f", "UBND phường Kinh Dinh, thành phố Phan Rang–Tháp Chàm", "\xff\xfe invalid",
}

// The one-pass fold equals the transformer chain on Vietnamese names and on awkward input.
func TestNormalizeNameEqualsTheTransformerChain(t *testing.T) {
	for _, in := range normalizeCorpus {
		if got, want := seal.NormalizeName(in), referenceNormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, the chain gives %q", in, got, want)
		}
	}
}

func FuzzNormalizeNameEqualsTheTransformerChain(f *testing.F) {
	for _, in := range normalizeCorpus {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := seal.NormalizeName(in), referenceNormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, the chain gives %q", in, got, want)
		}
	})
}

func TestBlindIndexesMatchDuplicatesWithoutClearData(t *testing.T) {
	keys := seal.NewMemoryKeyProvider()
	ix, err := seal.NewIndexer(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	name := func(s string) seal.BlindIndex {
		t.Helper()
		b, err := ix.Name(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	id := func(s string) seal.BlindIndex {
		t.Helper()
		b, err := ix.IDNumber(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	if name("NGUYỄN  Văn Đức") != name("Nguyen Van Duc") {
		t.Error(`"NGUYỄN  Văn Đức" and "Nguyen Van Duc" index differently`)
	}
	// Documented consequence of matching without diacritics: names differing only in tone marks or
	// d/đ collide, so a name match is a candidate to confirm, never a verdict.
	if name("Nguyễn Văn Dực") != name("Nguyễn Văn Đức") {
		t.Error(`"Nguyễn Văn Dực" and "Nguyễn Văn Đức" index differently; the fold should merge them`)
	}
	if name("Nguyễn Văn Đức") == name("Nguyễn Văn Đạt") {
		t.Error("different names share an index")
	}

	if id("048203004567") != id(" 048203004567\t") {
		t.Error("surrounding whitespace changed an ID number's index")
	}
	if id("048203004567") == id("048203004568") {
		t.Error("different ID numbers share an index")
	}
	if id("048203004567") == id("48203004567") {
		t.Error("leading zero ignored: ID numbers must match exactly")
	}
	if id("123456789") == name("123456789") {
		t.Error("a name and an ID number with the same text share an index")
	}
	for _, bad := range []string{"", "   ", "0482 0300 4567", "04820300456A", "０４８２"} {
		if _, err := ix.IDNumber(bad); !errors.Is(err, seal.ErrInvalid) {
			t.Errorf("IDNumber(%q): %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := ix.Name(" \t "); !errors.Is(err, seal.ErrInvalid) {
		t.Errorf("empty name: %v, want ErrInvalid", err)
	}

	// Another deployment's index key gives unrelated indexes: they are useless without the key.
	ix2, _ := seal.NewIndexer(ctx, seal.NewMemoryKeyProvider())
	other, _ := ix2.Name("Nguyen Van Duc")
	if other == name("Nguyen Van Duc") {
		t.Error("indexes do not depend on the index key")
	}
	if s := name("Nguyen Van Duc").String(); len(s) != 64 {
		t.Errorf("String() = %q, want 64 hex digits", s)
	}
}
