// Package telemetry wires OpenTelemetry into civicase: traces across gRPC calls and JetStream
// messages (W3C trace context travels in each event's envelope and in the message headers, so one
// trace follows a petition from intake through the services that consume its events), metrics, and
// structured logs that carry the trace id.
package telemetry

import (
	"context"
	"errors"
	"log/slog"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

var propagator = propagation.TraceContext{}

func init() {
	// Trace context must propagate even in processes that export nothing (the dev stack), so that
	// the events they append still carry it for whoever consumes them.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// Setup installs global trace and metric providers exporting over OTLP/gRPC to endpoint
// (host:port); an empty endpoint installs nothing and telemetry stays local. The returned function
// flushes and stops the exporters.
func Setup(ctx context.Context, service, endpoint string) (func(context.Context) error, error) {
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("civicase-"+service))
	te, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	me, err := otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te), sdktrace.WithResource(res))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)), sdkmetric.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	return func(ctx context.Context) error { return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx)) }, nil
}

// ServerOption instruments a gRPC server: a span and duration/size metrics for every call.
func ServerOption() grpc.ServerOption { return grpc.StatsHandler(otelgrpc.NewServerHandler()) }

// DialOption instruments a gRPC client, propagating trace context to the server.
func DialOption() grpc.DialOption { return grpc.WithStatsHandler(otelgrpc.NewClientHandler()) }

// TraceOf returns the W3C trace context of the span in ctx, for an event envelope; nil if none.
func TraceOf(ctx context.Context) *eventv1.TraceContext {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return &eventv1.TraceContext{Traceparent: c["traceparent"], Tracestate: c["tracestate"]}
}

// ContextWithRemote returns ctx carrying the span context an event was appended under, so that work
// done because of the event (a projection applying it) joins the same trace.
func ContextWithRemote(ctx context.Context, t *eventv1.TraceContext) context.Context {
	if t.GetTraceparent() == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": t.GetTraceparent(), "tracestate": t.GetTracestate()})
}

// LogHandler adds trace_id and span_id to every record logged with a context that has a span.
func LogHandler(h slog.Handler) slog.Handler { return traceHandler{h} }

type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(as)}
}
func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
