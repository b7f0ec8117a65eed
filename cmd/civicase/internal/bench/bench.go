// Package bench is the load tool behind `make bench`: each scenario measures civicase and the raw
// engine underneath it in the same run, on the same machine and settings, and reports the ratio.
package bench

import (
	"context"

	"github.com/nats-io/nats.go"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/natsembed"

	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Config of a benchmark run.
type Config struct {
	Duration time.Duration
	Subjects []int
	Dir      string
	Out      io.Writer
}

type scenario struct {
	name string
	run  func(ctx context.Context, cfg Config, dir string) error
}

var scenarios = []scenario{
	{"append", runAppend},
	{"register", runRegister},
	{"memory", runMemory},
	{"replay", runReplay},
	{"audit", runAudit},
}

// Scenarios lists the scenario names in run order.
func Scenarios() []string {
	var out []string
	for _, s := range scenarios {
		out = append(out, s.name)
	}
	return out
}

// Run runs the named scenarios, or all of them.
func Run(ctx context.Context, cfg Config, names []string) error {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "civicase-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Fprintf(cfg.Out, "# civicase bench — %s, %d cores, %s\n\n", time.Now().Format("2006-01-02 15:04"), runtime.NumCPU(), runtime.Version())
	for _, s := range scenarios {
		if len(names) > 0 && !slices.Contains(names, s.name) {
			continue
		}
		sdir, err := os.MkdirTemp(dir, s.name+"-")
		if err != nil {
			return err
		}
		if err := s.run(ctx, cfg, sdir); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// latencies accumulates per-operation durations for percentiles.
type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// result of one throughput measurement.
type result struct {
	ops     int
	elapsed time.Duration
	lat     latencies
}

func (r result) perSecond() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func table(w io.Writer, header []string, rows [][]string) {
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range rows {
		fmt.Fprintln(w, "| "+strings.Join(r, " | ")+" |")
	}
	fmt.Fprintln(w)
}

// embeddedStore starts a JetStream server in dir (with SyncAlways when the scenario measures durable
// appends), connects to it and opens the tenant "bench"; stop shuts it all down.
func embeddedStore(ctx context.Context, dir string, syncAlways bool) (store *eventstore.Store, nc *nats.Conn, stop func(), err error) {
	srv, err := natsembed.Start(natsembed.Options{StoreDir: dir, SyncAlways: syncAlways})
	if err != nil {
		return nil, nil, nil, err
	}
	if nc, err = nats.Connect(srv.ClientURL()); err != nil {
		srv.Shutdown()
		return nil, nil, nil, err
	}
	stop = func() { nc.Close(); srv.Shutdown() }
	if store, err = eventstore.Open(ctx, nc, eventstore.Config{Tenant: "bench"}); err != nil {
		stop()
		return nil, nil, nil, err
	}
	return store, nc, stop, nil
}
