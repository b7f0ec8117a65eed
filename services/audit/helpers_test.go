package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit"
	"github.com/civicase/civicase/services/audit/auditlog"
)

func TestMain(m *testing.M) {
	if path := bundleHelperPath(); path != "" {
		runBundleHelper(path)
		return
	}
	testenv.Main(m)
}

var t0 = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

// deployment is one tenant's log with the audit service on it.
type deployment struct {
	env    *svctest.Env
	store  *eventstore.Store
	run    *svc.Running
	client auditv1.AuditServiceClient
	ticks  chan time.Time
	vkey   string
	keyDir string
}

func start(t *testing.T) *deployment {
	t.Helper()
	env := svctest.New(t, t0)
	store, err := eventstore.Open(context.Background(), env.NATS.Conn, eventstore.Config{Tenant: env.Shared.Tenant})
	if err != nil {
		t.Fatal(err)
	}
	d := &deployment{env: env, store: store, ticks: make(chan time.Time), keyDir: t.TempDir()}
	d.run = env.Start("audit", audit.NewWith(audit.Options{KeyDir: d.keyDir, GenerateKey: true, CheckpointInterval: time.Minute, Ticks: d.ticks}))
	d.client = auditv1.NewAuditServiceClient(env.Dial(d.run, "auditor-1", auth.RoleAuditor, "PROVINCE"))
	_, d.vkey, err = audit.LoadKey(d.keyDir, auditlog.Origin(env.Shared.Tenant), false)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *deployment) origin() string { return auditlog.Origin(d.env.Shared.Tenant) }

func note(text string) eventstore.Event {
	return eventstore.Event{Type: "NoteRecorded", Payload: wrapperspb.String(text)}
}

func meta(cmd string) eventstore.Metadata {
	return eventstore.Metadata{CommandID: cmd, Actor: &eventv1.Actor{Subject: "u-1", Role: "handler", Unit: "W01"}}
}

// appendHistory writes a small log: several aggregates interleaved, some commits with several
// events. It returns how many events it wrote.
func appendHistory(t *testing.T, s *eventstore.Store, prefix string, aggregates, commits int) int {
	t.Helper()
	ctx := context.Background()
	tails := make([]eventstore.Tail, aggregates)
	events := 0
	for c := range commits {
		for a := range aggregates {
			agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("%s%d", prefix, a)}
			evs := []eventstore.Event{note(fmt.Sprintf("%s%d step %d", prefix, a, c))}
			if (a+c)%3 == 0 {
				evs = append(evs, note(fmt.Sprintf("%s%d step %d bis", prefix, a, c)))
			}
			res, err := s.Append(ctx, agg, tails[a], meta(fmt.Sprintf("%s-%d-%d", prefix, a, c)), evs...)
			if err != nil {
				t.Fatal(err)
			}
			tails[a] = res.Tail()
			events += len(evs)
		}
	}
	return events
}

// waitSequenced polls until the tree holds n leaves.
func (d *deployment) waitSequenced(t *testing.T, n int64) *auditv1.SequencerState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := d.client.LatestCheckpoint(context.Background(), &auditv1.LatestCheckpointRequest{})
		if err != nil {
			t.Fatal(err)
		}
		st := res.GetSequencer()
		if st.GetHalted() != "" || int64(st.GetTreeSize()) >= n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("tree holds %d leaves after 30s, want %d", st.GetTreeSize(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// publish signs a checkpoint on demand and opens it with the pinned key.
func (d *deployment) publish(t *testing.T) (auditlog.Checkpoint, string) {
	t.Helper()
	res, err := d.client.PublishCheckpoint(context.Background(), &auditv1.PublishCheckpointRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := auditlog.Open([]byte(res.GetCheckpoint().GetNote()), d.vkey, d.origin())
	if err != nil {
		t.Fatal(err)
	}
	return cp, res.GetCheckpoint().GetNote()
}

// copyLog copies a tenant's log into another tenant's stream message by message, through edit,
// which may change a commit's records or drop it (nil). The copy gets fresh stream sequences, as
// a log rebuilt by someone covering their tracks would.
func copyLog(t *testing.T, nc *nats.Conn, from *eventstore.Store, tenant string, reorder func([]int), edit func(i int, c eventstore.Commit, recs []*eventv1.Record) []*eventv1.Record) *eventstore.Store {
	t.Helper()
	ctx := context.Background()
	to, err := eventstore.Open(ctx, nc, eventstore.Config{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	var commits []eventstore.Commit
	if err := from.Read(ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		commits = append(commits, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	order := make([]int, len(commits))
	for i := range order {
		order[i] = i
	}
	if reorder != nil {
		reorder(order)
	}
	for _, i := range order {
		c := commits[i]
		recs := make([]*eventv1.Record, len(c.Events))
		for j, e := range c.Events {
			recs[j] = &eventv1.Record{Envelope: append([]byte(nil), e.Canonical...), Hash: append([]byte(nil), e.Hash...)}
		}
		if edit != nil {
			recs = edit(i, c, recs)
		}
		if recs == nil {
			continue
		}
		body, err := proto.Marshal(&eventv1.Commit{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.JetStream().Publish(ctx, to.Subject(c.Aggregate), body); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// verifyCopy runs the auditor's verification of a stream against a checkpoint, locating with the
// original deployment's audit service.
func (d *deployment) verifyCopy(t *testing.T, s *eventstore.Store, cp auditlog.Checkpoint) auditlog.Report {
	t.Helper()
	ctx := context.Background()
	v, err := auditlog.VerifyLog(ctx, s.JetStream(), s.Stream(), auditlog.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v.Check(ctx, cp, auditlog.CheckOptions{Prover: auditlog.GRPCProver{Client: d.client}, Describe: auditlog.Describer(s.JetStream(), s.Stream())})
}

func mustHash(t *testing.T, b []byte) tlog.Hash {
	t.Helper()
	if len(b) != tlog.HashSize {
		t.Fatalf("hash of %d bytes", len(b))
	}
	return tlog.Hash(b)
}
