package seal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicase/civicase/pkg/seal"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestFileKeyProviderCreatesPrivateKeysOnFirstUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	p, err := seal.NewFileKeyProvider(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("key directory mode %#o, want 0700", m)
	}
	id, err := p.CurrentKeyID(ctx)
	if err != nil || id != "kek-0001" {
		t.Fatalf("CurrentKeyID = %q, %v", id, err)
	}
	ad := []byte("subject A")
	wrapped, err := p.Wrap(ctx, id, bytes.Repeat([]byte{7}, 32), ad)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := p.IndexKey(ctx)
	if err != nil || len(ik) != 32 {
		t.Fatalf("IndexKey: %d bytes, %v", len(ik), err)
	}
	for _, name := range []string{"kek-0001", "blind-index"} {
		if m := mode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s mode %#o, want 0600", name, m)
		}
	}

	rotated, err := p.Rotate(ctx)
	if err != nil || rotated != "kek-0002" {
		t.Fatalf("Rotate = %q, %v", rotated, err)
	}

	// Another process over the same directory sees the same keys.
	p2, _ := seal.NewFileKeyProvider(dir)
	if cur, _ := p2.CurrentKeyID(ctx); cur != "kek-0002" {
		t.Fatalf("current after rotation %q, want kek-0002", cur)
	}
	dek, err := p2.Unwrap(ctx, "kek-0001", wrapped, ad)
	if err != nil || !bytes.Equal(dek, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("Unwrap with the old KEK: %v", err)
	}
	if _, err := p2.Unwrap(ctx, "kek-0001", wrapped, []byte("subject B")); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("Unwrap bound to another subject: %v, want ErrNotAuthentic", err)
	}
	if _, err := p2.Unwrap(ctx, "kek-0002", wrapped, ad); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("Unwrap with another KEK: %v, want ErrNotAuthentic", err)
	}
	if ik2, _ := p2.IndexKey(ctx); !bytes.Equal(ik, ik2) {
		t.Fatal("index key changed between processes")
	}
	for _, id := range []string{"kek-0009", "../kek-0001", "blind-index", ""} {
		if _, err := p2.Wrap(ctx, id, dek, ad); !errors.Is(err, seal.ErrUnknownKey) {
			t.Errorf("Wrap with %q: %v, want ErrUnknownKey", id, err)
		}
	}
}

func TestFileKeyProviderRefusesExposedKeyFiles(t *testing.T) {
	dir := t.TempDir()
	p, _ := seal.NewFileKeyProvider(dir)
	id, _ := p.CurrentKeyID(ctx)
	if _, err := p.IndexKey(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{id, "blind-index"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fresh, _ := seal.NewFileKeyProvider(dir)
	_, err := fresh.Wrap(ctx, id, make([]byte, 32), nil)
	if !errors.Is(err, seal.ErrKeyFileExposed) {
		t.Fatalf("Wrap with a world-readable KEK: %v, want ErrKeyFileExposed", err)
	}
	if msg := err.Error(); !strings.Contains(msg, filepath.Join(dir, id)) || !strings.Contains(msg, "chmod 600") {
		t.Errorf("error %q should name the file and the fix", msg)
	}
	if _, err := fresh.IndexKey(ctx); !errors.Is(err, seal.ErrKeyFileExposed) {
		t.Fatalf("IndexKey from a world-readable file: %v, want ErrKeyFileExposed", err)
	}
	// Group access is refused too: only the owner may hold a KEK.
	_ = os.Chmod(filepath.Join(dir, id), 0o640)
	if _, err := fresh.Wrap(ctx, id, make([]byte, 32), nil); !errors.Is(err, seal.ErrKeyFileExposed) {
		t.Fatalf("Wrap with a group-readable KEK: %v, want ErrKeyFileExposed", err)
	}
	_ = os.Chmod(filepath.Join(dir, id), 0o600)
	if _, err := fresh.Wrap(ctx, id, make([]byte, 32), nil); err != nil {
		t.Fatalf("after chmod 600: %v", err)
	}
}

func TestFileKeyProviderRefusesDamagedKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kek-0001"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := seal.NewFileKeyProvider(dir)
	if _, err := p.Wrap(ctx, "kek-0001", make([]byte, 32), nil); err == nil || !strings.Contains(err.Error(), "exactly 32 bytes") {
		t.Fatalf("Wrap with a 5-byte KEK: %v", err)
	}
}
