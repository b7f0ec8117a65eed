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
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/telemetry"
	"github.com/civicase/civicase/services/audit"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/reporting"
	"github.com/civicase/civicase/services/routing"
	"github.com/civicase/civicase/services/supervision"
)

// services are what the dev stack runs, with their default ports (the standalone binaries use the
// same); state that a service keeps in files (the audit signing key) lives under the stack's dir.
func services(dir string) []devstack.Service {
	return []devstack.Service{
		{Name: "intake", Port: 7101, Build: intake.New},
		{Name: "routing", Port: 7102, Build: routing.New},
		{Name: "supervision", Port: 7103, Build: supervision.New},
		{Name: "audit", Port: 7105, Build: audit.NewWith(audit.Options{KeyDir: filepath.Join(dir, "audit"), GenerateKey: true, CheckpointInterval: 10 * time.Second})},
		{Name: "reporting", Port: 7104, BuildFrom: reportingWithAudit},
	}
}

func devCmd() *cobra.Command {
	o := devstack.Options{Tenant: "prtc", NATSPort: 7122, PostgresPort: 7132}
	var verbose bool
	demoMode := "full"
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
			o.Services = services(o.Dir)
			switch demoMode {
			case "full", "registry":
				o.AfterStart = func(ctx context.Context, st *devstack.Stack) error { return loadDemoOnce(ctx, st, demoMode == "full") }
			case "none":
			default:
				return fmt.Errorf("--demo %q: must be full, registry or none", demoMode)
			}
			return devstack.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", filepath.Join("var", "dev"), "where all state lives (kept across restarts)")
	cmd.Flags().BoolVar(&o.Reset, "reset", false, "delete all state first")
	cmd.Flags().BoolVar(&o.RandomPorts, "random-ports", false, "listen on free ports (endpoints are written to <dir>/endpoints.json)")
	cmd.Flags().StringVar(&demoMode, "demo", demoMode, "what to load on first start: full (the demo city and two years of history), registry (units only) or none")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log service activity")
	return cmd
}

// demoMarker records in the stack's directory that the demo city was loaded, so a restart does not
// replay the loader (which would append nothing new, but takes time).
const demoMarker = "demo.loaded"

func loadDemoOnce(ctx context.Context, st *devstack.Stack, history bool) error {
	marker := filepath.Join(st.Opts.Dir, demoMarker)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	fmt.Fprintln(st.Opts.Out, "civicase dev: loading the demo city (first start only)")
	start := time.Now()
	cfg := demo.Config{Endpoints: st.Endpoints, Mint: st.Issuer.Mint, Progress: os.Stderr, Seed: 2025}
	if !history {
		if err := demo.LoadRegistry(ctx, cfg); err != nil {
			return fmt.Errorf("demo registry: %w", err)
		}
		return os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
	}
	sum, err := demo.Load(ctx, cfg)
	if err != nil {
		return fmt.Errorf("demo city: %w", err)
	}
	fmt.Fprintf(st.Opts.Out, "civicase dev: demo city loaded in %s: %d reception sessions with %d visits, %d petitions (%d repeats), %d cases, %d processing and resolution steps\n",
		time.Since(start).Round(time.Second), sum.Sessions, sum.Visits, sum.Petitions, sum.Duplicates, sum.Cases, sum.Steps)
	for _, r := range sum.Refused {
		fmt.Fprintln(st.Opts.Out, "  refused:", r)
	}
	return os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}

// reportingWithAudit builds reporting so that its reports carry the audit checkpoint covering them:
// it calls the audit service as a read-only service account whose token the dev issuer mints.
func reportingWithAudit(st *devstack.Stack) (svc.Builder, error) {
	tok, err := st.Issuer.Mint("svc-reporting", auth.RoleAuditor, "KH", 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(st.Opts.Dir, "auth", "reporting-audit.token")
	if err := os.WriteFile(file, []byte(tok), 0o600); err != nil {
		return nil, err
	}
	return reporting.NewWith(reporting.Options{AuditAddr: st.Endpoints["audit"], AuditTokenFile: file, AsOfKeep: 4}), nil
}
