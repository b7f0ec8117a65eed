// Package auditcli is `civicase audit`: the auditor's tools. verify re-reads a tenant's whole log
// from JetStream and checks it against the latest signed checkpoint and against the checkpoints
// the auditor saved on earlier runs; export writes a bundle that verify --bundle checks offline;
// history shows a case's timeline with every event proven against the latest checkpoint.
//
// Nothing the deployment says is trusted beyond what a signature or a proof establishes: the log's
// bytes come straight from JetStream, the checkpoint is checked with a verifier key the auditor
// pins (--key, or the one saved in the checkpoints directory on the first run), and the audit
// service is only asked for proofs, each checked against the signed root.
//
// `replay --until` (rebuilding reports as of a past point of the log) belongs with the reporting
// service and is not here yet.
package auditcli

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// TokenEnv is the environment variable the bearer token for the audit API is read from.
const TokenEnv = "CIVICASE_TOKEN"

// Options are the flags the audit commands share.
type Options struct {
	// NATSURL and Tenant locate the log.
	NATSURL string
	Tenant  string
	// Audit is the audit service's gRPC address; Token its bearer token; TLS dials with TLS.
	Audit string
	Token string
	TLS   bool
	// Key is the verifier key the auditor trusts (the key itself or a file holding it).
	Key string
	// Checkpoints is the directory of checkpoints verified on earlier runs (and the pinned key).
	Checkpoints string
	// Checkpoint is a file holding the signed checkpoint to verify against, instead of asking the
	// audit service for its latest.
	Checkpoint string
	// Bundle is a bundle file to verify offline.
	Bundle string
	// Out receives the report; Progress the progress bar (nil: none).
	Out      io.Writer
	Progress io.Writer
}

// ErrFailed means verification found something wrong; the report names it.
var ErrFailed = errors.New("verification failed")

func (o Options) origin() string { return auditlog.Origin(o.Tenant) }

// pinnedKey is the verifier key from --key or saved in the checkpoints directory; "" for none.
func (o Options) pinnedKey(origin string) (string, string, error) {
	if o.Key != "" {
		if b, err := os.ReadFile(o.Key); err == nil {
			return strings.TrimSpace(string(b)), "--key file " + o.Key, nil
		}
		return strings.TrimSpace(o.Key), "--key", nil
	}
	if o.Checkpoints != "" && origin != "" {
		b, err := os.ReadFile(filepath.Join(o.Checkpoints, origin+".vkey"))
		if err == nil {
			return strings.TrimSpace(string(b)), "pinned in " + o.Checkpoints, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
	}
	return "", "", nil
}

func (o Options) dial() (*grpc.ClientConn, auditv1.AuditServiceClient, error) {
	if o.Audit == "" {
		return nil, nil, fmt.Errorf("--audit (the audit service's address) is required")
	}
	token := o.Token
	if token == "" {
		token = os.Getenv(TokenEnv)
	}
	creds := insecure.NewCredentials()
	if o.TLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.StaticToken(token, !o.TLS)))
	}
	conn, err := grpc.NewClient(o.Audit, opts...)
	if err != nil {
		return nil, nil, err
	}
	return conn, auditv1.NewAuditServiceClient(conn), nil
}

// checkpoint fetches (or reads) the checkpoint to verify against and opens it with the pinned
// key; with no pinned key it takes the service's and, when there is a checkpoints directory,
// pins it there for the next runs.
func (o Options) checkpoint(ctx context.Context, client auditv1.AuditServiceClient) (auditlog.Checkpoint, string, string, error) {
	origin := o.origin()
	key, from, err := o.pinnedKey(origin)
	if err != nil {
		return auditlog.Checkpoint{}, "", "", err
	}
	var note string
	if o.Checkpoint != "" {
		b, err := os.ReadFile(o.Checkpoint)
		if err != nil {
			return auditlog.Checkpoint{}, "", "", err
		}
		note = string(b)
		if key == "" {
			return auditlog.Checkpoint{}, "", "", fmt.Errorf("--checkpoint needs a verifier key (--key or one pinned in --checkpoints)")
		}
	} else {
		if client == nil {
			return auditlog.Checkpoint{}, "", "", fmt.Errorf("give --audit to fetch the latest checkpoint, or --checkpoint FILE")
		}
		var served string
		_, note, served, err = auditlog.LatestCheckpoint(ctx, client, key, origin)
		if err != nil {
			return auditlog.Checkpoint{}, "", "", err
		}
		if key == "" {
			key = served
			fmt.Fprintf(o.Out, "WARNING: no pinned verifier key; trusting the audit service's key %s\n", key)
			if o.Checkpoints != "" {
				if err := os.MkdirAll(o.Checkpoints, 0o755); err != nil {
					return auditlog.Checkpoint{}, "", "", err
				}
				if err := os.WriteFile(filepath.Join(o.Checkpoints, origin+".vkey"), []byte(key+"\n"), 0o644); err != nil {
					return auditlog.Checkpoint{}, "", "", err
				}
				fmt.Fprintf(o.Out, "pinned it in %s for the next runs: compare it with the key the deployment publishes\n", o.Checkpoints)
			}
			from = "served by the audit service"
		}
	}
	cp, err := auditlog.Open([]byte(note), key, origin)
	if err != nil {
		return auditlog.Checkpoint{}, "", "", err
	}
	fmt.Fprintf(o.Out, "checkpoint: %s\nverifier key (%s): %s\n", cp, from, key)
	return cp, note, key, nil
}

// saved loads the checkpoints verified on earlier runs, each opened with the key.
func (o Options) saved(origin, key string) ([]auditlog.Checkpoint, error) {
	if o.Checkpoints == "" {
		return nil, nil
	}
	paths, err := filepath.Glob(filepath.Join(o.Checkpoints, origin+".*.note"))
	if err != nil {
		return nil, err
	}
	var out []auditlog.Checkpoint
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cp, err := auditlog.Open(b, key, origin)
		if err != nil {
			return nil, fmt.Errorf("saved checkpoint %s: %w", p, err)
		}
		out = append(out, cp)
	}
	return out, nil
}

// save stores a verified checkpoint note for the next runs.
func (o Options) save(cp auditlog.Checkpoint, note string) error {
	if o.Checkpoints == "" {
		return nil
	}
	if err := os.MkdirAll(o.Checkpoints, 0o755); err != nil {
		return err
	}
	name := filepath.Join(o.Checkpoints, fmt.Sprintf("%s.%012d.note", cp.Origin, cp.Size))
	return os.WriteFile(name, []byte(note), 0o644)
}

func (o Options) progress(what string) func(done, total uint64) {
	if o.Progress == nil {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total uint64) {
		if bar == nil {
			bar = progressbar.NewOptions64(int64(total),
				progressbar.OptionSetWriter(o.Progress),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("msg"),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = bar.Set64(int64(done))
		if done == total {
			_ = bar.Finish()
		}
	}
}

func report(w io.Writer, r auditlog.Report, took time.Duration) {
	fmt.Fprintf(w, "read %d messages, %d events, %d aggregates in %s\n", r.Commits, r.Events, r.Aggregates, took.Round(time.Millisecond))
	if r.Events > r.Checkpoint.Size && r.OK() {
		fmt.Fprintf(w, "%d events are newer than the checkpoint (chains checked, not yet signed)\n", r.Events-r.Checkpoint.Size)
	}
	for _, s := range r.Consistent {
		fmt.Fprintf(w, "consistent with the checkpoint of size %d verified before\n", s)
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
	if r.Dropped > 0 {
		fmt.Fprintf(w, "… and %d more findings\n", r.Dropped)
	}
	if r.OK() {
		fmt.Fprintf(w, "OK: the log's first %d events reproduce the signed root %s\n", r.Checkpoint.Size, r.Checkpoint)
	}
}

// logStream is a tenant's stream, opened read-only: an auditor never creates or updates streams.
type logStream struct {
	js     jetstream.JetStream
	stream string
}

func eventstoreFor(_ context.Context, nc *nats.Conn, tenant string) (logStream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return logStream{}, err
	}
	return logStream{js: js, stream: eventstore.StreamName(tenant)}, nil
}

func connectNATS(url string) (*nats.Conn, error) {
	if url == "" {
		return nil, fmt.Errorf("--nats is required")
	}
	return nats.Connect(url, nats.Name("civicase-audit-cli"))
}

// optionalClient checks the tenant is named and dials the audit service when one is given: the
// live log's checks need no service when the auditor brings a checkpoint file, only its proofs do.
func (o Options) optionalClient() (auditv1.AuditServiceClient, func(), error) {
	if o.Tenant == "" {
		return nil, nil, fmt.Errorf("--tenant is required")
	}
	if o.Audit == "" {
		return nil, func() {}, nil
	}
	conn, c, err := o.dial()
	if err != nil {
		return nil, nil, err
	}
	return c, func() { _ = conn.Close() }, nil
}

// Verify checks the live log (or, with Bundle set, a bundle offline).
func Verify(ctx context.Context, o Options) error {
	if o.Bundle != "" {
		return verifyBundle(o)
	}
	client, closeClient, err := o.optionalClient()
	if err != nil {
		return err
	}
	defer closeClient()
	cp, note, key, err := o.checkpoint(ctx, client)
	if err != nil {
		return err
	}
	saved, err := o.saved(cp.Origin, key)
	if err != nil {
		return err
	}
	nc, err := connectNATS(o.NATSURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	store, err := eventstoreFor(ctx, nc, o.Tenant)
	if err != nil {
		return err
	}
	started := time.Now()
	v, err := verifyLogAgainOnLoss(ctx, store.js, store.stream, o)
	if err != nil {
		return err
	}
	co := auditlog.CheckOptions{Saved: saved, Describe: auditlog.Describer(store.js, store.stream)}
	if client != nil {
		co.Prover = auditlog.GRPCProver{Client: client}
	}
	r := v.Check(ctx, cp, co)
	report(o.Out, r, time.Since(started))
	if !r.OK() {
		return fmt.Errorf("%w: %s", ErrFailed, r.Findings[0])
	}
	return o.save(cp, note)
}

func verifyBundle(o Options) error {
	key, _, err := o.pinnedKey(o.origin())
	if err != nil {
		return err
	}
	started := time.Now()
	r, h, err := auditlog.VerifyBundle(o.Bundle, auditlog.BundleOptions{VerifierKey: key})
	if err != nil {
		return err
	}
	if key == "" {
		fmt.Fprintf(o.Out, "WARNING: checked with the bundle's own verifier key %s: compare it with the key the deployment publishes, or pass --key\n", strings.TrimSpace(h.VerifierKey))
	}
	if r.Checkpoint.Origin != "" {
		if saved, err := o.saved(r.Checkpoint.Origin, strings.TrimSpace(h.VerifierKey)); err == nil && len(saved) > 0 {
			r, _, err = auditlog.VerifyBundle(o.Bundle, auditlog.BundleOptions{VerifierKey: key, Saved: saved})
			if err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(o.Out, "bundle %s (%s)\ncheckpoint: %s\n", o.Bundle, h.Format, r.Checkpoint)
	report(o.Out, r, time.Since(started))
	if !r.OK() {
		return fmt.Errorf("%w: %s", ErrFailed, r.Findings[0])
	}
	return nil
}

// Export writes a bundle of the log up to the latest checkpoint to out (.tar, .zip or .json).
func Export(ctx context.Context, o Options, out string) error {
	format, err := auditlog.FormatOf(out)
	if err != nil {
		return err
	}
	client, closeClient, err := o.optionalClient()
	if err != nil {
		return err
	}
	defer closeClient()
	cp, note, key, err := o.checkpoint(ctx, client)
	if err != nil {
		return err
	}
	nc, err := connectNATS(o.NATSURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	store, err := eventstoreFor(ctx, nc, o.Tenant)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	started := time.Now()
	co := auditlog.CheckOptions{Describe: auditlog.Describer(store.js, store.stream)}
	if client != nil {
		co.Prover = auditlog.GRPCProver{Client: client}
	}
	r, err := auditlog.Export(ctx, store.js, store.stream, note, key, tmp, format, auditlog.LogOptions{Progress: o.progress("exporting")}, co)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	report(o.Out, r, time.Since(started))
	if !r.OK() {
		return fmt.Errorf("%w: the log does not verify, no bundle written: %s", ErrFailed, r.Findings[0])
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "wrote %s: %d events, checkpoint of size %d, verifier key %s\n", out, cp.Size, cp.Size, key)
	return nil
}

// History prints a case's timeline, every event proven against the latest checkpoint.
func History(ctx context.Context, o Options, caseID string) error {
	conn, client, err := o.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := client.GetCaseEvents(ctx, &auditv1.GetCaseEventsRequest{CaseId: caseID})
	if err != nil {
		return err
	}
	key, _, err := o.pinnedKey(res.GetCheckpoint().GetOrigin())
	if err != nil {
		return err
	}
	if key == "" {
		_, _, key, err = auditlog.LatestCheckpoint(ctx, client, "", "")
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "WARNING: no pinned verifier key; trusting the audit service's key %s\n", key)
	}
	t, err := Timeline(res, key)
	if err != nil {
		return err
	}
	t.Print(o.Out)
	if !t.OK() {
		return fmt.Errorf("%w: case %s", ErrFailed, caseID)
	}
	return nil
}

// Entry is one line of a case's timeline.
type Entry struct {
	Seq          uint64
	Leaf         int64
	Aggregate    eventstore.Aggregate
	Version      uint64
	EventType    string
	OccurredAt   time.Time
	RecordedAt   time.Time
	Actor        string
	Proven       bool
	Checkpointed bool
	Problem      string
}

// CaseTimeline is a case's history as checked.
type CaseTimeline struct {
	Checkpoint auditlog.Checkpoint
	Entries    []Entry
}

// OK tells whether every event is proven and every chain holds.
func (t CaseTimeline) OK() bool {
	for _, e := range t.Entries {
		if e.Problem != "" {
			return false
		}
	}
	return true
}

var vietnam = time.FixedZone("ICT", 7*3600)

// Print writes the timeline as a table, dates in Vietnam's time.
func (t CaseTimeline) Print(w io.Writer) {
	fmt.Fprintf(w, "checkpoint: %s\n", t.Checkpoint)
	fmt.Fprintf(w, "%-16s  %-16s  %-28s  %-26s  %-30s  %s\n", "occurred", "recorded", "event", "aggregate", "actor", "proof")
	for _, e := range t.Entries {
		proof := fmt.Sprintf("✓ leaf %d", e.Leaf)
		switch {
		case e.Problem != "":
			proof = "✗ " + e.Problem
		case !e.Checkpointed:
			proof = "newer than the checkpoint"
		}
		fmt.Fprintf(w, "%-16s  %-16s  %-28s  %-26s  %-30s  %s\n",
			e.OccurredAt.In(vietnam).Format("2006-01-02 15:04"), e.RecordedAt.In(vietnam).Format("2006-01-02 15:04"),
			e.EventType, e.Aggregate.String()+" v"+strconv.FormatUint(e.Version, 10), e.Actor, proof)
	}
}

// Timeline checks a GetCaseEvents answer: the checkpoint's signature, every event's inclusion
// proof against it (from the leaf hash computed here from the event's bytes) and each aggregate's
// hash chain from version 1.
func Timeline(res *auditv1.GetCaseEventsResponse, key string) (CaseTimeline, error) {
	cp, err := auditlog.Open([]byte(res.GetCheckpoint().GetNote()), key, "")
	if err != nil {
		return CaseTimeline{}, err
	}
	t := CaseTimeline{Checkpoint: cp}
	chains := map[eventstore.Aggregate][]eventstore.StoredEvent{}
	for _, ce := range res.GetEvents() {
		env := &eventv1.Envelope{}
		if err := proto.Unmarshal(ce.GetEnvelope(), env); err != nil {
			return CaseTimeline{}, fmt.Errorf("event at stream sequence %d: %w", ce.GetLeaf().GetStreamSequence(), err)
		}
		sum := sha256.Sum256(ce.GetEnvelope())
		ev := eventstore.StoredEvent{Envelope: env, Canonical: ce.GetEnvelope(), Hash: sum[:],
			Seq: ce.GetLeaf().GetStreamSequence(), Index: int(ce.GetLeaf().GetCommitIndex())}
		e := Entry{Seq: ev.Seq, Leaf: int64(ce.GetLeaf().GetLeafIndex()), Version: env.GetAggregateVersion(), EventType: env.GetEventType(),
			Aggregate:  eventstore.Aggregate{Type: env.GetAggregateType(), ID: env.GetAggregateId()},
			OccurredAt: env.GetOccurredAt().AsTime(), RecordedAt: env.GetRecordedAt().AsTime(),
			Actor:        fmt.Sprintf("%s@%s (%s)", env.GetActor().GetRole(), env.GetActor().GetUnit(), env.GetActor().GetSubject()),
			Checkpointed: ce.GetCheckpointed()}
		if ce.GetCheckpointed() {
			proof, err := auditlog.Hashes(ce.GetProof())
			leaf := auditlog.LeafHash(ev.Seq, uint32(ev.Index), ce.GetEnvelope())
			if err == nil {
				err = tlog.CheckRecord(proof, cp.Size, cp.Root, e.Leaf, leaf)
			}
			if err != nil {
				e.Problem = "not in the signed tree: " + err.Error()
			} else {
				e.Proven = true
			}
		}
		chains[e.Aggregate] = append(chains[e.Aggregate], ev)
		t.Entries = append(t.Entries, e)
	}
	for agg, events := range chains {
		if err := eventstore.VerifyChain(events); err != nil {
			var ce *eventstore.ChainError
			if errors.As(err, &ce) {
				for i := range t.Entries {
					if t.Entries[i].Aggregate == agg && t.Entries[i].Version == ce.Version {
						t.Entries[i].Problem = ce.Reason
					}
				}
			}
		}
	}
	sort.SliceStable(t.Entries, func(i, j int) bool { return t.Entries[i].Seq < t.Entries[j].Seq })
	return t, nil
}

// deliveryAttempts is how many times verify reads the log when this client dropped messages.
const deliveryAttempts = 3

// verifyLogAgainOnLoss reads and checks the log, and reads it again from the start when messages
// were lost on the way to this client (a machine too busy to keep up): that says nothing about
// the log, and a partial read must not become a finding.
func verifyLogAgainOnLoss(ctx context.Context, js jetstream.JetStream, stream string, o Options) (*auditlog.Verifier, error) {
	return againOnLoss(o.Out, func() (*auditlog.Verifier, error) {
		return auditlog.VerifyLog(ctx, js, stream, auditlog.LogOptions{Progress: o.progress("reading the log")})
	})
}

// againOnLoss calls read until it does not fail with auditlog.ErrDeliveryLost, deliveryAttempts
// times at most, saying so on out before each new attempt.
func againOnLoss(out io.Writer, read func() (*auditlog.Verifier, error)) (*auditlog.Verifier, error) {
	for attempt := 1; ; attempt++ {
		v, err := read()
		if !errors.Is(err, auditlog.ErrDeliveryLost) || attempt == deliveryAttempts {
			return v, err
		}
		fmt.Fprintf(out, "messages were lost on the way to this client; reading the log again (attempt %d of %d)\n", attempt+1, deliveryAttempts)
	}
}
