package cli

import (
	"errors"
	"fmt"
)

// Exit statuses of syncd. Scripts and service managers rely on them.
const (
	ExitOK         = 0 // the command did what was asked
	ExitError      = 1 // the command failed
	ExitUsage      = 2 // the command line is wrong: unknown verb, flag or argument
	ExitRowsFailed = 3 // the command ran, but some outbox rows failed or went dead
)

// UsageError is a mistake on the command line.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// RowsFailedError reports that a sync finished but left failed or dead rows.
type RowsFailedError struct {
	Failed, Dead int
}

func (e *RowsFailedError) Error() string {
	return fmt.Sprintf("%d outbox row(s) failed and %d went dead; see last_error in the outbox", e.Failed, e.Dead)
}

// ExitCode maps an error returned by a command to the process's exit status.
func ExitCode(err error) int {
	var usage *UsageError
	var rows *RowsFailedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &rows):
		return ExitRowsFailed
	default:
		return ExitError
	}
}
