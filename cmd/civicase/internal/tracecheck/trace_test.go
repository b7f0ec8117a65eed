// Package tracecheck shows that one petition is one trace across the services: the intake call's
// span context travels in the envelope of the events it appends, and every service that projects
// those events continues the same trace.
package tracecheck

import (
	"context"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake"
	"github.com/civicase/civicase/services/routing"
	"github.com/civicase/civicase/services/supervision"
)

var (
	spans   = tracetest.NewInMemoryExporter()
	metrics = sdkmetric.NewManualReader()
)

func TestMain(m *testing.M) {
	// Installed before any service starts: gRPC instrumentation, projections and the services'
	// gauges pick the global providers up through OpenTelemetry's delegating globals.
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)))
	testenv.Main(m)
}

func TestOnePetitionIsOneTraceAcrossServices(t *testing.T) {
	ctx := context.Background()
	env := svctest.New(t, time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC))
	in := env.Start("intake", intake.New)
	env.Start("routing", routing.New)
	env.Start("supervision", supervision.New)

	units := unitv1.NewUnitRegistryServiceClient(env.Dial(in, "admin-1", auth.RoleAdmin, "W"))
	if _, err := units.RegisterUnit(ctx, &unitv1.RegisterUnitRequest{
		Meta: &commonv1.CommandMeta{CommandId: "unit-w"},
		Unit: &unitv1.UnitRegistered{Code: "W", Name: "Phường Thử", Kind: unitv1.UnitKind_UNIT_KIND_WARD, EffectiveFrom: &commonv1.CivilDate{Year: 2024, Month: 1, Day: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	spans.Reset()
	resp, err := intakev1.NewIntakeServiceClient(env.Dial(in, "officer-1", auth.RoleReceptionOfficer, "W")).RegisterPetition(ctx, &intakev1.RegisterPetitionRequest{
		Meta:              &commonv1.CommandMeta{CommandId: "trace-1"},
		UnitCode:          "W",
		ReceivedOn:        &commonv1.CivilDate{Year: 2025, Month: 3, Day: 10},
		Source:            commonv1.Source_SOURCE_POST,
		SenderType:        commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount:    1,
		Contents:          []*intakev1.PetitionContent{{Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING}},
		Sender:            &personv1.PersonalData{FullName: "Phạm Văn Vết", IdNumber: "058000000001"},
		Content:           &intakev1.SealedContent{Summary: "Khiếu nại", DecisionReference: "QĐ 1/QĐ-UBND"},
		ComplaintInstance: 1,
	})
	if err != nil {
		t.Fatal(err)
	}

	// The trace of the RegisterPetition call, and the services that took part in it.
	services := func() (trace string, names []string) {
		seen := map[string]bool{}
		var id string
		for _, s := range spans.GetSpans() {
			if s.Name == "civicase.intake.v1.IntakeService/RegisterPetition" {
				id = s.SpanContext.TraceID().String()
			}
		}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID().String() != id {
				continue
			}
			if s.Name == "civicase.intake.v1.IntakeService/RegisterPetition" {
				seen["intake"] = true
			}
			for _, a := range s.Attributes {
				if a.Key == "civicase.service" {
					seen[a.Value.AsString()] = true
				}
			}
		}
		for n := range seen {
			names = append(names, n)
		}
		sort.Strings(names)
		return id, names
	}
	testenv.Eventually(t, 30*time.Second, func() bool {
		_, names := services()
		return len(names) >= 3
	}, "spans of petition %s from three services", resp.GetPetitionId())
	id, names := services()
	t.Logf("trace %s spans services %v", id, names)
	want := map[string]bool{"intake": true, "routing": true, "supervision": true}
	for _, n := range names {
		delete(want, n)
	}
	if len(want) != 0 {
		t.Fatalf("trace %s misses %v (has %v)", id, want, names)
	}

	// The metrics: calls counted by the gRPC instrumentation, projection lag, open cases.
	gauge := func(name string) (int64, bool) {
		var rm metricdata.ResourceMetrics
		if err := metrics.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if g, ok := m.Data.(metricdata.Gauge[int64]); ok && m.Name == name {
					var sum int64
					for _, dp := range g.DataPoints {
						sum += dp.Value
					}
					return sum, true
				}
				if m.Name == name {
					return 0, true
				}
			}
		}
		return 0, false
	}
	testenv.Eventually(t, 30*time.Second, func() bool { n, _ := gauge("civicase.cases.open"); return n == 1 }, "one open case in the metrics")
	for _, name := range []string{"civicase.projection.lag", "civicase.cases.overdue", "rpc.server.call.duration"} {
		if _, ok := gauge(name); !ok {
			t.Errorf("metric %s not exported", name)
		}
	}
}
