package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// Summary says what the history loader did.
type Summary struct {
	Petitions, Duplicates, Cases, Steps, Sessions, Visits int
	// Refused are commands the services refused (a bug in the generator or the services); the
	// loader goes on with the other cases and reports them.
	Refused []string
}

func civil(d calendar.Date) *commonv1.CivilDate {
	return &commonv1.CivilDate{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func dateOf(c *commonv1.CivilDate) calendar.Date {
	return calendar.NewDate(int(c.GetYear()), time.Month(c.GetMonth()), int(c.GetDay()))
}

func meta(id string) *commonv1.CommandMeta { return &commonv1.CommandMeta{CommandId: id} }

// LoadHistory generates two years (2024–2025) of reception sessions and petitions and drives them
// through intake and routing. Deterministic for a seed; command ids are derived from it, so a second
// load appends nothing.
func LoadHistory(ctx context.Context, cfg Config) (Summary, error) {
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 2025)), conns: map[string]*grpc.ClientConn{}}
	defer g.close()
	var sum Summary
	sessions := g.planSessions()
	plans := g.plan()
	prefix := fmt.Sprintf("demo%d", cfg.Seed)

	b := bar(cfg, len(sessions), "reception sessions")
	for _, s := range sessions {
		visits, err := g.holdSession(ctx, prefix, s)
		if err != nil {
			return sum, err
		}
		sum.Sessions++
		sum.Visits += visits
		_ = b.Add(1)
	}

	// Petitions are registered in date order (a repeat finds its original), then each case goes
	// through processing and resolution, several cases at a time.
	b = bar(cfg, len(plans), "petitions")
	ids := make(map[*petitionPlan]*intakev1.RegisterPetitionResponse, len(plans))
	for _, p := range plans {
		resp, err := g.register(ctx, prefix, p)
		if err != nil {
			return sum, fmt.Errorf("petition %d: %w", p.n, err)
		}
		ids[p] = resp
		sum.Petitions++
		if resp.GetDuplicateOf() != "" {
			sum.Duplicates++
		}
		_ = b.Add(1)
	}
	b = bar(cfg, len(plans), "cases")
	var (
		mu    sync.Mutex
		steps atomic.Int64
		cases atomic.Int64
		wg    sync.WaitGroup
		work  = make(chan *petitionPlan)
	)
	for range 4 {
		wg.Go(func() {
			for p := range work {
				resp := ids[p]
				if resp.GetDuplicateOf() == "" {
					n, err := g.handle(ctx, prefix, p, resp.GetPetitionId())
					steps.Add(int64(n))
					cases.Add(1)
					if err != nil {
						mu.Lock()
						sum.Refused = append(sum.Refused, fmt.Sprintf("petition %d (%s, %s): %v", p.n, p.kind, p.received, err))
						mu.Unlock()
					}
				}
				_ = b.Add(1)
			}
		})
	}
	for _, p := range plans {
		select {
		case work <- p:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	sum.Cases, sum.Steps = int(cases.Load()), int(steps.Load())
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	if len(sum.Refused) > sum.Cases/20 {
		return sum, fmt.Errorf("%d of %d cases were refused, e.g.:\n  %s", len(sum.Refused), sum.Cases, strings.Join(sum.Refused[:min(5, len(sum.Refused))], "\n  "))
	}
	return sum, nil
}

// register sends one petition to intake as a reception officer of its ward.
func (g *generator) register(ctx context.Context, prefix string, p *petitionPlan) (*intakev1.RegisterPetitionResponse, error) {
	conn, err := g.conn("intake", "demo-reception-"+p.unit, auth.RoleReceptionOfficer, p.unit)
	if err != nil {
		return nil, err
	}
	req := &intakev1.RegisterPetitionRequest{
		Meta:           meta(fmt.Sprintf("%s-petition-%d", prefix, p.n)),
		UnitCode:       p.unit,
		ReceivedOn:     civil(p.received),
		WrittenOn:      civil(p.received.AddDays(-1 - int(p.n%5))),
		Source:         p.source,
		SenderType:     commonv1.SenderType_SENDER_TYPE_INDIVIDUAL,
		SignatoryCount: p.signers,
		Contents:       []*intakev1.PetitionContent{{Kind: p.kind, Field: p.field}},
		Content: &intakev1.SealedContent{
			Summary:           summaryOf(p.kind),
			Respondent:        "Cơ quan " + p.respondent,
			DecisionReference: p.matter,
		},
		RespondentUnitCode: respondentOn(p.respondent, p.received),
	}
	if p.signers >= 5 {
		req.SenderType = commonv1.SenderType_SENDER_TYPE_GROUP
	}
	if p.source == commonv1.Source_SOURCE_COUNCIL_DEPUTY {
		req.ForwardedBy = councilOn(p.received)
	}
	if p.sender != nil {
		req.Sender = p.sender.data
	}
	if p.kind == commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
		req.ComplaintInstance = 1
		req.DecisionKnownOn = civil(p.received.AddDays(-20))
	}
	return intakev1.NewIntakeServiceClient(conn).RegisterPetition(ctx, req)
}

// respondentOn is the registry unit answering for a respondent on a day: a repeat received after
// the reorganisation names the body as the citizen wrote it, but the act is now its successor's.
func respondentOn(code string, on calendar.Date) string {
	if on.Before(mergerDay) || !strings.HasPrefix(code, "NT.") {
		return code
	}
	if code == cityDepartmentOn(historyStart) {
		return cityDepartmentOn(on)
	}
	for _, w := range oldWards {
		if code == wardCommittee(w.code) {
			return wardCommittee(w.successor)
		}
	}
	return code
}

func summaryOf(k commonv1.PetitionKind) string {
	switch k {
	case commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
		return "Khiếu nại quyết định hành chính về bồi thường, hỗ trợ khi Nhà nước thu hồi đất"
	case commonv1.PetitionKind_PETITION_KIND_DENUNCIATION:
		return "Tố cáo hành vi vi phạm trong quản lý đất đai, trật tự xây dựng"
	case commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION:
		return "Kiến nghị cấp giấy chứng nhận quyền sử dụng đất"
	default:
		return "Phản ánh tình trạng ô nhiễm môi trường, ngập úng khu dân cư"
	}
}

// actor picks who acts for a unit on a day: its own officer while it exists, the administrator
// once the 2025 reorganisation has ended it (the successor's officers then act through the
// registry's succession, which the demo does not model per step).
func (g *generator) routing(unit string, role auth.Role, on calendar.Date) (routingv1.RoutingServiceClient, error) {
	subject := "demo-" + string(role) + "-" + unit
	if strings.HasPrefix(unit, "NT.") && !on.Before(mergerDay) {
		role, unit, subject = auth.RoleAdmin, "KH", "demo-admin"
	}
	conn, err := g.conn("routing", subject, role, unit)
	if err != nil {
		return nil, err
	}
	return routingv1.NewRoutingServiceClient(conn), nil
}
