package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NewOutboxRow is an outbox row as an ERP writes it; the outbox's defaults
// fill in the rest (state pending, attempts 0, created now).
type NewOutboxRow struct {
	Entity  string
	ERPID   string
	Op      string // upsert or delete
	Payload any    // encoded as JSON
}

// InsertOutbox writes rows the way an ERP does: one INSERT per row, in
// order, in one transaction, so that the outbox trigger notifies a
// listening `syncd run` once they are committed. Nothing is written when
// any row fails; the error names the row.
func (s *Store) InsertOutbox(ctx context.Context, rows []NewOutboxRow) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, r := range rows {
			payload, err := json.Marshal(r.Payload)
			if err != nil {
				return fmt.Errorf("store: outbox row %s %s: payload: %w", r.Entity, r.ERPID, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (entity, erp_id, op, payload) VALUES ($1, $2, $3, $4)`,
				r.Entity, r.ERPID, r.Op, payload); err != nil {
				return notMigrated(fmt.Errorf("store: insert outbox row %s %s: %w", r.Entity, r.ERPID, err))
			}
		}
		return nil
	})
}
