// Package reporting is the reporting service: the statutory report forms filled from the log and
// rolled up through the unit hierarchy as it stood, their exports, small dashboards, and the
// reporting obligations of plans with frozen submissions. New builds it for the service host
// (pkg/svc), which runs it standalone (cmd/reporting) or inside `civicase dev`.
package reporting

import (
	"context"
	"fmt"
	"strings"

	"github.com/caarlos0/env/v11"
	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/svc"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/adapters/auditclient"
	grpcadapter "github.com/civicase/civicase/services/reporting/internal/adapters/grpc"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/internal/app"
	"github.com/civicase/civicase/services/reporting/internal/forms"
	"github.com/civicase/civicase/services/reporting/migrations"
)

// Projection names, for callers that wait for the read model (tests, the dev stack).
const (
	ProjectionFacts       = "facts"
	ProjectionUnits       = "units"
	ProjectionObligations = "obligations"
)

// Options configure the service beyond the host's settings. New reads them from the environment,
// as documented on each field.
type Options struct {
	// AuditAddr is the audit service's host:port. Reports are stamped with the audit checkpoint
	// covering the log position they were computed at; empty stamps the position alone.
	AuditAddr string `env:"CIVICASE_AUDIT_ADDR"`
	// AuditTokenFile holds the bearer token reporting presents to the audit service (a service
	// account with the read-only auditor role; re-read when it changes). Empty forwards the
	// caller's token, which the audit service accepts from auditors, inspectors and admins only.
	AuditTokenFile string `env:"CIVICASE_AUDIT_TOKEN_FILE"`
	// AuditTLS dials the audit service with TLS.
	AuditTLS bool `env:"CIVICASE_AUDIT_TLS" envDefault:"false"`
	// AsOfKeep is how many read models rebuilt for reports "as of" a past point are kept (each a
	// schema reporting_asof_<sequence>; a rebuild reads the log from its start).
	AsOfKeep int `env:"CIVICASE_REPORTING_ASOF_KEEP" envDefault:"4"`
}

// OptionsFromEnv reads Options from the environment and names the first bad setting.
func OptionsFromEnv() (Options, error) {
	var o Options
	if err := env.Parse(&o); err != nil {
		return o, fmt.Errorf("reporting settings: %w", err)
	}
	return o, o.Validate()
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.AuditAddr != "" {
		if _, port, ok := strings.Cut(o.AuditAddr, ":"); !ok || port == "" {
			return fmt.Errorf("invalid setting CIVICASE_AUDIT_ADDR=%q: must be host:port", o.AuditAddr)
		}
	}
	if o.AsOfKeep < 1 {
		return fmt.Errorf("invalid setting CIVICASE_REPORTING_ASOF_KEEP=%d: must be at least 1", o.AsOfKeep)
	}
	return nil
}

// New builds the reporting service configured from the environment (see Options).
func New(ctx context.Context, e svc.Env) (*svc.Service, error) {
	o, err := OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	return NewWith(o)(ctx, e)
}

// NewWith builds the service with explicit options (tests, the dev stack).
func NewWith(o Options) svc.Builder {
	return func(_ context.Context, env svc.Env) (*svc.Service, error) {
		if o.AsOfKeep == 0 {
			o.AsOfKeep = postgres.DefaultPastStatesKept
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		deps := app.Deps{
			Store:       env.Store,
			Clock:       env.Clock,
			Units:       &postgres.Registry{DB: env.DB, Log: env.Log},
			Sums:        postgres.SumsReader{DB: env.DB},
			Obligations: postgres.ObligationStore{DB: env.DB},
			Forms:       forms.Builtin(),
			Log:         env.Log,
			Past:        &postgres.PastStates{DB: env.DB, Store: env.Store, Schema: env.Schema, Keep: o.AsOfKeep, Log: env.Log, Now: env.Clock.Now},
		}
		if o.AuditAddr != "" {
			c, err := auditclient.New(auditclient.Config{Addr: o.AuditAddr, TokenFile: o.AuditTokenFile, TLS: o.AuditTLS}, env.Store)
			if err != nil {
				return nil, err
			}
			deps.Checkpoints = c
		}
		a := app.New(deps)
		return &svc.Service{
			Migrations: migrations.FS,
			Register: func(s *grpc.Server) {
				reportingv1.RegisterReportingServiceServer(s, grpcadapter.NewServer(a))
			},
			Projections: []projection.Projection{postgres.UnitEvents{}, postgres.NewFacts(), postgres.Obligations{}},
		}, nil
	}
}
