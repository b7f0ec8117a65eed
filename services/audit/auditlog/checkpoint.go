package auditlog

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrCheckpoint means a checkpoint does not parse, is not signed by the expected key, or is for
// another log.
var ErrCheckpoint = errors.New("auditlog: bad checkpoint")

// Checkpoint is a signed tree head: the log it is for, how many leaves the tree holds, and its root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Origin is the checkpoint origin line of a tenant's log.
func Origin(tenant string) string { return "civicase." + tenant }

// Body is the C2SP tlog-checkpoint text that is signed.
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseBody parses a C2SP checkpoint body. Extension lines after the root hash are allowed by the
// format and ignored; the signature covers them anyway.
func ParseBody(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("%w: want origin, size and root hash lines", ErrCheckpoint)
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	sizeText := strings.TrimSuffix(lines[1], "\n")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeText {
		return Checkpoint{}, fmt.Errorf("%w: tree size %q", ErrCheckpoint, sizeText)
	}
	root, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: root hash %q", ErrCheckpoint, strings.TrimSuffix(lines[2], "\n"))
	}
	if origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrCheckpoint)
	}
	c := Checkpoint{Origin: origin, Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// GenerateKey makes an Ed25519 note signing key and its verifier key, named like the origin.
func GenerateKey(origin string) (signerKey, verifierKey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// Sign signs a checkpoint as a note.
func Sign(c Checkpoint, signerKey string) (string, error) {
	s, err := note.NewSigner(signerKey)
	if err != nil {
		return "", fmt.Errorf("auditlog: signing key: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: c.Body()}, s)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// Open checks a signed checkpoint note with the verifier key and parses it. origin, when not
// empty, must be the checkpoint's origin: a checkpoint of another log proves nothing about this one.
func Open(signed []byte, verifierKey, origin string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %v", ErrCheckpoint, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: signature: %v", ErrCheckpoint, err)
	}
	c, err := ParseBody(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if origin != "" && c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, want %q", ErrCheckpoint, c.Origin, origin)
	}
	return c, nil
}

// KeyName is the name in a verifier key ("<name>+<hash>+<key>").
func KeyName(verifierKey string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(verifierKey), "+")
	return name
}
