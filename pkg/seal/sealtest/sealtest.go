// Package sealtest holds the behaviour every seal.KeyStore must show, for each implementation's
// tests to run against its own store.
package sealtest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/seal"
)

// TestKeyStore runs the key store contract against stores made by newStore, one per subtest.
func TestKeyStore(t *testing.T, newStore func(t *testing.T) seal.KeyStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	key := func(ref string, b byte) seal.StoredKey {
		return seal.StoredKey{SubjectRef: ref, KeyID: "kek-0001", WrappedDEK: bytes.Repeat([]byte{b}, 72), CreatedAt: t0}
	}

	t.Run("unknown subject", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "nobody"); !errors.Is(err, seal.ErrUnknownSubject) {
			t.Fatalf("Get unknown: %v, want ErrUnknownSubject", err)
		}
	})

	t.Run("create then get", func(t *testing.T) {
		s := newStore(t)
		got, created, err := s.Create(ctx, key("a", 1))
		if err != nil || !created {
			t.Fatalf("Create: created %v, err %v", created, err)
		}
		checkKey(t, got, key("a", 1))
		got, err = s.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		checkKey(t, got, key("a", 1))
	})

	t.Run("first key wins", func(t *testing.T) {
		s := newStore(t)
		if _, _, err := s.Create(ctx, key("a", 1)); err != nil {
			t.Fatal(err)
		}
		got, created, err := s.Create(ctx, key("a", 2))
		if err != nil || created {
			t.Fatalf("second Create: created %v, err %v", created, err)
		}
		checkKey(t, got, key("a", 1))
	})

	t.Run("concurrent creates agree", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		results := make([]seal.StoredKey, n)
		wins := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { results[i], wins[i], errs[i] = s.Create(ctx, key("a", byte(i+1))) })
		}
		wg.Wait()
		winners := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if wins[i] {
				winners++
			}
			if !bytes.Equal(results[i].WrappedDEK, results[0].WrappedDEK) {
				t.Fatalf("creator %d got another key than creator 0", i)
			}
		}
		if winners != 1 {
			t.Fatalf("%d creators think they created the key, want 1", winners)
		}
	})

	t.Run("shred leaves a dated tombstone", func(t *testing.T) {
		s := newStore(t)
		for _, ref := range []string{"a", "b"} {
			if _, _, err := s.Create(ctx, key(ref, 1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Shred(ctx, "a", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// A second shred keeps the first date.
		if err := s.Shred(ctx, "a", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err := s.Get(ctx, "a")
		checkShredded(t, err, "a", t0.Add(time.Hour))
		_, _, err = s.Create(ctx, key("a", 3))
		checkShredded(t, err, "a", t0.Add(time.Hour))
		if got, err := s.Get(ctx, "b"); err != nil {
			t.Fatalf("other subject after shred: %v", err)
		} else {
			checkKey(t, got, key("b", 1))
		}
	})

	t.Run("batch stores new keys and keeps existing ones", func(t *testing.T) {
		s := newStore(t)
		b, ok := s.(seal.KeyBatchCreator)
		if !ok {
			t.Skip("the store writes keys one by one")
		}
		if _, _, err := s.Create(ctx, key("old", 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.Shred(ctx, "gone", t0); err != nil {
			t.Fatal(err)
		}
		stored, err := b.CreateBatch(ctx, []seal.StoredKey{key("n1", 2), key("old", 2), key("gone", 2), key("n2", 3)})
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{true, false, false, true}; !slices.Equal(stored, want) {
			t.Fatalf("CreateBatch stored %v, want %v", stored, want)
		}
		for ref, want := range map[string]seal.StoredKey{"n1": key("n1", 2), "n2": key("n2", 3), "old": key("old", 1)} {
			got, err := s.Get(ctx, ref)
			if err != nil {
				t.Fatalf("Get %s: %v", ref, err)
			}
			checkKey(t, got, want)
		}
		_, err = s.Get(ctx, "gone")
		checkShredded(t, err, "gone", t0)
	})

	t.Run("shred of unknown subject bars it", func(t *testing.T) {
		s := newStore(t)
		if err := s.Shred(ctx, "ghost", t0); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Create(ctx, key("ghost", 1))
		checkShredded(t, err, "ghost", t0)
	})
}

func checkKey(t *testing.T, got, want seal.StoredKey) {
	t.Helper()
	if got.SubjectRef != want.SubjectRef || got.KeyID != want.KeyID || !bytes.Equal(got.WrappedDEK, want.WrappedDEK) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("stored key %+v, want %+v", got, want)
	}
}

func checkShredded(t *testing.T, err error, ref string, at time.Time) {
	t.Helper()
	var se *seal.ShreddedError
	if !errors.As(err, &se) || !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("err %v, want a *ShreddedError", err)
	}
	if se.SubjectRef != ref || !se.ShreddedAt.Equal(at) {
		t.Fatalf("shredded %s at %v, want %s at %v", se.SubjectRef, se.ShreddedAt, ref, at)
	}
}
