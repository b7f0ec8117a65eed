package supervision_test

import (
	"sync"
	"testing"

	"github.com/civicase/civicase/pkg/auth"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
	supervisionv1 "github.com/civicase/civicase/proto/gen/civicase/supervision/v1"
	"github.com/civicase/civicase/services/supervision"
)

// deadlineEvents are the notices recorded on a clock's aggregate.
func deadlineEvents(f *fixture, caseID, clock string) (approaching []*supervisionv1.DeadlineApproaching, missed []*supervisionv1.DeadlineMissed) {
	for _, m := range f.history("deadline", caseID+"-"+clock) {
		switch e := m.(type) {
		case *supervisionv1.DeadlineApproaching:
			approaching = append(approaching, e)
		case *supervisionv1.DeadlineMissed:
			missed = append(missed, e)
		}
	}
	return approaching, missed
}

// A complaint received Mon 09/02/2026 must be processed by Mon 02/03 (10 working days across Tết,
// see TestOverdueAcrossTetAndSuspensionExactToTheDay). The watcher warns 3 working days before
// (Wed 25/02: Thu 26, Fri 27, Mon 02 remain) and records the miss from Tue 03/03 — once each,
// however often it ticks, after a restart, and with two replicas ticking at once.
func TestWatcherRecordsEachNoticeOncePerClockAndDueDate(t *testing.T) {
	f := start(t, "2026-02-24")
	a := f.register(petition{unit: wardKD, receivedOn: "2026-02-09"})
	f.step(a, "2026-02-10", &routingv1.CaseAssigned{CaseId: a, AssigneeUnitCode: wardKD, HandlerSubject: "officer-7", AssignedOn: civil("2026-02-10")})

	// Tue 24/02: 4 working days remain (25, 26, 27, 02/03): nothing yet.
	if rep := f.tick(); rep != (supervision.TickReport{}) {
		t.Fatalf("24/02: %+v", rep)
	}
	f.setToday("2026-02-25")
	if rep := f.tick(); rep.Approaching != 1 || rep.Missed != 0 {
		t.Fatalf("25/02: %+v, want one warning", rep)
	}
	if rep := f.tick(); rep != (supervision.TickReport{}) {
		t.Fatalf("25/02 again: %+v, want nothing new", rep)
	}
	f.setToday("2026-02-27") // still the same due date: no second warning
	if rep := f.tick(); rep != (supervision.TickReport{}) {
		t.Fatalf("27/02: %+v", rep)
	}
	warn, _ := deadlineEvents(f, a, "processing")
	if len(warn) != 1 || dateOf(warn[0].GetDueOn()) != "2026-03-02" || dateOf(warn[0].GetWarnedOn()) != "2026-02-25" ||
		warn[0].GetWorkingDaysRemaining() != 3 || warn[0].GetUnitCode() != wardKD || warn[0].GetHandlerSubject() != "officer-7" ||
		warn[0].GetRuleId() != "petition.process" || len(warn[0].GetDerivation()) == 0 {
		t.Fatalf("warnings %v", warn)
	}

	f.setToday("2026-03-02") // the due date itself is on time
	if rep := f.tick(); rep.Missed != 0 {
		t.Fatalf("02/03: %+v", rep)
	}
	f.setToday("2026-03-03")
	if rep := f.tick(); rep.Missed != 1 {
		t.Fatalf("03/03: %+v, want one miss", rep)
	}
	if rep := f.tick(); rep.Missed != 0 {
		t.Fatalf("03/03 again: %+v", rep)
	}

	// Restart on the same NATS and database: the new instance's projection resumes from its
	// checkpoint and its watcher finds everything recorded.
	f.restart()
	f.setToday("2026-03-05")
	if rep := f.tick(); rep != (supervision.TickReport{}) {
		t.Fatalf("after restart: %+v", rep)
	}
	_, missed := deadlineEvents(f, a, "processing")
	if len(missed) != 1 || dateOf(missed[0].GetDueOn()) != "2026-03-02" || dateOf(missed[0].GetMissedOn()) != "2026-03-03" ||
		dateOf(missed[0].GetNoticedOn()) != "2026-03-03" || missed[0].GetDaysOverdue() != 1 || missed[0].GetUnitCode() != wardKD ||
		missed[0].GetPetitionKind() != commonv1.PetitionKind_PETITION_KIND_COMPLAINT {
		t.Fatalf("misses %v", missed)
	}

	// Two replicas ticking at once, many times, over two fresh clocks: still one notice each.
	b := f.register(petition{unit: wardDV, receivedOn: "2026-02-20"}) // 10 working days → Fri 06/03
	c := f.register(petition{unit: wardDV, receivedOn: "2026-02-23"}) // → Mon 09/03
	r2, w2 := f.startReplica()
	f.setToday("2026-03-10")
	f.caughtUp(f.r, r2)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total supervision.TickReport
	for _, w := range []*supervision.Watcher{f.w, w2, f.w, w2, f.w, w2} {
		wg.Go(func() {
			rep, err := w.Tick(ctx, f.env.Clock.Now())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Missed += rep.Missed
			total.Approaching += rep.Approaching
			mu.Unlock()
		})
	}
	wg.Wait()
	if total.Missed != 2 || total.Approaching != 0 {
		t.Errorf("racing watchers recorded %+v, want 2 misses in all", total)
	}
	for _, id := range []string{b, c} {
		if _, m := deadlineEvents(f, id, "processing"); len(m) != 1 {
			t.Errorf("case %s: %d misses, want 1", id, len(m))
		}
	}
}

// A due date moved by an extension is a new due date: it gets its own warning and its own miss.
// A denunciation accepted Mon 05/01/2026 is due Wed 04/02 (30 days, Luật TC Đ30); missed on 05/02;
// extended on Wed 04/02 by 15 days the period ends Thu 19/02, a Tết day off, so Mon 23/02.
func TestMovedDueDateGetsNewNotices(t *testing.T) {
	f := start(t, "2026-02-05")
	b := f.register(petition{unit: wardKD, receivedOn: "2026-01-02", kind: commonv1.PetitionKind_PETITION_KIND_DENUNCIATION})
	f.acceptDenunciation(b, wardKDC, "2026-01-05")
	if rep := f.tick(); rep.Missed != 1 {
		t.Fatalf("05/02: %+v", rep)
	}
	ext := clock(t, b, "resolution", "denunciation.resolve", wardKDC, "2026-01-05")
	ext.DueOn = civil("2026-02-23")
	f.step(b, "2026-02-04",
		&routingv1.ResolutionExtended{CaseId: b, ExtendedOn: civil("2026-02-04"), Days: 15, ExtensionNumber: 1},
		&commonv1.LegalClockExtended{Clock: ext, Days: 15, ExtensionNumber: 1})
	f.setToday("2026-02-06") // Fri 06/02 → Mon 23/02: 9, 10, 11, 12, 13, 23 = 6 working days: quiet
	if rep := f.tick(); rep != (supervision.TickReport{}) {
		t.Fatalf("06/02: %+v", rep)
	}
	f.setToday("2026-02-12") // Thu 12/02: Fri 13, (Tết), Mon 23 = 2 working days left
	if rep := f.tick(); rep.Approaching != 1 {
		t.Fatalf("12/02: %+v", rep)
	}
	f.setToday("2026-02-24")
	if rep := f.tick(); rep.Missed != 1 {
		t.Fatalf("24/02: %+v", rep)
	}
	warn, missed := deadlineEvents(f, b, "resolution")
	if len(warn) != 1 || len(missed) != 2 || dateOf(missed[0].GetDueOn()) != "2026-02-04" || dateOf(missed[1].GetDueOn()) != "2026-02-23" ||
		dateOf(warn[0].GetDueOn()) != "2026-02-23" {
		t.Fatalf("warnings %v, misses %v", warn, missed)
	}
	// The lists agree: one day overdue on 24/02, the extension in the derivation.
	res := must[*supervisionv1.ListOverdueResponse](t)(f.client("tt-1", auth.RoleCouncilStanding, cityTT).ListOverdue(ctx, &supervisionv1.ListOverdueRequest{}))
	if len(res.GetClocks()) != 1 || res.GetClocks()[0].GetDaysOverdue() != 1 || dateOf(res.GetAsOf()) != "2026-02-24" {
		t.Fatalf("overdue today: %v", res)
	}
}
