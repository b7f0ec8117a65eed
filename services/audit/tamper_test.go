package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// The history appendHistory(…, "p", 4, 4) writes: commit i (stream sequence i+1) is step i/4 of
// petition p<i%4>; steps where (aggregate+step)%3 == 0 hold two events.
const (
	lastOfP1   = 13 // step 3 of p1: one event, the last of its aggregate
	lastOfP2   = 14 // step 3 of p2: one event
	middleOfP1 = 5  // step 1 of p1: later steps of p1 follow
)

func has(r auditlog.Report, kind auditlog.Kind, seq uint64, agg string, version uint64) bool {
	return slices.ContainsFunc(r.Findings, func(f auditlog.Finding) bool {
		return f.Kind == kind && f.Seq == seq && (agg == "" || f.Aggregate.String() == agg && f.Version == version)
	})
}

func TestTamperedCopiesOfTheLogFailNamingThePosition(t *testing.T) {
	d := start(t)
	n := appendHistory(t, d.store, "p", 4, 4)
	d.waitSequenced(t, int64(n))
	cp, _ := d.publish(t)
	nc := d.env.NATS.Conn

	t.Run("untouched copy verifies", func(t *testing.T) {
		r := d.verifyCopy(t, copyLog(t, nc, d.store, "clean", nil, nil), cp)
		if !r.OK() || r.Events != int64(n) {
			t.Fatalf("%v", r.Err())
		}
	})

	t.Run("one byte of a payload altered", func(t *testing.T) {
		c := copyLog(t, nc, d.store, "altered", nil, func(i int, _ eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record {
			if i == middleOfP1 {
				flipIn(t, recs[0].Envelope, "p1 step 1")
			}
			return recs
		})
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		if !has(r, auditlog.KindChain, middleOfP1+1, "petition/p1", 2) || !has(r, auditlog.KindLeaf, middleOfP1+1, "petition/p1", 2) {
			t.Fatalf("want the chain break and the leaf at stream sequence %d, petition/p1 version 2: %v", middleOfP1+1, r.Findings)
		}
	})

	t.Run("one byte altered and its record hash recomputed", func(t *testing.T) {
		// The last event of an aggregate: no later prev_hash betrays it, only the tree does.
		c := copyLog(t, nc, d.store, "rehashed", nil, func(i int, _ eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record {
			if i == lastOfP1 {
				flipIn(t, recs[0].Envelope, "p1 step 3")
				sum := sha256.Sum256(recs[0].Envelope)
				recs[0].Hash = sum[:]
			}
			return recs
		})
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		if len(r.Findings) != 1 || !has(r, auditlog.KindLeaf, lastOfP1+1, "petition/p1", 5) || !strings.Contains(r.Findings[0].Detail, "bytes differ") {
			t.Fatalf("want exactly the leaf at stream sequence %d, petition/p1 version 5: %v", lastOfP1+1, r.Findings)
		}
	})

	t.Run("the last message of an aggregate left out", func(t *testing.T) {
		c := copyLog(t, nc, d.store, "removed", nil, func(i int, _ eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record {
			if i == lastOfP1 {
				return nil
			}
			return recs
		})
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		// Every chain is intact; the tree names the sequence where the log departs from it.
		if slices.ContainsFunc(r.Findings, func(f auditlog.Finding) bool { return f.Kind == auditlog.KindChain }) ||
			!has(r, auditlog.KindLeaf, lastOfP1+1, "petition/p2", 5) || !strings.Contains(r.Findings[0].Detail, fmt.Sprintf("stream sequence %d", lastOfP1+1)) {
			t.Fatalf("want the leaf at stream sequence %d: %v", lastOfP1+1, r.Findings)
		}
	})

	t.Run("a message in the middle of an aggregate left out", func(t *testing.T) {
		c := copyLog(t, nc, d.store, "gap", nil, func(i int, _ eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record {
			if i == middleOfP1 {
				return nil
			}
			return recs
		})
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		// p1's version 3 now follows version 1 (at the copy's renumbered sequence 9).
		if !has(r, auditlog.KindChain, 9, "petition/p1", 3) || !has(r, auditlog.KindLeaf, middleOfP1+1, "", 0) {
			t.Fatalf("want the chain break at petition/p1 version 3 and the leaf at sequence %d: %v", middleOfP1+1, r.Findings)
		}
	})

	t.Run("the tail of the log left out", func(t *testing.T) {
		var total int
		_ = d.store.Read(context.Background(), eventstore.ReadOptions{}, func(eventstore.Commit) error { total++; return nil })
		c := copyLog(t, nc, d.store, "short", nil, func(i int, _ eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record {
			if i == total-1 {
				return nil
			}
			return recs
		})
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		if !has(r, auditlog.KindMissing, uint64(total), "", 0) {
			t.Fatalf("want the missing event at stream sequence %d: %v", total, r.Findings)
		}
	})

	t.Run("two messages swapped", func(t *testing.T) {
		c := copyLog(t, nc, d.store, "swapped", func(order []int) {
			order[lastOfP1], order[lastOfP2] = order[lastOfP2], order[lastOfP1]
		}, nil)
		r := d.verifyCopy(t, c, cp)
		t.Log(r.Findings)
		// Different aggregates: both chains hold; the sequences inside the leaves do not.
		if len(r.Findings) != 1 || !has(r, auditlog.KindLeaf, lastOfP1+1, "petition/p2", 5) || !strings.Contains(r.Findings[0].Detail, "out of order") {
			t.Fatalf("want the leaf at stream sequence %d (now petition/p2 version 5): %v", lastOfP1+1, r.Findings)
		}
	})
}

func flipIn(t *testing.T, b []byte, text string) {
	t.Helper()
	i := bytes.Index(b, []byte(text))
	if i < 0 {
		t.Fatalf("%q not in the envelope", text)
	}
	b[i+len(text)-1] ^= 0x01
}

const (
	helperBundleEnv = "CIVICASE_AUDIT_TEST_BUNDLE"
	helperKeyEnv    = "CIVICASE_AUDIT_TEST_KEY"
)

func bundleHelperPath() string { return os.Getenv(helperBundleEnv) }

// runBundleHelper is the test binary re-executed as an offline verifier: no NATS, no PostgreSQL,
// nothing but the bundle file and the key.
func runBundleHelper(path string) {
	r, h, err := auditlog.VerifyBundle(path, auditlog.BundleOptions{VerifierKey: os.Getenv(helperKeyEnv)})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Printf("%s bundle, %d events, checkpoint %s\n", h.Format, r.Events, r.Checkpoint)
	for _, f := range r.Findings {
		fmt.Println("FINDING", f)
	}
	if !r.OK() {
		os.Exit(1)
	}
	fmt.Println("VERIFIED")
	os.Exit(0)
}

func verifyOffline(t *testing.T, path, key string) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{helperBundleEnv + "=" + path, helperKeyEnv + "=" + key, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	return string(out), err == nil && strings.Contains(string(out), "VERIFIED")
}

func TestBundleVerifiesOfflineAndAnyAlteredByteFails(t *testing.T) {
	ctx := context.Background()
	d := start(t)
	n := appendHistory(t, d.store, "p", 3, 3)
	d.waitSequenced(t, int64(n))
	_, noteText := d.publish(t)
	// Events after the checkpoint stay out of the bundle.
	appendHistory(t, d.store, "late", 1, 1)

	for _, format := range []auditlog.Format{auditlog.FormatTar, auditlog.FormatZip, auditlog.FormatJSON} {
		t.Run(string(format), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bundle."+string(format))
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := auditlog.Export(ctx, d.store.JetStream(), d.store.Stream(), noteText, d.vkey, f, format, auditlog.LogOptions{}, auditlog.CheckOptions{})
			if err != nil || !r.OK() {
				t.Fatalf("export: %v %v", err, r.Err())
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if out, ok := verifyOffline(t, path, d.vkey); !ok || !strings.Contains(out, fmt.Sprintf("%d events", n)) {
				t.Fatalf("clean bundle in a fresh process:\n%s", out)
			}
			_, other, _ := auditlog.GenerateKey("civicase.test")
			if out, ok := verifyOffline(t, path, other); ok || !strings.Contains(out, "FINDING key") {
				t.Fatalf("bundle verified against another key:\n%s", out)
			}

			orig, _ := os.ReadFile(path)
			flipped := filepath.Join(t.TempDir(), "flipped."+string(format))
			flipAt := func(i int) {
				b := bytes.Clone(orig)
				b[i] ^= 0x01
				if err := os.WriteFile(flipped, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// One byte inside an event's envelope, checked by a fresh process.
			i := bytes.Index(orig, []byte(`"envelope":"`)) + len(`"envelope":"`) + 40
			flipAt(i)
			if out, ok := verifyOffline(t, flipped, d.vkey); ok || !strings.Contains(out, "FINDING") {
				t.Fatalf("flipped byte %d verified:\n%s", i, out)
			}
			// And any byte of the file at all, in headers, padding and README included.
			for i := 0; i < len(orig); i += 1 + i%61 {
				flipAt(i)
				r, _, err := auditlog.VerifyBundle(flipped, auditlog.BundleOptions{VerifierKey: d.vkey})
				if err == nil && r.OK() {
					t.Fatalf("flipping byte %d of %d went unnoticed", i, len(orig))
				}
			}
		})
	}
}
