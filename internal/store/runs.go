package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// StartRun logs the start of a cycle and returns its run ID.
func (s *Store) StartRun(ctx context.Context, owner string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO runs (owner, started_at) VALUES ($1, `+sqlNow(2)+`) RETURNING id`, owner, s.offset()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: start run: %w", err)
	}
	return id, nil
}

// FinishRun logs the end of run id with its counts (any JSON-encodable
// value) and the error that stopped it, if any.
func (s *Store) FinishRun(ctx context.Context, id int64, counts any, runErr error) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("store: finish run: %w", err)
	}
	var msg *string
	if runErr != nil {
		m := runErr.Error()
		msg = &m
	}
	_, err = s.pool.Exec(ctx, `UPDATE runs SET finished_at = `+sqlNow(2)+`, counts = $3::jsonb, error = $4 WHERE id = $1`, id, s.offset(), string(b), msg)
	if err != nil {
		return fmt.Errorf("store: finish run: %w", err)
	}
	return nil
}
