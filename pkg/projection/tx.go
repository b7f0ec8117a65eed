package projection

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Tx is the transaction a batch of commits is applied in. Besides running statements at once
// (Exec, Query, QueryRow), it defers writes so that a batch of commits costs a few round trips
// instead of one per statement: Queue collects statements into a pgx.Batch and CopyRow collects rows
// for COPY. Deferred writes are sent in the order they were made, before any statement that may
// read them and before the commit. It satisfies the DBTX interface sqlc generates for pgx.
type Tx struct {
	tx   pgx.Tx
	segs []segment
}

// segment is a run of deferred writes of one kind: a batch of statements, or rows for one COPY.
type segment struct {
	batch   *pgx.Batch
	table   string
	columns []string
	rows    [][]any
}

// Queue defers a statement that returns nothing the handler needs. Its error surfaces at the next
// flush; the runner then finds the commit that caused it.
func (t *Tx) Queue(sql string, args ...any) {
	if n := len(t.segs); n > 0 && t.segs[n-1].batch != nil {
		t.segs[n-1].batch.Queue(sql, args...)
		return
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	t.segs = append(t.segs, segment{batch: b})
}

// CopyRow defers inserting one row into table (unqualified, or "schema.table") by COPY. Consecutive
// rows for the same table and columns go into one COPY. values is kept, so it must not be reused.
func (t *Tx) CopyRow(table string, columns []string, values ...any) {
	if n := len(t.segs); n > 0 {
		s := &t.segs[n-1]
		if s.batch == nil && s.table == table && slices.Equal(s.columns, columns) {
			s.rows = append(s.rows, values)
			return
		}
	}
	t.segs = append(t.segs, segment{table: table, columns: columns, rows: [][]any{values}})
}

// Pending is the number of deferred statements and rows not yet sent.
func (t *Tx) Pending() int {
	n := 0
	for _, s := range t.segs {
		if s.batch != nil {
			n += s.batch.Len()
		} else {
			n += len(s.rows)
		}
	}
	return n
}

// Flush sends the deferred writes, in order.
func (t *Tx) Flush(ctx context.Context) error {
	segs := t.segs
	t.segs = nil
	for _, s := range segs {
		if s.batch != nil {
			if err := t.tx.SendBatch(ctx, s.batch).Close(); err != nil {
				return err
			}
			continue
		}
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier(strings.Split(s.table, ".")), s.columns, pgx.CopyFromRows(s.rows)); err != nil {
			return err
		}
	}
	return nil
}

// Exec flushes the deferred writes and runs a statement.
func (t *Tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.Flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.tx.Exec(ctx, sql, args...)
}

// Query flushes the deferred writes and runs a query.
func (t *Tx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.Flush(ctx); err != nil {
		return nil, err
	}
	return t.tx.Query(ctx, sql, args...)
}

// QueryRow flushes the deferred writes and runs a query of one row; a flush error comes out of Scan.
func (t *Tx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.Flush(ctx); err != nil {
		return errRow{err}
	}
	return t.tx.QueryRow(ctx, sql, args...)
}

// CopyFrom flushes the deferred writes and copies rows at once.
func (t *Tx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.Flush(ctx); err != nil {
		return 0, err
	}
	return t.tx.CopyFrom(ctx, table, columns, src)
}

// SendBatch flushes the deferred writes and sends a batch whose results the caller reads.
func (t *Tx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.Flush(ctx); err != nil {
		return errBatch{err}
	}
	return t.tx.SendBatch(ctx, b)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
