package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/civicase/civicase/cmd/civicase/internal/demo"
	"github.com/civicase/civicase/cmd/civicase/internal/devstack"
	"github.com/civicase/civicase/cmd/civicase/internal/replay"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc"
)

// runReplay loads the demo city (two years of history, through gRPC) and times the auditor's replay
// of every service's projections from sequence 1 to the live end, in events of the log per second,
// to set beside the projection catch-up benchmark (pkg/projection BenchmarkCatchUp).
func runReplay(ctx context.Context, cfg Config, dir string) error {
	services := replay.Projected
	var specs []devstack.Service
	for _, s := range services {
		specs = append(specs, devstack.Service{Name: s.Name, Build: s.Build})
	}
	st, err := devstack.Start(ctx, devstack.Options{
		Dir: dir, RandomPorts: true, Tenant: "bench", Out: io.Discard, Services: specs,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AfterStart: func(ctx context.Context, st *devstack.Stack) error {
			_, err := demo.Load(ctx, demo.Config{Endpoints: st.Endpoints, Mint: st.Issuer.Mint, Seed: 2025})
			return err
		},
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	sh := svc.Shared{Tenant: "bench", Replicas: 1, NATS: st.NATS, DatabaseURL: st.Endpoints["postgres"],
		Keys: seal.NewMemoryKeyProvider(), Clock: clock.Real{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := time.Now()
	res, err := replay.Run(ctx, replay.Options{Shared: sh, Services: services})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(cfg.Out, "## replay (every projection of intake, routing, supervision, reporting from sequence 1; the demo city's log)\n\n")
	table(cfg.Out, []string{"log messages", "projections' tables", "time", "messages/s (each replayed by every projection)", "identical to live"},
		[][]string{{fmt.Sprint(res.UntilSeq), fmt.Sprint(len(res.Tables)), elapsed.Round(time.Millisecond).String(),
			fmt.Sprintf("%.0f", float64(res.UntilSeq)/elapsed.Seconds()), fmt.Sprint(res.Identical())}})
	return nil
}
