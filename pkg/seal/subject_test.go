package seal_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/seal"
)

// countingStore is a key store that counts its writes and fails them on demand.
type countingStore struct {
	*seal.MemoryKeyStore
	mu      sync.Mutex
	creates int
	batches int
	fail    error
}

func (s *countingStore) Create(ctx context.Context, k seal.StoredKey) (seal.StoredKey, bool, error) {
	s.mu.Lock()
	s.creates++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return seal.StoredKey{}, false, fail
	}
	return s.MemoryKeyStore.Create(ctx, k)
}

func (s *countingStore) CreateBatch(ctx context.Context, keys []seal.StoredKey) ([]bool, error) {
	s.mu.Lock()
	s.batches++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return s.MemoryKeyStore.CreateBatch(ctx, keys)
}

func (s *countingStore) writes() (creates, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates, s.batches
}

func (s *countingStore) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// oneByOne hides CreateBatch: a store that can only write keys one at a time.
type oneByOne struct{ seal.KeyStore }

// newSubjectSealer makes sealers over one store whose reserve is written only when it is empty, so
// that the tests can count the writes; TestTheReserveIsRefilledBeforeItRunsOut covers the refill.
func newSubjectSealer(t *testing.T, store seal.KeyStore, reserve int) (*seal.Sealer, func() *seal.Sealer) {
	t.Helper()
	keys, rec := seal.NewMemoryKeyProvider(), &recorder{}
	mk := func() *seal.Sealer {
		s, err := seal.New(seal.Options{Keys: keys, Store: store, Recorder: rec, Clock: newClock().Now, SubjectReserve: reserve, SubjectRefillAt: -1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mk(), mk
}

// A new subject's key is in the key store before the reference is handed out: data sealed for
// them opens in another process that never saw the reserve, and shredding them works as for any.
func TestNewSubjectsKeyIsStoredBeforeItIsHandedOut(t *testing.T) {
	for name, reserve := range map[string]int{"reserve": 4, "no reserve": -1} {
		t.Run(name, func(t *testing.T) {
			store := &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}
			sealer, another := newSubjectSealer(t, store, reserve)
			ref, err := sealer.NewSubject(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.MemoryKeyStore.Get(ctx, ref); err != nil {
				t.Fatalf("key of new subject %s not stored: %v", ref, err)
			}
			sd, err := sealer.Seal(ctx, ref, petition, duc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := another().Open(ctx, sd, petition, officer)
			if err != nil || !proto.Equal(got, duc) {
				t.Fatalf("another process opens: %v, %v", got, err)
			}
			if err := sealer.Shred(ctx, ref); err != nil {
				t.Fatal(err)
			}
			if _, err := another().Open(ctx, sd, petition, officer); !errors.Is(err, seal.ErrShredded) {
				t.Fatalf("open after shred: %v, want ErrShredded", err)
			}
		})
	}
}

// The reserve is filled by one write for SubjectReserve subjects, and sealing for them writes
// nothing more until it runs out.
func TestNewSubjectsComeFromOneWriteAhead(t *testing.T) {
	store := &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}
	sealer, _ := newSubjectSealer(t, store, 4)
	seen := map[string]bool{}
	for i := range 9 {
		ref, err := sealer.NewSubject(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen[ref] {
			t.Fatalf("subject %s handed out twice", ref)
		}
		seen[ref] = true
		if _, err := sealer.Seal(ctx, ref, petition, lan); err != nil {
			t.Fatal(err)
		}
		creates, batches := store.writes()
		if want := i/4 + 1; batches != want || creates != 0 {
			t.Fatalf("after %d new subjects: %d batch writes and %d single ones, want %d and 0", i+1, batches, creates, want)
		}
	}

	// A store that cannot batch gets the reserve's keys one by one, still before any is handed out.
	single := &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}
	sealer, _ = newSubjectSealer(t, oneByOne{single}, 4)
	if _, err := sealer.NewSubject(ctx); err != nil {
		t.Fatal(err)
	}
	if creates, _ := single.writes(); creates != 4 {
		t.Fatalf("%d single writes for a reserve of 4", creates)
	}
}

// Concurrent new subjects all get distinct references with stored keys; callers that find the
// reserve empty share one write.
func TestConcurrentNewSubjectsShareTheWrite(t *testing.T) {
	store := &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}
	sealer, _ := newSubjectSealer(t, store, 8)
	const n = 32
	refs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { refs[i], errs[i] = sealer.NewSubject(ctx) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, ref := range refs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if seen[ref] {
			t.Fatalf("subject %s handed out twice", ref)
		}
		seen[ref] = true
		if _, err := store.MemoryKeyStore.Get(ctx, ref); err != nil {
			t.Fatalf("key of %s: %v", ref, err)
		}
	}
	if _, batches := store.writes(); batches != n/8 {
		t.Fatalf("%d batch writes for %d subjects with a reserve of 8, want %d", batches, n, n/8)
	}
}

// A failed write hands out no subject: the caller gets the error, and the next call writes again.
func TestNewSubjectFailsWhenTheKeyIsNotStored(t *testing.T) {
	store := &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}
	sealer, _ := newSubjectSealer(t, store, 4)
	down := errors.New("key store down")
	store.setFail(down)
	if ref, err := sealer.NewSubject(ctx); !errors.Is(err, down) || ref != "" {
		t.Fatalf("NewSubject with the store down: %q, %v", ref, err)
	}
	store.setFail(nil)
	ref, err := sealer.NewSubject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.MemoryKeyStore.Get(ctx, ref); err != nil {
		t.Fatalf("key of %s: %v", ref, err)
	}
}

// gatedStore holds batch writes until its gate opens.
type gatedStore struct {
	*countingStore
	gate    chan struct{}
	started *atomic.Int32
}

func (s gatedStore) CreateBatch(ctx context.Context, keys []seal.StoredKey) ([]bool, error) {
	if s.started.Add(1) > 1 {
		<-s.gate
	}
	return s.countingStore.CreateBatch(ctx, keys)
}

// With a refill point, the next reserve is written in the background once few subjects are left:
// the subjects still in the reserve are handed out while that write is held up, and the write
// then serves the callers that come after.
func TestTheReserveIsRefilledBeforeItRunsOut(t *testing.T) {
	store := gatedStore{countingStore: &countingStore{MemoryKeyStore: seal.NewMemoryKeyStore()}, gate: make(chan struct{}), started: new(atomic.Int32)}
	sealer, err := seal.New(seal.Options{Keys: seal.NewMemoryKeyProvider(), Store: store, Recorder: &recorder{}, Clock: newClock().Now,
		SubjectReserve: 8, SubjectRefillAt: 2})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	take := func() {
		t.Helper()
		ref, err := sealer.NewSubject(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen[ref] {
			t.Fatalf("subject %s handed out twice", ref)
		}
		seen[ref] = true
	}
	// The first write is not gated; the sixth subject leaves two and starts the second, which is.
	for range 6 {
		take()
	}
	for deadline := time.Now().Add(10 * time.Second); store.started.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no write of the next reserve started with two subjects left")
		}
	}
	take()
	take() // the reserve is now empty, the second write still held: neither of these waited
	got := make(chan error)
	go func() {
		_, err := sealer.NewSubject(ctx)
		got <- err
	}()
	close(store.gate)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if _, batches := store.writes(); batches != 2 {
		t.Errorf("%d batch writes for 9 subjects, want 2", batches)
	}
}
