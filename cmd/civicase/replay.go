package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/civicase/civicase/cmd/civicase/internal/replay"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc"
)

// replayCmd is `civicase audit replay`.
func replayCmd(natsURL, tenant *string) *cobra.Command {
	var dbURL, untilArg string
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "rebuild every projection from sequence 1 up to a point into scratch schemas and diff them with the live read models",
		Long: `Rebuilds every service's read models from the log, from sequence 1 up to --until (a stream
sequence, a date YYYY-MM-DD meaning the end of that day in Vietnam, or an RFC 3339 time; default the
live end; times are when the log stored the events, so a date gives the read models as they stood
that day), into scratch schemas replay_<service>, and compares each table with the live one. At the
live point every table must be identical; at an earlier point the scratch schemas hold the read
models as they stood then.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := replay.Options{Services: replay.Projected, Progress: os.Stderr}
			if err := parseUntil(untilArg, &o); err != nil {
				return err
			}
			nc, err := nats.Connect(*natsURL)
			if err != nil {
				return fmt.Errorf("--nats %s: %w", *natsURL, err)
			}
			defer nc.Close()
			o.Shared = svc.Shared{Tenant: *tenant, Replicas: 1, NATS: nc, DatabaseURL: dbURL, Keys: seal.NewMemoryKeyProvider(),
				Clock: clock.Real{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			res, err := replay.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "replayed to sequence %d (live end %d)\n", res.UntilSeq, res.LiveSeq)
			for _, t := range res.Tables {
				verdict := "identical"
				if t.Differing != 0 {
					verdict = fmt.Sprintf("%d rows differ", t.Differing)
				}
				fmt.Fprintf(out, "  %-12s %-22s %-28s %s\n", t.Service, t.Projection, t.Table, verdict)
			}
			if res.UntilSeq == res.LiveSeq && !res.Identical() {
				return fmt.Errorf("replay to the live point differs from the live read models")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database", "postgres://postgres@127.0.0.1:7132/civicase?sslmode=disable", "PostgreSQL database of the deployment")
	cmd.Flags().StringVar(&untilArg, "until", "", "stream sequence, date (YYYY-MM-DD) or RFC 3339 time; empty: the live end")
	return cmd
}

func parseUntil(s string, o *replay.Options) error {
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		o.UntilSeq = n
		return nil
	}
	if d, err := calendar.ParseDate(s); err == nil {
		o.UntilTime = d.AddDays(1).Start().Add(-time.Nanosecond)
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("--until %q: not a sequence, a date (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	o.UntilTime = t
	return nil
}
