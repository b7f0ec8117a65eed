package app

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/civicase/civicase/pkg/apperr"
)

// Default and largest page sizes of the lists.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// page reads a page request: its token is opaque to clients (base64 of "v1|<offset>").
func page(size int, token string) (Page, error) {
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	if token == "" {
		return Page{Limit: size}, nil
	}
	bad := apperr.Invalid("page.page_token", "is not a token this service gave out")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Page{}, bad
	}
	rest, ok := strings.CutPrefix(string(raw), "v1|")
	if !ok {
		return Page{}, bad
	}
	off, err := strconv.Atoi(rest)
	if err != nil || off < 0 {
		return Page{}, bad
	}
	return Page{Offset: off, Limit: size}, nil
}

// next is the token of the page after p, or "" when there is none.
func (p Page) next(more bool) string {
	if !more {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + strconv.Itoa(p.Offset+p.Limit)))
}

// slice cuts one page out of a list computed in full.
func slice[T any](all []T, p Page) ([]T, bool) {
	if p.Offset >= len(all) {
		return nil, false
	}
	end := min(len(all), p.Offset+p.Limit)
	return all[p.Offset:end], end < len(all)
}
