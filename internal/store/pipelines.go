package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PipelinesRead is one read of an object type's pipelines from HubSpot, as
// kept in table pipelines for every process of the schema. The store keeps
// the pipelines as the JSON its caller encodes (HubSpot's field names), so
// that it needs no HubSpot types.
type PipelinesRead struct {
	JSON []byte
	// ReadAt is when the pipelines were read, on the reading process's
	// clock, to the microsecond.
	ReadAt time.Time
}

// Pipelines returns the last read of objectType's pipelines (deals or
// tickets) in portal that any process saved, and false when there is none.
func (s *Store) Pipelines(ctx context.Context, portal int64, objectType string) (PipelinesRead, bool, error) {
	var r PipelinesRead
	err := s.pool.QueryRow(ctx, `SELECT pipelines, read_at FROM pipelines WHERE portal_id = $1 AND object_type = $2`,
		portal, objectType).Scan(&r.JSON, &r.ReadAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return PipelinesRead{}, false, nil
	}
	if err != nil {
		return PipelinesRead{}, false, pipelinesErr("read", err)
	}
	return r, true, nil
}

// SavePipelines keeps a read of objectType's pipelines in portal (a JSON
// array) for every process of the schema, unless a later read is kept
// already (two processes that read at once). It returns the read as kept:
// ReadAt rounded to the database's microseconds.
func (s *Store) SavePipelines(ctx context.Context, portal int64, objectType string, pipelines []byte, readAt time.Time) (PipelinesRead, error) {
	readAt = readAt.Truncate(time.Microsecond)
	_, err := s.pool.Exec(ctx, `INSERT INTO pipelines (portal_id, object_type, pipelines, read_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (portal_id, object_type) DO UPDATE SET pipelines = EXCLUDED.pipelines, read_at = EXCLUDED.read_at
WHERE pipelines.read_at <= EXCLUDED.read_at`, portal, objectType, pipelines, readAt)
	if err != nil {
		return PipelinesRead{}, pipelinesErr("save", err)
	}
	return PipelinesRead{JSON: pipelines, ReadAt: readAt}, nil
}

// DropPipelines deletes the kept read of objectType's pipelines in portal
// unless it is later than readAt, so that every process reads them from
// HubSpot again: HubSpot refused a stage taken from that read. A later
// read, by another process, is kept. It reports whether a read was
// deleted.
func (s *Store) DropPipelines(ctx context.Context, portal int64, objectType string, readAt time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pipelines WHERE portal_id = $1 AND object_type = $2 AND read_at <= $3`,
		portal, objectType, readAt)
	if err != nil {
		return false, pipelinesErr("drop", err)
	}
	return tag.RowsAffected() > 0, nil
}

// pipelinesErr wraps err, marked ErrNotMigrated when the table is missing.
func pipelinesErr(verb string, err error) error {
	return notMigrated(fmt.Errorf("store: %s pipelines: %w", verb, err))
}
