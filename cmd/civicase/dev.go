package main

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/civicase/civicase/cmd/civicase/internal/devstack"
	"github.com/civicase/civicase/pkg/telemetry"
)

// services the dev stack runs, with their default ports (the standalone binaries use the same).
var services = []devstack.Service{}

func devCmd() *cobra.Command {
	o := devstack.Options{Tenant: "prtc", NATSPort: 7122, PostgresPort: 7132}
	var verbose bool
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
			return devstack.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Dir, "dir", filepath.Join("var", "dev"), "where all state lives (kept across restarts)")
	cmd.Flags().BoolVar(&o.Reset, "reset", false, "delete all state first")
	cmd.Flags().BoolVar(&o.RandomPorts, "random-ports", false, "listen on free ports (endpoints are written to <dir>/endpoints.json)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log service activity")
	return cmd
}
