package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnreachable reports that PostgreSQL could not be reached at all (or
// refused the login), as opposed to a database that is missing.
var ErrUnreachable = errors.New("store: cannot connect to PostgreSQL")

// EnsureDatabase creates the database databaseURL names when it does not
// exist, connecting to the server's "postgres" database to do so; a
// database another process creates meanwhile is fine. An error matching
// ErrUnreachable means the server did not let syncd in; the URL's
// password never appears in an error.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("store: database URL: %w", redactParseErr(err))
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("%w: connect to database %s on %s: %w", ErrUnreachable, cc.Database, cc.Host, err)
	}
	admin := cc.Copy()
	admin.Database = "postgres"
	aconn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("store: connect to database postgres to create %s: %w", cc.Database, err)
	}
	defer aconn.Close(ctx)
	_, err = aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cc.Database}.Sanitize())
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		err = nil
	}
	if err != nil {
		return fmt.Errorf("store: create database %s: %w", cc.Database, err)
	}
	return nil
}

// DropSchema drops schema and everything in it, syncd's tables and their
// rows included, when it exists. Migrate creates it again.
func DropSchema(ctx context.Context, databaseURL, schema string) error {
	if err := ValidSchema(schema); err != nil {
		return err
	}
	cc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("store: database URL: %w", redactParseErr(err))
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("store: drop schema %s: %w", schema, err)
	}
	return nil
}
