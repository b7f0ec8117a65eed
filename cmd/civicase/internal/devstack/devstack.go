// Package devstack is `civicase dev`, what `make run` starts: an embedded JetStream server, a
// private PostgreSQL cluster from the machine's binaries, a development token issuer and every
// service on its own port, all in one process, with state under one directory that survives a
// restart.
package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/auth/devissuer"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/natsembed"
	"github.com/civicase/civicase/pkg/pgcluster"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc"
)

// Service is one service the stack runs.
type Service struct {
	Name  string
	Port  int // the default port; 0 with Options.RandomPorts
	Build svc.Builder
	// BuildFrom, when set, makes the builder from the stack as started so far: the endpoints of the
	// services before it and the token issuer (a service that calls another).
	BuildFrom func(st *Stack) (svc.Builder, error)
}

// Options configure the stack.
type Options struct {
	// Dir holds all state: PostgreSQL data, JetStream files, keys, tokens.
	Dir string
	// Reset deletes Dir first.
	Reset bool
	// RandomPorts listens on free ports instead of the fixed defaults (for scripted checks).
	RandomPorts bool
	// NATSPort and PostgresPort are the fixed defaults.
	NATSPort, PostgresPort int
	// Tenant of the dev deployment.
	Tenant string
	// Services to run.
	Services []Service
	// Out receives the banner.
	Out io.Writer
	// Log receives the services' logs.
	Log *slog.Logger
	// AfterStart runs once every service is up (e.g. loading the demo city); the stack is ready after it.
	AfterStart func(ctx context.Context, st *Stack) error
}

// Stack is the running dev stack.
type Stack struct {
	Opts      Options
	PG        *pgcluster.Cluster
	NATS      *nats.Conn
	NATSURL   string
	Issuer    *devissuer.Issuer
	Endpoints map[string]string
	Running   []*svc.Running
	DataDir   string
	stopNATS  func()
}

// Endpoints file written for scripts (the scripted check, demo tools).
const EndpointsFile = "endpoints.json"

// Run starts the stack, prints the banner and blocks until ctx ends, then shuts down cleanly.
func Run(ctx context.Context, o Options) error {
	st, err := Start(ctx, o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(o.Out, "civicase dev: shutting down")
	st.Stop()
	fmt.Fprintln(o.Out, "civicase dev: stopped; state kept in", st.Opts.Dir)
	return nil
}

// Start brings the stack up and returns once it is ready.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Reset {
		if err := os.RemoveAll(o.Dir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = dir
	st := &Stack{Opts: o, Endpoints: map[string]string{}}
	defer func() {
		if err != nil {
			st.Stop()
		}
	}()
	if _, err := pgcluster.FindBinDir(); err != nil {
		return nil, err
	}
	pgDir := postgresDir(dir)
	if o.Reset && pgDir != filepath.Join(dir, "postgres") {
		_ = os.RemoveAll(pgDir)
	}
	pgPort := o.PostgresPort
	if o.RandomPorts {
		if pgPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	pgLog, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	st.PG, err = pgcluster.Start(ctx, pgcluster.Options{Dir: pgDir, Port: pgPort, Durable: true, Log: pgLog})
	if err != nil {
		return nil, fmt.Errorf("postgres (log: %s): %w", pgLog.Name(), err)
	}
	st.DataDir = pgDir
	if err := pgcluster.CreateDatabase(ctx, st.PG.DSN("postgres"), "civicase"); err != nil {
		return nil, err
	}
	st.Endpoints["postgres"] = st.PG.DSN("civicase")

	natsPort := o.NATSPort
	if o.RandomPorts {
		natsPort = 0
	}
	srv, err := natsembed.Start(natsembed.Options{StoreDir: filepath.Join(dir, "jetstream"), Port: natsPort, SyncAlways: true})
	if err != nil {
		return nil, err
	}
	st.NATSURL = srv.ClientURL()
	st.Endpoints["nats"] = st.NATSURL
	nc, err := nats.Connect(st.NATSURL, nats.Name("civicase-dev"))
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	st.NATS = nc
	stopNATS := func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() }
	st.stopNATS = stopNATS

	st.Issuer, err = devissuer.Open(devissuer.Config{Dir: filepath.Join(dir, "auth")})
	if err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(st.Issuer.VerifierConfig())
	if err != nil {
		return nil, err
	}
	keys, err := seal.NewFileKeyProvider(filepath.Join(dir, "seal"))
	if err != nil {
		return nil, err
	}
	sh := svc.Shared{Tenant: o.Tenant, Replicas: 1, NATS: nc, DatabaseURL: st.PG.DSN("civicase"), Verifier: verifier, Keys: keys, Clock: clock.Real{}, Log: o.Log}
	for _, s := range o.Services {
		port := s.Port
		if o.RandomPorts {
			port = 0
		}
		lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		build := s.Build
		if s.BuildFrom != nil {
			if build, err = s.BuildFrom(st); err != nil {
				_ = lis.Close()
				return nil, fmt.Errorf("%s: %w", s.Name, err)
			}
		}
		r, err := svc.Start(ctx, sh, s.Name, lis, build)
		if err != nil {
			_ = lis.Close()
			return nil, err
		}
		st.Running = append(st.Running, r)
		st.Endpoints[s.Name] = r.Addr.String()
	}
	if err := st.writeEndpoints(); err != nil {
		return nil, err
	}
	if o.AfterStart != nil {
		if err := o.AfterStart(ctx, st); err != nil {
			return nil, err
		}
	}
	if err := st.banner(o.Out); err != nil {
		return nil, err
	}
	return st, nil
}

// Stop shuts everything down in reverse order.
func (st *Stack) Stop() {
	for i := len(st.Running) - 1; i >= 0; i-- {
		st.Running[i].Stop()
	}
	st.Running = nil
	if st.stopNATS != nil {
		st.stopNATS()
		st.stopNATS = nil
	}
	if st.PG != nil {
		_ = st.PG.Stop()
		st.PG = nil
	}
}

func (st *Stack) writeEndpoints() error {
	b, err := json.MarshalIndent(st.Endpoints, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(st.Opts.Dir, EndpointsFile), b, 0o644)
}

// ReadEndpoints reads the endpoints a running stack wrote into its directory.
func ReadEndpoints(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, EndpointsFile))
	if err != nil {
		return nil, err
	}
	var m map[string]string
	return m, json.Unmarshal(b, &m)
}

// postgresDir is where the cluster lives: under the stack's directory when the postgres user can
// reach it, otherwise (a checkout under a private home directory, when run as root) in /var/tmp,
// named after the stack directory so that it is still found after a restart.
func postgresDir(stackDir string) string {
	inside := filepath.Join(stackDir, "postgres")
	if os.Geteuid() != 0 || traversable(stackDir) {
		return inside
	}
	sum := sha256.Sum256([]byte(stackDir))
	return filepath.Join(os.TempDir(), "civicase-pg-"+hex.EncodeToString(sum[:6]))
}

// traversable says whether every ancestor of dir lets other users through.
func traversable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Tokens mints a token per demo user, valid for a day.
func (st *Stack) Tokens() ([]devissuer.DemoToken, error) { return st.Issuer.MintDemo(24 * time.Hour) }
