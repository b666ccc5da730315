// Package store holds every SQL statement syncd runs: outbox claims with
// FOR UPDATE SKIP LOCKED and a lease, coalescing per (entity, erp_id), the
// ID map, the associations syncd has made, the runs log, the pipelines
// every process shares, and the inbox of changes made in HubSpot. It uses
// a pgx pool whose search_path is syncd's schema, so statements name
// tables unqualified.
//
// Every time the store takes itself or compares (due rows, leases,
// backoff, processed_at, the ID map's synced times, the runs' times, the
// inbox's observed_at) is the database's clock, the one the ERP's rows
// take their created_at and next_attempt_at from: host clocks that
// disagree can then neither delay fresh rows nor misjudge another
// process's lease. (An ID map row's archived_at is the caller's, as
// Mapping.ArchivedAt gives it, and so is a pipelines read's ReadAt; the
// inbox's modification times are HubSpot's.) Tests move the store's clock
// forward with Options.Offset, so that backoffs and leases pass without
// waiting.
package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Outbox row states.
const (
	StatePending    = "pending"
	StateDone       = "done"
	StateFailed     = "failed"
	StateDead       = "dead"
	StateSuperseded = "superseded"
)

// Options configures a Store.
type Options struct {
	// Offset, when set, moves the store's clock (the database's) forward by
	// what it returns: tests pass their fake clock's Advanced, so that time
	// they make pass passes for the store too. Nil in production.
	Offset func() time.Duration
	// Jitter returns a number in [0, 1) that spreads retry times; a
	// math/rand/v2 source when nil.
	Jitter func() float64
}

// Store is syncd's PostgreSQL access. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	offset func() time.Duration
	jitter func() float64
}

// New returns a Store over pool. The pool's search_path must be syncd's
// schema (see Open).
func New(pool *pgxpool.Pool, opts Options) *Store {
	s := &Store{pool: pool, offset: opts.Offset, jitter: opts.Jitter}
	if s.offset == nil {
		s.offset = func() time.Duration { return 0 }
	}
	if s.jitter == nil {
		s.jitter = rand.Float64
	}
	return s
}

// Open connects to databaseURL with search_path set to schema and returns
// the pool. The caller closes it.
func Open(ctx context.Context, databaseURL, schema string) (*pgxpool.Pool, error) {
	cfg, _, err := schemaConfig(databaseURL, schema, "store")
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return pool, nil
}

// schemaConfig parses databaseURL for connections to schema, DefaultSchema
// when empty, which it returns: their search_path is that schema. what
// names the caller in the error.
func schemaConfig(databaseURL, schema, what string) (*pgxpool.Config, string, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if err := ValidSchema(schema); err != nil {
		return nil, "", err
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, "", fmt.Errorf("%s: database URL: %w", what, redactParseErr(err))
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return cfg, schema, nil
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
