package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotMigrated matches (errors.Is) the errors the store returns when the
// schema lacks a table syncd needs: `syncd migrate up` has not run, or not
// up to this version. The database's own error stays in the chain.
var ErrNotMigrated = errors.New("store: the schema is not migrated: run 'syncd migrate up'")

// undefinedTable is PostgreSQL's SQLSTATE for a missing table.
const undefinedTable = "42P01"

// notMigratedError is a database error that says a table is missing.
type notMigratedError struct {
	msg string // replaces err's text when set
	err error
}

func (e *notMigratedError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error() + " (the schema is not migrated: run 'syncd migrate up')"
}

func (e *notMigratedError) Unwrap() []error { return []error{ErrNotMigrated, e.err} }

// notMigrated marks err as ErrNotMigrated when PostgreSQL says a table is
// missing, and returns it unchanged otherwise.
func notMigrated(err error) error {
	return notMigratedMsg(err, "")
}

// notMigratedMsg is notMigrated with msg as the text of a marked error.
func notMigratedMsg(err error, msg string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == undefinedTable {
		return &notMigratedError{msg: msg, err: err}
	}
	return err
}
