package auditcli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/cmd/civicase/internal/auditcli"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	"github.com/civicase/civicase/services/audit"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestVerifyExportAndHistoryAgainstARunningDeployment(t *testing.T) {
	ctx := context.Background()
	env := svctest.New(t, time.Date(2026, 3, 10, 1, 30, 0, 0, time.UTC))
	run := env.Start("audit", audit.NewWith(audit.Options{KeyDir: t.TempDir(), GenerateKey: true, Ticks: make(chan time.Time)}))
	client := auditv1.NewAuditServiceClient(env.Dial(run, "auditor-1", auth.RoleAuditor, "PROVINCE"))
	store, err := eventstore.Open(ctx, env.NATS.Conn, eventstore.Config{Tenant: env.Shared.Tenant, Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	caseID := "0194f3c2-7a10-7c3e-9d2a-1b2c3d4e5f60"
	events := 0
	appendTo := func(agg eventstore.Aggregate, texts ...string) {
		t.Helper()
		h, err := store.Load(ctx, agg)
		if err != nil {
			t.Fatal(err)
		}
		var evs []eventstore.Event
		for _, s := range texts {
			evs = append(evs, eventstore.Event{Type: "NoteRecorded", Payload: wrapperspb.String(s)})
		}
		m := eventstore.Metadata{CommandID: fmt.Sprintf("c%d", events), Actor: &eventv1.Actor{Subject: "u-7", Role: "reception_officer", Unit: "PRTC-W01"}}
		if _, err := store.Append(ctx, agg, h.Tail, m, evs...); err != nil {
			t.Fatal(err)
		}
		events += len(texts)
	}
	checkpoint := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := client.PublishCheckpoint(ctx, &auditv1.PublishCheckpointRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if res.GetCheckpoint().GetTreeSize() == uint64(events) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("checkpoint of %d events, want %d", res.GetCheckpoint().GetTreeSize(), events)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	appendTo(eventstore.Aggregate{Type: "petition", ID: caseID}, "registered", "receipt issued")
	appendTo(eventstore.Aggregate{Type: "petition", ID: "other"}, "registered")
	appendTo(eventstore.Aggregate{Type: "case", ID: caseID}, "accepted")
	checkpoint()

	token, err := env.Issuer.Mint("auditor-1", auth.RoleAuditor, "PROVINCE", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	o := auditcli.Options{NATSURL: env.NATS.Server.ClientURL(), Tenant: env.Shared.Tenant, Audit: run.Addr.String(), Token: token, Checkpoints: dir, Out: &out}

	// First run: the key is pinned in the directory and the checkpoint saved.
	if err := auditcli.Verify(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "OK: the log's first 4 events") || !strings.Contains(out.String(), "WARNING: no pinned verifier key") {
		t.Fatalf("first run:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "civicase.test.vkey")); err != nil {
		t.Fatal(err)
	}

	// Second run, after the log grew: the saved checkpoint is proven a prefix of the new one.
	appendTo(eventstore.Aggregate{Type: "case", ID: caseID}, "verified", "concluded")
	checkpoint()
	out.Reset()
	if err := auditcli.Verify(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "consistent with the checkpoint of size 4 verified before") || strings.Contains(out.String(), "WARNING") {
		t.Fatalf("second run:\n%s", out.String())
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "*.note"))
	if len(saved) != 2 {
		t.Fatalf("saved checkpoints %v", saved)
	}

	// Export, then verify the bundle with nothing but the file and the pinned key.
	bundle := filepath.Join(t.TempDir(), "city.zip")
	out.Reset()
	if err := auditcli.Export(ctx, o, bundle); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	out.Reset()
	offline := auditcli.Options{Bundle: bundle, Tenant: env.Shared.Tenant, Checkpoints: dir, Out: &out}
	if err := auditcli.Verify(ctx, offline); err != nil || !strings.Contains(out.String(), "OK") {
		t.Fatalf("bundle: %v\n%s", err, out.String())
	}
	b, _ := os.ReadFile(bundle)
	i := bytes.Index(b, []byte(`"envelope":"`)) + 30
	b[i] ^= 0x04
	_ = os.WriteFile(bundle, b, 0o644)
	out.Reset()
	if err := auditcli.Verify(ctx, offline); err == nil {
		t.Fatalf("altered bundle verified:\n%s", out.String())
	}

	// The case's history: petition then case events, each proven.
	out.Reset()
	if err := auditcli.History(ctx, o, caseID); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2+5 || strings.Count(out.String(), "✓ leaf") != 5 || !strings.Contains(out.String(), "2026-03-10 08:30") ||
		!strings.Contains(out.String(), "case/"+caseID+" v3") || !strings.Contains(out.String(), "reception_officer@PRTC-W01") {
		t.Fatalf("history:\n%s", out.String())
	}
}
