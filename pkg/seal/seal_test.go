package seal_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/seal"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	"google.golang.org/protobuf/proto"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder keeps access records in memory.
type recorder struct {
	mu   sync.Mutex
	recs []seal.AccessRecord
	fail error
}

func (r *recorder) RecordAccess(_ context.Context, rec seal.AccessRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.recs = append(r.recs, rec)
	return nil
}

func (r *recorder) records() []seal.AccessRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seal.AccessRecord(nil), r.recs...)
}

type fixture struct {
	sealer *seal.Sealer
	keys   *seal.MemoryKeyProvider
	store  *seal.MemoryKeyStore
	clock  *clock
	rec    *recorder
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{keys: seal.NewMemoryKeyProvider(), store: seal.NewMemoryKeyStore(), clock: newClock(), rec: &recorder{}}
	f.sealer = f.newSealer(t)
	return f
}

// newSealer is another process's Sealer on the same keys and store.
func (f *fixture) newSealer(t testing.TB) *seal.Sealer {
	s, err := seal.New(seal.Options{Keys: f.keys, Store: f.store, Recorder: f.rec, Clock: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	ctx      = context.Background()
	petition = seal.Scope{Tenant: "danang", AggregateType: "petition", AggregateID: "0193a1b2-7c00-7000-8000-000000000001"}
	officer  = seal.Access{Actor: &eventv1.Actor{Subject: "u-42", Role: "reception_officer", Unit: "P.HaiChau"}, Purpose: "reply to petitioner"}
	duc      = &personv1.PersonalData{
		FullName: "Nguyễn Văn Đức",
		IdNumber: "048203004567",
		Address:  "12 Lê Duẩn, phường Hải Châu, Đà Nẵng",
		Phone:    "0905123456",
		Email:    "duc.nguyen@example.vn",
	}
	lan = &personv1.PersonalData{FullName: "Trần Thị Lan", IdNumber: "048190001122"}
)

func TestSealOpenRoundTripRecordsAccess(t *testing.T) {
	f := newFixture(t)
	ref := seal.NewSubjectRef()
	sd, err := f.sealer.Seal(ctx, ref, petition, duc)
	if err != nil {
		t.Fatal(err)
	}
	if sd.GetSubjectRef() != ref || sd.GetKeyId() != "mem-1" || len(sd.GetNonce()) != 24 {
		t.Fatalf("sealed envelope %v", sd)
	}
	if len(f.rec.records()) != 0 {
		t.Fatal("sealing recorded an access")
	}
	// Another process opens it: the key comes from the store, not from the sealer's cache.
	got, err := f.newSealer(t).Open(ctx, sd, petition, officer)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, duc) {
		t.Fatalf("opened %v, want %v", got, duc)
	}
	recs := f.rec.records()
	if len(recs) != 1 {
		t.Fatalf("%d access records, want 1", len(recs))
	}
	r := recs[0]
	if r.SubjectRef != ref || r.Scope != petition || r.Actor.GetSubject() != "u-42" || r.Purpose != officer.Purpose || !r.At.Equal(f.clock.Now()) {
		t.Fatalf("access record %+v", r)
	}
}

func TestSealedBytesHoldNoClearData(t *testing.T) {
	f := newFixture(t)
	sd, err := f.sealer.Seal(ctx, seal.NewSubjectRef(), petition, duc)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := proto.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{duc.FullName, "Nguyễn", "Đức", seal.NormalizeName(duc.FullName), duc.IdNumber, "04820300", duc.Address, "Lê Duẩn", duc.Phone, duc.Email, "duc.nguyen"} {
		if bytes.Contains(wire, []byte(clear)) {
			t.Errorf("sealed bytes contain %q", clear)
		}
	}
	// Sealing the same data twice gives different bytes: nothing links equal values.
	sd2, _ := f.sealer.Seal(ctx, sd.GetSubjectRef(), petition, duc)
	if bytes.Equal(sd.GetCiphertext(), sd2.GetCiphertext()) {
		t.Error("equal plaintexts sealed to equal ciphertexts")
	}
}

func TestTamperedOrMovedSealedDataDoesNotOpen(t *testing.T) {
	f := newFixture(t)
	refDuc, refLan := seal.NewSubjectRef(), seal.NewSubjectRef()
	sd, err := f.sealer.Seal(ctx, refDuc, petition, duc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sealer.Seal(ctx, refLan, petition, lan); err != nil {
		t.Fatal(err)
	}
	otherAggregate := petition
	otherAggregate.AggregateID = "0193a1b2-7c00-7000-8000-000000000002"
	otherTenant := petition
	otherTenant.Tenant = "hue"

	cases := []struct {
		name   string
		mutate func(*eventv1.SealedData)
		scope  seal.Scope
	}{
		{"flipped ciphertext bit", func(s *eventv1.SealedData) { s.Ciphertext[3] ^= 1 }, petition},
		{"truncated ciphertext", func(s *eventv1.SealedData) { s.Ciphertext = s.Ciphertext[:len(s.Ciphertext)-1] }, petition},
		{"flipped nonce bit", func(s *eventv1.SealedData) { s.Nonce[0] ^= 0x80 }, petition},
		{"short nonce", func(s *eventv1.SealedData) { s.Nonce = s.Nonce[:12] }, petition},
		{"moved to another subject", func(s *eventv1.SealedData) { s.SubjectRef = refLan }, petition},
		{"key id rewritten", func(s *eventv1.SealedData) { s.KeyId = "mem-2" }, petition},
		{"copied into another aggregate", func(*eventv1.SealedData) {}, otherAggregate},
		{"copied into another tenant", func(*eventv1.SealedData) {}, otherTenant},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := proto.CloneOf(sd)
			c.mutate(bad)
			got, err := f.sealer.Open(ctx, bad, c.scope, officer)
			if !errors.Is(err, seal.ErrNotAuthentic) || got != nil {
				t.Fatalf("Open: %v, %v; want ErrNotAuthentic", got, err)
			}
		})
	}
	if n := len(f.rec.records()); n != 0 {
		t.Fatalf("failed opens recorded %d accesses", n)
	}
	if _, err := f.sealer.Open(ctx, sd, petition, officer); err != nil {
		t.Fatalf("the untouched original no longer opens: %v", err)
	}
}

func TestShredMakesOnlyThatSubjectUnreadable(t *testing.T) {
	f := newFixture(t)
	other := f.newSealer(t) // another process that has the subject's key cached
	refDuc, refLan := seal.NewSubjectRef(), seal.NewSubjectRef()
	sdDuc, _ := f.sealer.Seal(ctx, refDuc, petition, duc)
	sdLan, _ := f.sealer.Seal(ctx, refLan, petition, lan)
	if _, err := other.Open(ctx, sdDuc, petition, officer); err != nil {
		t.Fatal(err)
	}
	wireBefore, _ := proto.MarshalOptions{Deterministic: true}.Marshal(sdDuc)

	f.clock.Advance(time.Minute)
	shredAt := f.clock.Now()
	if err := f.sealer.Shred(ctx, refDuc); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)

	_, err := f.sealer.Open(ctx, sdDuc, petition, officer)
	var se *seal.ShreddedError
	if !errors.Is(err, seal.ErrShredded) || !errors.As(err, &se) || se.SubjectRef != refDuc || !se.ShreddedAt.Equal(shredAt) {
		t.Fatalf("Open after shred: %v; want ShreddedError for %s at %v", err, refDuc, shredAt)
	}
	if _, err := f.sealer.Seal(ctx, refDuc, petition, duc); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("Seal after shred: %v, want ErrShredded", err)
	}
	if _, err := f.newSealer(t).Open(ctx, sdDuc, petition, officer); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("fresh process Open after shred: %v, want ErrShredded", err)
	}
	if got, err := f.sealer.Open(ctx, sdLan, petition, officer); err != nil || !proto.Equal(got, lan) {
		t.Fatalf("other subject after shred: %v, %v", got, err)
	}
	// The ciphertext is untouched, so hashes over the events carrying it still verify.
	wireAfter, _ := proto.MarshalOptions{Deterministic: true}.Marshal(sdDuc)
	if !bytes.Equal(wireBefore, wireAfter) {
		t.Fatal("shredding changed the sealed bytes")
	}

	// A process that cached the key before the shred keeps it at most CacheTTL (default 5 min).
	if _, err := other.Open(ctx, sdDuc, petition, officer); err != nil {
		t.Fatalf("cached key within TTL: %v (documented grace window)", err)
	}
	f.clock.Advance(5 * time.Minute)
	if _, err := other.Open(ctx, sdDuc, petition, officer); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("other process after its cache TTL: %v, want ErrShredded", err)
	}
}

func TestOpenNeedsActorPurposeAndARecord(t *testing.T) {
	f := newFixture(t)
	sd, _ := f.sealer.Seal(ctx, seal.NewSubjectRef(), petition, duc)
	for _, a := range []seal.Access{
		{Purpose: "verification"},
		{Actor: &eventv1.Actor{Role: "verifier"}, Purpose: "verification"},
		{Actor: officer.Actor},
	} {
		if got, err := f.sealer.Open(ctx, sd, petition, a); !errors.Is(err, seal.ErrInvalid) || got != nil {
			t.Errorf("Open with %+v: %v, %v; want ErrInvalid", a, got, err)
		}
	}
	f.rec.fail = errors.New("event store unavailable")
	if got, err := f.sealer.Open(ctx, sd, petition, officer); err == nil || got != nil {
		t.Fatalf("Open with a failing recorder returned %v, %v; want no data", got, err)
	}
}

func TestUnknownSubjectDoesNotOpen(t *testing.T) {
	f := newFixture(t)
	sd, _ := f.sealer.Seal(ctx, seal.NewSubjectRef(), petition, duc)
	sd.SubjectRef = seal.NewSubjectRef()
	if _, err := f.sealer.Open(ctx, sd, petition, officer); !errors.Is(err, seal.ErrUnknownSubject) {
		t.Fatalf("Open of unknown subject: %v, want ErrUnknownSubject", err)
	}
}

func TestRotationWrapsOnlyNewSubjectsWithTheNewKEK(t *testing.T) {
	f := newFixture(t)
	before := seal.NewSubjectRef()
	sdOld, _ := f.sealer.Seal(ctx, before, petition, duc)
	newID, err := f.keys.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := seal.NewSubjectRef()
	sdNew, _ := f.sealer.Seal(ctx, after, petition, lan)
	if sdOld.GetKeyId() != "mem-1" || sdNew.GetKeyId() != newID || newID == "mem-1" {
		t.Fatalf("key ids %q then %q", sdOld.GetKeyId(), sdNew.GetKeyId())
	}
	// The earlier subject keeps its data key, wrapped under the old KEK.
	sdOld2, _ := f.sealer.Seal(ctx, before, petition, duc)
	if sdOld2.GetKeyId() != "mem-1" {
		t.Fatalf("existing subject resealed under %q", sdOld2.GetKeyId())
	}
	fresh := f.newSealer(t)
	for _, sd := range []*eventv1.SealedData{sdOld, sdNew, sdOld2} {
		if _, err := fresh.Open(ctx, sd, petition, officer); err != nil {
			t.Fatalf("open %s after rotation: %v", sd.GetKeyId(), err)
		}
	}
}

func TestConcurrentFirstSealsAgreeOnOneKey(t *testing.T) {
	f := newFixture(t)
	ref := seal.NewSubjectRef()
	const n = 8
	sealed := make([]*eventv1.SealedData, n)
	var wg sync.WaitGroup
	for i := range n {
		s := f.newSealer(t) // each its own process, so none shares a cache
		wg.Go(func() {
			var err error
			if sealed[i], err = s.Seal(ctx, ref, petition, duc); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	opener := f.newSealer(t)
	for i, sd := range sealed {
		if _, err := opener.Open(ctx, sd, petition, officer); err != nil {
			t.Fatalf("seal %d does not open with the stored key: %v", i, err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	f := newFixture(b)
	ref := seal.NewSubjectRef()
	if _, err := f.sealer.Seal(ctx, ref, petition, duc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.sealer.Seal(ctx, ref, petition, duc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cached key", 0}, {"unwrap every time", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			f := newFixture(b)
			s, err := seal.New(seal.Options{Keys: f.keys, Store: f.store, Recorder: seal.AccessRecorderFunc(func(context.Context, seal.AccessRecord) error { return nil }), Clock: f.clock.Now, CacheTTL: bc.ttl})
			if err != nil {
				b.Fatal(err)
			}
			sd, err := s.Seal(ctx, seal.NewSubjectRef(), petition, duc)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Open(ctx, sd, petition, officer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// slowStore holds a Get's answer back until released, to interleave a shred with a key load.
type slowStore struct {
	*seal.MemoryKeyStore
	read    chan struct{}
	release chan struct{}
}

func (s *slowStore) Get(ctx context.Context, ref string) (seal.StoredKey, error) {
	k, err := s.MemoryKeyStore.Get(ctx, ref)
	select {
	case s.read <- struct{}{}:
	default:
	}
	<-s.release
	return k, err
}

func TestShredDuringKeyLoadLeavesNoCachedKey(t *testing.T) {
	f := newFixture(t)
	ref := seal.NewSubjectRef()
	sd, _ := f.sealer.Seal(ctx, ref, petition, duc)
	slow := &slowStore{MemoryKeyStore: f.store, read: make(chan struct{}, 1), release: make(chan struct{})}
	s, err := seal.New(seal.Options{Keys: f.keys, Store: slow, Recorder: f.rec, Clock: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Open(ctx, sd, petition, officer)
		done <- err
	}()
	<-slow.read // the key was read before the shred…
	if err := s.Shred(ctx, ref); err != nil {
		t.Fatal(err)
	}
	close(slow.release) // …and arrives after it
	if err := <-done; !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("Open racing the shred: %v, want ErrShredded", err)
	}
	if _, err := s.Open(ctx, sd, petition, officer); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("Open after the race: %v; a key loaded before the shred was cached", err)
	}
}
