package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/civicase/civicase/cmd/civicase/internal/demo"
	"github.com/civicase/civicase/cmd/civicase/internal/devstack"
	"github.com/civicase/civicase/pkg/telemetry"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/routing"
)

// services the dev stack runs, with their default ports (the standalone binaries use the same).
var services = []devstack.Service{
	{Name: "intake", Port: 7101, Build: intake.New},
	{Name: "routing", Port: 7102, Build: routing.New},
}

func devCmd() *cobra.Command {
	o := devstack.Options{Tenant: "prtc", NATSPort: 7122, PostgresPort: 7132}
	var verbose, noDemo bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "run the whole system in one process: JetStream, a private PostgreSQL, every service, demo data",
		RunE: func(cmd *cobra.Command, args []string) error {
			lvl := slog.LevelWarn
			if verbose {
				lvl = slog.LevelInfo
			}
			o.Log = slog.New(telemetry.LogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			o.Out = os.Stdout
			o.Services = services
			if !noDemo {
				o.AfterStart = loadDemoOnce
			}
			return devstack.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", filepath.Join("var", "dev"), "where all state lives (kept across restarts)")
	cmd.Flags().BoolVar(&o.Reset, "reset", false, "delete all state first")
	cmd.Flags().BoolVar(&o.RandomPorts, "random-ports", false, "listen on free ports (endpoints are written to <dir>/endpoints.json)")
	cmd.Flags().BoolVar(&noDemo, "no-demo", false, "do not load the demo city on first start")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log service activity")
	return cmd
}

// demoMarker records in the stack's directory that the demo city was loaded, so a restart does not
// replay the loader (which would append nothing new, but takes time).
const demoMarker = "demo.loaded"

func loadDemoOnce(ctx context.Context, st *devstack.Stack) error {
	marker := filepath.Join(st.Opts.Dir, demoMarker)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	fmt.Fprintln(st.Opts.Out, "civicase dev: loading the demo city (first start only)")
	start := time.Now()
	err := demo.Load(ctx, demo.Config{Endpoints: st.Endpoints, Mint: st.Issuer.Mint, Progress: os.Stderr, Seed: 2025})
	if err != nil {
		return fmt.Errorf("demo city: %w", err)
	}
	fmt.Fprintf(st.Opts.Out, "civicase dev: demo city loaded in %s\n", time.Since(start).Round(time.Second))
	return os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}
