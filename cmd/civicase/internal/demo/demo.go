// Package demo loads the demo city — Phan Rang–Tháp Chàm, its wards and agencies, the July 2025
// reorganisation, and two years of reception and petitions — through the services' public gRPC
// APIs, never by writing tables, so the demo exercises exactly what users do.
package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/telemetry"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake/registry"
)

// Minter mints a bearer token for a demo identity.
type Minter func(subject string, role auth.Role, unit string, ttl time.Duration) (string, error)

// Config says where the services are and how to act as the demo's users.
type Config struct {
	// Endpoints by service name (intake, routing, …).
	Endpoints map[string]string
	// Mint makes tokens for the demo's officers.
	Mint Minter
	// Progress receives the progress bars (stderr); nil hides them.
	Progress io.Writer
	// Seed makes the generated history reproducible.
	Seed int64
}

// Load loads the unit registry and then the generated history. Every command has a deterministic
// id, so loading again appends nothing new.
func Load(ctx context.Context, cfg Config) (Summary, error) {
	if err := LoadRegistry(ctx, cfg); err != nil {
		return Summary{}, fmt.Errorf("unit registry: %w", err)
	}
	return LoadHistory(ctx, cfg)
}

// dial connects to a service as a demo user.
func dial(cfg Config, service, subject string, role auth.Role, unit string) (*grpc.ClientConn, error) {
	tok, err := cfg.Mint(subject, role, unit, 6*time.Hour)
	if err != nil {
		return nil, err
	}
	addr, ok := cfg.Endpoints[service]
	if !ok {
		return nil, fmt.Errorf("no endpoint for %s", service)
	}
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.StaticToken(tok, true)), telemetry.DialOption())
}

func bar(cfg Config, n int, what string) *progressbar.ProgressBar {
	w := cfg.Progress
	if w == nil {
		w = io.Discard
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
}

// LoadRegistry loads only the demo unit registry (the 2025 reorganisation included).
func LoadRegistry(ctx context.Context, cfg Config) error {
	f, err := registry.Demo()
	if err != nil {
		return err
	}
	reqs, err := f.Requests()
	if err != nil {
		return err
	}
	conn, err := dial(cfg, "intake", "demo-loader", auth.RoleAdmin, "NT")
	if err != nil {
		return err
	}
	defer conn.Close()
	client := unitv1.NewUnitRegistryServiceClient(conn)
	b := bar(cfg, len(reqs), "unit registry")
	for _, r := range reqs {
		if err := r.Send(ctx, client); err != nil {
			return err
		}
		_ = b.Add(1)
	}
	return nil
}
