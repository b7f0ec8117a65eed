// Package postgres keeps the audit tree, the sequencer's position and the checkpoints in the
// service's PostgreSQL schema.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/services/audit/internal/app"
)

// Tree implements app.Tree.
type Tree struct {
	db     *pgxpool.Pool
	schema string
}

// New returns the tree kept in the pool's schema.
func New(db *pgxpool.Pool, schema string) *Tree { return &Tree{db: db, schema: schema} }

// Lock takes a session advisory lock keyed by the schema on a connection held until release, so
// one sequencer runs per tenant however many replicas start. If that connection dies the lock is
// gone; the fenced position update in Extend still stops a second writer.
func (t *Tree) Lock(ctx context.Context) (func(), error) {
	conn, err := t.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte("civicase/audit/sequencer\x00" + t.schema))
	id := int64(h.Sum64())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", id); err != nil {
		conn.Release()
		return nil, fmt.Errorf("sequencer lock: %w", err)
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", id)
		conn.Release()
	}, nil
}

// Position implements app.Tree.
func (t *Tree) Position(ctx context.Context) (app.Position, error) {
	var p app.Position
	var seq int64
	err := t.db.QueryRow(ctx, "SELECT stream_seq, tree_size, halted FROM sequencer_v1 WHERE id = 1").Scan(&seq, &p.Size, &p.Halted)
	p.Seq = uint64(seq)
	return p, err
}

// Hashes implements app.Tree.
func (t *Tree) Hashes(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return readHashes(ctx, t.db, indexes) })
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readHashes(ctx context.Context, q querier, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, "SELECT idx, hash FROM tree_hashes_v1 WHERE idx = ANY($1)", indexes)
	if err != nil {
		return nil, err
	}
	found := make(map[int64]tlog.Hash, len(indexes))
	var idx int64
	var h []byte
	if _, err := pgx.ForEachRow(rows, []any{&idx, &h}, func() error {
		if len(h) != tlog.HashSize {
			return fmt.Errorf("stored hash %d has %d bytes", idx, len(h))
		}
		found[idx] = tlog.Hash(h)
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		hash, ok := found[x]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is not in the tree", x)
		}
		out[i] = hash
	}
	return out, nil
}

// Extend implements app.Tree: COPY the hashes and leaves, then move the position only if it is
// still where this sequencer read it.
func (t *Tree) Extend(ctx context.Context, from, to app.Position, hashes []tlog.Hash, leaves []app.Leaf) error {
	return pgx.BeginFunc(ctx, t.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE sequencer_v1 SET stream_seq = $1, tree_size = $2 WHERE id = 1 AND stream_seq = $3 AND tree_size = $4 AND halted = ''",
			int64(to.Seq), to.Size, int64(from.Seq), from.Size)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return app.ErrFenced
		}
		start := tlog.StoredHashIndex(0, from.Size)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tree_hashes_v1"}, []string{"idx", "hash"},
			pgx.CopyFromSlice(len(hashes), func(i int) ([]any, error) { return []any{start + int64(i), hashes[i][:]}, nil })); err != nil {
			return fmt.Errorf("store hashes: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"leaves_v1"}, []string{"leaf", "stream_seq", "commit_index", "event_id"},
			pgx.CopyFromSlice(len(leaves), func(i int) ([]any, error) {
				l := leaves[i]
				return []any{l.Leaf, int64(l.Seq), int32(l.Index), l.EventID}, nil
			})); err != nil {
			return fmt.Errorf("store leaves: %w", err)
		}
		return nil
	})
}

// Halt implements app.Tree.
func (t *Tree) Halt(ctx context.Context, reason string) error {
	_, err := t.db.Exec(ctx, "UPDATE sequencer_v1 SET halted = $1 WHERE id = 1", reason)
	return err
}

func (t *Tree) leaf(ctx context.Context, where string, args ...any) (app.Leaf, bool, error) {
	var l app.Leaf
	var seq int64
	var idx int32
	err := t.db.QueryRow(ctx, "SELECT leaf, stream_seq, commit_index, event_id FROM leaves_v1 WHERE "+where+" ORDER BY leaf LIMIT 1", args...).
		Scan(&l.Leaf, &seq, &idx, &l.EventID)
	if errors.Is(err, pgx.ErrNoRows) {
		return app.Leaf{}, false, nil
	}
	l.Seq, l.Index = uint64(seq), uint32(idx)
	return l, err == nil, err
}

// LeafAt implements app.Tree.
func (t *Tree) LeafAt(ctx context.Context, leaf int64) (app.Leaf, bool, error) {
	return t.leaf(ctx, "leaf = $1", leaf)
}

// LeafAtPosition implements app.Tree.
func (t *Tree) LeafAtPosition(ctx context.Context, seq uint64, index uint32) (app.Leaf, bool, error) {
	return t.leaf(ctx, "stream_seq = $1 AND commit_index = $2", int64(seq), int32(index))
}

// LeafByEventID implements app.Tree.
func (t *Tree) LeafByEventID(ctx context.Context, id string) (app.Leaf, bool, error) {
	return t.leaf(ctx, "event_id = $1", id)
}

// LatestCheckpoint implements app.Tree.
func (t *Tree) LatestCheckpoint(ctx context.Context) (app.SignedCheckpoint, bool, error) {
	var c app.SignedCheckpoint
	var root []byte
	err := t.db.QueryRow(ctx, "SELECT tree_size, root_hash, note, published_at FROM checkpoints_v1 ORDER BY tree_size DESC LIMIT 1").
		Scan(&c.Size, &root, &c.Note, &c.PublishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	if len(root) != tlog.HashSize {
		return c, false, fmt.Errorf("checkpoint %d: root of %d bytes", c.Size, len(root))
	}
	c.Root = tlog.Hash(root)
	return c, true, nil
}

// SaveCheckpoint implements app.Tree.
func (t *Tree) SaveCheckpoint(ctx context.Context, c app.SignedCheckpoint) error {
	_, err := t.db.Exec(ctx, "INSERT INTO checkpoints_v1 (tree_size, root_hash, note, published_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING",
		c.Size, c.Root[:], c.Note, c.PublishedAt)
	return err
}
