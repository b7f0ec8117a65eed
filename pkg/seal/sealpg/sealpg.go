// Package sealpg keeps the wrapped data keys of pkg/seal in PostgreSQL, in a schema of their own.
//
// All services of a tenant share one key store: a subject's data is sealed by one service and opened
// by others, and shredding must reach everywhere at once.
//
// Shredding nulls the wrapped key in place. PostgreSQL keeps the old row version until VACUUM, and
// WAL archives and backups keep it for their retention period; the wrapped key is useless without
// its KEK, so retiring the KEK (after rewrapping the keys still live under it) completes the erasure
// in those copies.
package sealpg

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/civicase/civicase/pkg/migrate"
	"github.com/civicase/civicase/pkg/seal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultSchema is the schema the key store lives in unless told otherwise.
const DefaultSchema = "seal"

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the key store's goose migrations, at the root of the returned file system.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}

// Migrate creates or upgrades the key store's table in schema.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if _, err := migrate.UpPool(ctx, pool, Migrations(), schema); err != nil {
		return fmt.Errorf("sealpg: %w", err)
	}
	return nil
}

// KeyStore is a seal.KeyStore over table seal_subject_keys.
type KeyStore struct {
	pool  *pgxpool.Pool
	table string // schema-qualified, quoted
}

var _ seal.KeyStore = (*KeyStore)(nil)

// New returns a key store on the table that Migrate made in schema.
func New(pool *pgxpool.Pool, schema string) *KeyStore {
	return &KeyStore{pool: pool, table: pgx.Identifier{schema, "seal_subject_keys"}.Sanitize()}
}

// Get returns the subject's wrapped key, seal.ErrUnknownSubject or a *seal.ShreddedError.
func (s *KeyStore) Get(ctx context.Context, subjectRef string) (seal.StoredKey, error) {
	k := seal.StoredKey{SubjectRef: subjectRef}
	var shreddedAt *time.Time
	err := s.pool.QueryRow(ctx,
		`SELECT key_id, wrapped_dek, created_at, shredded_at FROM `+s.table+` WHERE subject_ref = $1`,
		subjectRef).Scan(&k.KeyID, &k.WrappedDEK, &k.CreatedAt, &shreddedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return seal.StoredKey{}, seal.ErrUnknownSubject
	}
	if err != nil {
		return seal.StoredKey{}, fmt.Errorf("sealpg: get key: %w", err)
	}
	if shreddedAt != nil {
		return seal.StoredKey{}, &seal.ShreddedError{SubjectRef: subjectRef, ShreddedAt: *shreddedAt}
	}
	return k, nil
}

// Create inserts k unless the subject has a row; then the existing key (or its tombstone) wins.
func (s *KeyStore) Create(ctx context.Context, k seal.StoredKey) (seal.StoredKey, bool, error) {
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO `+s.table+` (subject_ref, key_id, wrapped_dek, created_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (subject_ref) DO NOTHING`,
		k.SubjectRef, k.KeyID, k.WrappedDEK, k.CreatedAt)
	if err != nil {
		return seal.StoredKey{}, false, fmt.Errorf("sealpg: create key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return k, true, nil
	}
	existing, err := s.Get(ctx, k.SubjectRef)
	return existing, false, err
}

// CreateBatch inserts the keys of subjects that have no row, in one statement and so one commit;
// existing rows (keys and tombstones) win.
func (s *KeyStore) CreateBatch(ctx context.Context, keys []seal.StoredKey) ([]bool, error) {
	refs, ids, wrapped, created := make([]string, len(keys)), make([]string, len(keys)), make([][]byte, len(keys)), make([]time.Time, len(keys))
	for i, k := range keys {
		refs[i], ids[i], wrapped[i], created[i] = k.SubjectRef, k.KeyID, k.WrappedDEK, k.CreatedAt
	}
	rows, err := s.pool.Query(ctx,
		`INSERT INTO `+s.table+` (subject_ref, key_id, wrapped_dek, created_at)
		 SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[])
		 ON CONFLICT (subject_ref) DO NOTHING
		 RETURNING subject_ref`,
		refs, ids, wrapped, created)
	if err != nil {
		return nil, fmt.Errorf("sealpg: create keys: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sealpg: create keys: %w", err)
	}
	stored := make(map[string]bool, len(inserted))
	for _, ref := range inserted {
		stored[ref] = true
	}
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = stored[k.SubjectRef]
		delete(stored, k.SubjectRef) // a reference given twice in one batch was stored once
	}
	return out, nil
}

var _ seal.KeyBatchCreator = (*KeyStore)(nil)

// Shred nulls the subject's wrapped key and dates the tombstone, keeping the first date on a
// repeat; an unknown subject gets a tombstone row with no key.
func (s *KeyStore) Shred(ctx context.Context, subjectRef string, at time.Time) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO `+s.table+` AS k (subject_ref, key_id, wrapped_dek, created_at, shredded_at)
		 VALUES ($1, '', NULL, $2, $2)
		 ON CONFLICT (subject_ref) DO UPDATE
		 SET wrapped_dek = NULL, shredded_at = COALESCE(k.shredded_at, EXCLUDED.shredded_at)`,
		subjectRef, at)
	if err != nil {
		return fmt.Errorf("sealpg: shred: %w", err)
	}
	return nil
}
