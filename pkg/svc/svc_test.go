package svc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc"
	"github.com/civicase/civicase/pkg/svc/svctest"
	"github.com/civicase/civicase/pkg/testenv"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestServiceServesHealthAndRecordsPersonalDataAccess(t *testing.T) {
	ctx := context.Background()
	env := svctest.New(t, time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC))
	r := env.Start("demo", func(ctx context.Context, e svc.Env) (*svc.Service, error) { return &svc.Service{}, nil })
	conn := env.Dial(r, "u1", auth.RoleReceptionOfficer, "W1")
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", resp, err)
	}

	// Opening sealed data appends PersonalDataAccessed to the subject's aggregate first.
	ref := seal.NewSubjectRef()
	scope := seal.Scope{Tenant: "test", AggregateType: "petition", AggregateID: "p1"}
	sd, err := r.Env.Sealer.Seal(ctx, ref, scope, &personv1.PersonalData{FullName: "Nguyễn Văn A"})
	if err != nil {
		t.Fatal(err)
	}
	actor := &eventv1.Actor{Subject: "u1", Role: "inspector", Unit: "W1"}
	if _, err := r.Env.Sealer.Open(ctx, sd, scope, seal.Access{Actor: actor, Purpose: "verification"}); err != nil {
		t.Fatal(err)
	}
	h, err := r.Env.Store.Load(ctx, eventstoreAggregate("pdaccess", ref))
	if err != nil {
		t.Fatal(err)
	}
	var got personv1.PersonalDataAccessed
	if len(h.Events) != 1 || h.Events[0].Envelope.GetPayload().UnmarshalTo(&got) != nil || got.GetPurpose() != "verification" || got.GetAggregateId() != "p1" || h.Events[0].Envelope.GetActor().GetSubject() != "u1" {
		t.Fatalf("access history: %v", h.Events)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Setenv("CIVICASE_JWKS_FILE", "/etc/civicase/jwks.json")
	for setting, value := range map[string]string{
		"CIVICASE_NATS_URL":        "localhost:4222",
		"CIVICASE_STREAM_REPLICAS": "2",
		"CIVICASE_DATABASE_URL":    "mysql://x",
		"CIVICASE_LOG_LEVEL":       "loud",
		"CIVICASE_TENANT":          "a.b",
	} {
		t.Run(setting, func(t *testing.T) {
			t.Setenv(setting, value)
			_, err := svc.LoadConfig("127.0.0.1:7001")
			var ce *svc.ConfigError
			if !errors.As(err, &ce) || ce.Setting != setting || !strings.Contains(err.Error(), setting) {
				t.Fatalf("got %v, want an error naming %s", err, setting)
			}
		})
	}
	t.Run("not a number", func(t *testing.T) {
		t.Setenv("CIVICASE_STREAM_REPLICAS", "three")
		if _, err := svc.LoadConfig("127.0.0.1:7001"); err == nil || !strings.Contains(err.Error(), "CIVICASE_STREAM_REPLICAS") {
			t.Fatalf("got %v", err)
		}
	})
	if _, err := svc.LoadConfig("127.0.0.1:7001"); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

func eventstoreAggregate(typ, id string) eventstore.Aggregate {
	return eventstore.Aggregate{Type: typ, ID: id}
}
