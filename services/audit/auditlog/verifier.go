package auditlog

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/eventstore"
)

// Kind is what a finding is about.
type Kind string

// The kinds of findings. Every one but KindPending fails a verification.
const (
	// KindChain: an aggregate's hash chain breaks (altered bytes, a missing or reordered event).
	KindChain Kind = "chain"
	// KindCorrupt: a message does not decode.
	KindCorrupt Kind = "corrupt"
	// KindGap: stream sequences are missing from the log.
	KindGap Kind = "gap"
	// KindOrder: events arrive out of log order.
	KindOrder Kind = "order"
	// KindMissing: the log holds fewer events than the checkpoint covers.
	KindMissing Kind = "missing"
	// KindExtra: a bundle holds more events than its checkpoint covers.
	KindExtra Kind = "extra"
	// KindRoot: the events do not reproduce the checkpoint's root.
	KindRoot Kind = "root"
	// KindLeaf: located — this leaf differs from the one in the checkpointed tree.
	KindLeaf Kind = "leaf"
	// KindInconsistent: a checkpoint verified before is not a prefix of the current tree.
	KindInconsistent Kind = "inconsistent"
	// KindRollback: the latest checkpoint is smaller than one verified before.
	KindRollback Kind = "rollback"
	// KindBundle: a bundle file is malformed or not in its canonical form.
	KindBundle Kind = "bundle"
	// KindKey: the checkpoint's signature or key is not the expected one.
	KindKey Kind = "key"
)

// Finding is one thing wrong, placed as exactly as the evidence allows.
type Finding struct {
	Kind Kind
	// Seq is the stream sequence concerned; 0 when the finding is not about one message.
	Seq uint64
	// Index is the event's index in its commit.
	Index uint32
	// Leaf is the leaf index concerned; -1 when none.
	Leaf int64
	// Aggregate and Version name the event when known.
	Aggregate eventstore.Aggregate
	Version   uint64
	// Detail says what is wrong.
	Detail string
}

func (f Finding) String() string {
	var at []string
	if f.Seq != 0 {
		at = append(at, fmt.Sprintf("stream sequence %d", f.Seq))
		if f.Index != 0 {
			at[len(at)-1] += fmt.Sprintf(" event %d", f.Index)
		}
	}
	if f.Aggregate.Type != "" {
		at = append(at, fmt.Sprintf("%s version %d", f.Aggregate, f.Version))
	}
	if f.Leaf >= 0 {
		at = append(at, fmt.Sprintf("leaf %d", f.Leaf))
	}
	where := ""
	if len(at) > 0 {
		where = " at " + strings.Join(at, ", ")
	}
	return fmt.Sprintf("%s%s: %s", f.Kind, where, f.Detail)
}

// EventInfo names an event.
type EventInfo struct {
	Aggregate eventstore.Aggregate
	Version   uint64
	EventID   string
}

// LeafRef is where a leaf's event is in the log.
type LeafRef struct {
	Seq   uint64
	Index uint32
}

// maxFindings bounds what one run collects: a wholesale rewrite is reported by its first breaks.
const maxFindings = 100

// Verifier checks a log event by event, in log order: sequence continuity, every aggregate's hash
// chain (eventstore.ChainVerifier) and the Merkle tree over all events, which Check then compares
// with a signed checkpoint. It keeps about 80 bytes per event.
type Verifier struct {
	chain    *eventstore.ChainVerifier
	tree     Tree
	refs     []LeafRef
	broken   map[eventstore.Aggregate]bool
	last     LeafRef
	commits  int64
	findings []Finding
	dropped  int
}

// NewVerifier returns a verifier expecting the log from stream sequence 1.
func NewVerifier() *Verifier {
	return &Verifier{chain: eventstore.NewChainVerifier(), broken: map[eventstore.Aggregate]bool{}}
}

func (v *Verifier) find(f Finding) {
	if len(v.findings) >= maxFindings {
		v.dropped++
		return
	}
	v.findings = append(v.findings, f)
}

// Findings found so far.
func (v *Verifier) Findings() []Finding { return slices.Clone(v.findings) }

// Size is how many events (leaves) the verifier has seen.
func (v *Verifier) Size() int64 { return v.tree.Size() }

// Tree is the tree built so far.
func (v *Verifier) Tree() *Tree { return &v.tree }

// Ref is where leaf i's event is in the log.
func (v *Verifier) Ref(i int64) LeafRef { return v.refs[i] }

// AddCommit checks the next message of the log.
func (v *Verifier) AddCommit(c eventstore.Commit) error { return v.addCommit(c, nil) }

// addCommit is AddCommit with the events' leaf hashes already computed (nil: compute them).
func (v *Verifier) addCommit(c eventstore.Commit, leaves []tlog.Hash) error {
	v.commits++
	for i, ev := range c.Events {
		ev.Seq = c.Seq
		if a := (eventstore.Aggregate{Type: ev.Envelope.GetAggregateType(), ID: ev.Envelope.GetAggregateId()}); a != c.Aggregate {
			// The subject is covered by neither the chain nor the tree, but a moved event is a lie.
			v.find(Finding{Kind: KindCorrupt, Seq: c.Seq, Index: uint32(ev.Index), Leaf: v.tree.Size(), Aggregate: a, Version: ev.Version(),
				Detail: fmt.Sprintf("stored under the subject of %s", c.Aggregate)})
		}
		var leaf *tlog.Hash
		if leaves != nil {
			leaf = &leaves[i]
		}
		if err := v.addEvent(ev, leaf); err != nil {
			return err
		}
	}
	return nil
}

// AddCorrupt records a message that does not decode. It adds no leaf, so every later leaf is out
// of place and the root comparison fails too.
func (v *Verifier) AddCorrupt(seq uint64, err error) {
	v.commits++
	v.sequence(LeafRef{Seq: seq})
	v.find(Finding{Kind: KindCorrupt, Seq: seq, Leaf: -1, Detail: err.Error()})
}

// sequence checks that ref follows the previous event in log order and records it as the last.
func (v *Verifier) sequence(ref LeafRef) {
	prev := v.last
	v.last = ref
	switch {
	case ref.Seq == prev.Seq+1 && ref.Index == 0:
	case prev.Seq != 0 && ref.Seq == prev.Seq && ref.Index == prev.Index+1:
	case ref.Seq > prev.Seq+1 && ref.Index == 0:
		what := fmt.Sprintf("stream sequence %d is missing", prev.Seq+1)
		if ref.Seq > prev.Seq+2 {
			what = fmt.Sprintf("stream sequences %d to %d are missing", prev.Seq+1, ref.Seq-1)
		}
		v.find(Finding{Kind: KindGap, Seq: prev.Seq + 1, Leaf: v.tree.Size(), Detail: what + " from the log"})
	default:
		v.find(Finding{Kind: KindOrder, Seq: ref.Seq, Index: ref.Index, Leaf: v.tree.Size(),
			Detail: fmt.Sprintf("comes after stream sequence %d event %d", prev.Seq, prev.Index)})
	}
}

// end records that the log should run to stream sequence last: messages missing after the last
// one read are a gap like any other.
func (v *Verifier) end(last uint64) {
	if v.last.Seq >= last {
		return
	}
	what := fmt.Sprintf("stream sequence %d is missing", v.last.Seq+1)
	if last > v.last.Seq+1 {
		what = fmt.Sprintf("stream sequences %d to %d are missing", v.last.Seq+1, last)
	}
	v.find(Finding{Kind: KindGap, Seq: v.last.Seq + 1, Leaf: v.tree.Size(), Detail: what + " from the end of the log"})
}

// AddEvent checks the next event in log order (ev.Seq and ev.Index set) and adds its leaf.
func (v *Verifier) AddEvent(ev eventstore.StoredEvent) error { return v.addEvent(ev, nil) }

func (v *Verifier) addEvent(ev eventstore.StoredEvent, leaf *tlog.Hash) error {
	ref := LeafRef{Seq: ev.Seq, Index: uint32(ev.Index)}
	v.sequence(ref)
	// The broken set is nearly always empty: skip hashing the aggregate's key a second time.
	if len(v.broken) == 0 || !v.broken[eventstore.Aggregate{Type: ev.Envelope.GetAggregateType(), ID: ev.Envelope.GetAggregateId()}] {
		if err := v.chain.Check(ev); err != nil {
			var ce *eventstore.ChainError
			if !errors.As(err, &ce) {
				return err
			}
			// One break is reported; the rest of that aggregate's chain would only echo it.
			v.broken[ce.Aggregate] = true
			v.find(Finding{Kind: KindChain, Seq: ce.Seq, Index: ref.Index, Leaf: v.tree.Size(), Aggregate: ce.Aggregate, Version: ce.Version, Detail: ce.Reason})
		}
	}
	v.refs = append(v.refs, ref)
	if leaf == nil {
		h := LeafHash(ev.Seq, ref.Index, ev.Canonical)
		leaf = &h
	}
	return v.tree.Append(*leaf)
}

// Prover is an audit service asked for proofs. Nothing it says is taken on trust: every proof is
// checked against the signed checkpoint.
type Prover interface {
	// ConsistencyProof proves the tree of old leaves a prefix of the tree of size leaves.
	ConsistencyProof(ctx context.Context, old, size int64) (tlog.TreeProof, error)
	// InclusionProof returns leaf i of the tree of size leaves and its proof.
	InclusionProof(ctx context.Context, i, size int64) (ProvenLeaf, tlog.RecordProof, error)
}

// ProvenLeaf is a leaf as the audit service describes it.
type ProvenLeaf struct {
	Ref     LeafRef
	EventID string
	Hash    tlog.Hash
}

// CheckOptions refine Check.
type CheckOptions struct {
	// Saved are checkpoints verified on earlier runs; each must be a prefix of the current tree.
	Saved []Checkpoint
	// Prover, when set, locates the first event that differs from the checkpointed tree.
	Prover Prover
	// Describe names an event by its place in the log, for findings located by leaf; nil leaves
	// the names out.
	Describe func(ctx context.Context, ref LeafRef) (EventInfo, error)
}

// Report is the outcome of a verification.
type Report struct {
	// Commits and Events read; Aggregates whose chains were checked.
	Commits, Events int64
	Aggregates      int
	// Checkpoint compared against.
	Checkpoint Checkpoint
	// Root of the log's first Checkpoint.Size events, when it has that many.
	Root tlog.Hash
	// Consistent are the sizes of saved checkpoints proven to be prefixes of the current tree.
	Consistent []int64
	// Findings, empty when the log verifies.
	Findings []Finding
	// Dropped counts findings not kept (beyond the first hundred).
	Dropped int
}

// OK tells whether nothing was found wrong.
func (r Report) OK() bool { return len(r.Findings) == 0 }

// Err is nil when the report is clean, or an error naming the first finding.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("verification failed (%d findings): %s", len(r.Findings)+r.Dropped, r.Findings[0])
}

// Check compares what the verifier has seen with a checkpoint whose signature the caller checked,
// and with the checkpoints verified on earlier runs.
func (v *Verifier) Check(ctx context.Context, cp Checkpoint, o CheckOptions) Report {
	r := Report{Commits: v.commits, Events: v.tree.Size(), Aggregates: v.chain.Aggregates(), Checkpoint: cp}
	add := func(f Finding) { r.Findings = append(r.Findings, f) }
	n, m := cp.Size, v.tree.Size()
	rootOK := n <= m
	if n <= m && n > 0 {
		root, err := v.tree.Root(n)
		if err != nil {
			add(Finding{Kind: KindRoot, Leaf: -1, Detail: err.Error()})
		}
		r.Root = root
		rootOK = err == nil && root == cp.Root
	}
	if !rootOK {
		located := false
		if o.Prover != nil {
			f, err := v.locate(ctx, cp, o)
			if err != nil {
				add(Finding{Kind: KindRoot, Leaf: -1, Detail: "could not locate the first wrong event: " + err.Error()})
			} else {
				add(f)
				located = true
			}
		}
		if !located {
			if n > m {
				add(Finding{Kind: KindMissing, Leaf: m, Detail: fmt.Sprintf("the checkpoint covers %d events but the log holds only %d", n, m)})
			} else {
				add(Finding{Kind: KindRoot, Leaf: -1, Detail: fmt.Sprintf("the log's first %d events hash to %s, the checkpoint says %s (an audit service's proofs would locate the first wrong event)",
					n, b64(r.Root), b64(cp.Root))})
			}
		}
	}
	saved := slices.Clone(o.Saved)
	slices.SortFunc(saved, func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	for _, s := range saved {
		if s.Size == 0 || s.Origin != cp.Origin {
			continue
		}
		if s.Size > n {
			add(Finding{Kind: KindRollback, Leaf: -1, Detail: fmt.Sprintf("the latest checkpoint (size %d) is smaller than the checkpoint of size %d verified before", n, s.Size)})
			if s.Size <= m {
				if root, _ := v.tree.Root(s.Size); root != s.Root {
					add(Finding{Kind: KindInconsistent, Leaf: -1, Detail: fmt.Sprintf("the log's first %d events no longer hash to the root verified before", s.Size)})
				}
			}
			continue
		}
		if n > m {
			continue // the log is short of the new checkpoint: already reported
		}
		p, err := v.tree.ProveTree(n, s.Size)
		if err == nil {
			err = tlog.CheckTree(p, n, cp.Root, s.Size, s.Root)
		}
		if err != nil {
			add(Finding{Kind: KindInconsistent, Leaf: -1, Detail: fmt.Sprintf("the checkpoint of size %d verified before is not a prefix of the checkpoint of size %d: history before leaf %d was changed (%v)", s.Size, n, s.Size, err)})
			continue
		}
		r.Consistent = append(r.Consistent, s.Size)
	}
	r.Findings = append(v.Findings(), r.Findings...)
	r.Dropped = v.dropped
	return r
}

// locate finds the first leaf where the log departs from the checkpointed tree, by binary search
// over prefix sizes: the first k local leaves are intact exactly when the server's consistency
// proof from k to the checkpoint checks against the locally computed root of k leaves. A lying
// server can only make intact prefixes look broken, never the reverse; the final inclusion proof
// of the server's leaf catches that too.
func (v *Verifier) locate(ctx context.Context, cp Checkpoint, o CheckOptions) (Finding, error) {
	n, m := cp.Size, v.tree.Size()
	intact := func(k int64) (bool, error) {
		if k == 0 {
			return true, nil
		}
		root, err := v.tree.Root(k)
		if err != nil {
			return false, err
		}
		if k == n {
			return root == cp.Root, nil
		}
		p, err := o.Prover.ConsistencyProof(ctx, k, n)
		if err != nil {
			return false, err
		}
		return tlog.CheckTree(p, n, cp.Root, k, root) == nil, nil
	}
	lo, hi := int64(0), min(m, n)
	ok, err := intact(hi)
	if err != nil {
		return Finding{}, err
	}
	if ok {
		lo = hi
	} else {
		for hi-lo > 1 { // intact(lo) && !intact(hi)
			mid := lo + (hi-lo)/2
			ok, err := intact(mid)
			if err != nil {
				return Finding{}, err
			}
			if ok {
				lo = mid
			} else {
				hi = mid
			}
		}
	}
	bad := lo // the first leaf not in an intact prefix
	want, proof, err := o.Prover.InclusionProof(ctx, bad, n)
	if err != nil {
		return Finding{}, err
	}
	if err := tlog.CheckRecord(proof, n, cp.Root, bad, want.Hash); err != nil {
		return Finding{}, fmt.Errorf("the audit service's leaf %d does not check against the checkpoint: %v", bad, err)
	}
	expected := fmt.Sprintf("stream sequence %d event %d (event id %s)", want.Ref.Seq, want.Ref.Index, want.EventID)
	if bad == m {
		f := Finding{Kind: KindMissing, Leaf: bad, Seq: want.Ref.Seq, Index: want.Ref.Index,
			Detail: fmt.Sprintf("the log ends after %d events but the checkpoint covers %d; the first missing event is %s", m, n, expected)}
		return f, nil
	}
	if v.tree.Leaf(bad) == want.Hash {
		return Finding{}, fmt.Errorf("the audit service's proofs contradict each other at leaf %d", bad)
	}
	ref := v.refs[bad]
	f := Finding{Kind: KindLeaf, Leaf: bad, Seq: ref.Seq, Index: ref.Index,
		Detail: fmt.Sprintf("the log's event here differs from the checkpointed tree, which holds %s at this leaf", expected)}
	if o.Describe != nil {
		if info, err := o.Describe(ctx, ref); err == nil {
			f.Aggregate, f.Version = info.Aggregate, info.Version
			switch {
			case info.EventID == want.EventID && ref == want.Ref:
				f.Detail = fmt.Sprintf("the event's bytes differ from those the checkpoint covers (event id %s)", want.EventID)
			case info.EventID == want.EventID:
				f.Detail = fmt.Sprintf("the event (id %s) has moved: the checkpointed tree holds it at stream sequence %d event %d",
					want.EventID, want.Ref.Seq, want.Ref.Index)
			default:
				f.Detail = fmt.Sprintf("the log holds event %s here, the checkpointed tree holds %s: an event is missing, added or out of order",
					info.EventID, expected)
			}
		}
	}
	return f, nil
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
