package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrKeyFileExposed is returned for a key file that users other than its owner may read or write.
var ErrKeyFileExposed = errors.New("seal: key file is accessible to other users")

// FileKeyProvider keeps KEKs as files in one directory, for development: each KEK is a file of 32
// random bytes whose name is its id ("kek-0001", "kek-0002", …; the highest is current), beside
// the blind-index key in "blind-index". Files are created with mode 0600 on first use, and a file
// that group or others may access is refused, as ssh refuses an exposed private key: a KEK that
// others can read protects nothing.
type FileKeyProvider struct {
	dir string

	mu   sync.Mutex
	keys map[string][]byte // file name → key, loaded once; key files are never rewritten
}

// indexKeyFile is the file name of the blind-index key.
const indexKeyFile = "blind-index"

var kekName = regexp.MustCompile(`^kek-([0-9]{4,})$`)

// NewFileKeyProvider returns a provider over dir, creating the directory (mode 0700) if missing.
// Keys are created when first needed.
func NewFileKeyProvider(dir string) (*FileKeyProvider, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: key directory: %w", err)
	}
	return &FileKeyProvider{dir: dir, keys: map[string][]byte{}}, nil
}

// CurrentKeyID returns the highest-numbered KEK, creating kek-0001 in an empty directory. The
// directory is read each time so that a rotation by another process is picked up.
func (p *FileKeyProvider) CurrentKeyID(context.Context) (string, error) {
	n, err := p.highestKEK()
	if err != nil {
		return "", err
	}
	if n == 0 {
		n = 1
		if _, err := p.createKeyFile(kekID(n)); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return kekID(n), nil
}

// Wrap encrypts dek under the named KEK.
func (p *FileKeyProvider) Wrap(_ context.Context, keyID string, dek, ad []byte) ([]byte, error) {
	kek, err := p.kek(keyID)
	if err != nil {
		return nil, err
	}
	return wrapKey(kek, dek, ad)
}

// Unwrap decrypts a data key wrapped under the named KEK.
func (p *FileKeyProvider) Unwrap(_ context.Context, keyID string, wrapped, ad []byte) ([]byte, error) {
	kek, err := p.kek(keyID)
	if err != nil {
		return nil, err
	}
	return unwrapKey(kek, wrapped, ad)
}

// Rotate writes the next-numbered KEK, which becomes current. Two processes rotating at once each
// get a KEK of their own.
func (p *FileKeyProvider) Rotate(context.Context) (string, error) {
	for {
		n, err := p.highestKEK()
		if err != nil {
			return "", err
		}
		_, err = p.createKeyFile(kekID(n + 1))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return kekID(n + 1), nil
	}
}

// IndexKey returns the blind-index key, creating it on first use.
func (p *FileKeyProvider) IndexKey(context.Context) ([]byte, error) {
	k, err := p.load(indexKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err = p.createKeyFile(indexKeyFile); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		k, err = p.load(indexKeyFile)
	}
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), k...), nil
}

func (p *FileKeyProvider) kek(id string) ([]byte, error) {
	if !kekName.MatchString(id) {
		return nil, fmt.Errorf("%w: %q is not a KEK id of this provider", ErrUnknownKey, id)
	}
	k, err := p.load(id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q: %w", ErrUnknownKey, id, err)
	}
	return k, err
}

// load reads a key file once, refusing it unless only its owner may access it.
func (p *FileKeyProvider) load(name string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.keys[name]; ok {
		return k, nil
	}
	path := filepath.Join(p.dir, name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; allow only its owner (chmod 600 %s)", ErrKeyFileExposed, path, perm, path)
	}
	k, err := io.ReadAll(io.LimitReader(f, chacha20poly1305.KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	if len(k) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("seal: key file %s must hold exactly %d bytes", path, chacha20poly1305.KeySize)
	}
	p.keys[name] = k
	return k, nil
}

// createKeyFile writes a new random key under name, or fails with fs.ErrExist. The key is written
// to a temporary file first and linked into place, so that no reader ever sees a partial key.
func (p *FileKeyProvider) createKeyFile(name string) (string, error) {
	tmp, err := os.CreateTemp(p.dir, ".tmp-"+name+"-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("seal: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(randomKey())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("seal: create key file: %w", err)
	}
	path := filepath.Join(p.dir, name)
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fs.ErrExist
		}
		return "", fmt.Errorf("seal: create key file: %w", err)
	}
	if d, err := os.Open(p.dir); err == nil {
		_ = d.Sync() // make the new name durable; a lost KEK loses every key it wrapped
		_ = d.Close()
	}
	return path, nil
}

// highestKEK returns the largest KEK number in the directory, 0 if there is none.
func (p *FileKeyProvider) highestKEK() (int, error) {
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		return 0, fmt.Errorf("seal: key directory: %w", err)
	}
	best := 0
	for _, e := range entries {
		m := kekName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if n, err := strconv.Atoi(m[1]); err == nil && n > best {
			best = n
		}
	}
	return best, nil
}

func kekID(n int) string { return fmt.Sprintf("kek-%04d", n) }
