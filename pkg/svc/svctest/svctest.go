// Package svctest starts civicase services for tests the way production runs them: a real
// embedded JetStream server, a real PostgreSQL database, bearer tokens from the development issuer,
// the standard gRPC interceptor chain, projections and workers — on random ports.
package svctest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/auth/devissuer"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/testenv"
)

// Env is a test deployment: one tenant's log and database, shared by the services started in it.
type Env struct {
	T      testing.TB
	NATS   *testenv.NATS
	DSN    string
	Issuer *devissuer.Issuer
	Clock  *clock.Fake
	Shared svc.Shared
}

// New starts NATS and creates a database for one test. The clock starts at now (a fixed date is
// better for tests about deadlines: set Env.Clock). natsOpts configure the server, e.g.
// testenv.SyncAlways() for benchmarks that must measure durable appends. Services log to stderr
// at warning level; a test that inspects logs replaces Shared.Log before Start.
func New(t testing.TB, now time.Time, natsOpts ...testenv.NATSOption) *Env {
	t.Helper()
	n := testenv.StartNATS(t, natsOpts...)
	dsn := testenv.PostgresDSN(t)
	iss, err := devissuer.Open(devissuer.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(now)
	cfg := iss.VerifierConfig()
	cfg.Now = fake.Now
	cfg.Leeway = 24 * time.Hour * 365 * 10 // tokens are minted on the wall clock; tests move the fake one
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &Env{T: t, NATS: n, DSN: dsn, Issuer: iss, Clock: fake, Shared: svc.Shared{
		Tenant: "test", Replicas: 1, NATS: n.Conn, DatabaseURL: dsn, Verifier: v,
		Keys: seal.NewMemoryKeyProvider(), Clock: fake, Log: log,
	}}
}

// Start builds and serves a service on a random loopback port; it is stopped when the test ends.
func (e *Env) Start(name string, build svc.Builder) *svc.Running {
	e.T.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	r, err := svc.Start(context.Background(), e.Shared, name, lis, build)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(r.Stop)
	return r
}

// Dial connects to a running service as a user with the given role and unit.
func (e *Env) Dial(r *svc.Running, subject string, role auth.Role, unit string) *grpc.ClientConn {
	e.T.Helper()
	tok, err := e.Issuer.Mint(subject, role, unit, time.Hour)
	if err != nil {
		e.T.Fatal(err)
	}
	conn, err := grpc.NewClient(r.Addr.String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.StaticToken(tok, true)))
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = conn.Close() })
	return conn
}
