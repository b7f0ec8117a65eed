package domain

import (
	"slices"
	"strings"

	"github.com/civicase/civicase/pkg/calendar"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// Fact is one contribution to a base metric: value added to metric at unit on day. A fact of a
// case is retracted (added with the opposite sign) when a later event changes the case, so the
// stored sums always equal the facts of the cases as they stand now.
type Fact struct {
	Unit   string
	Metric string
	Day    calendar.Date
	Value  int64
}

// Class is a petition kind as the forms group it.
type Class string

// The kind classes. Recommendations and feedback share the 04/XLD form; multi-content and
// unclassified petitions are "other" and never count as eligible (routing splits them first).
const (
	Complaint      Class = "complaint"
	Denunciation   Class = "denunciation"
	Recommendation Class = "recommendation"
	Other          Class = "other"
)

// Classes lists every class, in the order the forms list kinds.
var Classes = []Class{Complaint, Denunciation, Recommendation, Other}

// ClassOf is the class of a petition kind.
func ClassOf(k commonv1.PetitionKind) Class {
	switch k {
	case commonv1.PetitionKind_PETITION_KIND_COMPLAINT:
		return Complaint
	case commonv1.PetitionKind_PETITION_KIND_DENUNCIATION:
		return Denunciation
	case commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION, commonv1.PetitionKind_PETITION_KIND_FEEDBACK:
		return Recommendation
	}
	return Other
}

// FieldName is the stable short name of a field in base metric names.
func FieldName(f commonv1.Field) string {
	switch f {
	case commonv1.Field_FIELD_ADMIN_POLICY:
		return "policy"
	case commonv1.Field_FIELD_ADMIN_LAND_HOUSING:
		return "land_housing"
	case commonv1.Field_FIELD_ADMIN_OFFICIALS:
		return "officials"
	case commonv1.Field_FIELD_ADMIN_OTHER:
		return "admin_other"
	case commonv1.Field_FIELD_JUDICIAL:
		return "judicial"
	case commonv1.Field_FIELD_PARTY:
		return "party"
	case commonv1.Field_FIELD_CORRUPTION:
		return "corruption"
	case commonv1.Field_FIELD_OTHER:
		return "other"
	}
	return "unspecified"
}

// FieldNames lists every field name FieldName gives.
var FieldNames = []string{"policy", "land_housing", "officials", "admin_other", "judicial", "party", "corruption", "other", "unspecified"}

// Base metric names. A name is a prefix joined with its qualifiers by dots, e.g.
// "xld.in.complaint" or "res.rem.recover_state_money.denunciation". METRICS.md says what each
// counts.
const (
	// Petition processing, per handling (a petition at a unit that received it), per class.
	XLDIn              = "xld.in"              // received (stock in), on the day received
	XLDOut             = "xld.out"             // processed (stock out), on the day processed
	XLDOutCarried      = "xld.out_carried"     // processed in the period, received before it (not stored: queried)
	XLDEligible        = "xld.elig"            // eligible petitions processed
	XLDEligibleField   = "xld.elig_field"      // .<field>.<class>
	XLDPriorResolved   = "xld.elig_prior"      // eligible, matter already resolved once (complaint 2nd instance, repeat denunciation)
	XLDAccepted        = "xld.accepted"        // eligible and accepted (within competence)
	XLDAcceptedSecond  = "xld.accepted_second" // accepted complaints at second instance
	XLDAcceptedRepeat  = "xld.accepted_repeat" // accepted repeat denunciations (Luật TC Đ37)
	XLDGuided          = "xld.guided"          // eligible and guided (outside competence)
	XLDForwarded       = "xld.forwarded"       // eligible and forwarded (outside competence)
	XLDReplies         = "xld.replies"         // replies received to forwarded petitions, at the forwarding unit
	ResIn              = "res.in"              // accepted for resolution (stock in)
	ResOut             = "res.out"             // resolution ended: decided, concluded, withdrawn, terminated (stock out)
	ResInRepeat        = "res.in_repeat"       // accepted repeat denunciations
	ResOutRepeat       = "res.out_repeat"      // ended repeat denunciations
	ResDecided         = "res.decided"         // .<complaint finding>
	ResConcluded       = "res.concluded"       // .<denunciation finding>.<first|repeat>
	ResWithdrawn       = "res.withdrawn"       // ended by withdrawal
	ResTerminated      = "res.terminated"      // ended by termination (đình chỉ)
	ResOnTime          = "res.on_time"         // decided or concluded within the legal period
	ResLate            = "res.late"            // decided or concluded late
	ResRemedy          = "res.rem"             // .<remedy>.<class>: what decisions and conclusions order
	ExeDue             = "exe.due"             // decisions/conclusions to execute (stock in), on the decision day
	ExeDone            = "exe.done"            // executed (stock out), on the execution day
	ExeDueRemedy       = "exe.due_rem"         // .<remedy>.<class>: ordered remedies entering the stock
	ExeDoneRemedy      = "exe.done_rem"        // .<remedy>.<class>: ordered remedies leaving it on execution
	ExeAchieved        = "exe.got"             // .<remedy>.<class>: what execution achieved
	RcpSessions        = "rcp.sessions"        // .<session kind>
	RcpVisits          = "rcp.visits"          // .<session kind>
	RcpPeople          = "rcp.people"          // .<session kind>
	RcpCasesFirst      = "rcp.cases_first"     // .<session kind>
	RcpCasesRepeat     = "rcp.cases_repeat"    // .<session kind>
	RcpCrowds          = "rcp.crowd"           // .<session kind>
	RcpCrowdPeople     = "rcp.crowd_people"    // .<session kind>
	RcpCrowdCasesFirst = "rcp.crowd_first"     // .<session kind>
	RcpCrowdRepeat     = "rcp.crowd_repeat"    // .<session kind>
)

// M joins a base metric's prefix and qualifiers.
func M(prefix string, qualifiers ...string) string {
	return prefix + "." + strings.Join(qualifiers, ".")
}

// stockPrefixes are the base metrics whose sums before a period's start are needed (stocks are
// ins minus outs before the start).
var stockPrefixes = []string{XLDIn + ".", XLDOut + ".", ResIn + ".", ResOut + ".", ResInRepeat + ".", ResOutRepeat + ".",
	ExeDue + ".", ExeDone + ".", ExeDueRemedy + ".", ExeDoneRemedy + "."}

// IsStock tells whether a base metric enters a stock, so its sum before a period is needed.
func IsStock(metric string) bool {
	for _, p := range stockPrefixes {
		if strings.HasPrefix(metric, p) {
			return true
		}
	}
	return false
}

// SumFacts adds up facts with the same unit, metric and day and drops those that cancel out, in
// a deterministic order.
func SumFacts(fs []Fact) []Fact {
	type key struct {
		unit, metric string
		day          calendar.Date
	}
	sum := map[key]int64{}
	for _, f := range fs {
		sum[key{f.Unit, f.Metric, f.Day}] += f.Value
	}
	out := make([]Fact, 0, len(sum))
	for k, v := range sum {
		if v != 0 {
			out = append(out, Fact{Unit: k.unit, Metric: k.metric, Day: k.day, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b Fact) int {
		if c := strings.Compare(a.Unit, b.Unit); c != 0 {
			return c
		}
		if c := strings.Compare(a.Metric, b.Metric); c != 0 {
			return c
		}
		return a.Day.Compare(b.Day)
	})
	return out
}

// Diff is the change from old facts to new ones: new minus old, summed.
func Diff(old, new []Fact) []Fact {
	all := make([]Fact, 0, len(old)+len(new))
	for _, f := range old {
		f.Value = -f.Value
		all = append(all, f)
	}
	return SumFacts(append(all, new...))
}
