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
	ExitRowsFailed = 3 // the command ran, but some outbox rows failed or went dead, or an import left bad lines out
	ExitProblems   = 4 // syncd doctor found a problem with the setup
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

// BadLinesError reports that an import left bad lines out (exit 3) or,
// with --strict, wrote nothing because of them (exit 1).
type BadLinesError struct {
	Bad    int
	Strict bool
	DryRun bool
}

func (e *BadLinesError) Error() string {
	switch {
	case e.Strict:
		return fmt.Sprintf("%d bad line(s): with --strict nothing was written; fix them (listed on stdout) and run the import again", e.Bad)
	case e.DryRun:
		return fmt.Sprintf("%d bad line(s) would be left out (listed on stdout)", e.Bad)
	}
	return fmt.Sprintf("%d bad line(s) were left out (listed on stdout); the other rows were written. Fix the lines and run the same import again: rows already present are skipped", e.Bad)
}

// ExitCode maps an error returned by a command to the process's exit status.
func ExitCode(err error) int {
	var usage *UsageError
	var rows *RowsFailedError
	var bad *BadLinesError
	var problems *ProblemsFoundError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &bad) && bad.Strict:
		return ExitError
	case errors.As(err, &bad):
		return ExitRowsFailed
	case errors.As(err, &rows):
		return ExitRowsFailed
	case errors.As(err, &problems):
		return ExitProblems
	default:
		return ExitError
	}
}
