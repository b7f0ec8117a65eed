// Package pgcluster runs a private PostgreSQL cluster from the machine's PostgreSQL binaries.
//
// The dev stack (`civicase dev`) keeps its cluster in a persistent directory; tests start a throwaway
// one per test binary (see pkg/testenv). When the current user is root the server runs as the
// `postgres` user, because initdb and postgres refuse to run as root. The server listens only on a
// Unix socket inside the cluster directory unless a TCP port is asked for, so parallel clusters never
// collide on a port.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries says that no PostgreSQL server binaries were found; its message tells how to install them.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; " +
	"install them with `apt-get install -y postgresql` or set CIVICASE_PG_BIN to their directory")

// Options configure a cluster.
type Options struct {
	// Dir holds the data directory and the socket; created if missing. Its parents must be
	// traversable by the server's user.
	Dir string
	// BinDir is where initdb and postgres live; empty means CIVICASE_PG_BIN or a search of
	// /usr/lib/postgresql/*/bin and PATH.
	BinDir string
	// Port is the TCP port on 127.0.0.1; 0 means Unix socket only.
	Port int
	// Durable keeps fsync on. Tests turn it off for speed; the dev stack keeps it.
	Durable bool
	// Log receives the server's output; nil discards it.
	Log *os.File
}

// Cluster is a running PostgreSQL server.
type Cluster struct {
	opts    Options
	dataDir string
	sockDir string
	cmd     *exec.Cmd
	cred    *syscall.Credential
	done    chan struct{}
	waitErr error
}

// FindBinDir locates the directory holding initdb and postgres.
func FindBinDir() (string, error) {
	if d := os.Getenv("CIVICASE_PG_BIN"); d != "" {
		if hasBinaries(d) {
			return d, nil
		}
		return "", fmt.Errorf("CIVICASE_PG_BIN=%s: %w", d, ErrNoBinaries)
	}
	cands, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(cands))) // newest major version first
	for _, d := range cands {
		if hasBinaries(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && hasBinaries(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", ErrNoBinaries
}

func hasBinaries(dir string) bool {
	for _, b := range []string{"initdb", "postgres", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

// Start initialises the cluster if its data directory is new, then starts the server and waits
// until it accepts connections.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.BinDir == "" {
		d, err := FindBinDir()
		if err != nil {
			return nil, err
		}
		opts.BinDir = d
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, dataDir: filepath.Join(dir, "data"), sockDir: filepath.Join(dir, "sock"), done: make(chan struct{})}
	if c.cred, err = serverCredential(); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, c.sockDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		// The server user must reach its directories even when they live under a root-owned 0700 parent.
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := c.chown(c.sockDir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	// A server killed without a clean shutdown leaves its pid file; postgres removes a stale one itself
	// when the pid is not running, so nothing to do here.
	if err := c.start(); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// serverCredential returns the identity to run the server as: the postgres user when we are root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a `postgres` user to run the server: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.opts.BinDir, name), args...)
	cmd.Dir = filepath.Dir(c.dataDir) // never inherit a cwd the server user cannot enter
	cmd.Env = cleanEnv()
	// Pdeathsig: a killed parent (test binary, dev stack) takes its server with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd
}

// cleanEnv drops PG* variables so that a developer's settings cannot redirect the private server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C.UTF-8", "LANG=C.UTF-8", "TZ=UTC")
}

func (c *Cluster) initdb(ctx context.Context) error {
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return err
	}
	if err := c.chown(c.dataDir); err != nil {
		return err
	}
	cmd := c.command("initdb", "-D", c.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", c.dataDir, err, out.String())
	}
	return nil
}

func (c *Cluster) start() error {
	listen := ""
	if c.opts.Port != 0 {
		listen = "127.0.0.1"
	}
	port := c.opts.Port
	if port == 0 {
		port = 5432 // only names the socket file, which lives in our private directory
	}
	args := []string{"-D", c.dataDir, "-k", c.sockDir, "-p", strconv.Itoa(port), "-c", "listen_addresses=" + listen,
		"-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if !c.opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.cmd = c.command("postgres", args...)
	if c.opts.Log != nil {
		c.cmd.Stdout, c.cmd.Stderr = c.opts.Log, c.opts.Log
	}
	// Pdeathsig fires when the OS thread that forked the child exits, so the fork happens on a
	// goroutine locked to its thread that lives exactly as long as the server.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- fmt.Errorf("start postgres: %w", err)
			close(c.done)
			return
		}
		started <- nil
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	return <-started
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited during start-up: %v (see the server log)", c.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN returns a connection string for the named database.
func (c *Cluster) DSN(database string) string {
	port := c.opts.Port
	if port == 0 {
		return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.sockDir, database)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, database)
}

// Stop shuts the server down cleanly (fast mode) and waits for it to exit.
func (c *Cluster) Stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown: roll back open transactions, checkpoint
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	return nil
}

// CreateDatabase creates a database if it does not exist.
func CreateDatabase(ctx context.Context, adminDSN, name string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}
