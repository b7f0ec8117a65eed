package seal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeyProvider holds the key-encryption keys (KEKs) that wrap data keys, and the blind-index key.
// Production deployments back it with an HSM or KMS; FileKeyProvider serves development.
type KeyProvider interface {
	// CurrentKeyID names the KEK that new data keys are wrapped with.
	CurrentKeyID(ctx context.Context) (string, error)
	// Wrap encrypts a data key under the named KEK, bound to ad.
	Wrap(ctx context.Context, keyID string, dek, ad []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails when the KEK, the wrapped bytes or ad differ.
	Unwrap(ctx context.Context, keyID string, wrapped, ad []byte) ([]byte, error)
	// Rotate makes a new KEK current and returns its id. Earlier KEKs stay to unwrap what they
	// wrapped; only new data keys use the new one.
	Rotate(ctx context.Context) (string, error)
	// IndexKey is the secret that keys blind indexes. It does not rotate with the KEKs: a new index
	// key would make every stored index unmatchable.
	IndexKey(ctx context.Context) ([]byte, error)
}

// ErrUnknownKey is returned for a KEK id the provider does not hold.
var ErrUnknownKey = errors.New("seal: unknown key-encryption key")

// wrapKey encrypts dek under kek as nonce ‖ XChaCha20-Poly1305 ciphertext.
func wrapKey(kek, dek, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(dek)+aead.Overhead())
	_, _ = rand.Read(out)
	return aead.Seal(out, out, dek, ad), nil
}

// unwrapKey reverses wrapKey.
func unwrapKey(kek, wrapped, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < chacha20poly1305.NonceSizeX+aead.Overhead() {
		return nil, fmt.Errorf("%w: wrapped data key too short", ErrNotAuthentic)
	}
	n := chacha20poly1305.NonceSizeX
	dek, err := aead.Open(nil, wrapped[:n], wrapped[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped data key does not unwrap", ErrNotAuthentic)
	}
	return dek, nil
}

// MemoryKeyProvider keeps random KEKs in memory: for tests and for tools that need no persistence.
type MemoryKeyProvider struct {
	mu       sync.Mutex
	keks     map[string][]byte
	current  string
	indexKey []byte
}

// NewMemoryKeyProvider returns a provider with one random KEK ("mem-1") and a random index key.
func NewMemoryKeyProvider() *MemoryKeyProvider {
	p := &MemoryKeyProvider{keks: map[string][]byte{}, indexKey: randomKey()}
	_, _ = p.Rotate(context.Background())
	return p
}

// CurrentKeyID returns the id of the newest KEK.
func (p *MemoryKeyProvider) CurrentKeyID(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current, nil
}

// Wrap encrypts dek under the named KEK.
func (p *MemoryKeyProvider) Wrap(_ context.Context, keyID string, dek, ad []byte) ([]byte, error) {
	kek, err := p.kek(keyID)
	if err != nil {
		return nil, err
	}
	return wrapKey(kek, dek, ad)
}

// Unwrap decrypts a data key wrapped under the named KEK.
func (p *MemoryKeyProvider) Unwrap(_ context.Context, keyID string, wrapped, ad []byte) ([]byte, error) {
	kek, err := p.kek(keyID)
	if err != nil {
		return nil, err
	}
	return unwrapKey(kek, wrapped, ad)
}

// Rotate adds a new random KEK and makes it current.
func (p *MemoryKeyProvider) Rotate(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := fmt.Sprintf("mem-%d", len(p.keks)+1)
	p.keks[id] = randomKey()
	p.current = id
	return id, nil
}

// IndexKey returns the provider's blind-index key.
func (p *MemoryKeyProvider) IndexKey(context.Context) ([]byte, error) {
	return append([]byte(nil), p.indexKey...), nil
}

func (p *MemoryKeyProvider) kek(id string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.keks[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	return k, nil
}

func randomKey() []byte {
	k := make([]byte, chacha20poly1305.KeySize)
	_, _ = rand.Read(k)
	return k
}
