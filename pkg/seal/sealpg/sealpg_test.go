package sealpg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/seal/sealpg"
	"github.com/civicase/civicase/pkg/seal/sealtest"
	"github.com/civicase/civicase/pkg/testenv"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestKeyStoreContract(t *testing.T) {
	sealtest.TestKeyStore(t, func(t *testing.T) seal.KeyStore {
		pool := testenv.Postgres(t)
		if err := sealpg.Migrate(context.Background(), pool, sealpg.DefaultSchema); err != nil {
			t.Fatal(err)
		}
		return sealpg.New(pool, sealpg.DefaultSchema)
	})
}

func TestSealerOnPostgresAndFileKeys(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	if err := sealpg.Migrate(ctx, pool, sealpg.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	keys, err := seal.NewFileKeyProvider(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC) }
	newSealer := func() *seal.Sealer {
		s, err := seal.New(seal.Options{
			Keys: keys, Store: sealpg.New(pool, sealpg.DefaultSchema), Clock: now,
			Recorder: seal.AccessRecorderFunc(func(context.Context, seal.AccessRecord) error { return nil }),
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	scope := seal.Scope{Tenant: "danang", AggregateType: "petition", AggregateID: "p-1"}
	access := seal.Access{Actor: &eventv1.Actor{Subject: "u-1"}, Purpose: "verification"}
	duc, lan := seal.NewSubjectRef(), seal.NewSubjectRef()
	intake := newSealer()
	sdDuc, err := intake.Seal(ctx, duc, scope, &personv1.PersonalData{FullName: "Nguyễn Văn Đức", IdNumber: "048203004567"})
	if err != nil {
		t.Fatal(err)
	}
	sdLan, err := intake.Seal(ctx, lan, scope, &personv1.PersonalData{FullName: "Trần Thị Lan"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newSealer().Open(ctx, sdDuc, scope, access); err != nil || got.GetFullName() != "Nguyễn Văn Đức" {
		t.Fatalf("another service opens: %v, %v", got, err)
	}

	// A wrapped key copied onto another subject's row does not unwrap: it is bound to its subject.
	if _, err := pool.Exec(ctx, `UPDATE seal.seal_subject_keys SET wrapped_dek = (SELECT wrapped_dek FROM seal.seal_subject_keys WHERE subject_ref = $1) WHERE subject_ref = $2`, duc, lan); err != nil {
		t.Fatal(err)
	}
	if _, err := newSealer().Open(ctx, sdLan, scope, access); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("Open with a swapped wrapped key: %v, want ErrNotAuthentic", err)
	}

	if err := intake.Shred(ctx, duc); err != nil {
		t.Fatal(err)
	}
	if _, err := newSealer().Open(ctx, sdDuc, scope, access); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("Open after shred: %v, want ErrShredded", err)
	}
	var wrapped []byte
	if err := pool.QueryRow(ctx, `SELECT wrapped_dek FROM seal.seal_subject_keys WHERE subject_ref = $1`, duc).Scan(&wrapped); err != nil || wrapped != nil {
		t.Fatalf("wrapped key after shred: %x, %v; want NULL", wrapped, err)
	}
}
