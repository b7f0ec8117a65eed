// Package audit is the audit service: a single sequencer appends every event of the tenant's log
// to an RFC 6962 Merkle tree kept in PostgreSQL, a checkpointer signs the tree (C2SP
// tlog-checkpoint as an Ed25519 signed note) at an interval and on demand, and the gRPC API serves
// checkpoints, inclusion and consistency proofs and a case's events with their proofs.
//
// The leaf, checkpoint and bundle formats, and the verifier auditors run, are in package auditlog.
package audit

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/svc"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	"github.com/civicase/civicase/services/audit/auditlog"
	grpcadapter "github.com/civicase/civicase/services/audit/internal/adapters/grpc"
	"github.com/civicase/civicase/services/audit/internal/adapters/postgres"
	"github.com/civicase/civicase/services/audit/internal/app"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure the service. Options read from the environment by New are documented on
// each field.
type Options struct {
	// KeyDir holds the checkpoint signing key, civicase.<tenant>.skey (mode 0600), and its verifier
	// key, civicase.<tenant>.vkey, which auditors pin.
	KeyDir string `env:"CIVICASE_AUDIT_KEY_DIR" envDefault:"/var/lib/civicase/audit"`
	// GenerateKey creates the key pair when KeyDir has none (development). In production a missing
	// key is an error: a silently new key would orphan every checkpoint auditors saved.
	GenerateKey bool `env:"CIVICASE_AUDIT_GENERATE_KEY" envDefault:"false"`
	// CheckpointInterval is how often a grown tree is signed.
	CheckpointInterval time.Duration `env:"CIVICASE_AUDIT_CHECKPOINT_INTERVAL" envDefault:"1m"`
	// BatchEvents bounds the events the sequencer writes per transaction while catching up.
	BatchEvents int `env:"CIVICASE_AUDIT_BATCH_EVENTS" envDefault:"5000"`
	// Ticks wakes the checkpointer; nil means a ticker at a tenth of the interval (at most 5 s).
	// Whether a tick publishes is decided by the service's clock.
	Ticks <-chan time.Time `env:"-"`
}

// OptionsFromEnv reads Options from the environment.
func OptionsFromEnv() (Options, error) {
	var o Options
	if err := env.Parse(&o); err != nil {
		return o, fmt.Errorf("audit settings: %w", err)
	}
	if o.CheckpointInterval <= 0 {
		return o, fmt.Errorf("audit settings: CIVICASE_AUDIT_CHECKPOINT_INTERVAL=%s must be positive", o.CheckpointInterval)
	}
	return o, nil
}

// New builds the service configured from the environment (see Options).
func New(ctx context.Context, e svc.Env) (*svc.Service, error) {
	o, err := OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	return NewWith(o)(ctx, e)
}

// NewWith builds the service with explicit options (tests, the dev stack).
func NewWith(o Options) svc.Builder {
	return func(ctx context.Context, e svc.Env) (*svc.Service, error) {
		origin := auditlog.Origin(e.Tenant)
		skey, vkey, err := LoadKey(o.KeyDir, origin, o.GenerateKey)
		if err != nil {
			return nil, err
		}
		if o.CheckpointInterval <= 0 {
			o.CheckpointInterval = time.Minute
		}
		tree := postgres.New(e.DB, e.Schema)
		seq := &app.Sequencer{Log: e.Store, Tree: tree, Logger: e.Log, BatchEvents: o.BatchEvents, Retry: 2 * time.Second}
		cps := &app.Checkpointer{Tree: tree, Origin: origin, SignerKey: skey, Clock: e.Clock, Interval: o.CheckpointInterval, Logger: e.Log}
		proofs := &app.Proofs{Tree: tree, Log: e.Store, Checkpointer: cps}
		server := &grpcadapter.Server{Proofs: proofs, Origin: origin, VerifierKey: vkey}
		sub, err := fs.Sub(migrations, "migrations")
		if err != nil {
			return nil, err
		}
		e.Log.Info("audit checkpoints are signed", "origin", origin, "verifier_key", vkey)
		return &svc.Service{
			Migrations: sub,
			Register:   func(s *grpc.Server) { auditv1.RegisterAuditServiceServer(s, server) },
			Workers: []func(context.Context) error{
				seq.Run,
				func(ctx context.Context) error {
					ticks := o.Ticks
					if ticks == nil {
						t := time.NewTicker(min(o.CheckpointInterval/10, 5*time.Second))
						defer t.Stop()
						ticks = t.C
					}
					return cps.Run(ctx, ticks)
				},
			},
		}, nil
	}
}

// LoadKey reads the checkpoint signing key of origin from dir, or generates it there when
// generate is set and there is none. It returns the signer key and the verifier key.
func LoadKey(dir, origin string, generate bool) (signer, verifier string, err error) {
	skeyPath := filepath.Join(dir, origin+".skey")
	vkeyPath := filepath.Join(dir, origin+".vkey")
	b, err := os.ReadFile(skeyPath)
	if errors.Is(err, fs.ErrNotExist) && generate {
		if signer, verifier, err = auditlog.GenerateKey(origin); err != nil {
			return "", "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(skeyPath, []byte(signer+"\n"), 0o600); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(vkeyPath, []byte(verifier+"\n"), 0o644); err != nil {
			return "", "", err
		}
		return signer, verifier, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("checkpoint signing key %s (CIVICASE_AUDIT_KEY_DIR): %w", skeyPath, err)
	}
	signer = strings.TrimSpace(string(b))
	v, err := os.ReadFile(vkeyPath)
	if err != nil {
		return "", "", fmt.Errorf("checkpoint verifier key %s (CIVICASE_AUDIT_KEY_DIR): %w", vkeyPath, err)
	}
	verifier = strings.TrimSpace(string(v))
	// A mismatched pair would sign checkpoints nobody can verify: prove the pair before serving.
	probe := auditlog.Checkpoint{Origin: origin}
	note, err := auditlog.Sign(probe, signer)
	if err != nil {
		return "", "", fmt.Errorf("checkpoint signing key %s: %w", skeyPath, err)
	}
	if _, err := auditlog.Open([]byte(note), verifier, origin); err != nil {
		return "", "", fmt.Errorf("checkpoint keys in %s do not belong together: %w", dir, err)
	}
	return signer, verifier, nil
}
