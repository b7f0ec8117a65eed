// Package svc hosts a civicase service: it gives the service its log, its own PostgreSQL schema,
// the clock, the sealer for personal data and a gRPC server with the standard interceptor chain,
// then runs the service's projections and workers beside the server until the context ends.
//
// The same code runs one service per process (services/<name>/cmd/<name>) and every service in one
// process (`civicase dev`), so what the dev stack shows is what production runs.
package svc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/grpcx"
	"github.com/civicase/civicase/pkg/migrate"
	"github.com/civicase/civicase/pkg/projection"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/seal/sealpg"
	"github.com/civicase/civicase/pkg/telemetry"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// SealSchema is the schema of the data-key store every service shares: a subject's key must be one
// key everywhere, so that destroying it shreds the subject's data in every service at once.
const SealSchema = "seal"

// Shared is what every service of a process shares.
type Shared struct {
	// Tenant is the city or province deployment.
	Tenant string
	// Replicas of the tenant's stream: 1 on a single node (SyncAlways), 3 on a cluster.
	Replicas int
	// NATS is the connection to JetStream.
	NATS *nats.Conn
	// DatabaseURL is the PostgreSQL database the services' schemas live in.
	DatabaseURL string
	// Verifier checks bearer tokens; nil serves anonymous calls (tests only).
	Verifier *auth.Verifier
	// Keys wraps personal-data keys.
	Keys seal.KeyProvider
	// Clock is the process's clock.
	Clock clock.Clock
	// Log is the process's logger.
	Log *slog.Logger
}

// Env is what a service builds itself from.
type Env struct {
	Name    string
	Tenant  string
	Store   *eventstore.Store
	DB      *pgxpool.Pool // search_path is the service's schema
	Schema  string
	Clock   clock.Clock
	Sealer  *seal.Sealer
	Indexer *seal.Indexer
	Log     *slog.Logger
}

// Service is what a service contributes to its host.
type Service struct {
	// Migrations of the service's schema (goose SQL files); nil for none.
	Migrations fs.FS
	// Register adds the service's gRPC servers.
	Register func(*grpc.Server)
	// Projections keep the service's read models.
	Projections []projection.Projection
	// Workers run beside the server until the context ends (watchers, sequencers).
	Workers []func(ctx context.Context) error
	// Gauges are read models worth watching (open cases, overdue clocks), exported as metrics.
	Gauges []Gauge
}

// Gauge is a number a service reads from its read models when metrics are collected.
type Gauge struct {
	Name, Description, Unit string
	Observe                 func(ctx context.Context) (int64, error)
}

// Builder builds a service from its environment.
type Builder func(ctx context.Context, env Env) (*Service, error)

// Running is a started service.
type Running struct {
	Name    string
	Addr    net.Addr
	Env     Env
	Runners []*projection.Runner
	server  *grpc.Server
	health  interface {
		SetServingStatus(string, healthpb.HealthCheckResponse_ServingStatus)
	}
	cancel     context.CancelFunc
	metricsReg metric.Registration
	wg         sync.WaitGroup
	errMu      sync.Mutex
	err        error
}

// Start builds the named service, migrates its schema, and serves it on lis with its projections
// and workers running. It returns once the server is accepting calls.
func Start(ctx context.Context, sh Shared, name string, lis net.Listener, build Builder) (*Running, error) {
	env, err := Prepare(ctx, sh, name, name)
	if err != nil {
		return nil, err
	}
	log, store, db := env.Log, env.Store, env.DB
	s, err := build(ctx, env)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.Migrations != nil {
		if _, err := migrate.UpPool(ctx, db, s.Migrations, name); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: migrations: %w", name, err)
		}
	}
	opts := grpcx.ServerOptions{Logger: log, Extra: []grpc.ServerOption{telemetry.ServerOption()}}
	if sh.Verifier != nil {
		ai := auth.NewInterceptor(sh.Verifier, nil)
		opts.AuthUnary, opts.AuthStream = ai.Unary(), ai.Stream()
	}
	server := grpcx.NewServer(opts)
	if s.Register != nil {
		s.Register(server)
	}
	health := grpcx.RegisterHealth(server)
	grpcx.RegisterReflection(server)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &Running{Name: name, Addr: lis.Addr(), Env: env, server: server, health: health, cancel: cancel}
	for _, p := range s.Projections {
		runner, err := projection.NewRunner(p, projection.Config{Store: store, Pool: db, Schema: name, Logger: log, Now: sh.Clock.Now, AsyncCommit: true})
		if err != nil {
			cancel()
			db.Close()
			return nil, fmt.Errorf("%s: projection %s: %w", name, p.Name(), err)
		}
		r.Runners = append(r.Runners, runner)
		r.goRun("projection "+p.Name(), func() error { return runner.Run(runCtx) })
	}
	for i, w := range s.Workers {
		r.goRun(fmt.Sprintf("worker %d", i), func() error { return w(runCtx) })
	}
	if err := r.registerMetrics(s.Gauges); err != nil {
		cancel()
		db.Close()
		return nil, fmt.Errorf("%s: metrics: %w", name, err)
	}
	r.goRun("grpc", func() error {
		if err := server.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return err
		}
		return nil
	})
	health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	log.Info("service started", "addr", lis.Addr().String())
	return r, nil
}

func (r *Running) goRun(what string, f func() error) {
	r.wg.Go(func() {
		if err := f(); err != nil && !errors.Is(err, context.Canceled) {
			r.Env.Log.Error("service part stopped", "part", what, "err", err)
			r.errMu.Lock()
			if r.err == nil {
				r.err = fmt.Errorf("%s: %s: %w", r.Name, what, err)
			}
			r.errMu.Unlock()
			r.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		}
	})
}

// registerMetrics exports each projection's lag (events behind the log) and the service's own
// gauges; command rates and latencies come from the gRPC instrumentation.
func (r *Running) registerMetrics(gauges []Gauge) error {
	if len(r.Runners) == 0 && len(gauges) == 0 {
		return nil
	}
	meter := otel.Meter("github.com/civicase/civicase/pkg/svc")
	lag, err := meter.Int64ObservableGauge("civicase.projection.lag", metric.WithDescription("events of the log not yet applied by a projection"), metric.WithUnit("{event}"))
	if err != nil {
		return err
	}
	instruments := []metric.Observable{lag}
	observed := make([]metric.Int64ObservableGauge, len(gauges))
	for i, g := range gauges {
		if observed[i], err = meter.Int64ObservableGauge(g.Name, metric.WithDescription(g.Description), metric.WithUnit(g.Unit)); err != nil {
			return err
		}
		instruments = append(instruments, observed[i])
	}
	service := metric.WithAttributes(attribute.String("service", r.Name))
	reg, err := meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		for _, pr := range r.Runners {
			st := pr.Status()
			o.ObserveInt64(lag, int64(st.Lag), metric.WithAttributes(attribute.String("service", r.Name), attribute.String("projection", st.Name)))
		}
		for i, g := range gauges {
			if v, err := g.Observe(ctx); err == nil {
				o.ObserveInt64(observed[i], v, service)
			}
		}
		return nil
	}, instruments...)
	if err != nil {
		return err
	}
	r.metricsReg = reg
	return nil
}

// Err is the first error of a part that stopped (a projection that cannot apply an event, a worker).
func (r *Running) Err() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// Stop stops serving (letting calls in flight finish), stops projections and workers, and closes the database.
func (r *Running) Stop() {
	r.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	r.server.GracefulStop()
	r.cancel()
	if r.metricsReg != nil {
		_ = r.metricsReg.Unregister()
	}
	r.wg.Wait()
	r.Env.DB.Close()
}

// Prepare makes the environment a service builds itself from, working in the given PostgreSQL
// schema: the service's own for Start, a scratch one for an auditor's replay.
func Prepare(ctx context.Context, sh Shared, name, schema string) (Env, error) {
	log := sh.Log.With("service", name)
	store, err := eventstore.Open(ctx, sh.NATS, eventstore.Config{Tenant: sh.Tenant, Replicas: sh.Replicas, Now: sh.Clock.Now})
	if err != nil {
		return Env{}, fmt.Errorf("%s: event store: %w", name, err)
	}
	db, err := schemaPool(ctx, sh.DatabaseURL, schema)
	if err != nil {
		return Env{}, fmt.Errorf("%s: database: %w", name, err)
	}
	sealer, indexer, err := newSealer(ctx, sh, db, store)
	if err != nil {
		db.Close()
		return Env{}, fmt.Errorf("%s: sealer: %w", name, err)
	}
	return Env{Name: name, Tenant: sh.Tenant, Store: store, DB: db, Schema: schema, Clock: sh.Clock, Sealer: sealer, Indexer: indexer, Log: log}, nil
}

// schemaPool opens a pool whose connections work in the service's schema.
func schemaPool(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	// pgxpool's default (the number of CPUs, at least 4) queues concurrent commands of a small
	// machine behind each other's commits; a command holds a connection only for short statements,
	// so allow more unless the URL says otherwise (pool_max_conns).
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func newSealer(ctx context.Context, sh Shared, db *pgxpool.Pool, store *eventstore.Store) (*seal.Sealer, *seal.Indexer, error) {
	if err := sealpg.Migrate(ctx, db, SealSchema); err != nil {
		return nil, nil, err
	}
	sealer, err := seal.New(seal.Options{
		Keys:     sh.Keys,
		Store:    sealpg.New(db, SealSchema),
		Recorder: accessRecorder{store: store},
		Clock:    sh.Clock.Now,
	})
	if err != nil {
		return nil, nil, err
	}
	indexer, err := seal.NewIndexer(ctx, sh.Keys)
	if err != nil {
		return nil, nil, err
	}
	return sealer, indexer, nil
}

// accessRecorder appends a PersonalDataAccessed event to the data subject's `pdaccess` aggregate
// before clear data is handed out; if the append fails, the data is withheld.
type accessRecorder struct{ store *eventstore.Store }

func (a accessRecorder) RecordAccess(ctx context.Context, rec seal.AccessRecord) error {
	agg := eventstore.Aggregate{Type: "pdaccess", ID: rec.SubjectRef}
	ev := eventstore.Event{OccurredAt: rec.At, Payload: &personv1.PersonalDataAccessed{
		SubjectRef: rec.SubjectRef, AggregateType: rec.Scope.AggregateType, AggregateId: rec.Scope.AggregateID, Purpose: rec.Purpose,
	}}
	meta := eventstore.Metadata{CommandID: "access-" + uuid.NewString(), Actor: rec.Actor}
	_, err := a.store.Execute(ctx, agg, meta, func(eventstore.History) ([]eventstore.Event, error) {
		return []eventstore.Event{ev}, nil
	})
	return err
}
