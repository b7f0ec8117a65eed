package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/civicase/civicase/cmd/civicase/internal/auditcli"
)

func auditCmd() *cobra.Command {
	var o auditcli.Options
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "auditor's tools: verify the log against signed checkpoints, export an offline bundle, prove a case's history",
		Long: `Auditor's tools. Nothing the deployment says is trusted beyond a signature or a proof: the log
is read straight from JetStream, checkpoints are checked with a verifier key you pin (--key, or the one
saved in --checkpoints on the first run), and the audit service only supplies proofs.

The bearer token for the audit service comes from --token or $` + auditcli.TokenEnv + `.
replay --until rebuilds the read models as they stood at a point of the log.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.NATSURL, "nats", "nats://127.0.0.1:7122", "JetStream server holding the log")
	pf.StringVar(&o.Tenant, "tenant", "prtc", "tenant whose log to check")
	pf.StringVar(&o.Audit, "audit", "", "audit service gRPC address (host:port): checkpoints and proofs")
	pf.StringVar(&o.Token, "token", "", "bearer token for the audit service (default $"+auditcli.TokenEnv+")")
	pf.BoolVar(&o.TLS, "tls", false, "dial the audit service with TLS")
	pf.StringVar(&o.Key, "key", "", "trusted checkpoint verifier key, or a file holding it")
	pf.StringVar(&o.Checkpoints, "checkpoints", "", "directory of checkpoints verified before (each run proves the new one consistent with them and adds it)")
	setOut := func(cmd *cobra.Command) {
		o.Out, o.Progress = cmd.OutOrStdout(), os.Stderr
	}

	verify := &cobra.Command{
		Use:   "verify",
		Short: "re-read the whole log: every hash chain, the Merkle root against the latest signed checkpoint, consistency with saved checkpoints",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			setOut(cmd)
			return auditcli.Verify(cmd.Context(), o)
		},
	}
	verify.Flags().StringVar(&o.Bundle, "bundle", "", "verify this exported bundle offline (no NATS, no audit service)")
	verify.Flags().StringVar(&o.Checkpoint, "checkpoint", "", "verify against this signed checkpoint file instead of the service's latest")

	var out string
	export := &cobra.Command{
		Use:   "export",
		Short: "write a self-contained bundle (.tar, .zip or .json) of the log up to the latest checkpoint, verifiable offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			setOut(cmd)
			return auditcli.Export(cmd.Context(), o, out)
		},
	}
	export.Flags().StringVar(&out, "out", "bundle.tar", "bundle file; the extension picks the format")
	export.Flags().StringVar(&o.Checkpoint, "checkpoint", "", "export up to this signed checkpoint file instead of the service's latest")

	history := &cobra.Command{
		Use:   "history CASE-ID",
		Short: "a case's timeline (petition and case events) with each event's inclusion proof checked against the latest checkpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			setOut(cmd)
			return auditcli.History(cmd.Context(), o, args[0])
		},
	}
	cmd.AddCommand(verify, export, history, replayCmd(&o.NATSURL, &o.Tenant))
	return cmd
}
