package domain

import "sort"

// Window is a base metric's sums for one report row: Before adds the facts dated before the
// period's first day (needed for stocks only), During those dated within the period.
type Window struct {
	Before int64
	During int64
}

// Sums are a report row's windows by base metric; a missing metric is zero. The zero value is
// empty and ready to use.
type Sums struct {
	w     map[string]Window
	trace map[string]bool // set when tracing which base metrics a definition reads
}

// Get is a base metric's window.
func (s Sums) Get(m string) Window {
	if s.trace != nil {
		s.trace[m] = true
	}
	return s.w[m]
}

// Put adds w to a base metric's window.
func (s *Sums) Put(m string, w Window) {
	if s.w == nil {
		s.w = map[string]Window{}
	}
	x := s.w[m]
	x.Before += w.Before
	x.During += w.During
	s.w[m] = x
}

func (s Sums) before(m string) int64 { return s.Get(m).Before }
func (s Sums) during(m string) int64 { return s.Get(m).During }

// end is the sum of everything dated up to the period's last day.
func (s Sums) end(m string) int64 { w := s.Get(m); return w.Before + w.During }

// open is a stock at the period's start: what came in before it minus what went out before it
// ("kỳ trước chuyển sang").
func (s Sums) open(in, out string) int64 { return s.before(in) - s.before(out) }

// due is a stock to be dealt with in the period: open at its start plus what came in during it.
func (s Sums) due(in, out string) int64 { return s.end(in) - s.before(out) }

// Add merges other's windows into s.
func (s *Sums) Add(other Sums) {
	for m, w := range other.w {
		s.Put(m, w)
	}
}

// BaseMetrics are the base metrics the definitions of the given form metric keys read, found by
// running them on a tracing Sums; a report reads only these.
func BaseMetrics(keys []string) []string {
	s := Sums{trace: map[string]bool{}}
	for _, k := range keys {
		if f, _, ok := Metric(k); ok {
			f(s)
		}
	}
	out := make([]string, 0, len(s.trace))
	for m := range s.trace {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// MetricFunc computes a form metric's value for one row from its sums.
type MetricFunc func(Sums) int64

// formMetrics are the definitions of the fact columns of every form, by metric key. Formula
// columns are computed by forms.Compute and need none. METRICS.md says in words what each counts.
var formMetrics = map[string]MetricFunc{}

// ZeroUntilSource lists the metric keys no event produces yet, with the source each awaits. They
// are reported as zero and named in every report that has them, never silently.
var ZeroUntilSource = map[string]string{
	"xld.outside.urged":                                  "TODO(supervision): urging letters (đôn đốc) come from the supervision service, not built yet",
	"xld.complaint.outside.urged":                        "TODO(supervision): urging letters (đôn đốc) come from the supervision service, not built yet",
	"xld.denunciation.outside.urged":                     "TODO(supervision): urging letters (đôn đốc) come from the supervision service, not built yet",
	"xld.recommendation.outside.urged":                   "TODO(supervision): urging letters (đôn đốc) come from the supervision service, not built yet",
	"xld.eligible.status.resolved_repeatedly":            "TODO(intake): the number of resolutions a matter already had is not in PetitionRegistered",
	"xld.complaint.status.resolved_second":               "TODO(intake): a prior second-instance decision on the matter is not in PetitionRegistered",
	"xld.complaint.status.court_judgment":                "TODO(intake/courts): court judgments on the matter are recorded by no service",
	"xld.denunciation.status.repeat_overdue":             "TODO(routing): a repeat denunciation because the first was overdue (Luật TC Đ37) is not told apart by CaseAccepted",
	"xld.recommendation.status.resolved":                 "TODO(routing): no event records a recommendation or feedback being answered",
	"xld.recommendation.competent.resolved":              "TODO(routing): no event records a recommendation or feedback being answered",
	"kqgq.conclusion_execution.sanctioned.organisations": "TODO(routing): Remedies has no count of organisations sanctioned",
}

// Metric returns the definition of a form metric key; ok is false for a key that is neither
// defined nor listed in ZeroUntilSource.
func Metric(key string) (f MetricFunc, zeroUntil string, ok bool) {
	if why, z := ZeroUntilSource[key]; z {
		return func(Sums) int64 { return 0 }, why, true
	}
	f, ok = formMetrics[key]
	return f, "", ok
}

// MetricKeys lists the defined keys, sorted.
func MetricKeys() []string {
	out := make([]string, 0, len(formMetrics))
	for k := range formMetrics {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func def(key string, f MetricFunc) {
	if _, dup := formMetrics[key]; dup {
		panic("domain: metric defined twice: " + key)
	}
	formMetrics[key] = f
}

func sumOf(fs ...MetricFunc) MetricFunc {
	return func(s Sums) int64 {
		var t int64
		for _, f := range fs {
			t += f(s)
		}
		return t
	}
}

func during(m string) MetricFunc { return func(s Sums) int64 { return s.during(m) } }

// allClasses sums f over every kind class.
func allClasses(f func(k string) MetricFunc) MetricFunc {
	fs := make([]MetricFunc, len(Classes))
	for i, k := range Classes {
		fs[i] = f(string(k))
	}
	return sumOf(fs...)
}

func fields(k string, names ...string) MetricFunc {
	fs := make([]MetricFunc, len(names))
	for i, n := range names {
		fs[i] = during(M(XLDEligibleField, n, k))
	}
	return sumOf(fs...)
}

func init() {
	receptionMetrics()
	xldMetrics()
	kqgqMetrics()
}

// 01/TCD: reception sessions and visits by session kind.
func receptionMetrics() {
	for form, sk := range map[string]string{"regular": "regular", "head": "head", "delegated": "delegated"} {
		p := "reception." + form + "."
		if sk != "regular" {
			def(p+"sessions", during(M(RcpSessions, sk)))
		}
		def(p+"visits", during(M(RcpVisits, sk)))
		def(p+"people", during(M(RcpPeople, sk)))
		def(p+"cases.first", during(M(RcpCasesFirst, sk)))
		def(p+"cases.repeat", during(M(RcpCasesRepeat, sk)))
		def(p+"crowd.delegations", during(M(RcpCrowds, sk)))
		def(p+"crowd.people", during(M(RcpCrowdPeople, sk)))
		def(p+"crowd.cases.first", during(M(RcpCrowdCasesFirst, sk)))
		def(p+"crowd.cases.repeat", during(M(RcpCrowdRepeat, sk)))
	}
}

// The XLD forms: petitions to process and how processing went, per handling.
func xldMetrics() {
	carried := func(k string) MetricFunc {
		return func(s Sums) int64 { return s.open(M(XLDIn, k), M(XLDOut, k)) }
	}
	unprocessed := func(k string) MetricFunc {
		return func(s Sums) int64 { return s.end(M(XLDIn, k)) - s.end(M(XLDOut, k)) }
	}
	in := func(k string) MetricFunc { return during(M(XLDIn, k)) }
	out := func(k string) MetricFunc { return during(M(XLDOut, k)) }
	elig := func(k string) MetricFunc { return during(M(XLDEligible, k)) }
	prior := func(k string) MetricFunc { return during(M(XLDPriorResolved, k)) }
	notPrior := func(k string) MetricFunc {
		return func(s Sums) int64 { return s.during(M(XLDEligible, k)) - s.during(M(XLDPriorResolved, k)) }
	}
	outCarried := func(k string) MetricFunc { return during(M(XLDOutCarried, k)) }
	outNew := func(k string) MetricFunc {
		return func(s Sums) int64 { return s.during(M(XLDOut, k)) - s.during(M(XLDOutCarried, k)) }
	}
	c, d, r := string(Complaint), string(Denunciation), string(Recommendation)

	// 01/XLD, every petition.
	def("xld.carried_over", allClasses(carried))
	def("xld.received_in_period", allClasses(in))
	def("xld.processed", allClasses(out))
	def("xld.unprocessed", allClasses(unprocessed))
	def("xld.eligible.cases", allClasses(elig)) // a case is one petition: repeats open none
	def("xld.eligible.content.complaint", elig(c))
	def("xld.eligible.content.denunciation", elig(d))
	def("xld.eligible.content.recommendation", elig(r))
	def("xld.eligible.status.resolved_once", allClasses(prior))
	def("xld.eligible.status.unresolved", allClasses(notPrior))
	def("xld.competent.complaint", during(M(XLDAccepted, c)))
	def("xld.competent.denunciation", during(M(XLDAccepted, d)))
	def("xld.competent.recommendation", during(M(XLDAccepted, r)))
	def("xld.outside.guided", allClasses(func(k string) MetricFunc { return during(M(XLDGuided, k)) }))
	def("xld.outside.forwarded", allClasses(func(k string) MetricFunc { return during(M(XLDForwarded, k)) }))
	def("xld.forwarded.replies_received", allClasses(func(k string) MetricFunc { return during(M(XLDReplies, k)) }))

	// 02/XLD, 03/XLD, 04/XLD: the same per class.
	for _, k := range []string{c, d, r} {
		p := "xld." + k + "."
		def(p+"carried_over", carried(k))
		def(p+"received_in_period", in(k))
		def(p+"processed.carried_over", outCarried(k))
		def(p+"processed.received_in_period", outNew(k))
		def(p+"eligible.petitions", elig(k))
	}
	// 02/XLD complaints.
	def("xld.complaint.eligible.cases", elig(c))
	def("xld.complaint.field.admin.policy", fields(c, "policy"))
	def("xld.complaint.field.admin.land_housing", fields(c, "land_housing"))
	def("xld.complaint.field.admin.other", fields(c, "officials", "admin_other"))
	def("xld.complaint.field.judicial", fields(c, "judicial"))
	def("xld.complaint.field.party", fields(c, "party"))
	def("xld.complaint.field.other", fields(c, "other", "corruption", "unspecified"))
	def("xld.complaint.status.resolved_first", prior(c))
	def("xld.complaint.status.in_progress", notPrior(c))
	def("xld.complaint.competent.first", func(s Sums) int64 {
		return s.during(M(XLDAccepted, c)) - s.during(M(XLDAcceptedSecond, c))
	})
	def("xld.complaint.competent.second", during(M(XLDAcceptedSecond, c)))
	def("xld.complaint.outside.guided", during(M(XLDGuided, c)))
	def("xld.complaint.replies_received", during(M(XLDReplies, c)))
	// 03/XLD denunciations.
	def("xld.denunciation.field.admin.policy", fields(d, "policy"))
	def("xld.denunciation.field.admin.land_housing", fields(d, "land_housing"))
	def("xld.denunciation.field.admin.officials", fields(d, "officials"))
	def("xld.denunciation.field.admin.other", fields(d, "admin_other"))
	def("xld.denunciation.field.corruption", fields(d, "corruption"))
	def("xld.denunciation.field.judicial", fields(d, "judicial"))
	def("xld.denunciation.field.party", fields(d, "party"))
	def("xld.denunciation.field.other", fields(d, "other", "unspecified"))
	def("xld.denunciation.status.repeat_concluded", prior(d))
	def("xld.denunciation.status.unresolved", notPrior(d))
	def("xld.denunciation.competent.first", func(s Sums) int64 {
		return s.during(M(XLDAccepted, d)) - s.during(M(XLDAcceptedRepeat, d))
	})
	def("xld.denunciation.competent.repeat", during(M(XLDAcceptedRepeat, d)))
	def("xld.denunciation.outside.forwarded", during(M(XLDForwarded, d)))
	def("xld.denunciation.replies_received", during(M(XLDReplies, d)))
	// 04/XLD recommendations and feedback.
	def("xld.recommendation.field.policy", fields(r, "policy"))
	def("xld.recommendation.field.land_housing", fields(r, "land_housing"))
	def("xld.recommendation.field.judicial", fields(r, "judicial"))
	def("xld.recommendation.field.other", fields(r, "officials", "admin_other", "party", "corruption", "other", "unspecified"))
	def("xld.recommendation.status.unresolved", elig(r))
	def("xld.recommendation.competent.cases", during(M(XLDAccepted, r)))
	def("xld.recommendation.outside.forwarded", during(M(XLDForwarded, r)))
	def("xld.recommendation.competent.unresolved", during(M(XLDAccepted, r)))
}

// The KQGQ forms: resolutions within competence and their execution.
func kqgqMetrics() {
	c, d := string(Complaint), string(Denunciation)
	rem := func(name, k string) MetricFunc { return during(M(ResRemedy, name, k)) }
	got := func(name, k string) MetricFunc { return during(M(ExeAchieved, name, k)) }
	dueRem := func(name, k string) MetricFunc {
		return func(s Sums) int64 { return s.due(M(ExeDueRemedy, name, k), M(ExeDoneRemedy, name, k)) }
	}
	for _, k := range []string{c, d} {
		p := "kqgq." + k + "."
		def(p+"petitions.carried_over", func(s Sums) int64 { return s.open(M(ResIn, k), M(ResOut, k)) })
		def(p+"petitions.received_in_period", during(M(ResIn, k)))
		def(p+"recovery.state.money", rem("recover_state_money", k))
		def(p+"recovery.state.land", rem("recover_state_land", k))
		def(p+"rights_restored.organisations", rem("orgs_restored", k))
		def(p+"rights_restored.individuals", rem("inds_restored", k))
		def(p+"sanctions.people", rem("people_sanctioned", k))
		def(p+"sanctions.officials", rem("officials_sanctioned", k))
		def(p+"investigation.cases", rem("cases_investigated", k))
		def(p+"investigation.officials", rem("officials_investigated", k))
		def(p+"deadline.on_time", during(M(ResOnTime, k)))
		def(p+"deadline.late", during(M(ResLate, k)))
	}
	// 01/KQGQ complaints: a case is one petition, so the cases are the petitions to resolve.
	def("kqgq.complaint.cases", func(s Sums) int64 { return s.due(M(ResIn, c), M(ResOut, c)) })
	def("kqgq.complaint.resolved.withdrawn", during(M(ResWithdrawn, c)))
	def("kqgq.complaint.returned.organisations.money", rem("return_org_money", c))
	def("kqgq.complaint.returned.organisations.land", rem("return_org_land", c))
	def("kqgq.complaint.returned.individuals.money", rem("return_ind_money", c))
	def("kqgq.complaint.returned.individuals.land", rem("return_ind_land", c))
	def("kqgq.complaint.investigation.people", rem("people_investigated", c))
	for _, f := range []string{"right", "wrong", "partly_right"} {
		def("kqgq.complaint.first_instance."+f, during(M(ResDecided, f)))
	}
	def("kqgq.complaint.second_instance.upheld", during(M(ResDecided, "upheld")))
	def("kqgq.complaint.second_instance.cancelled_or_amended", during(M(ResDecided, "cancelled_or_amended")))

	// 03/KQGQ denunciations.
	def("kqgq.denunciation.cases.total", func(s Sums) int64 { return s.due(M(ResIn, d), M(ResOut, d)) })
	def("kqgq.denunciation.cases.repeat", func(s Sums) int64 { return s.due(M(ResInRepeat, d), M(ResOutRepeat, d)) })
	def("kqgq.denunciation.resolved.first", sumOf(during(M(ResConcluded, "true", "first")),
		during(M(ResConcluded, "untrue", "first")), during(M(ResConcluded, "partly_true", "first")),
		during(M(ResConcluded, "unspecified", "first"))))
	def("kqgq.denunciation.resolved.withdrawn", during(M(ResWithdrawn, d)))
	def("kqgq.denunciation.resolved.terminated", during(M(ResTerminated, d)))
	def("kqgq.denunciation.returned.organisations.money", rem("return_org_money", d))
	def("kqgq.denunciation.returned.organisations.land", rem("return_org_land", d))
	def("kqgq.denunciation.returned.individuals.money", rem("return_ind_money", d))
	def("kqgq.denunciation.returned.individuals.land", rem("return_ind_land", d))
	def("kqgq.denunciation.investigation.subjects", rem("people_investigated", d))
	for _, f := range []string{"true", "untrue", "partly_true"} {
		def("kqgq.denunciation.conclusion."+f, sumOf(during(M(ResConcluded, f, "first")), during(M(ResConcluded, f, "repeat"))))
		def("kqgq.denunciation.conclusion."+f+"_repeat", during(M(ResConcluded, f, "repeat")))
	}

	// 02/KQGQ and 04/KQGQ: execution of complaint decisions and denunciation conclusions.
	for k, p := range map[string]string{c: "kqgq.complaint_execution.", d: "kqgq.conclusion_execution."} {
		if k == c {
			def(p+"decisions.to_execute", func(s Sums) int64 { return s.due(M(ExeDue, c), M(ExeDone, c)) })
			def(p+"decisions.executed", during(M(ExeDone, c)))
			def(p+"sanctioned.people", got("people_sanctioned", c))
			def(p+"prosecuted.people", got("people_investigated", c))
		} else {
			def(p+"conclusions.to_implement", func(s Sums) int64 { return s.due(M(ExeDue, d), M(ExeDone, d)) })
			def(p+"conclusions.implemented", during(M(ExeDone, d)))
			def(p+"to_restore.organisations", dueRem("orgs_restored", d))
			def(p+"to_restore.individuals", dueRem("inds_restored", d))
			def(p+"restored.organisations", got("orgs_restored", d))
			def(p+"restored.individuals", got("inds_restored", d))
			def(p+"sanctioned.individuals", got("people_sanctioned", d))
			def(p+"prosecuted.subjects", got("people_investigated", d))
		}
		def(p+"state.to_recover.money", dueRem("recover_state_money", k))
		def(p+"state.to_recover.land", dueRem("recover_state_land", k))
		def(p+"state.recovered.money", got("recover_state_money", k))
		def(p+"state.recovered.land", got("recover_state_land", k))
		def(p+"to_return.organisations.money", dueRem("return_org_money", k))
		def(p+"to_return.organisations.land", dueRem("return_org_land", k))
		def(p+"to_return.individuals.money", dueRem("return_ind_money", k))
		def(p+"to_return.individuals.land", dueRem("return_ind_land", k))
		def(p+"returned.organisations.money", got("return_org_money", k))
		def(p+"returned.organisations.land", got("return_org_land", k))
		def(p+"returned.individuals.money", got("return_ind_money", k))
		def(p+"returned.individuals.land", got("return_ind_land", k))
		def(p+"sanctioned.officials", got("officials_sanctioned", k))
		def(p+"prosecuted.cases", got("cases_investigated", k))
		def(p+"prosecuted.officials", got("officials_investigated", k))
	}
}
