package domain

import (
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
)

// SessionKindName is the qualifier of reception metrics: which 01/TCD column group a session
// counts in. Regular reception (cols 4–11) has no session count; the head's periodic and
// unscheduled sessions share cols 12–20 (Luật TCD Đ12, Đ15, Đ18); delegated sessions cols 21–29. A
// People's Council deputy's reception (Luật TCD Đ22) has no 01/TCD column and is kept as
// "council" for dashboards.
func SessionKindName(k intakev1.SessionKind) string {
	switch k {
	case intakev1.SessionKind_SESSION_KIND_REGULAR:
		return "regular"
	case intakev1.SessionKind_SESSION_KIND_HEAD_PERIODIC, intakev1.SessionKind_SESSION_KIND_HEAD_UNSCHEDULED:
		return "head"
	case intakev1.SessionKind_SESSION_KIND_DELEGATED:
		return "delegated"
	case intakev1.SessionKind_SESSION_KIND_COUNCIL_DEPUTY:
		return "council"
	}
	return "unspecified"
}

// SessionFacts are the facts of a session being held: one session of its kind on its day.
func SessionFacts(e *intakev1.ReceptionSessionOpened) []Fact {
	d := dateOf(e.GetHeldOn())
	if !d.IsValid() || e.GetUnitCode() == "" {
		return nil
	}
	return []Fact{{Unit: e.GetUnitCode(), Metric: M(RcpSessions, SessionKindName(e.GetKind())), Day: d, Value: 1}}
}

// VisitFacts are the facts of one visit in a session of kind: a visit, its people, and one case
// received for the first time or again (01/TCD "tiếp lần đầu / nhiều lần"); for a crowd
// delegation (5 or more people on one matter, Luật TCD Đ29) also the delegation, its people and its
// case. A visit is about one matter, so it counts one case.
func VisitFacts(e *intakev1.VisitRecorded, kind intakev1.SessionKind) []Fact {
	d := dateOf(e.GetHeldOn())
	u := e.GetUnitCode()
	if !d.IsValid() || u == "" {
		return nil
	}
	sk := SessionKindName(kind)
	people := int64(max(e.GetPeopleCount(), 1))
	out := []Fact{
		{Unit: u, Metric: M(RcpVisits, sk), Day: d, Value: 1},
		{Unit: u, Metric: M(RcpPeople, sk), Day: d, Value: people},
	}
	cases, crowdCases := RcpCasesFirst, RcpCrowdCasesFirst
	if e.GetRepeat() {
		cases, crowdCases = RcpCasesRepeat, RcpCrowdRepeat
	}
	out = append(out, Fact{Unit: u, Metric: M(cases, sk), Day: d, Value: 1})
	if e.GetCrowd() {
		out = append(out,
			Fact{Unit: u, Metric: M(RcpCrowds, sk), Day: d, Value: 1},
			Fact{Unit: u, Metric: M(RcpCrowdPeople, sk), Day: d, Value: people},
			Fact{Unit: u, Metric: M(crowdCases, sk), Day: d, Value: 1})
	}
	return out
}
