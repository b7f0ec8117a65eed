// Package stackcheck is the scripted check of `make run`: it builds the real civicase binary,
// starts `civicase dev` as a user would (on free ports, with the demo unit registry), uses every
// service through its gRPC endpoint with a demo token, stops it with Ctrl-C, starts it again and
// finds what it wrote.
package stackcheck

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/civicase/civicase/cmd/civicase/internal/devstack"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// stack is a running `civicase dev` process.
type stack struct {
	cmd       *exec.Cmd
	endpoints map[string]string
	tokens    map[string]string
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "civicase")
	cmd := exec.Command("go", "build", "-o", bin, "../..")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// start runs the binary and waits for its "ready" line.
func start(t *testing.T, bin, dir string) *stack {
	t.Helper()
	cmd := exec.Command(bin, "dev", "--dir", dir, "--random-ports", "--demo", "registry")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "civicase dev: ready") && !seen {
				seen = true
				ready <- true
			}
		}
		if !seen {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("civicase dev exited before it was ready")
		}
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("civicase dev was not ready within 3 minutes")
	}
	eps, err := devstack.ReadEndpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	toks := map[string]string{}
	b, err := os.ReadFile(filepath.Join(dir, devstack.TokensFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export CIVICASE_TOKEN_"), "="); ok {
			toks[strings.ToLower(k)] = v
		}
	}
	return &stack{cmd: cmd, endpoints: eps, tokens: toks}
}

// stop sends Ctrl-C and waits for a clean exit.
func (s *stack) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("civicase dev did not exit cleanly: %v", err)
		}
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		t.Fatal("civicase dev did not stop within a minute of Ctrl-C")
	}
}

func (s *stack) dial(t *testing.T, service string, role auth.Role) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.endpoints[service], grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.StaticToken(s.tokens[string(role)], true)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestDevStackServesRegistersAndKeepsStateAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the whole stack")
	}
	ctx := context.Background()
	bin := build(t)
	dir := filepath.Join(testenv.WorldTraversableTempDir(t), "dev")

	st := start(t, bin, dir)
	for name := range st.endpoints {
		if name == "nats" || name == "postgres" {
			continue
		}
		resp, err := healthpb.NewHealthClient(st.dial(t, name, auth.RoleAuditor)).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%s health: %v %v", name, resp, err)
		}
	}
	// The demo reception officer acts for the city's reception board.
	reg, err := intakev1.NewIntakeServiceClient(st.dial(t, "intake", auth.RoleReceptionOfficer)).RegisterPetition(ctx, &intakev1.RegisterPetitionRequest{
		Meta:           &commonv1.CommandMeta{CommandId: "stackcheck-1"},
		UnitCode:       "NT.PRTC.BTCD",
		ReceivedOn:     &commonv1.CivilDate{Year: 2025, Month: 3, Day: 10},
		Source:         commonv1.Source_SOURCE_IN_PERSON,
		SenderType:     commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount: 1,
		Contents:       []*intakev1.PetitionContent{{Kind: commonv1.PetitionKind_PETITION_KIND_FEEDBACK, Field: commonv1.Field_FIELD_ADMIN_OTHER}},
		Sender:         &personv1.PersonalData{FullName: "Lê Thị Kiểm Tra", IdNumber: "058123456789"},
		Content:        &intakev1.SealedContent{Summary: "Phản ánh đèn đường hỏng"},
	})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	// The petition shows up in the routing worklist of its unit (projected from the log).
	routing := routingv1.NewRoutingServiceClient(st.dial(t, "routing", auth.RoleProcessingOfficer))
	inWorklist := func() bool {
		resp, err := routing.ListCases(ctx, &routingv1.ListCasesRequest{UnitCode: "NT.PRTC.BTCD", Statuses: []routingv1.CaseStatus{routingv1.CaseStatus_CASE_STATUS_AWAITING_PROCESSING}})
		if err != nil {
			t.Fatalf("list cases: %v", err)
		}
		for _, c := range resp.GetCases() {
			if c.GetCaseId() == reg.GetPetitionId() {
				return true
			}
		}
		return false
	}
	testenv.Eventually(t, 30*time.Second, inWorklist, "petition %s in the routing worklist", reg.GetPetitionId())
	st.stop(t)

	st = start(t, bin, dir)
	defer st.stop(t)
	got, err := intakev1.NewIntakeServiceClient(st.dial(t, "intake", auth.RoleReceptionOfficer)).GetPetition(ctx, &intakev1.GetPetitionRequest{PetitionId: reg.GetPetitionId()})
	if err != nil || got.GetPetition().GetReceiptNumber() != reg.GetReceiptNumber() {
		t.Fatalf("after restart: %v %v", got, err)
	}
	routing = routingv1.NewRoutingServiceClient(st.dial(t, "routing", auth.RoleProcessingOfficer))
	testenv.Eventually(t, 30*time.Second, inWorklist, "petition %s in the worklist after restart", reg.GetPetitionId())
}

// Each service binary refuses to start on a malformed setting, naming it, before touching anything.
func TestServiceBinaryExitsNamingAMalformedSetting(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a service binary")
	}
	bin := filepath.Join(t.TempDir(), "intake")
	build := exec.Command("go", "build", "-o", bin, "../../../../services/intake/cmd/intake")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	cases := map[string]string{
		"CIVICASE_STREAM_REPLICAS": "two",
		"CIVICASE_NATS_URL":        "localhost:4222",
		"CIVICASE_LOG_LEVEL":       "chatty",
	}
	for setting, value := range cases {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "CIVICASE_JWKS_FILE=/nonexistent/jwks.json", setting+"="+value)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%s=%s: exit %v, want status 2", setting, value, err)
		}
		if !strings.Contains(string(out), setting) || !strings.Contains(string(out), value) {
			t.Errorf("%s=%s: message %q does not name the setting and its value", setting, value, out)
		}
	}
}
