package auditlog

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// A bundle is a self-contained extract of a log that verifies offline: every event of a signed
// checkpoint's tree with its canonical bytes and place in the log, the checkpoint note and the
// verifier key. It comes as a tar or zip archive of
//
//	README.txt        how to check it by hand
//	verifier.key      the note verifier key
//	checkpoint.note   the signed checkpoint
//	events/NNNNNN.jsonl  BundleChunk events per file, one JSON object per line
//
// or as one JSON document {"format", "verifier_key", "checkpoint", "events": [...]}.
//
// A bundle is written in exactly one way for its content (no timestamps, no compression, fixed
// field order), and verification rewrites it from what it read and compares the bytes: a change
// anywhere in the file — even in padding or in the README — fails, not only a change to an event.

// BundleFormatID names the bundle layout.
const BundleFormatID = "civicase-audit-bundle/v1"

// BundleChunk is how many events one events/*.jsonl file of an archive holds.
const BundleChunk = 10000

// Format is a bundle's container.
type Format string

// The containers.
const (
	FormatTar  Format = "tar"
	FormatZip  Format = "zip"
	FormatJSON Format = "json"
)

// FormatOf picks the container from a file name's extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tar":
		return FormatTar, nil
	case ".zip":
		return FormatZip, nil
	case ".json":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("auditlog: bundle %q: the name must end in .tar, .zip or .json", path)
}

// BundleEvent is one event of a bundle.
type BundleEvent struct {
	// Leaf is the event's leaf index.
	Leaf int64 `json:"leaf"`
	// Seq is the stream sequence of the message holding the event.
	Seq uint64 `json:"seq"`
	// Index is the event's index in that message's commit.
	Index uint32 `json:"index"`
	// Envelope is the stored canonical envelope bytes (base64 in JSON).
	Envelope []byte `json:"envelope"`
	// Hash is the stored record hash, SHA-256 of Envelope.
	Hash []byte `json:"hash"`
}

const bundleReadme = `civicase audit bundle (` + BundleFormatID + `)

Check it with:  civicase audit verify --bundle <this file> --key '<verifier key you trust>'

By hand: every line of events/*.jsonl is one event, in log order. Its leaf is
  leaf data = uint64 big-endian seq || uint32 big-endian index || envelope
  leaf hash = SHA-256(0x00 || leaf data)
and the RFC 6962 tree over all leaves has the root hash of checkpoint.note, a C2SP
tlog-checkpoint signed with the key in verifier.key. Each envelope is a serialized
civicase.event.v1.Envelope; hash = SHA-256(envelope); prev_hash chains each aggregate's events.
`

var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// BundleWriter writes a bundle. Events must be added in leaf order from leaf 0.
type BundleWriter struct {
	format  Format
	w       io.Writer
	tw      *tar.Writer
	zw      *zip.Writer
	chunk   bytes.Buffer
	inChunk int
	chunks  int
	n       int64
	err     error
}

// NewBundleWriter starts a bundle of a checkpoint note and its verifier key.
func NewBundleWriter(w io.Writer, format Format, checkpointNote, verifierKey string) (*BundleWriter, error) {
	b := &BundleWriter{format: format, w: w}
	verifierKey = strings.TrimSpace(verifierKey) + "\n"
	switch format {
	case FormatJSON:
		head, err := json.Marshal(struct {
			Format      string `json:"format"`
			VerifierKey string `json:"verifier_key"`
			Checkpoint  string `json:"checkpoint"`
		}{BundleFormatID, verifierKey, checkpointNote})
		if err != nil {
			return nil, err
		}
		head = append(head[:len(head)-1], []byte(`,"events":[`)...)
		_, err = w.Write(head)
		return b, err
	case FormatTar:
		b.tw = tar.NewWriter(w)
	case FormatZip:
		b.zw = zip.NewWriter(w)
	default:
		return nil, fmt.Errorf("auditlog: unknown bundle format %q", format)
	}
	for _, f := range []struct{ name, text string }{{"README.txt", bundleReadme}, {"verifier.key", verifierKey}, {"checkpoint.note", checkpointNote}} {
		if err := b.file(f.name, []byte(f.text)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *BundleWriter) file(name string, data []byte) error {
	if b.tw != nil {
		if err := b.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: fixedTime, Format: tar.FormatUSTAR}); err != nil {
			return err
		}
		_, err := b.tw.Write(data)
		return err
	}
	f, err := b.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: fixedTime})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

// Add appends the next event.
func (b *BundleWriter) Add(ev BundleEvent) error {
	if b.err != nil {
		return b.err
	}
	if ev.Leaf != b.n {
		return fmt.Errorf("auditlog: bundle event for leaf %d, want %d", ev.Leaf, b.n)
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	b.n++
	if b.format == FormatJSON {
		sep := []byte(",\n")
		if ev.Leaf == 0 {
			sep = []byte("\n")
		}
		if _, err := b.w.Write(append(sep, line...)); err != nil {
			b.err = err
		}
		return b.err
	}
	b.chunk.Write(line)
	b.chunk.WriteByte('\n')
	b.inChunk++
	if b.inChunk == BundleChunk {
		b.err = b.flush()
	}
	return b.err
}

func (b *BundleWriter) flush() error {
	if b.inChunk == 0 {
		return nil
	}
	err := b.file(fmt.Sprintf("events/%06d.jsonl", b.chunks), b.chunk.Bytes())
	b.chunks++
	b.chunk.Reset()
	b.inChunk = 0
	return err
}

// Close finishes the bundle (it does not close the underlying writer).
func (b *BundleWriter) Close() error {
	if b.err != nil {
		return b.err
	}
	switch b.format {
	case FormatJSON:
		_, err := b.w.Write([]byte("\n]}\n"))
		return err
	case FormatTar:
		if err := b.flush(); err != nil {
			return err
		}
		return b.tw.Close()
	default:
		if err := b.flush(); err != nil {
			return err
		}
		return b.zw.Close()
	}
}

// Bundle is a bundle's header as read.
type Bundle struct {
	Format      Format
	VerifierKey string
	Checkpoint  string
}

// errBundle wraps what is wrong with a bundle file.
var errBundle = errors.New("malformed bundle")

// ReadBundle reads a bundle file, passing its events in order to fn, and returns its header.
// It also rewrites the bundle from what it read and fails unless the file is byte for byte that.
func ReadBundle(path string, fn func(h Bundle, ev BundleEvent) error) (Bundle, error) {
	format, err := FormatOf(path)
	if err != nil {
		return Bundle{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Bundle{}, err
	}
	defer f.Close()
	fileSum := sha256.New()
	size, err := io.Copy(fileSum, f)
	if err != nil {
		return Bundle{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Bundle{}, err
	}
	h := Bundle{Format: format}
	rewrite := sha256.New()
	var bw *BundleWriter
	each := func(ev BundleEvent) error {
		if bw == nil {
			if bw, err = NewBundleWriter(rewrite, format, h.Checkpoint, h.VerifierKey); err != nil {
				return err
			}
		}
		if err := bw.Add(ev); err != nil {
			return fmt.Errorf("%w: %v", errBundle, err)
		}
		return fn(h, ev)
	}
	switch format {
	case FormatJSON:
		err = readJSONBundle(f, &h, each)
	case FormatTar:
		err = readArchive(tarFiles(tar.NewReader(f)), &h, each)
	case FormatZip:
		zr, zerr := zip.NewReader(f, size)
		if zerr != nil {
			return h, fmt.Errorf("%w: %v", errBundle, zerr)
		}
		err = readArchive(zipFiles(zr), &h, each)
	}
	if err != nil {
		return h, err
	}
	if bw == nil {
		if bw, err = NewBundleWriter(rewrite, format, h.Checkpoint, h.VerifierKey); err != nil {
			return h, err
		}
	}
	if err := bw.Close(); err != nil {
		return h, err
	}
	if !bytes.Equal(rewrite.Sum(nil), fileSum.Sum(nil)) {
		return h, fmt.Errorf("%w: the file is not byte for byte the bundle of what it contains: something outside the events was altered", errBundle)
	}
	return h, nil
}

func readJSONBundle(r io.Reader, h *Bundle, each func(BundleEvent) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	dec.DisallowUnknownFields()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{errBundle}, args...)...)
	}
	expect := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil || t != want {
			return bad("want %q", want)
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return err
	}
	for _, key := range []string{"format", "verifier_key", "checkpoint"} {
		var v string
		if t, err := dec.Token(); err != nil || t != key {
			return bad("want field %q", key)
		}
		if err := dec.Decode(&v); err != nil {
			return bad("field %q: %v", key, err)
		}
		switch key {
		case "format":
			if v != BundleFormatID {
				return bad("format %q, want %q", v, BundleFormatID)
			}
		case "verifier_key":
			h.VerifierKey = v
		case "checkpoint":
			h.Checkpoint = v
		}
	}
	if t, err := dec.Token(); err != nil || t != "events" {
		return bad(`want field "events"`)
	}
	if err := expect('['); err != nil {
		return err
	}
	for dec.More() {
		var ev BundleEvent
		if err := dec.Decode(&ev); err != nil {
			return bad("event: %v", err)
		}
		if err := each(ev); err != nil {
			return err
		}
	}
	if err := expect(']'); err != nil {
		return err
	}
	return expect('}')
}

// archiveFile is one file of a tar or zip archive, in archive order.
type archiveFile struct {
	name string
	open func() (io.Reader, error)
}

func tarFiles(tr *tar.Reader) func(yield func(archiveFile, error) bool) {
	return func(yield func(archiveFile, error) bool) {
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(archiveFile{}, err)
				return
			}
			if !yield(archiveFile{name: hdr.Name, open: func() (io.Reader, error) { return tr, nil }}, nil) {
				return
			}
		}
	}
}

func zipFiles(zr *zip.Reader) func(yield func(archiveFile, error) bool) {
	return func(yield func(archiveFile, error) bool) {
		for _, f := range zr.File {
			open := func() (io.Reader, error) { return f.Open() }
			if !yield(archiveFile{name: f.Name, open: open}, nil) {
				return
			}
		}
	}
}

func readArchive(files func(yield func(archiveFile, error) bool), h *Bundle, each func(BundleEvent) error) error {
	i := 0
	for f, err := range files {
		if err != nil {
			return fmt.Errorf("%w: %v", errBundle, err)
		}
		r, err := f.open()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errBundle, f.name, err)
		}
		switch {
		case i == 0 && f.name == "README.txt":
		case i == 1 && f.name == "verifier.key", i == 2 && f.name == "checkpoint.note":
			b, err := io.ReadAll(io.LimitReader(r, 1<<16))
			if err != nil {
				return fmt.Errorf("%w: %s: %v", errBundle, f.name, err)
			}
			if i == 1 {
				h.VerifierKey = string(b)
			} else {
				h.Checkpoint = string(b)
			}
		case i >= 3 && f.name == fmt.Sprintf("events/%06d.jsonl", i-3):
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
			for sc.Scan() {
				var ev BundleEvent
				dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&ev); err != nil {
					return fmt.Errorf("%w: %s: %v", errBundle, f.name, err)
				}
				if err := each(ev); err != nil {
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("%w: %s: %v", errBundle, f.name, err)
			}
		default:
			return fmt.Errorf("%w: unexpected file %q at position %d", errBundle, f.name, i)
		}
		i++
	}
	if i < 3 {
		return fmt.Errorf("%w: README.txt, verifier.key and checkpoint.note are required", errBundle)
	}
	return nil
}

// BundleOptions refine VerifyBundle.
type BundleOptions struct {
	// VerifierKey is the key the auditor trusts; empty trusts the bundle's own (the report says so).
	VerifierKey string
	// Saved are checkpoints verified before.
	Saved []Checkpoint
}

// VerifyBundle checks a bundle with no server: the file's canonical form, the checkpoint's
// signature, every event's place in the log and its aggregate's hash chain, and the root of the
// tree over all events against the checkpoint.
func VerifyBundle(path string, o BundleOptions) (Report, Bundle, error) {
	v := NewVerifier()
	var cp Checkpoint
	var cpErr error
	opened := false
	var extra []Finding
	h, err := ReadBundle(path, func(h Bundle, ev BundleEvent) error {
		if !opened {
			opened = true
			cp, cpErr = openBundleCheckpoint(h, o.VerifierKey)
		}
		if ev.Leaf != v.Size() {
			return fmt.Errorf("%w: event for leaf %d where leaf %d belongs", errBundle, ev.Leaf, v.Size())
		}
		env := &eventv1.Envelope{}
		if err := proto.Unmarshal(ev.Envelope, env); err != nil {
			v.AddCorrupt(ev.Seq, fmt.Errorf("envelope of leaf %d: %v", ev.Leaf, err))
			return nil
		}
		return v.AddEvent(eventstore.StoredEvent{Envelope: env, Canonical: ev.Envelope, Hash: ev.Hash, Seq: ev.Seq, Index: int(ev.Index)})
	})
	if err != nil && !errors.Is(err, errBundle) {
		return Report{}, h, err
	}
	if err != nil {
		extra = append(extra, Finding{Kind: KindBundle, Leaf: -1, Detail: err.Error()})
	}
	if !opened {
		cp, cpErr = openBundleCheckpoint(h, o.VerifierKey)
	}
	if cpErr != nil {
		r := Report{Events: v.Size(), Findings: append(v.Findings(), append(extra, Finding{Kind: KindKey, Leaf: -1, Detail: cpErr.Error()})...)}
		return r, h, nil
	}
	r := v.Check(context.Background(), cp, CheckOptions{Saved: o.Saved})
	if v.Size() > cp.Size {
		r.Findings = append(r.Findings, Finding{Kind: KindExtra, Leaf: cp.Size, Detail: fmt.Sprintf("the bundle holds %d events but its checkpoint covers %d", v.Size(), cp.Size)})
	}
	r.Findings = append(r.Findings, extra...)
	return r, h, nil
}

func openBundleCheckpoint(h Bundle, pinned string) (Checkpoint, error) {
	key := strings.TrimSpace(h.VerifierKey)
	if pinned != "" && strings.TrimSpace(pinned) != key {
		return Checkpoint{}, fmt.Errorf("the bundle's verifier key %q is not the trusted key %q", key, strings.TrimSpace(pinned))
	}
	return Open([]byte(h.Checkpoint), key, KeyName(key))
}
