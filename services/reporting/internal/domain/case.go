package domain

import (
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// Action is what processing decided for a petition at a unit.
type Action string

// The processing actions (DOMAIN.md, Workflow 3), plus the two ways a petition leaves processing
// without one: linked to an original as a duplicate at intake, or withdrawn before processing.
const (
	ActionNone      Action = ""
	ActionAccept    Action = "accept"
	ActionGuide     Action = "guide"
	ActionForward   Action = "forward"
	ActionReturn    Action = "return"
	ActionFile      Action = "file"
	ActionDuplicate Action = "duplicate"
	ActionWithdrawn Action = "withdrawn"
)

// Handling is a petition at one unit that had to process it: the unit that registered it, then
// each unit it was forwarded to (the receiving body processes it anew).
type Handling struct {
	Unit      string                `json:"u"`
	Received  calendar.Date         `json:"r"`
	Processed calendar.Date         `json:"p,omitzero"`
	Kind      commonv1.PetitionKind `json:"k,omitempty"`
	Field     commonv1.Field        `json:"f,omitempty"`
	Instance  int32                 `json:"i,omitempty"`
	Eligible  bool                  `json:"e,omitempty"`
	Action    Action                `json:"a,omitempty"`
	Repeat    bool                  `json:"rp,omitempty"` // accepted as a repeat denunciation
	Replies   []calendar.Date       `json:"rr,omitempty"` // replies to this unit's forwarding
}

// Outcome is how a resolution ended.
type Outcome string

// The outcomes of a resolution.
const (
	OutcomeDecision   Outcome = "decision"   // complaint decision (Luật KN Đ31, Đ40)
	OutcomeConclusion Outcome = "conclusion" // denunciation conclusion (Luật TC Đ35)
	OutcomeWithdrawn  Outcome = "withdrawn"  // withdrawn in writing (Luật KN Đ10, Luật TC Đ33)
	OutcomeTerminated Outcome = "terminated" // terminated without a decision (đình chỉ)
)

// Remedies are what a decision or conclusion orders, or what execution achieved, in the forms'
// fixed-point units: money in thousands of đồng, land in hundredths of a m².
type Remedies struct {
	RecoverStateMoney     int64 `json:"rsm,omitempty"`
	RecoverStateLand      int64 `json:"rsl,omitempty"`
	ReturnOrgMoney        int64 `json:"rom,omitempty"`
	ReturnOrgLand         int64 `json:"rol,omitempty"`
	ReturnIndMoney        int64 `json:"rim,omitempty"`
	ReturnIndLand         int64 `json:"ril,omitempty"`
	OrgsRestored          int64 `json:"or,omitempty"`
	IndsRestored          int64 `json:"ir,omitempty"`
	PeopleSanctioned      int64 `json:"ps,omitempty"`
	OfficialsSanctioned   int64 `json:"os,omitempty"`
	CasesInvestigated     int64 `json:"ci,omitempty"`
	PeopleInvestigated    int64 `json:"pi,omitempty"`
	OfficialsInvestigated int64 `json:"oi,omitempty"`
}

// RemedyNames are the qualifiers of remedy metrics, in the order of Remedies.values.
var RemedyNames = []string{"recover_state_money", "recover_state_land", "return_org_money", "return_org_land",
	"return_ind_money", "return_ind_land", "orgs_restored", "inds_restored", "people_sanctioned",
	"officials_sanctioned", "cases_investigated", "people_investigated", "officials_investigated"}

func (r Remedies) values() []int64 {
	return []int64{r.RecoverStateMoney, r.RecoverStateLand, r.ReturnOrgMoney, r.ReturnOrgLand, r.ReturnIndMoney,
		r.ReturnIndLand, r.OrgsRestored, r.IndsRestored, r.PeopleSanctioned, r.OfficialsSanctioned,
		r.CasesInvestigated, r.PeopleInvestigated, r.OfficialsInvestigated}
}

// hundredths rounds m² to the hundredth, half away from zero, as the forms print land.
func hundredths(m2 float64) int64 {
	if m2 < 0 {
		return -hundredths(-m2)
	}
	return int64(m2*100 + 0.5)
}

// thousands converts đồng to the forms' money unit (0.001 million VND), rounding half away from zero.
func thousands(vnd int64) int64 {
	q, r := vnd/1000, vnd%1000
	if r >= 500 {
		q++
	} else if r <= -500 {
		q--
	}
	return q
}

// RemediesOf reads the remedies of an event.
func RemediesOf(p *routingv1.Remedies) Remedies {
	if p == nil {
		return Remedies{}
	}
	return Remedies{
		RecoverStateMoney: thousands(p.GetRecoverStateMoneyVnd()), RecoverStateLand: hundredths(p.GetRecoverStateLandM2()),
		ReturnOrgMoney: thousands(p.GetReturnOrganisationsMoneyVnd()), ReturnOrgLand: hundredths(p.GetReturnOrganisationsLandM2()),
		ReturnIndMoney: thousands(p.GetReturnIndividualsMoneyVnd()), ReturnIndLand: hundredths(p.GetReturnIndividualsLandM2()),
		OrgsRestored: int64(p.GetOrganisationsRestored()), IndsRestored: int64(p.GetIndividualsRestored()),
		PeopleSanctioned: int64(p.GetPeopleSanctioned()), OfficialsSanctioned: int64(p.GetOfficialsSanctioned()),
		CasesInvestigated: int64(p.GetCasesToInvestigators()), PeopleInvestigated: int64(p.GetPeopleToInvestigators()),
		OfficialsInvestigated: int64(p.GetOfficialsToInvestigators()),
	}
}

// Resolution is a case accepted for resolution (thụ lý) at a unit, and how it went.
type Resolution struct {
	Unit     string                `json:"u"`
	Kind     commonv1.PetitionKind `json:"k"`
	Instance int32                 `json:"i,omitempty"`
	Repeat   bool                  `json:"rp,omitempty"`
	Accepted calendar.Date         `json:"a"`
	Closed   calendar.Date         `json:"c,omitzero"`
	Outcome  Outcome               `json:"o,omitempty"`
	Finding  string                `json:"f,omitempty"`
	OnTime   bool                  `json:"t,omitempty"`
	Ordered  Remedies              `json:"rm,omitzero"`
	Executed calendar.Date         `json:"x,omitzero"`
	Achieved Remedies              `json:"ac,omitzero"`
}

// CaseState is what reporting keeps of one petition and the case it opens (the case id is the
// petition id): its handlings and its resolution.
type CaseState struct {
	Handlings  []*Handling `json:"h,omitempty"`
	Resolution *Resolution `json:"res,omitempty"`
}

// DateOf reads a civil date of an event.
func DateOf(c *commonv1.CivilDate) calendar.Date { return unitreg.DateFromProto(c) }

func dateOf(c *commonv1.CivilDate) calendar.Date { return DateOf(c) }

// last is the latest handling, or nil before registration.
func (s *CaseState) last() *Handling {
	if len(s.Handlings) == 0 {
		return nil
	}
	return s.Handlings[len(s.Handlings)-1]
}

// Apply records one event of the petition or case aggregate. Events reporting does not count
// (verification, dialogue, clocks, …) are ignored; so are events that make no sense in the
// state (a classification before registration), since the projection must never stop on them —
// the writing services refuse them in the first place.
func (s *CaseState) Apply(ev proto.Message) {
	h := s.last()
	switch e := ev.(type) {
	case *intakev1.PetitionRegistered:
		if len(s.Handlings) > 0 {
			return
		}
		h := &Handling{Unit: e.GetUnitCode(), Received: dateOf(e.GetReceivedOn()), Kind: e.GetKind(), Field: e.GetField(), Instance: e.GetComplaintInstance()}
		if e.GetDuplicateOf() != "" {
			// A repeat of a petition being handled opens no case (DOMAIN.md, Duplicate): it is
			// processed at registration by linking it to the original, and is not eligible.
			h.Processed, h.Action = h.Received, ActionDuplicate
		}
		s.Handlings = append(s.Handlings, h)
	case *routingv1.PetitionClassified:
		// Only the first processing of a handling counts: a guided complaint filed away later is
		// still one petition processed once.
		if h == nil || !h.Processed.IsZero() {
			return
		}
		h.Processed, h.Kind, h.Field = dateOf(e.GetProcessedOn()), e.GetKind(), e.GetField()
		h.Eligible, h.Instance = e.GetEligible(), e.GetComplaintInstance()
	case *routingv1.CaseAccepted:
		if h != nil && h.Action == ActionNone {
			h.Action, h.Repeat = ActionAccept, e.GetRepeatOf() != ""
		}
		if s.Resolution == nil {
			s.Resolution = &Resolution{Unit: e.GetUnitCode(), Kind: e.GetKind(), Instance: e.GetComplaintInstance(),
				Repeat: e.GetRepeatOf() != "", Accepted: dateOf(e.GetAcceptedOn())}
		}
	case *routingv1.PetitionGuided:
		s.act(h, ActionGuide)
	case *routingv1.PetitionForwarded:
		if h == nil || h.Processed.IsZero() {
			return
		}
		s.act(h, ActionForward)
		s.Handlings = append(s.Handlings, &Handling{Unit: e.GetToUnitCode(), Received: dateOf(e.GetForwardedOn()),
			Kind: h.Kind, Field: h.Field, Instance: h.Instance})
	case *routingv1.PetitionReturned:
		s.act(h, ActionReturn)
	case *routingv1.PetitionFiledAway:
		s.act(h, ActionFile)
	case *routingv1.ReplyReceived:
		// The reply is the forwarding unit's record (01/XLD col 22).
		for i := len(s.Handlings) - 1; i >= 0; i-- {
			if f := s.Handlings[i]; f.Action == ActionForward {
				f.Replies = append(f.Replies, dateOf(e.GetReceivedOn()))
				break
			}
		}
	case *routingv1.ComplaintDecisionIssued:
		if r := s.open(); r != nil {
			r.Closed, r.Outcome, r.Finding = dateOf(e.GetDecidedOn()), OutcomeDecision, complaintFinding(e.GetFinding())
			r.OnTime, r.Ordered = e.GetOnTime(), RemediesOf(e.GetRemedies())
		}
	case *routingv1.DenunciationConcluded:
		if r := s.open(); r != nil {
			r.Closed, r.Outcome, r.Finding = dateOf(e.GetConcludedOn()), OutcomeConclusion, denunciationFinding(e.GetFinding())
			r.OnTime, r.Ordered, r.Repeat = e.GetOnTime(), RemediesOf(e.GetRemedies()), r.Repeat || e.GetRepeat()
		}
	case *routingv1.DecisionExecuted:
		s.execute(dateOf(e.GetExecutedOn()), e.GetAchieved())
	case *routingv1.ConclusionActedOn:
		s.execute(dateOf(e.GetActedOn()), e.GetAchieved())
	case *routingv1.PetitionWithdrawn:
		on := dateOf(e.GetWithdrawnOn())
		if r := s.open(); r != nil {
			// A denunciation may still be resolved when a violation is suspected (Luật TC Đ33).
			if !e.GetResolutionContinues() {
				r.Closed, r.Outcome = on, OutcomeWithdrawn
			}
		} else if h != nil && h.Processed.IsZero() {
			// Withdrawn before processing: it leaves processing that day, not eligible.
			h.Processed, h.Action = on, ActionWithdrawn
		}
	case *routingv1.CaseTerminated:
		if r := s.open(); r != nil {
			r.Closed, r.Outcome = dateOf(e.GetTerminatedOn()), OutcomeTerminated
		}
	}
}

func (s *CaseState) act(h *Handling, a Action) {
	if h != nil && !h.Processed.IsZero() && h.Action == ActionNone {
		h.Action = a
	}
}

// open is the resolution while it has not ended.
func (s *CaseState) open() *Resolution {
	if r := s.Resolution; r != nil && r.Closed.IsZero() {
		return r
	}
	return nil
}

func (s *CaseState) execute(on calendar.Date, achieved *routingv1.Remedies) {
	r := s.Resolution
	if r == nil || r.Executed.IsValid() || (r.Outcome != OutcomeDecision && r.Outcome != OutcomeConclusion) {
		return
	}
	r.Executed, r.Achieved = on, RemediesOf(achieved)
}

func complaintFinding(f routingv1.ComplaintFinding) string {
	switch f {
	case routingv1.ComplaintFinding_COMPLAINT_FINDING_RIGHT:
		return "right"
	case routingv1.ComplaintFinding_COMPLAINT_FINDING_WRONG:
		return "wrong"
	case routingv1.ComplaintFinding_COMPLAINT_FINDING_PARTLY_RIGHT:
		return "partly_right"
	case routingv1.ComplaintFinding_COMPLAINT_FINDING_UPHELD:
		return "upheld"
	case routingv1.ComplaintFinding_COMPLAINT_FINDING_CANCELLED_OR_AMENDED:
		return "cancelled_or_amended"
	}
	return "unspecified"
}

func denunciationFinding(f routingv1.DenunciationFinding) string {
	switch f {
	case routingv1.DenunciationFinding_DENUNCIATION_FINDING_TRUE:
		return "true"
	case routingv1.DenunciationFinding_DENUNCIATION_FINDING_FALSE:
		return "untrue"
	case routingv1.DenunciationFinding_DENUNCIATION_FINDING_PARTLY_TRUE:
		return "partly_true"
	}
	return "unspecified"
}

// Eligible tells whether a processed handling counts as eligible for processing in the forms:
// classified eligible, of one kind, and guided, forwarded or accepted. Returned and filed-away
// petitions are processed but not eligible, which keeps 01/XLD's "6 = 14+18" exact: every eligible
// petition is either within competence (accepted) or outside it (guided, forwarded, urged).
func (h *Handling) eligible() bool {
	if !h.Eligible || ClassOf(h.Kind) == Other {
		return false
	}
	switch h.Action {
	case ActionAccept, ActionGuide, ActionForward:
		return true
	}
	return false
}

// priorResolved tells whether the matter had been resolved once before this petition: a
// complaint at second instance follows a first decision (Luật KN Đ33), a repeat denunciation a
// conclusion (Luật TC Đ37).
func (h *Handling) priorResolved() bool {
	switch ClassOf(h.Kind) {
	case Complaint:
		return h.Instance == 2
	case Denunciation:
		return h.Action == ActionAccept && h.Repeat
	}
	return false
}

// Facts are the case's contributions to the base metrics, as it stands.
func (s *CaseState) Facts() []Fact {
	var out []Fact
	add := func(unit, metric string, day calendar.Date, v int64) {
		if v != 0 && day.IsValid() && unit != "" {
			out = append(out, Fact{Unit: unit, Metric: metric, Day: day, Value: v})
		}
	}
	for _, h := range s.Handlings {
		k := string(ClassOf(h.Kind))
		add(h.Unit, M(XLDIn, k), h.Received, 1)
		if h.Processed.IsZero() {
			continue
		}
		p := h.Processed
		add(h.Unit, M(XLDOut, k), p, 1)
		if h.eligible() {
			add(h.Unit, M(XLDEligible, k), p, 1)
			add(h.Unit, M(XLDEligibleField, FieldName(h.Field), k), p, 1)
			if h.priorResolved() {
				add(h.Unit, M(XLDPriorResolved, k), p, 1)
			}
			switch h.Action {
			case ActionAccept:
				add(h.Unit, M(XLDAccepted, k), p, 1)
				if ClassOf(h.Kind) == Complaint && h.Instance == 2 {
					add(h.Unit, M(XLDAcceptedSecond, k), p, 1)
				}
				if ClassOf(h.Kind) == Denunciation && h.Repeat {
					add(h.Unit, M(XLDAcceptedRepeat, k), p, 1)
				}
			case ActionGuide:
				add(h.Unit, M(XLDGuided, k), p, 1)
			case ActionForward:
				add(h.Unit, M(XLDForwarded, k), p, 1)
			}
		}
		for _, d := range h.Replies {
			add(h.Unit, M(XLDReplies, k), d, 1)
		}
	}
	if r := s.Resolution; r != nil {
		k := string(ClassOf(r.Kind))
		add(r.Unit, M(ResIn, k), r.Accepted, 1)
		if r.Repeat {
			add(r.Unit, M(ResInRepeat, k), r.Accepted, 1)
		}
		if c := r.Closed; c.IsValid() {
			add(r.Unit, M(ResOut, k), c, 1)
			if r.Repeat {
				add(r.Unit, M(ResOutRepeat, k), c, 1)
			}
			switch r.Outcome {
			case OutcomeDecision, OutcomeConclusion:
				if r.Outcome == OutcomeDecision {
					add(r.Unit, M(ResDecided, r.Finding), c, 1)
				} else {
					add(r.Unit, M(ResConcluded, r.Finding, firstOrRepeat(r.Repeat)), c, 1)
				}
				if r.OnTime {
					add(r.Unit, M(ResOnTime, k), c, 1)
				} else {
					add(r.Unit, M(ResLate, k), c, 1)
				}
				add(r.Unit, M(ExeDue, k), c, 1)
				for i, v := range r.Ordered.values() {
					add(r.Unit, M(ResRemedy, RemedyNames[i], k), c, v)
					add(r.Unit, M(ExeDueRemedy, RemedyNames[i], k), c, v)
				}
				if x := r.Executed; x.IsValid() {
					add(r.Unit, M(ExeDone, k), x, 1)
					for i, v := range r.Ordered.values() {
						add(r.Unit, M(ExeDoneRemedy, RemedyNames[i], k), x, v)
					}
					for i, v := range r.Achieved.values() {
						add(r.Unit, M(ExeAchieved, RemedyNames[i], k), x, v)
					}
				}
			case OutcomeWithdrawn:
				add(r.Unit, M(ResWithdrawn, k), c, 1)
			case OutcomeTerminated:
				add(r.Unit, M(ResTerminated, k), c, 1)
			}
		}
	}
	return SumFacts(out)
}

func firstOrRepeat(repeat bool) string {
	if repeat {
		return "repeat"
	}
	return "first"
}

// Processed is one processed handling, as the processed-split query needs it: which of the
// petitions processed in a period had been received before it.
type Processed struct {
	Unit      string
	Class     Class
	Received  calendar.Date
	Processed calendar.Date
}

// ProcessedHandlings lists the case's processed handlings.
func (s *CaseState) ProcessedHandlings() []Processed {
	var out []Processed
	for _, h := range s.Handlings {
		if h.Processed.IsValid() && h.Received.IsValid() {
			out = append(out, Processed{Unit: h.Unit, Class: ClassOf(h.Kind), Received: h.Received, Processed: h.Processed})
		}
	}
	return out
}
