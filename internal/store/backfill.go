package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BackfillRow is one outbox row an import writes: an upsert of the
// import's entity. Line is where the row came from (a file's line number,
// a query's row number); rows are inserted in Line order.
type BackfillRow struct {
	Line    int64
	ERPID   string
	Payload json.RawMessage
}

// BackfillMode says how a Backfill writes.
type BackfillMode int

const (
	// BackfillChunked commits every Write on its own: an interrupted
	// import keeps the chunks it wrote, and running it again skips them.
	BackfillChunked BackfillMode = iota
	// BackfillAtomic writes every chunk in one transaction that only
	// Commit makes visible; Close without Commit leaves the outbox as it
	// was.
	BackfillAtomic
	// BackfillDryRun writes nothing: Write counts the rows it would insert
	// and those already present.
	BackfillDryRun
)

// BackfillResult counts what one Write did.
type BackfillResult struct {
	// Inserted is the number of new outbox rows (in a dry run, the number
	// that would be inserted).
	Inserted int
	// Present is the number of rows skipped because the outbox already
	// holds a row of the same entity, erp_id and payload.
	Present int
}

// Backfill writes an import's rows into the outbox in chunks, through
// PostgreSQL COPY into a temporary table on one connection and one INSERT
// … SELECT per chunk. A row is skipped when the outbox already has an
// upsert row of the same entity and erp_id with an equal payload (jsonb
// equality), in any state: pending or failed (it will be synced), done (it
// was: nothing changed since), dead (it would fail the same way again) or
// superseded (the ERP has sent newer data since). Running an import again,
// after an interruption or not, therefore never doubles a row, and never
// brings back a state the ERP has moved on from for a row it already
// imported. Chunk transactions of concurrent imports into one schema take
// turns (an advisory lock), so two runs of the same import cannot both
// insert a row.
//
// A Backfill is not safe for concurrent use.
type Backfill struct {
	conn   *pgxpool.Conn
	entity string
	mode   BackfillMode
	tx     pgx.Tx // the one transaction of BackfillAtomic
}

// BeginBackfill opens an import of entity rows into the outbox. The caller
// must Close it.
func (s *Store) BeginBackfill(ctx context.Context, entity string, mode BackfillMode) (*Backfill, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: backfill: %w", err)
	}
	b := &Backfill{conn: conn, entity: entity, mode: mode}
	if err := b.begin(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("store: backfill: %w", notMigrated(err))
	}
	return b, nil
}

func (b *Backfill) begin(ctx context.Context) error {
	// The outbox must exist, so that an unmigrated schema fails before the
	// import reads its source.
	if _, err := b.conn.Exec(ctx, `SELECT 1 FROM outbox LIMIT 0`); err != nil {
		return err
	}
	if _, err := b.conn.Exec(ctx, sqlBackfillStage); err != nil {
		return err
	}
	if b.mode != BackfillAtomic {
		return nil
	}
	tx, err := b.conn.Begin(ctx)
	if err != nil {
		return err
	}
	b.tx = tx
	_, err = tx.Exec(ctx, sqlBackfillLock)
	return err
}

// The staging table lives on the import's connection only; ON COMMIT
// DELETE ROWS empties it after each chunk transaction.
const sqlBackfillStage = `
CREATE TEMP TABLE IF NOT EXISTS syncd_backfill_stage (
    line    bigint NOT NULL,
    erp_id  text   NOT NULL,
    payload jsonb  NOT NULL
) ON COMMIT DELETE ROWS`

const sqlBackfillLock = `SELECT pg_advisory_xact_lock(hashtext('syncd.backfill.' || current_schema()))`

// absent selects the staged rows the outbox does not hold yet; $1 is the
// entity.
const sqlBackfillAbsent = `
FROM pg_temp.syncd_backfill_stage s
WHERE NOT EXISTS (
    SELECT 1 FROM outbox o
    WHERE o.entity = $1 AND o.erp_id = s.erp_id AND o.op = 'upsert' AND o.payload = s.payload)`

const sqlBackfillInsert = `
WITH ins AS (
    INSERT INTO outbox (entity, erp_id, op, payload)
    SELECT $1, s.erp_id, 'upsert', s.payload` + sqlBackfillAbsent + `
    ORDER BY s.line
    RETURNING 1)
SELECT count(*) FROM ins`

const sqlBackfillCount = `SELECT count(*)` + sqlBackfillAbsent

// Write writes one chunk and returns what it did. In BackfillChunked mode
// the chunk is committed before Write returns, or not at all; when ctx is
// cancelled, the chunk is not written.
func (b *Backfill) Write(ctx context.Context, rows []BackfillRow) (BackfillResult, error) {
	if len(rows) == 0 {
		return BackfillResult{}, ctx.Err()
	}
	var n int
	write := func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `TRUNCATE pg_temp.syncd_backfill_stage`); err != nil {
			return err
		}
		src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			return []any{rows[i].Line, rows[i].ERPID, rows[i].Payload}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pg_temp", "syncd_backfill_stage"}, []string{"line", "erp_id", "payload"}, src); err != nil {
			return err
		}
		q := sqlBackfillInsert
		if b.mode == BackfillDryRun {
			q = sqlBackfillCount
		}
		return tx.QueryRow(ctx, q, b.entity).Scan(&n)
	}
	var err error
	switch b.mode {
	case BackfillAtomic:
		if b.tx == nil {
			return BackfillResult{}, errors.New("store: backfill: write after commit")
		}
		err = write(b.tx)
	case BackfillDryRun:
		var tx pgx.Tx
		if tx, err = b.conn.Begin(ctx); err == nil {
			err = write(tx)
			if rerr := tx.Rollback(context.WithoutCancel(ctx)); err == nil {
				err = rerr
			}
		}
	default:
		err = pgx.BeginFunc(ctx, b.conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, sqlBackfillLock); err != nil {
				return err
			}
			if err := write(tx); err != nil {
				return err
			}
			// A cancel that arrives after the INSERT must not commit it.
			return ctx.Err()
		})
	}
	if err != nil {
		return BackfillResult{}, fmt.Errorf("store: backfill: %w", err)
	}
	return BackfillResult{Inserted: n, Present: len(rows) - n}, nil
}

// Commit makes an atomic import's rows visible; in the other modes it does
// nothing, their chunks being committed (or discarded) already.
func (b *Backfill) Commit(ctx context.Context) error {
	if b.tx == nil {
		return nil
	}
	tx := b.tx
	b.tx = nil
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: backfill: commit: %w", err)
	}
	return nil
}

// Close rolls back what Commit did not commit and returns the connection.
func (b *Backfill) Close() {
	if b.conn == nil {
		return
	}
	ctx := context.Background()
	if b.tx != nil {
		_ = b.tx.Rollback(ctx)
		b.tx = nil
	}
	// The staging table is the import's own; a pooled connection drops it
	// rather than keep it for the next user.
	_, _ = b.conn.Exec(ctx, `DROP TABLE IF EXISTS pg_temp.syncd_backfill_stage`)
	b.conn.Release()
	b.conn = nil
}
