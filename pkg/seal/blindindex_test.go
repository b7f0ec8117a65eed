package seal_test

import (
	"errors"
	"testing"

	"github.com/civicase/civicase/pkg/seal"
	"golang.org/x/text/unicode/norm"
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
