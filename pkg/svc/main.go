package svc

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/telemetry"
)

// Main runs one service as its own process, configured from the environment (see Config), until
// SIGINT or SIGTERM. A bad setting ends the process with a message naming it and exit status 2.
func Main(name, defaultAddr string, build Builder) {
	cfg, err := LoadConfig(defaultAddr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, name, cfg, build); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, cfg Config, build Builder) error {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
	shutdown, err := telemetry.Setup(ctx, name, cfg.OTLPEndpoint)
	if err != nil {
		return fmt.Errorf("telemetry (CIVICASE_OTLP_ENDPOINT=%s): %w", cfg.OTLPEndpoint, err)
	}
	defer func() { _ = shutdown(context.WithoutCancel(ctx)) }()
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("civicase-"+name), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", cfg.NATSURL, err)
	}
	defer nc.Close()
	keys, err := auth.LoadJWKS(cfg.JWKSFile)
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Keys: keys, Leeway: time.Minute})
	if err != nil {
		return err
	}
	kp, err := seal.NewFileKeyProvider(cfg.SealKeyDir)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return err
	}
	sh := Shared{Tenant: cfg.Tenant, Replicas: cfg.StreamReplicas, NATS: nc, DatabaseURL: cfg.DatabaseURL, Verifier: verifier, Keys: kp, Clock: clock.Real{}, Log: log}
	r, err := Start(ctx, sh, name, lis, build)
	if err != nil {
		return err
	}
	<-ctx.Done()
	r.Stop()
	return r.Err()
}
