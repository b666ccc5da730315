// Package pgtest gives each test its own empty schema in a real PostgreSQL
// database, dropped when the test ends, so tests run in parallel with fresh
// state. The database is syncd_test on 127.0.0.1:5432 (user postgres) unless
// SYNCD_TEST_DATABASE_URL names another; it is created on first use.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/store"
)

// EnvURL names the environment variable that overrides the test database URL.
const EnvURL = "SYNCD_TEST_DATABASE_URL"

// DefaultURL is the test database when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/syncd_test?sslmode=disable"

// DB is one test's schema.
type DB struct {
	// Pool connects to the test database with search_path set to Schema.
	Pool *pgxpool.Pool
	// Schema is the test's own schema, random, dropped at cleanup.
	Schema string
	// URL connects to the test database with search_path set to Schema;
	// pass it to code that opens its own connections (the CLI, the demo).
	URL string
	// BaseURL is the test database's URL without search_path.
	BaseURL string
}

var (
	setupOnce sync.Once
	setupErr  error
	adminPool *pgxpool.Pool
)

// baseURL returns the test database URL.
func baseURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// setup creates the test database when missing and opens the pool used to
// create and drop schemas. Several test binaries may race to create the
// database; losing that race is fine.
func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := baseURL()
	cfg, err := pgxpool.ParseConfig(base)
	if err != nil {
		return fmt.Errorf("pgtest: parse %s: %w", EnvURL, err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	err = pool.Ping(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name: no such database
		if err := createDatabase(ctx, cfg.ConnConfig); err != nil {
			pool.Close()
			return err
		}
		err = pool.Ping(ctx)
	}
	if err != nil {
		pool.Close()
		return fmt.Errorf("pgtest: connect to test database: %w", err)
	}
	adminPool = pool
	return nil
}

func createDatabase(ctx context.Context, cc *pgx.ConnConfig) error {
	name := cc.Database
	admin := cc.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("pgtest: connect to database postgres to create %s: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505") {
		// duplicate_database, or the unique index of pg_database when two
		// creators race: someone else created it.
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return nil
}

// New creates a fresh schema for the test and returns a pool whose
// search_path is that schema. The test fails when PostgreSQL is unreachable.
func New(t testing.TB) *DB {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := adminPool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	u, err := url.Parse(baseURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	db := &DB{Pool: pool, Schema: schema, URL: u.String(), BaseURL: baseURL()}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adminPool.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return db
}

// Migrated is New plus every migration applied to the test's schema.
func Migrated(t testing.TB) *DB {
	t.Helper()
	db := New(t)
	if _, err := store.Migrate(context.Background(), db.BaseURL, db.Schema, "up"); err != nil {
		t.Fatalf("pgtest: migrate: %v", err)
	}
	return db
}
