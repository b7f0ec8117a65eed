package devstack

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// TokensFile holds one `export CIVICASE_TOKEN_<ROLE>=…` line per demo user, for shells and scripts.
const TokensFile = "tokens.env"

// banner prints what is running and how to use it, and writes the demo tokens to a file.
func (st *Stack) banner(w io.Writer) error {
	tokens, err := st.Tokens()
	if err != nil {
		return err
	}
	var env strings.Builder
	for _, t := range tokens {
		fmt.Fprintf(&env, "export CIVICASE_TOKEN_%s=%s\n", strings.ToUpper(string(t.Role)), t.Token)
	}
	tokPath := filepath.Join(st.Opts.Dir, TokensFile)
	if err := os.WriteFile(tokPath, []byte(env.String()), 0o600); err != nil {
		return err
	}
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "civicase dev stack — tenant", st.Opts.Tenant)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  service\tendpoint")
	for _, r := range st.Running {
		fmt.Fprintf(tw, "  %s\t%s (gRPC, health, reflection)\n", r.Name, r.Addr)
	}
	fmt.Fprintf(tw, "  nats\t%s (JetStream, stream %s)\n", st.NATSURL, "EV-"+st.Opts.Tenant)
	fmt.Fprintf(tw, "  postgres\t%s\n", st.PG.DSN("civicase"))
	tw.Flush()
	fmt.Fprintln(w, "\n  demo users (role, unit — tokens valid 24 h):")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, t := range tokens {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", t.Role, t.Unit, t.About)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n  tokens:    source %s   (CIVICASE_TOKEN_<ROLE>)\n", tokPath)
	if len(st.Running) > 0 {
		addr := st.Running[0].Addr
		fmt.Fprintf(w, "  try:       source %s\n", tokPath)
		fmt.Fprintf(w, "             grpcurl -plaintext -H \"authorization: Bearer $CIVICASE_TOKEN_RECEPTION_OFFICER\" %s list\n", addr)
		fmt.Fprintf(w, "             var/bin/buf curl --protocol grpc --http2-prior-knowledge http://%s/grpc.health.v1.Health/Check\n", addr)
		fmt.Fprintf(w, "             (buf is built by `make tools`; both clients use the servers' reflection)\n")
	}
	fmt.Fprintf(w, "  data:      %s (PostgreSQL data: %s); `make run ARGS=--reset` starts over\n", st.Opts.Dir, st.DataDir)
	fmt.Fprintln(w, "\ncivicase dev: ready (Ctrl-C stops)")
	return nil
}
