package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/civicase/civicase/cmd/civicase/internal/demo"
	"github.com/civicase/civicase/cmd/civicase/internal/devstack"
	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	"github.com/civicase/civicase/services/intake"
)

// runRegister measures the register-petition command end to end over gRPC — validation, sealing,
// the duplicate look-up, the durable append — with 1 and 16 clients, against raw js.Publish on the
// same SyncAlways server in the same run.
func runRegister(ctx context.Context, cfg Config, dir string) error {
	st, err := devstack.Start(ctx, devstack.Options{
		Dir: dir, RandomPorts: true, Tenant: "bench", Out: io.Discard,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Services: []devstack.Service{{Name: "intake", Build: intake.New}},
		AfterStart: func(ctx context.Context, st *devstack.Stack) error {
			return demo.LoadRegistry(ctx, demo.Config{Endpoints: st.Endpoints, Mint: st.Issuer.Mint})
		},
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	js, _ := jetstream.New(st.NATS)
	rawCfg := eventstore.StreamConfig(eventstore.Config{Tenant: "raw"})
	rawCfg.Name, rawCfg.Subjects = "RAW", []string{"raw.>"}
	if _, err := js.CreateStream(ctx, rawCfg); err != nil {
		return err
	}
	rawBody := make([]byte, 1200) // about the size of a registration commit with its sealed data
	_, _ = rand.Read(rawBody)

	const unit = "NT.PRTC.KD"
	var rows [][]string
	for _, clients := range []int{1, 16} {
		conns := make([]intakev1.IntakeServiceClient, clients)
		health := make([]healthpb.HealthClient, clients)
		for c := range conns {
			tok, err := st.Issuer.Mint(fmt.Sprintf("bench-officer-%d", c), auth.RoleReceptionOfficer, unit, time.Hour)
			if err != nil {
				return err
			}
			conn, err := grpc.NewClient(st.Endpoints["intake"], grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithPerRPCCredentials(auth.StaticToken(tok, true)))
			if err != nil {
				return err
			}
			defer conn.Close()
			conns[c] = intakev1.NewIntakeServiceClient(conn)
			health[c] = healthpb.NewHealthClient(conn)
		}
		run := fmt.Sprintf("%d", time.Now().UnixNano())
		raw, ours, err := measurePair(ctx, cfg.Duration, clients,
			func(round, w, i int) error {
				_, err := js.Publish(ctx, fmt.Sprintf("raw.%s.r%d.c%d.%d", run, round, w, i), rawBody)
				return err
			},
			func(round, w, i int) error {
				_, err := conns[w].RegisterPetition(ctx, benchPetition(unit, fmt.Sprintf("%s-%d-%d-%d-%d", run, clients, round, w, i)))
				return err
			})
		if err != nil {
			return err
		}
		// The floor under any command: a call that does nothing, through the same server, interceptors
		// and connections (its ratio bounds what a registration, which also appends, could reach).
		floor, err := measure(ctx, cfg.Duration/2, clients, func(w, i int) error {
			_, err := health[w].Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		})
		if err != nil {
			return err
		}
		row := func(what string, r result) []string {
			return []string{fmt.Sprint(clients), what, fmt.Sprintf("%.0f", r.perSecond()), ms(r.lat.percentile(0.5)), ms(r.lat.percentile(0.99)), fmt.Sprintf("%.2f", r.perSecond()/raw.perSecond())}
		}
		rows = append(rows, row("raw js.Publish", raw), row("RegisterPetition (gRPC)", ours), row("gRPC call doing nothing (health Check, same server)", floor))
	}
	fmt.Fprintf(cfg.Out, "## register petition (gRPC → intake → SyncAlways JetStream + PostgreSQL; %s per measurement in %d alternating rounds)\n\n", cfg.Duration, pairRounds)
	table(cfg.Out, []string{"clients", "what", "ops/s", "p50", "p99", "ratio to raw"}, rows)
	return nil
}

// benchPetition is a complaint from a new person on a new matter, so each registration seals under
// a new data key and opens a case: the expensive path.
func benchPetition(unit, n string) *intakev1.RegisterPetitionRequest {
	return &intakev1.RegisterPetitionRequest{
		Meta:              &commonv1.CommandMeta{CommandId: "bench-" + n},
		UnitCode:          unit,
		ReceivedOn:        &commonv1.CivilDate{Year: 2025, Month: 3, Day: 10},
		Source:            commonv1.Source_SOURCE_POST,
		SenderType:        commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount:    1,
		Contents:          []*intakev1.PetitionContent{{Kind: commonv1.PetitionKind_PETITION_KIND_COMPLAINT, Field: commonv1.Field_FIELD_ADMIN_LAND_HOUSING}},
		Sender:            &personv1.PersonalData{FullName: "Người Gửi " + n, IdNumber: fmt.Sprintf("%012d", hash12(n)), Address: "Phan Rang–Tháp Chàm"},
		Content:           &intakev1.SealedContent{Summary: "Khiếu nại quyết định thu hồi đất", Respondent: "UBND phường Kinh Dinh", DecisionReference: "QĐ " + n},
		ComplaintInstance: 1,
	}
}

func hash12(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h % 1_000_000_000_000
}
