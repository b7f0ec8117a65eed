package seal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// BlindIndex is a keyed hash of a normalised personal value: equal values give equal indexes, so
// projections can find duplicate petitions (đơn trùng) without holding names or ID numbers. Only
// holders of the index key can compute one from a guess.
type BlindIndex [sha256.Size]byte

// String is the index in hex, as stored in projections.
func (b BlindIndex) String() string { return hex.EncodeToString(b[:]) }

// Indexer computes blind indexes with the key provider's index key.
//
// Names are low-entropy: anyone with the index key can confirm a guessed name against an index, so
// the index key is guarded like a KEK, and an index is personal data under pseudonym that a
// service deletes when it learns its subject was shredded.
type Indexer struct {
	key []byte
}

// NewIndexer fetches the index key from keys.
func NewIndexer(ctx context.Context, keys KeyProvider) (*Indexer, error) {
	k, err := keys.IndexKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("seal: index key: %w", err)
	}
	if len(k) < 32 {
		return nil, fmt.Errorf("seal: index key has %d bytes, want at least 32", len(k))
	}
	return &Indexer{key: k}, nil
}

// Name indexes a person's name as matched for duplicates: without diacritics, case or extra spaces
// (see NormalizeName). A name that normalises to nothing is refused, since anonymous petitions
// would otherwise all match each other.
func (ix *Indexer) Name(name string) (BlindIndex, error) {
	n := NormalizeName(name)
	if n == "" {
		return BlindIndex{}, fmt.Errorf("%w: empty name", ErrInvalid)
	}
	return ix.index("name", n), nil
}

// IDNumber indexes an identity number exactly (see NormalizeIDNumber).
func (ix *Indexer) IDNumber(id string) (BlindIndex, error) {
	n, err := NormalizeIDNumber(id)
	if err != nil {
		return BlindIndex{}, err
	}
	return ix.index("id_number", n), nil
}

// Matter indexes what a petition is about for duplicate matching: who or what is complained about
// or denounced, and the decision referred to, each folded by NormalizeMatter so that the same
// matter written with or without diacritics, in other case or with other punctuation
// ("QĐ số 123/QĐ-UBND" and "qd so 123 qd ubnd") gives the same index. A matter with neither part
// is refused: petitions that say nothing about their matter must not all match each other.
func (ix *Indexer) Matter(respondent, decisionReference string) (BlindIndex, error) {
	r, d := NormalizeMatter(respondent), NormalizeMatter(decisionReference)
	if r == "" && d == "" {
		return BlindIndex{}, fmt.Errorf("%w: empty matter", ErrInvalid)
	}
	// Length-prefix the respondent so that no split of the same text between the two parts gives
	// the same index.
	return ix.index("matter", strconv.Itoa(len(r))+":"+r+"\x00"+d), nil
}

// NormalizeMatter folds free text naming a matter: as NormalizeName, and every run of characters
// that are neither letters nor digits becomes one space.
func NormalizeMatter(s string) string {
	folded := NormalizeName(s)
	return strings.Join(strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// index is HMAC-SHA256 over the kind and the value; the kind keeps a name and an ID number that
// happen to be equal strings from sharing an index.
func (ix *Indexer) index(kind, value string) BlindIndex {
	m := hmac.New(sha256.New, ix.key)
	m.Write([]byte("civicase/seal/index/v1\x00"))
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var b BlindIndex
	m.Sum(b[:0])
	return b
}

// NormalizeName folds a name the way duplicates are matched: "Nguyễn" = "Nguyen" (DOMAIN.md,
// duplicate petitions). It decomposes (NFKD, which also folds full-width and other compatibility
// letters that some input methods produce), drops the combining marks (tones and vowel marks),
// maps đ/Đ (and the look-alike Ð) to d, lower-cases and collapses whitespace.
//
// The fold is deliberately lossy: names that differ only in tone marks or in d/đ ("Nguyễn Văn
// Dực" and "Nguyễn Văn Đức") match too. A name match is therefore only a candidate; duplicates
// are decided together with the ID number and the matter, and confirmed by an officer.
//
// It is one pass over the decomposed runes: the three-transformer chain it replaces allocated its
// buffers on every call, a visible share of a registration's CPU. blindindex_test holds the two equal.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	space := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r < utf8.RuneSelf:
			if asciiSpace(r) {
				space = true
				continue
			}
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		default:
			r = unicode.ToLower(foldD(r))
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// asciiSpace is unicode.IsSpace for ASCII.
func asciiSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func foldD(r rune) rune {
	switch r {
	case 'đ', 'Đ', 'Ð', 'ð':
		return 'd'
	}
	return r
}

// NormalizeIDNumber trims surrounding whitespace and requires the rest to be ASCII digits: identity
// numbers (CCCD 12 digits, CMND 9 digits) match exactly, leading zeros included.
func NormalizeIDNumber(id string) (string, error) {
	s := strings.TrimSpace(id)
	if s == "" {
		return "", fmt.Errorf("%w: empty ID number", ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("%w: ID number must be digits only", ErrInvalid)
		}
	}
	return s, nil
}
