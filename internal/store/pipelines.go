package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/syncd/syncd/internal/hubspot"
)

// PipelinesRead is one read of an object type's pipelines from HubSpot, as
// kept in table pipelines for every process of the schema.
type PipelinesRead struct {
	Pipelines []hubspot.Pipeline
	// ReadAt is when the pipelines were read, on the reading process's
	// clock, to the microsecond.
	ReadAt time.Time
}

// pipelineJSON and stageJSON are the shape of pipelines.pipelines: the
// field names of HubSpot's pipelines API, so that the column reads as
// HubSpot's answer does.
type pipelineJSON struct {
	ID           string      `json:"id"`
	Label        string      `json:"label"`
	DisplayOrder int         `json:"displayOrder"`
	Stages       []stageJSON `json:"stages"`
}

type stageJSON struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Metadata     map[string]string `json:"metadata"`
}

// Pipelines returns the last read of objectType's pipelines (hubspot.Deals
// or hubspot.Tickets) in portal that any process saved, and false when
// there is none.
func (s *Store) Pipelines(ctx context.Context, portal int64, objectType string) (PipelinesRead, bool, error) {
	var raw []byte
	var r PipelinesRead
	err := s.pool.QueryRow(ctx, `SELECT pipelines, read_at FROM pipelines WHERE portal_id = $1 AND object_type = $2`,
		portal, objectType).Scan(&raw, &r.ReadAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return PipelinesRead{}, false, nil
	}
	if err != nil {
		return PipelinesRead{}, false, pipelinesErr("read", err)
	}
	var ps []pipelineJSON
	if err := json.Unmarshal(raw, &ps); err != nil {
		return PipelinesRead{}, false, fmt.Errorf("store: read pipelines of %s: %w", objectType, err)
	}
	r.Pipelines = make([]hubspot.Pipeline, len(ps))
	for i, p := range ps {
		hp := hubspot.Pipeline{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder}
		for _, st := range p.Stages {
			hp.Stages = append(hp.Stages, hubspot.PipelineStage{ID: st.ID, Label: st.Label, DisplayOrder: st.DisplayOrder, Metadata: st.Metadata})
		}
		r.Pipelines[i] = hp
	}
	return r, true, nil
}

// SavePipelines keeps a read of objectType's pipelines in portal for every
// process of the schema, unless a later read is kept already (two
// processes that read at once). It returns the read as kept: ReadAt
// rounded to the database's microseconds.
func (s *Store) SavePipelines(ctx context.Context, portal int64, objectType string, ps []hubspot.Pipeline, readAt time.Time) (PipelinesRead, error) {
	out := make([]pipelineJSON, len(ps))
	for i, p := range ps {
		jp := pipelineJSON{ID: p.ID, Label: p.Label, DisplayOrder: p.DisplayOrder, Stages: make([]stageJSON, len(p.Stages))}
		for j, st := range p.Stages {
			jp.Stages[j] = stageJSON{ID: st.ID, Label: st.Label, DisplayOrder: st.DisplayOrder, Metadata: st.Metadata}
		}
		out[i] = jp
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return PipelinesRead{}, fmt.Errorf("store: save pipelines of %s: %w", objectType, err)
	}
	readAt = readAt.Truncate(time.Microsecond)
	_, err = s.pool.Exec(ctx, `INSERT INTO pipelines (portal_id, object_type, pipelines, read_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (portal_id, object_type) DO UPDATE SET pipelines = EXCLUDED.pipelines, read_at = EXCLUDED.read_at
WHERE pipelines.read_at <= EXCLUDED.read_at`, portal, objectType, raw, readAt)
	if err != nil {
		return PipelinesRead{}, pipelinesErr("save", err)
	}
	return PipelinesRead{Pipelines: ps, ReadAt: readAt}, nil
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

// pipelinesErr names the table to migrate when it is missing.
func pipelinesErr(verb string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return fmt.Errorf("store: %s pipelines: table pipelines is missing: run 'syncd migrate up'", verb)
	}
	return fmt.Errorf("store: %s pipelines: %w", verb, err)
}
