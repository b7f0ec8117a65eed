package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/testenv"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

var petition = eventstore.Aggregate{Type: "petition", ID: "p-1"}

func openStore(t *testing.T, nc *nats.Conn, tenant string) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), nc, eventstore.Config{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(text string) eventstore.Event {
	return eventstore.Event{Type: "NoteRecorded", Payload: wrapperspb.String(text)}
}

func meta(cmd string) eventstore.Metadata {
	return eventstore.Metadata{CommandID: cmd, Actor: &eventv1.Actor{Subject: "u1", Role: "reception_officer", Unit: "W1"}}
}

func streamMsgs(t *testing.T, s *eventstore.Store) uint64 {
	t.Helper()
	n, err := s.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentAppendsAtSameVersionExactlyOneWins(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(ctx, petition, eventstore.Tail{}, meta(fmt.Sprintf("cmd-%d", i)), ev("x"))
		})
	}
	close(start)
	wg.Wait()
	var won, conflicts int
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, eventstore.ErrConcurrency):
			conflicts++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || conflicts != 1 {
		t.Fatalf("won=%d conflicts=%d, want exactly one of each", won, conflicts)
	}
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Events) != 1 {
		t.Fatalf("history has %d events, want 1", len(h.Events))
	}
}

func TestFiftyWritersWithRetryLeaveAGapFreeVerifiedChain(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	const writers = 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			_, err := s.Execute(ctx, petition, meta(fmt.Sprintf("cmd-%02d", i)), func(h eventstore.History) ([]eventstore.Event, error) {
				return []eventstore.Event{ev(fmt.Sprintf("writer %d after version %d", i, h.Tail.Version))}, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Events) != writers {
		t.Fatalf("got %d events, want %d", len(h.Events), writers)
	}
	for i, e := range h.Events {
		if e.Version() != uint64(i+1) {
			t.Fatalf("event %d has version %d", i, e.Version())
		}
	}
	if err := eventstore.VerifyChain(h.Events); err != nil {
		t.Fatal(err)
	}
	if h.Tail.Version != writers {
		t.Fatalf("tail version %d", h.Tail.Version)
	}
}

func TestRetriedCommandAppendsNothingAndReturnsTheOriginal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	first, err := s.Append(ctx, petition, eventstore.Tail{}, meta("cmd-A"), ev("a1"), ev("a2"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got eventstore.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Duplicate || got.Seq != first.Seq || len(got.Events) != 2 || got.Events[1].Envelope.GetEventId() != first.Events[1].Envelope.GetEventId() {
			t.Fatalf("%s: got %+v (duplicate=%v), want the original commit at %d", name, got.Commit.Seq, got.Duplicate, first.Seq)
		}
	}

	// Same stale tail (the client lost the answer and resends the very request).
	res, err := s.Append(ctx, petition, eventstore.Tail{}, meta("cmd-A"), ev("a1"), ev("a2"))
	check("retry with stale tail", res, err)
	// Retry carrying the current tail: the server's de-duplication window answers.
	res, err = s.Append(ctx, petition, first.Tail(), meta("cmd-A"), ev("a1"), ev("a2"))
	check("retry with current tail", res, err)

	// Another command moves the aggregate on; the stale retry must still be recognised.
	if _, err := s.Append(ctx, petition, first.Tail(), meta("cmd-B"), ev("b")); err != nil {
		t.Fatal(err)
	}
	res, err = s.Append(ctx, petition, eventstore.Tail{}, meta("cmd-A"), ev("a1"), ev("a2"))
	check("retry after another command", res, err)

	// Execute recognises it from history, without deciding again (and whatever the server's window).
	res, err = s.Execute(ctx, petition, meta("cmd-A"), func(eventstore.History) ([]eventstore.Event, error) {
		t.Fatal("decide called for a command already in the history")
		return nil, nil
	})
	check("execute retry", res, err)

	if n := streamMsgs(t, s); n != 2 {
		t.Fatalf("log has %d messages, want 2", n)
	}
}

func TestMultiEventCommandIsOneAtomicMessage(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	res, err := s.Append(ctx, petition, eventstore.Tail{}, meta("cmd"), ev("1"), ev("2"), ev("3"))
	if err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, s); n != 1 {
		t.Fatalf("three events took %d messages", n)
	}
	if res.Tail().Version != 3 {
		t.Fatalf("tail version %d", res.Tail().Version)
	}
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.Events {
		var v wrapperspb.StringValue
		if err := e.Envelope.GetPayload().UnmarshalTo(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", e.Version(), v.GetValue()))
	}
	if fmt.Sprint(got) != "[1:1 2:2 3:3]" {
		t.Fatalf("history %v", got)
	}
}

func TestEnvelopeCarriesMetadataAndInjectedTime(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)
	s, err := eventstore.Open(ctx, testenv.StartNATS(t).Conn, eventstore.Config{Tenant: "city", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	occurred := time.Date(2025, 3, 9, 16, 30, 0, 0, time.UTC)
	m := meta("cmd-1")
	m.CorrelationID, m.CausationID = "corr", "cause"
	m.Trace = &eventv1.TraceContext{Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	if _, err := s.Append(ctx, petition, eventstore.Tail{}, m, eventstore.Event{Payload: wrapperspb.String("x"), OccurredAt: occurred}); err != nil {
		t.Fatal(err)
	}
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	env := h.Events[0].Envelope
	if env.GetTenant() != "city" || env.GetAggregateType() != "petition" || env.GetAggregateId() != "p-1" ||
		env.GetEventType() != "StringValue" || env.GetSchemaVersion() != 1 || env.GetCommandId() != "cmd-1" ||
		env.GetCorrelationId() != "corr" || env.GetCausationId() != "cause" || env.GetActor().GetUnit() != "W1" ||
		!env.GetRecordedAt().AsTime().Equal(now) || !env.GetOccurredAt().AsTime().Equal(occurred) ||
		env.GetTrace().GetTraceparent() != m.Trace.Traceparent || len(env.GetEventId()) != 36 {
		t.Fatalf("envelope %v", env)
	}
}

// TestAppendResultIsWhatIsStored: Append returns the envelopes it built instead of decoding the
// body it published; they must be what reading the log gives, and not change with the caller's
// messages afterwards.
func TestAppendResultIsWhatIsStored(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	m := meta("cmd-1")
	m.CorrelationID = "corr"
	m.Trace = &eventv1.TraceContext{Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Tracestate: "k=v"}
	sealed := []*eventv1.SealedData{{SubjectRef: "s-1", KeyId: "k-1", Nonce: []byte{1, 2}, Ciphertext: []byte("sealed")}}
	events := []eventstore.Event{
		{Type: "PetitionRegistered", Payload: wrapperspb.String("one"), Sealed: sealed},
		{Payload: wrapperspb.Int64(2), SchemaVersion: 3, OccurredAt: time.Date(2025, 3, 9, 16, 30, 0, 5, time.UTC)},
		ev("three"),
	}
	first, err := s.Append(ctx, petition, eventstore.Tail{}, m, events[:1]...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, petition, first.Tail(), meta("cmd-2"), events[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	m.Actor.Unit, m.Trace.Tracestate, sealed[0].Ciphertext[0] = "changed", "changed", 'X'
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	appended := append(first.Events, res.Events...)
	if len(h.Events) != 3 || len(appended) != 3 {
		t.Fatalf("%d events stored, %d appended", len(h.Events), len(appended))
	}
	for i, got := range appended {
		want := h.Events[i]
		decoded := &eventv1.Envelope{}
		if err := proto.Unmarshal(got.Canonical, decoded); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got.Envelope, want.Envelope) || !proto.Equal(got.Envelope, decoded) || !bytes.Equal(got.Canonical, want.Canonical) ||
			!bytes.Equal(got.Hash, want.Hash) || got.Seq != want.Seq || got.Index != want.Index {
			t.Fatalf("event %d appended as\n%v %x %d/%d\nstored as\n%v %x %d/%d", i, got.Envelope, got.Hash, got.Seq, got.Index, want.Envelope, want.Hash, want.Seq, want.Index)
		}
	}
	if got := appended[0].Envelope; got.GetActor().GetUnit() != "W1" || got.GetTrace().GetTracestate() != "k=v" || string(got.GetSealed()[0].GetCiphertext()) != "sealed" {
		t.Fatalf("the result follows the caller's messages: %v", got)
	}
	if err := eventstore.VerifyChain(h.Events); err != nil {
		t.Fatal(err)
	}
	if res.MsgID != h.Commits[1].MsgID || res.Subject != h.Commits[1].Subject || res.Aggregate != h.Commits[1].Aggregate {
		t.Fatalf("commit %+v, stored %+v", res.Commit, h.Commits[1])
	}
}

func TestLoadPagesThroughLongHistoriesAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	n := testenv.StartNATS(t)
	s := openStore(t, n.Conn, "city")
	other := eventstore.Aggregate{Type: "petition", ID: "p-2"}
	var tail, otherTail eventstore.Tail
	const commits = 600 // more than two direct-get batches, interleaved with another aggregate
	for i := range commits {
		res, err := s.Append(ctx, petition, tail, meta(fmt.Sprintf("c%d", i)), ev("x"))
		if err != nil {
			t.Fatal(err)
		}
		tail = res.Tail()
		res, err = s.Append(ctx, other, otherTail, meta(fmt.Sprintf("o%d", i)), ev("y"))
		if err != nil {
			t.Fatal(err)
		}
		otherTail = res.Tail()
	}
	n.Restart()
	s = openStore(t, n.Conn, "city")
	h, err := s.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Events) != commits || h.Tail.Seq != tail.Seq {
		t.Fatalf("loaded %d events ending at %d, want %d ending at %d", len(h.Events), h.Tail.Seq, commits, tail.Seq)
	}
	if err := eventstore.VerifyChain(h.Events); err != nil {
		t.Fatal(err)
	}
	empty, err := s.Load(ctx, eventstore.Aggregate{Type: "petition", ID: "none"})
	if err != nil || len(empty.Events) != 0 || empty.Tail.Version != 0 {
		t.Fatalf("empty aggregate: %+v %v", empty.Tail, err)
	}
}

func TestReadFromSequenceAndTime(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	for i := range 10 {
		agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("p%d", i)}
		if _, err := s.Append(ctx, agg, eventstore.Tail{}, meta("c"), eventstore.Event{Payload: wrapperspb.Int64(int64(i)), OccurredAt: clock}); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []uint64
	if err := s.Read(ctx, eventstore.ReadOptions{From: eventstore.From{Seq: 4}, UntilSeq: 8}, func(c eventstore.Commit) error {
		seqs = append(seqs, c.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs) != "[4 5 6 7 8]" {
		t.Fatalf("read %v", seqs)
	}
	// From a time in the future: nothing; from the zero time: everything.
	count := func(from eventstore.From) int {
		n := 0
		if err := s.Read(ctx, eventstore.ReadOptions{From: from}, func(eventstore.Commit) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(eventstore.From{Time: time.Now().Add(time.Hour)}); got != 0 {
		t.Fatalf("read %d commits from the future", got)
	}
	if got := count(eventstore.From{}); got != 10 {
		t.Fatalf("read %d commits from the start", got)
	}
}

func TestAppendRejectsMalformedRequests(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	cases := map[string]func() error{
		"bad id": func() error {
			_, err := s.Append(ctx, eventstore.Aggregate{Type: "petition", ID: "a.b"}, eventstore.Tail{}, meta("c"), ev("x"))
			return err
		},
		"no command": func() error { _, err := s.Append(ctx, petition, eventstore.Tail{}, meta(""), ev("x")); return err },
		"no events":  func() error { _, err := s.Append(ctx, petition, eventstore.Tail{}, meta("c")); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	if n := streamMsgs(t, s); n != 0 {
		t.Fatalf("log has %d messages after rejected appends", n)
	}
}

// A changed byte in a stored event is found by the hash chain, which names the aggregate and version.
// The tenant's real stream denies deletes and purges, so the tampered copy is written to a test stream.
func TestTamperedPayloadIsDetectedWithAggregateAndVersion(t *testing.T) {
	ctx := context.Background()
	nc := testenv.StartNATS(t).Conn
	orig := openStore(t, nc, "city")
	var tail eventstore.Tail
	for i := range 5 {
		res, err := orig.Append(ctx, petition, tail, meta(fmt.Sprintf("c%d", i)), ev(fmt.Sprintf("content %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		tail = res.Tail()
	}
	copyStore := openStore(t, nc, "copy")
	if err := orig.Read(ctx, eventstore.ReadOptions{}, func(c eventstore.Commit) error {
		commit := &eventv1.Commit{}
		for _, e := range c.Events {
			canonical := append([]byte(nil), e.Canonical...)
			if e.Version() == 3 {
				i := bytesIndex(canonical, []byte("content 2"))
				canonical[i+len("content ")] = '9' // one byte of the payload
			}
			commit.Records = append(commit.Records, &eventv1.Record{Envelope: canonical, Hash: e.Hash})
		}
		body, _ := proto.Marshal(commit)
		_, err := copyStore.JetStream().Publish(ctx, copyStore.Subject(c.Aggregate), body)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h, err := copyStore.Load(ctx, petition)
	if err != nil {
		t.Fatal(err)
	}
	err = eventstore.VerifyChain(h.Events)
	var chainErr *eventstore.ChainError
	if !errors.As(err, &chainErr) || chainErr.Aggregate != petition || chainErr.Version != 3 {
		t.Fatalf("got %v, want a chain error at petition/p-1 version 3", err)
	}
	if !errors.Is(err, eventstore.ErrCorrupt) {
		t.Fatalf("chain error is not ErrCorrupt")
	}
	// The untouched original verifies.
	h, _ = orig.Load(ctx, petition)
	if err := eventstore.VerifyChain(h.Events); err != nil {
		t.Fatal(err)
	}
}

func bytesIndex(b, sub []byte) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	panic("not found")
}

func TestFollowDeliversExistingAndNewCommitsInOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	other := eventstore.Aggregate{Type: "unit", ID: "u1"}
	for i := range 3 {
		agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("p%d", i)}
		if _, err := s.Append(ctx, agg, eventstore.Tail{}, meta("c"), ev("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(ctx, other, eventstore.Tail{}, meta("c"), ev("u")); err != nil {
		t.Fatal(err)
	}
	got := make(chan uint64, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(ctx, eventstore.ReadOptions{From: eventstore.From{Seq: 2}, Subjects: []string{s.SubjectsOf("petition")}}, func(c eventstore.Commit) error {
			got <- c.Seq
			return nil
		})
	}()
	if _, err := s.Append(ctx, eventstore.Aggregate{Type: "petition", ID: "new"}, eventstore.Tail{}, meta("c"), ev("y")); err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for len(seqs) < 3 {
		select {
		case q := <-got:
			seqs = append(seqs, q)
		case <-time.After(10 * time.Second):
			t.Fatalf("followed only %v", seqs)
		}
	}
	if fmt.Sprint(seqs) != "[2 3 5]" {
		t.Fatalf("followed %v, want [2 3 5]", seqs)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v", err)
	}
}

func TestLastSeqOfNamesTheLastCommitOnSubjects(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testenv.StartNATS(t).Conn, "city")
	units := s.SubjectsOf("unit")
	if last, err := s.LastSeqOf(ctx, units); err != nil || last != 0 {
		t.Fatalf("empty log: %d, %v; want 0", last, err)
	}
	unit := eventstore.Aggregate{Type: "unit", ID: "W1"}
	res, err := s.Append(ctx, unit, eventstore.Tail{}, meta("u1"), ev("registered"))
	if err != nil {
		t.Fatal(err)
	}
	// Other aggregates' commits after it do not move the units' last sequence.
	for i := range 3 {
		if _, err := s.Append(ctx, eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("p%d", i)}, eventstore.Tail{}, meta(fmt.Sprintf("p%d", i)), ev("x")); err != nil {
			t.Fatal(err)
		}
	}
	for subject, want := range map[string]uint64{units: res.Seq, s.Subject(unit): res.Seq, s.SubjectsOf("petition"): res.Seq + 3, s.SubjectsOf("session"): 0} {
		if last, err := s.LastSeqOf(ctx, subject); err != nil || last != want {
			t.Errorf("LastSeqOf(%s) = %d, %v; want %d", subject, last, err, want)
		}
	}
}
