// Package seal keeps personal data out of the clear: every data subject (a petitioner, a signatory, a
// denouncer, a person denounced) gets a data key of their own, and their PersonalData is encrypted
// with it into the SealedData an event carries. Events, projections, logs and traces hold only the
// pseudonymous subject_ref and, for duplicate detection, keyed blind indexes (Luật TC Đ8.3, Đ47;
// Decree 13/2023/NĐ-CP).
//
// Envelope encryption: the data key (DEK) is wrapped by a key-encryption key (KEK) of a
// KeyProvider and only the wrapped form is stored (KeyStore). Destroying the wrapped DEK (Shred)
// makes every ciphertext of that subject unreadable everywhere at once, while the ciphertexts, and
// so the hash chains over the events that carry them, stay exactly as written.
//
// Cipher: XChaCha20-Poly1305 (golang.org/x/crypto/chacha20poly1305). Its 192-bit nonces can be drawn
// at random for every seal with no practical collision risk, so any number of service replicas can
// seal for the same subject without coordinating a nonce counter; AES-GCM's 96-bit random nonces
// would cap a key at about 2^32 seals and its speed depends on AES hardware that not every
// deployment's servers have. For records of a few hundred bytes the difference in speed is noise
// next to a database round trip.
package seal

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	"golang.org/x/crypto/chacha20poly1305"
	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/ahead"
)

// DataKeySize is the length of a subject's data key: 256 bits.
const DataKeySize = chacha20poly1305.KeySize

// maxSubjectRefLen bounds a subject_ref so that a malformed one cannot bloat keys and indexes.
const maxSubjectRefLen = 128

var (
	// ErrShredded matches (errors.Is) the error for a subject whose data key was destroyed: their
	// sealed data can never be opened again, and nothing new may be sealed for them.
	ErrShredded = errors.New("seal: data subject was shredded")
	// ErrUnknownSubject is returned when no data key exists for a subject_ref.
	ErrUnknownSubject = errors.New("seal: unknown data subject")
	// ErrNotAuthentic is returned when sealed data fails authentication: it was altered, moved to
	// another subject, or opened under another scope than it was sealed for.
	ErrNotAuthentic = errors.New("seal: sealed data is not authentic")
	// ErrInvalid is returned for malformed arguments (empty subject_ref, missing actor or purpose).
	ErrInvalid = errors.New("seal: invalid argument")
)

// ShreddedError is the typed form of ErrShredded; it says when the subject was shredded, which an
// auditor asking for a record needs to hear.
type ShreddedError struct {
	// SubjectRef is the pseudonymous reference of the shredded subject.
	SubjectRef string
	// ShreddedAt is when the data key was destroyed.
	ShreddedAt time.Time
}

// Error says which subject was shredded and when; the subject_ref is pseudonymous, so safe to log.
func (e *ShreddedError) Error() string {
	return fmt.Sprintf("seal: data subject %s was shredded at %s", e.SubjectRef, e.ShreddedAt.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrShredded) true for a *ShreddedError.
func (e *ShreddedError) Is(target error) bool { return target == ErrShredded }

// Scope is where sealed data belongs. It is bound into the ciphertext as associated data, so a
// ciphertext copied into another tenant's or another aggregate's event does not open there.
type Scope struct {
	// Tenant is the deployment (city or province) whose log holds the event.
	Tenant string
	// AggregateType is the kind of aggregate, e.g. "petition".
	AggregateType string
	// AggregateID is the aggregate's id.
	AggregateID string
}

// Access says who opens sealed data and why; every successful Open is recorded with it.
type Access struct {
	// Actor is the authenticated caller; its Subject must be set.
	Actor *eventv1.Actor
	// Purpose is why the clear data is needed, e.g. "verification" or "reply to petitioner".
	Purpose string
}

// AccessRecord is what an AccessRecorder is told about one disclosure of personal data. It carries
// no clear data.
type AccessRecord struct {
	// SubjectRef is whose data was opened.
	SubjectRef string
	// Scope is the tenant and aggregate the sealed data belongs to.
	Scope Scope
	// Actor is who opened it.
	Actor *eventv1.Actor
	// Purpose is why.
	Purpose string
	// At is when, from the Sealer's clock.
	At time.Time
}

// AccessRecorder is told of every disclosure before the clear data is handed out; services append a
// PersonalDataAccessed event. If it fails, Open withholds the data: no disclosure goes unrecorded.
type AccessRecorder interface {
	// RecordAccess durably records one disclosure.
	RecordAccess(ctx context.Context, rec AccessRecord) error
}

// AccessRecorderFunc adapts a function to AccessRecorder.
type AccessRecorderFunc func(ctx context.Context, rec AccessRecord) error

// RecordAccess calls f.
func (f AccessRecorderFunc) RecordAccess(ctx context.Context, rec AccessRecord) error {
	return f(ctx, rec)
}

// Options configure a Sealer.
type Options struct {
	// Keys wraps and unwraps data keys; required.
	Keys KeyProvider
	// Store keeps the wrapped data keys; required.
	Store KeyStore
	// Recorder is told of every Open; required, so that no caller forgets to record access.
	Recorder AccessRecorder
	// Clock gives the current time; defaults to time.Now.
	Clock func() time.Time
	// CacheTTL bounds how long an unwrapped data key is kept in memory. It is also how long another
	// process's Sealer may still open a subject after it was shredded here. Default 5 minutes;
	// negative disables the cache.
	CacheTTL time.Duration
	// CacheSize bounds how many subjects' keys are cached; default 10000.
	CacheSize int
	// SubjectReserve is how many new data subjects NewSubject makes ahead, their keys stored in one
	// write to the key store, so that registering a new person waits on no key-store write of its
	// own. Default 64; negative makes each new subject's key when it is asked for. The reserved
	// keys are held unwrapped in memory like cached ones; those a process never hands out (it
	// stopped) stay in the key store as keys nothing was sealed with.
	SubjectReserve int
	// SubjectRefillAt is how few reserved subjects may be left before the next reserve is written
	// in the background, so that a steady stream of new people never waits for that write. Default
	// a quarter of SubjectReserve; negative writes only when the reserve is empty, with the caller
	// waiting.
	SubjectRefillAt int
}

// Sealer seals and opens personal data. It is safe for concurrent use.
type Sealer struct {
	keys     KeyProvider
	store    KeyStore
	recorder AccessRecorder
	now      func() time.Time
	cache    *keyCache

	reserveSize int
	reserve     *ahead.Stock[reservedSubject] // subjects whose keys are stored, not handed out yet; nil without a reserve
}

// reservedSubject is a new data subject made ahead: their key is stored, nothing is sealed with it.
type reservedSubject struct {
	ref string
	key *dataKey
}

// New returns a Sealer over the given key provider and key store.
func New(opts Options) (*Sealer, error) {
	if opts.Keys == nil || opts.Store == nil || opts.Recorder == nil {
		return nil, fmt.Errorf("%w: Keys, Store and Recorder are required", ErrInvalid)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = 5 * time.Minute
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 10000
	}
	if opts.SubjectReserve == 0 {
		opts.SubjectReserve = 64
	}
	if opts.SubjectRefillAt == 0 {
		opts.SubjectRefillAt = opts.SubjectReserve / 4
	}
	cache, err := newKeyCache(opts.CacheSize, opts.CacheTTL)
	if err != nil {
		return nil, err
	}
	s := &Sealer{keys: opts.Keys, store: opts.Store, recorder: opts.Recorder, now: opts.Clock, cache: cache, reserveSize: opts.SubjectReserve}
	if s.reserveSize > 0 {
		s.reserve = ahead.New(s.fillReserve, opts.SubjectRefillAt, fillTimeout)
	}
	return s, nil
}

// NewSubjectRef returns a fresh pseudonymous reference for a data subject: 128 random bits, derived
// from nothing about the person, so it reveals nothing and cannot be recomputed from their data.
func NewSubjectRef() string { return rand.Text() }

// NewSubject makes a new data subject: a fresh reference (NewSubjectRef) whose data key is already
// stored in the key store when it is returned, and is in the cache. Sealing for a person known to be
// new this way waits on no key-store look-up, and — from the reserve that one write fills for the
// next Options.SubjectReserve new subjects — on no key-store write of its own.
func (s *Sealer) NewSubject(ctx context.Context) (string, error) {
	if s.reserve == nil {
		return s.newSubjectNow(ctx)
	}
	r, err := s.reserve.Take(ctx)
	if err != nil {
		return "", err
	}
	// Nobody else knows the reference, so no shredding can be recorded against it.
	if _, err := s.cache.put(r.ref, r.key, s.now()); err != nil {
		return "", err
	}
	return r.ref, nil
}

// fillTimeout bounds a reserve write, which outlives the call that started it.
const fillTimeout = 10 * time.Second

// newSubjectNow makes one new subject and stores their key, without the reserve.
func (s *Sealer) newSubjectNow(ctx context.Context) (string, error) {
	ref := NewSubjectRef()
	now := s.now()
	stored, dek, err := s.createKey(ctx, ref, now)
	if err != nil {
		return "", fmt.Errorf("seal: data key of new subject %s: %w", ref, err)
	}
	if dek == nil {
		// Another writer stored a key for these 128 random bits first; the first seal loads theirs.
		return ref, nil
	}
	defer clear(dek)
	aead, err := chacha20poly1305.NewX(dek)
	if err != nil {
		return "", fmt.Errorf("seal: data key of new subject %s: %w", ref, err)
	}
	if _, err := s.cache.put(ref, &dataKey{keyID: stored.KeyID, aead: aead}, now); err != nil {
		return "", err
	}
	return ref, nil
}

// fillReserve makes reserveSize new subjects and stores their wrapped keys in one write; only keys
// the store reports stored join the reserve.
func (s *Sealer) fillReserve(ctx context.Context) ([]reservedSubject, error) {
	keyID, err := s.keys.CurrentKeyID(ctx)
	if err != nil {
		return nil, fmt.Errorf("seal: new subjects: %w", err)
	}
	now := s.now()
	keys := make([]StoredKey, s.reserveSize)
	deks := make([][]byte, s.reserveSize)
	defer func() {
		for _, dek := range deks {
			clear(dek)
		}
	}()
	for i := range keys {
		ref := NewSubjectRef()
		deks[i] = make([]byte, DataKeySize)
		_, _ = rand.Read(deks[i])
		wrapped, err := s.keys.Wrap(ctx, keyID, deks[i], wrapAD(ref))
		if err != nil {
			return nil, fmt.Errorf("seal: new subjects: %w", err)
		}
		keys[i] = StoredKey{SubjectRef: ref, KeyID: keyID, WrappedDEK: wrapped, CreatedAt: now}
	}
	stored, err := createKeys(ctx, s.store, keys)
	if err != nil {
		return nil, fmt.Errorf("seal: new subjects: %w", err)
	}
	made := make([]reservedSubject, 0, len(keys))
	for i, k := range keys {
		if !stored[i] {
			continue
		}
		aead, err := chacha20poly1305.NewX(deks[i])
		if err != nil {
			return nil, fmt.Errorf("seal: new subjects: %w", err)
		}
		made = append(made, reservedSubject{ref: k.SubjectRef, key: &dataKey{keyID: keyID, aead: aead}})
	}
	return made, nil
}

// Seal encrypts pd for the subject under scope. The subject's data key is created on first use.
func (s *Sealer) Seal(ctx context.Context, subjectRef string, scope Scope, pd *personv1.PersonalData) (*eventv1.SealedData, error) {
	if pd == nil {
		return nil, fmt.Errorf("%w: nil personal data", ErrInvalid)
	}
	return s.SealMessage(ctx, subjectRef, scope, pd)
}

// SealMessage encrypts any message about the subject under scope, such as the free text of a
// petition, which may name people and so is sealed with its sender's key: shredding the sender
// shreds it too. The message's full type name is bound into the ciphertext, so it opens only as
// the same type.
func (s *Sealer) SealMessage(ctx context.Context, subjectRef string, scope Scope, m proto.Message) (*eventv1.SealedData, error) {
	if err := checkSubjectRef(subjectRef); err != nil {
		return nil, err
	}
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil, fmt.Errorf("%w: nil message", ErrInvalid)
	}
	k, err := s.dataKey(ctx, subjectRef, true)
	if err != nil {
		return nil, err
	}
	plain, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("seal: marshal %s: %w", messageType(m), err)
	}
	defer clear(plain)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go ≥ 1.24)
	ad := associatedData(subjectRef, k.keyID, messageType(m), scope)
	return &eventv1.SealedData{
		SubjectRef: subjectRef,
		KeyId:      k.keyID,
		Nonce:      nonce,
		Ciphertext: k.aead.Seal(nil, nonce, plain, ad),
	}, nil
}

// Open decrypts sealed data sealed under scope, records the access and returns the clear data. A
// shredded subject gives an error matching ErrShredded (a *ShreddedError).
func (s *Sealer) Open(ctx context.Context, sd *eventv1.SealedData, scope Scope, access Access) (*personv1.PersonalData, error) {
	pd := &personv1.PersonalData{}
	if err := s.OpenMessage(ctx, sd, scope, access, pd); err != nil {
		return nil, err
	}
	return pd, nil
}

// OpenMessage decrypts sealed data into into, which must be of the type it was sealed as (data
// sealed as another type does not authenticate), and records the access like Open.
func (s *Sealer) OpenMessage(ctx context.Context, sd *eventv1.SealedData, scope Scope, access Access, into proto.Message) error {
	if sd == nil {
		return fmt.Errorf("%w: nil sealed data", ErrInvalid)
	}
	if into == nil {
		return fmt.Errorf("%w: nil message to open into", ErrInvalid)
	}
	if access.Actor.GetSubject() == "" || access.Purpose == "" {
		return fmt.Errorf("%w: opening personal data needs an actor and a purpose", ErrInvalid)
	}
	if err := checkSubjectRef(sd.GetSubjectRef()); err != nil {
		return err
	}
	k, err := s.dataKey(ctx, sd.GetSubjectRef(), false)
	if err != nil {
		return err
	}
	if len(sd.GetNonce()) != chacha20poly1305.NonceSizeX {
		return fmt.Errorf("%w: subject %s: nonce has %d bytes", ErrNotAuthentic, sd.GetSubjectRef(), len(sd.GetNonce()))
	}
	ad := associatedData(sd.GetSubjectRef(), sd.GetKeyId(), messageType(into), scope)
	plain, err := k.aead.Open(nil, sd.GetNonce(), sd.GetCiphertext(), ad)
	if err != nil {
		return fmt.Errorf("%w: subject %s", ErrNotAuthentic, sd.GetSubjectRef())
	}
	defer clear(plain)
	if err := proto.Unmarshal(plain, into); err != nil {
		// Authentic bytes that do not parse were sealed by a broken writer; say so without content.
		return fmt.Errorf("seal: subject %s: sealed %s does not parse", sd.GetSubjectRef(), messageType(into))
	}
	rec := AccessRecord{SubjectRef: sd.GetSubjectRef(), Scope: scope, Actor: access.Actor, Purpose: access.Purpose, At: s.now()}
	if err := s.recorder.RecordAccess(ctx, rec); err != nil {
		proto.Reset(into)
		return fmt.Errorf("seal: access to subject %s not recorded, data withheld: %w", sd.GetSubjectRef(), err)
	}
	return nil
}

// Shred destroys the subject's data key, here and in the key store: from then on their sealed data
// cannot be opened and nothing new can be sealed for them. Shredding is idempotent, and shredding a
// subject that never had a key still bars it. Other processes' Sealers notice within their CacheTTL.
func (s *Sealer) Shred(ctx context.Context, subjectRef string) error {
	if err := checkSubjectRef(subjectRef); err != nil {
		return err
	}
	at := s.now()
	if err := s.store.Shred(ctx, subjectRef, at); err != nil {
		return fmt.Errorf("seal: shred subject %s: %w", subjectRef, err)
	}
	s.cache.shred(subjectRef, &ShreddedError{SubjectRef: subjectRef, ShreddedAt: at}, at)
	return nil
}

// dataKey returns the subject's usable data key, from the cache or by unwrapping the stored one;
// with create it makes one when the subject has none yet.
func (s *Sealer) dataKey(ctx context.Context, subjectRef string, create bool) (*dataKey, error) {
	now := s.now()
	if k, shredded, ok := s.cache.get(subjectRef, now); ok {
		if shredded != nil {
			return nil, shredded
		}
		return k, nil
	}
	stored, err := s.store.Get(ctx, subjectRef)
	var fresh []byte
	if errors.Is(err, ErrUnknownSubject) && create {
		stored, fresh, err = s.createKey(ctx, subjectRef, now)
	}
	var shredded *ShreddedError
	if errors.As(err, &shredded) {
		s.cache.shred(subjectRef, shredded, now)
		return nil, shredded
	}
	if err != nil {
		return nil, fmt.Errorf("seal: data key of subject %s: %w", subjectRef, err)
	}
	dek := fresh
	if dek == nil {
		dek, err = s.keys.Unwrap(ctx, stored.KeyID, stored.WrappedDEK, wrapAD(subjectRef))
		if err != nil {
			return nil, fmt.Errorf("seal: unwrap data key of subject %s with %s: %w", subjectRef, stored.KeyID, err)
		}
	}
	defer clear(dek)
	aead, err := chacha20poly1305.NewX(dek)
	if err != nil {
		return nil, fmt.Errorf("seal: data key of subject %s: %w", subjectRef, err)
	}
	k := &dataKey{keyID: stored.KeyID, aead: aead}
	return s.cache.put(subjectRef, k, now)
}

// createKey makes, wraps and stores a new data key. If another writer stored one first, theirs wins
// and is returned (with a nil fresh key), so a subject never has two keys.
func (s *Sealer) createKey(ctx context.Context, subjectRef string, now time.Time) (StoredKey, []byte, error) {
	keyID, err := s.keys.CurrentKeyID(ctx)
	if err != nil {
		return StoredKey{}, nil, err
	}
	dek := make([]byte, DataKeySize)
	_, _ = rand.Read(dek)
	wrapped, err := s.keys.Wrap(ctx, keyID, dek, wrapAD(subjectRef))
	if err != nil {
		return StoredKey{}, nil, err
	}
	stored, created, err := s.store.Create(ctx, StoredKey{SubjectRef: subjectRef, KeyID: keyID, WrappedDEK: wrapped, CreatedAt: now})
	if err != nil || !created {
		clear(dek)
		return stored, nil, err
	}
	return stored, dek, nil
}

// dataKey is an unwrapped data key ready to use.
type dataKey struct {
	keyID string
	aead  cipher.AEAD
}

// messageType names the sealed message type in the associated data, so that a ciphertext of one
// message type sealed for a subject can never be parsed as another (PersonalData as free text or
// the reverse).
func messageType(m proto.Message) string {
	return string(m.ProtoReflect().Descriptor().FullName())
}

// associatedData binds a ciphertext to its subject, the KEK id recorded beside it, the sealed
// message type and its scope. Each field is length-prefixed, so no two different bindings encode
// alike.
func associatedData(subjectRef, keyID, msgType string, scope Scope) []byte {
	ad := make([]byte, 0, 64+len(subjectRef)+len(keyID)+len(msgType)+len(scope.Tenant)+len(scope.AggregateType)+len(scope.AggregateID))
	ad = append(ad, "civicase/seal/data/v1"...)
	for _, f := range []string{subjectRef, keyID, msgType, scope.Tenant, scope.AggregateType, scope.AggregateID} {
		ad = binary.AppendUvarint(ad, uint64(len(f)))
		ad = append(ad, f...)
	}
	return ad
}

// wrapAD binds a wrapped data key to its subject, so that a wrapped key copied onto another
// subject's row in the key store does not unwrap.
func wrapAD(subjectRef string) []byte {
	return append([]byte("civicase/seal/dek/v1\x00"), subjectRef...)
}

func checkSubjectRef(ref string) error {
	if ref == "" || len(ref) > maxSubjectRefLen {
		return fmt.Errorf("%w: subject_ref must have 1 to %d bytes", ErrInvalid, maxSubjectRefLen)
	}
	return nil
}
