// Command civicase is the all-in-one dev stack, the benchmark load tool and the operator and auditor
// CLI. `civicase --help` lists its commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "civicase",
		Short:         "civicase: citizen reception and petition case management",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(devCmd(), benchCmd(), keysCmd(), tokenCmd(), natsServerCmd(), auditCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "civicase:", err)
		os.Exit(1)
	}
}
