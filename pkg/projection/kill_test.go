package projection_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
)

// The child process of TestProcessKilledMidBatchResumesExactlyOnce reads these.
const (
	envKillNATS = "CIVICASE_PROJECTION_KILL_NATS"
	envKillDSN  = "CIVICASE_PROJECTION_KILL_DSN"
	envKillAt   = "CIVICASE_PROJECTION_KILL_AT"
)

func TestProcessKilledMidBatchResumesExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.append(t, 230)
	dsn := e.pool.Config().ConnString()

	// The child applies batches of 50 and SIGKILLs itself after applying sequence 175, in the
	// middle of the batch 151–200, before that batch commits.
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledChild$", "-test.v")
	cmd.Env = append(os.Environ(), envKillNATS+"="+e.nats.URL(), envKillDSN+"="+dsn, envKillAt+"=175")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
	}
	if cp := e.checkpoint(t, 1); cp.Seq != 150 {
		t.Fatalf("checkpoint after the kill is %d, want 150 (three batches committed, the fourth lost)\n%s", cp.Seq, out)
	}
	e.assertExactlyOnce(t, 1, 150)

	r := e.runner(t, &counter{version: 1}, 50)
	var first uint64
	projection.SetAfterApply(r, func(_ context.Context, c eventstore.Commit) {
		if first == 0 {
			first = c.Seq
		}
	})
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if first != 151 {
		t.Errorf("resumed at %d, want 151", first)
	}
	e.assertExactlyOnce(t, 1, 0)
}

// TestKilledChild is the child process of TestProcessKilledMidBatchResumesExactlyOnce.
func TestKilledChild(t *testing.T) {
	natsURL := os.Getenv(envKillNATS)
	if natsURL == "" {
		t.Skip("runs only as the child of TestProcessKilledMidBatchResumesExactlyOnce")
	}
	killAt, _ := strconv.ParseUint(os.Getenv(envKillAt), 10, 64)
	ctx := context.Background()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, os.Getenv(envKillDSN))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: openStore(t, nc), pool: pool}
	r := e.runner(t, &counter{version: 1}, 50)
	projection.SetAfterApply(r, func(_ context.Context, c eventstore.Commit) {
		if c.Seq == killAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	})
	err = r.Run(ctx)
	t.Fatalf("Run returned %v; the process should have been killed", err)
}
