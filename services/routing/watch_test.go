package routing_test

import (
	"context"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/civicase/civicase/pkg/auth"
	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// watch opens WatchRoutedCases and delivers its messages on a channel until the returned cancel is
// called (the agency disconnects).
func (f *fixture) watch(client routingv1.RoutingServiceClient, unit, after string) (<-chan *routingv1.WatchRoutedCasesResponse, <-chan error, context.CancelFunc) {
	ctx, cancel := context.WithCancel(f.ctx)
	stream, err := client.WatchRoutedCases(ctx, &routingv1.WatchRoutedCasesRequest{UnitCode: unit, AfterCursor: after})
	if err != nil {
		f.t.Fatal(err)
	}
	out := make(chan *routingv1.WatchRoutedCasesResponse, 16)
	errs := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			m, err := stream.Recv()
			if err != nil {
				if err != io.EOF {
					errs <- err
				}
				return
			}
			out <- m
		}
	}()
	return out, errs, cancel
}

// next waits for the stream's next message: the routed case, or a failure if it does not come.
func next(t *testing.T, ch <-chan *routingv1.WatchRoutedCasesResponse, errs <-chan error) *routingv1.WatchRoutedCasesResponse {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("stream ended: %v", <-errs)
		}
		return m
	case err := <-errs:
		t.Fatalf("stream failed: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no routed case within 10s")
	}
	return nil
}

// TestAgencyWatchesExactlyItsRoutedCases: the city inspectorate sees the denunciations forwarded to
// it and the cases assigned to it, not the others; after a disconnect it resumes from its last
// cursor and receives only what came after.
func TestAgencyWatchesExactlyItsRoutedCases(t *testing.T) {
	f := start(t)
	agency := f.client(auth.RoleAgency, inspector)
	f.setToday("2025-03-05")
	forward := func(id string) {
		t.Helper()
		_, err := f.officer.ProcessPetition(f.ctx, &routingv1.ProcessPetitionRequest{Meta: meta(), PetitionId: id, ProcessedOn: cd("2025-03-05"),
			Decision: &routingv1.ProcessPetitionRequest_Forward_{Forward: &routingv1.ProcessPetitionRequest_Forward{}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	acceptHere := func(kind string) string {
		t.Helper()
		k := complaint
		if kind == "denunciation" {
			k = denunciation
		}
		id := f.register(petitionSpec{kind: k, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
		if _, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-05", false)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	assign := func(id, to string) {
		t.Helper()
		_, err := f.officer.AssignCase(f.ctx, &routingv1.AssignCaseRequest{Meta: meta(), CaseId: id, AssigneeUnitCode: to, HandlerSubject: "h-7", AssignedOn: cd("2025-03-05")})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Routed to the inspectorate: a denunciation of its own staff forwarded by the competence rules
	// (A) and a complaint assigned to it (B). Not routed to it: a case accepted by the ward (C) and
	// one assigned to the department (D).
	a := f.register(petitionSpec{kind: denunciation, unit: wardPC, respondent: inspector, receivedOn: "2025-03-03"})
	forward(a)
	b := acceptHere("complaint")
	assign(b, inspector)
	acceptHere("complaint")
	d := acceptHere("denunciation")
	assign(d, tnmt)

	ch, errs, disconnect := f.watch(agency, inspector, "")
	m1 := next(t, ch, errs)
	if m1.GetCaseId() != a || m1.GetEventType() != "PetitionForwarded" || m1.GetFromUnitCode() != wardPC || m1.GetKind() != denunciation || dateOf(m1.GetRoutedOn()) != "2025-03-05" {
		t.Fatalf("first routed case %v, want %s forwarded", m1, a)
	}
	m2 := next(t, ch, errs)
	if m2.GetCaseId() != b || m2.GetEventType() != "CaseAssigned" || m2.GetFromUnitCode() != wardPC || m2.GetKind() != complaint {
		t.Fatalf("second routed case %v, want %s assigned", m2, b)
	}
	// Live: a case assigned while the agency watches arrives at once.
	e := acceptHere("complaint")
	assign(e, inspector)
	m3 := next(t, ch, errs)
	if m3.GetCaseId() != e || m3.GetEventType() != "CaseAssigned" {
		t.Fatalf("live routed case %v, want %s", m3, e)
	}
	disconnect()

	// While disconnected: one more case for the agency (G) and one for someone else.
	g := f.register(petitionSpec{kind: denunciation, unit: wardPC, respondent: inspector, receivedOn: "2025-03-04"})
	forward(g)
	acceptHere("denunciation")

	ch, errs, disconnect = f.watch(agency, inspector, m3.GetCursor())
	defer disconnect()
	if m := next(t, ch, errs); m.GetCaseId() != g || m.GetEventType() != "PetitionForwarded" {
		t.Fatalf("after reconnecting: %v, want %s", m, g)
	}
	// A marker routed afterwards is the very next message: nothing else (nothing twice) came between.
	h := acceptHere("complaint")
	assign(h, inspector)
	if m := next(t, ch, errs); m.GetCaseId() != h {
		t.Fatalf("after the marker: %v, want %s", m, h)
	}

	// An agency watches only its own cases; a cursor it was not given is refused.
	_, errs2, cancel2 := f.watch(agency, tnmt, "")
	defer cancel2()
	wantError(t, <-errs2, codes.PermissionDenied, "UNIT_OUT_OF_SCOPE", "")
	_, errs3, cancel3 := f.watch(agency, inspector, "not-a-cursor")
	defer cancel3()
	wantError(t, <-errs3, codes.InvalidArgument, "", "after_cursor")
}
