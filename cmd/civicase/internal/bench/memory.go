package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/natsembed"
)

// ServeNATS runs the embedded server alone, prints its URL, and on SIGUSR1 returns memory to the OS
// and prints its resident set size, so the memory scenario measures the server and nothing else.
func ServeNATS(ctx context.Context, dir string, out io.Writer) error {
	srv, err := natsembed.Start(natsembed.Options{StoreDir: dir})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	fmt.Fprintln(out, "url", srv.ClientURL())
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-usr1:
			debug.FreeOSMemory()
			fmt.Fprintln(out, "rss", rss(os.Getpid()))
		}
	}
}

// rss reads a process's resident set size in bytes from /proc.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

// runMemory appends one event to each of N distinct aggregates (subjects) and reads the server's
// resident memory at each checkpoint: subject cardinality costs memory even on file storage.
func runMemory(ctx context.Context, cfg Config, dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "nats-server", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	next := func(prefix string) (string, error) {
		for lines.Scan() {
			if v, ok := strings.CutPrefix(lines.Text(), prefix+" "); ok {
				return v, nil
			}
		}
		return "", fmt.Errorf("server exited before printing %q", prefix)
	}
	url, err := next("url")
	if err != nil {
		return err
	}
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if _, err := js.CreateStream(ctx, eventstore.StreamConfig(eventstore.Config{Tenant: "mem"})); err != nil {
		return err
	}
	measureRSS := func() (int64, error) {
		if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			return 0, err
		}
		v, err := next("rss")
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(v, 10, 64)
	}
	base, err := measureRSS()
	if err != nil {
		return err
	}
	body := make([]byte, 600)
	rows := [][]string{{"0", mib(base), "", ""}}
	done, prevN, prevRSS := 0, 0, base
	start := time.Now()
	for _, n := range cfg.Subjects {
		for ; done < n; done++ {
			if _, err := js.PublishAsync(fmt.Sprintf("ev.mem.petition.%d", done), body); err != nil {
				return err
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Minute):
			return fmt.Errorf("acks for %d publishes did not arrive", n)
		}
		r, err := measureRSS()
		if err != nil {
			return err
		}
		slope := float64(r-prevRSS) / float64(n-prevN)
		rows = append(rows, []string{strconv.Itoa(n), mib(r), fmt.Sprintf("%.0f", float64(r-base)/float64(n)), fmt.Sprintf("%.0f", slope)})
		prevN, prevRSS = n, r
	}
	fmt.Fprintf(cfg.Out, "## memory (JetStream server alone, file storage, one 600-byte message per subject; %s)\n\n", time.Since(start).Round(time.Second))
	table(cfg.Out, []string{"distinct subjects", "server RSS", "bytes/subject (from empty)", "bytes/subject (slope since previous)"}, rows)
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
