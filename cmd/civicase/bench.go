package main

import (
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/civicase/civicase/cmd/civicase/internal/bench"
)

func benchCmd() *cobra.Command {
	var cfg bench.Config
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench [scenario...]",
		Short: "measure civicase against the raw engines in the same run (scenarios: " + strings.Join(bench.Scenarios(), ", ") + ")",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Out = os.Stdout
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return bench.Run(cmd.Context(), cfg, args)
		},
	}
	cmd.Flags().DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long each throughput measurement runs")
	cmd.Flags().IntSliceVar(&cfg.Subjects, "subjects", []int{100_000, 1_000_000}, "distinct aggregates for the memory scenario")
	cmd.Flags().StringVar(&cfg.Dir, "dir", "", "scratch directory (default: a temporary directory)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (client and embedded servers) to this file")
	return cmd
}

func natsServerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "nats-server STORE_DIR",
		Short:  "run only the embedded JetStream server (used by the memory benchmark to measure it alone)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return bench.ServeNATS(cmd.Context(), args[0], os.Stdout)
		},
	}
}
