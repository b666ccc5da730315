package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotMigrated reports that the schema lacks a table syncd needs: the
// migrations have not run on it ('syncd migrate up'). Errors that mean it
// match with errors.Is and keep their own text and cause, followed by what to
// run.
var ErrNotMigrated = errors.New("store: schema is not migrated; run 'syncd migrate up'")

// notMigratedError is an error caused by a missing table.
type notMigratedError struct{ err error }

func (e *notMigratedError) Error() string {
	return e.err.Error() + " (the schema is not migrated: run 'syncd migrate up')"
}
func (e *notMigratedError) Unwrap() error        { return e.err }
func (e *notMigratedError) Is(target error) bool { return target == ErrNotMigrated }

// notMigrated marks err as ErrNotMigrated when PostgreSQL said a table is
// missing (SQLSTATE 42P01, undefined_table), and returns it unchanged
// otherwise.
func notMigrated(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
		return &notMigratedError{err}
	}
	return err
}
