package auditlog

import (
	"context"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/civicase/civicase/pkg/eventstore"
)

// Export reads a tenant's stream, verifies it against a signed checkpoint (note text, opened with
// verifierKey) and writes the bundle of the checkpoint's events to w. The report says whether the
// log verified; a bundle of a log that does not is written anyway and will not verify either.
func Export(ctx context.Context, js jetstream.JetStream, stream, checkpointNote, verifierKey string, w io.Writer, format Format, o LogOptions, co CheckOptions) (Report, error) {
	cp, err := Open([]byte(checkpointNote), verifierKey, "")
	if err != nil {
		return Report{}, err
	}
	bw, err := NewBundleWriter(w, format, checkpointNote, verifierKey)
	if err != nil {
		return Report{}, err
	}
	var leaf int64
	next := o.OnCommit
	o.OnCommit = func(c eventstore.Commit) error {
		for _, ev := range c.Events {
			if leaf < cp.Size {
				if err := bw.Add(BundleEvent{Leaf: leaf, Seq: c.Seq, Index: uint32(ev.Index), Envelope: ev.Canonical, Hash: ev.Hash}); err != nil {
					return err
				}
			}
			leaf++
		}
		if next != nil {
			return next(c)
		}
		return nil
	}
	v, err := VerifyLog(ctx, js, stream, o)
	if err != nil {
		return Report{}, err
	}
	if err := bw.Close(); err != nil {
		return Report{}, err
	}
	return v.Check(ctx, cp, co), nil
}
