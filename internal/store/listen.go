package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NotifyChannel is the PostgreSQL channel the outbox trigger notifies on
// every insert statement; the payload is the schema name.
const NotifyChannel = "syncd_outbox"

// Listen calls wake each time the ERP inserts outbox rows into this store's
// schema (one call per insert statement, possibly coalesced), until ctx is
// done; it then returns ctx.Err(). Any other error (a lost connection) is
// returned as it happens; the caller may listen again. ready, when not
// nil, is called once the LISTEN is in place. Listen holds one pooled
// connection while it runs and gives it back within 5 seconds of
// returning, even when the network is gone. Notifications are only a hint
// to run a cycle early: a scheduler must poll as well, because
// notifications sent while no one listens are lost.
func (s *Store) Listen(ctx context.Context, ready, wake func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "UNLISTEN *"); err != nil {
			// A connection in an unknown state must not go back to the pool.
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("store: listen: %w", err)
		}
		if n.Payload == schema {
			wake()
		}
	}
}
