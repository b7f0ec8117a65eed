package seal

import (
	"context"
	"errors"
	"sync"
	"time"
)

// StoredKey is a subject's data key as the key store keeps it: wrapped, never in clear.
type StoredKey struct {
	// SubjectRef is the pseudonymous data subject the key belongs to.
	SubjectRef string
	// KeyID names the KEK that wrapped the data key.
	KeyID string
	// WrappedDEK is the data key encrypted under that KEK.
	WrappedDEK []byte
	// CreatedAt is when the data key was made.
	CreatedAt time.Time
}

// KeyStore keeps one wrapped data key per subject and a tombstone for every shredded subject.
type KeyStore interface {
	// Get returns the subject's wrapped key; ErrUnknownSubject if there is none, a *ShreddedError
	// if it was shredded.
	Get(ctx context.Context, subjectRef string) (StoredKey, error)
	// Create stores k unless the subject already has a key, in which case that key is returned with
	// created false: concurrent first seals for one subject agree on one key. A shredded subject
	// gives a *ShreddedError.
	Create(ctx context.Context, k StoredKey) (stored StoredKey, created bool, err error)
	// Shred destroys the subject's wrapped key and leaves a tombstone dated at, or keeps the date
	// of an earlier shredding. Shredding an unknown subject leaves a tombstone too.
	Shred(ctx context.Context, subjectRef string, at time.Time) error
}

// KeyBatchCreator is a KeyStore that stores many new data keys in one durable write. Sealer.NewSubject
// uses it to make new subjects ahead; with a store that lacks it, it stores them one by one.
type KeyBatchCreator interface {
	// CreateBatch stores each key whose subject has no key yet, like Create, and reports which
	// were stored: false where the subject already had a key or a tombstone, which is kept.
	CreateBatch(ctx context.Context, keys []StoredKey) (stored []bool, err error)
}

// createKeys stores new keys in one write where the store can, one by one where it cannot.
func createKeys(ctx context.Context, s KeyStore, keys []StoredKey) ([]bool, error) {
	if b, ok := s.(KeyBatchCreator); ok {
		return b.CreateBatch(ctx, keys)
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		_, created, err := s.Create(ctx, k)
		if err != nil && !errors.Is(err, ErrShredded) {
			return nil, err
		}
		out[i] = created
	}
	return out, nil
}

// MemoryKeyStore is a KeyStore in memory, for tests.
type MemoryKeyStore struct {
	mu       sync.Mutex
	keys     map[string]StoredKey
	shredded map[string]time.Time
}

// NewMemoryKeyStore returns an empty in-memory key store.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: map[string]StoredKey{}, shredded: map[string]time.Time{}}
}

// Get returns the subject's wrapped key.
func (s *MemoryKeyStore) Get(_ context.Context, subjectRef string) (StoredKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getLocked(subjectRef)
}

func (s *MemoryKeyStore) getLocked(subjectRef string) (StoredKey, error) {
	if at, ok := s.shredded[subjectRef]; ok {
		return StoredKey{}, &ShreddedError{SubjectRef: subjectRef, ShreddedAt: at}
	}
	k, ok := s.keys[subjectRef]
	if !ok {
		return StoredKey{}, ErrUnknownSubject
	}
	k.WrappedDEK = append([]byte(nil), k.WrappedDEK...)
	return k, nil
}

// Create stores k if the subject has no key yet.
func (s *MemoryKeyStore) Create(_ context.Context, k StoredKey) (StoredKey, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	existing, err := s.getLocked(k.SubjectRef)
	if err == nil {
		return existing, false, nil
	}
	if err != ErrUnknownSubject {
		return StoredKey{}, false, err
	}
	k.WrappedDEK = append([]byte(nil), k.WrappedDEK...)
	s.keys[k.SubjectRef] = k
	return k, true, nil
}

// CreateBatch stores each key whose subject has none yet.
func (s *MemoryKeyStore) CreateBatch(_ context.Context, keys []StoredKey) ([]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bool, len(keys))
	for i, k := range keys {
		if _, err := s.getLocked(k.SubjectRef); err != ErrUnknownSubject {
			continue
		}
		k.WrappedDEK = append([]byte(nil), k.WrappedDEK...)
		s.keys[k.SubjectRef] = k
		out[i] = true
	}
	return out, nil
}

// Shred forgets the subject's wrapped key and keeps a tombstone.
func (s *MemoryKeyStore) Shred(_ context.Context, subjectRef string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[subjectRef]; ok {
		clear(k.WrappedDEK)
		delete(s.keys, subjectRef)
	}
	if _, ok := s.shredded[subjectRef]; !ok {
		s.shredded[subjectRef] = at
	}
	return nil
}
