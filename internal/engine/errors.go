package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// SetupError is a problem with HubSpot's or syncd's setup, not with a
// record: the cycle stops and the message says what to run or fix.
type SetupError struct {
	Msg string
	Err error
}

// Error returns the message and the underlying error.
func (e *SetupError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the underlying error.
func (e *SetupError) Unwrap() error { return e.Err }

// DailyLimitError stops a cycle when HubSpot's daily allowance (or the
// share of it syncd may use) is spent; the claimed rows are released and
// wait for the allowance to reset.
type DailyLimitError struct {
	Err error
}

// Error says that the daily allowance is spent and when it resets.
func (e *DailyLimitError) Error() string {
	return "HubSpot's daily API allowance is spent; syncd goes on when it resets: " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *DailyLimitError) Unwrap() error { return e.Err }

// setupErr turns err into a *SetupError when HubSpot says the setup is
// wrong, naming what to run.
func setupErr(objectType string, err error) error {
	var se *SetupError
	if errors.As(err, &se) {
		return err
	}
	if hubspot.IsDailyLimit(err) {
		// Not a setup problem: the rows wait, released, for the next day.
		return &DailyLimitError{Err: err}
	}
	return &SetupError{Msg: fmt.Sprintf("HubSpot refused syncd's %s requests: check the token's scopes and run `syncd setup` to create syncd's properties", objectType), Err: err}
}

// callFailed handles an error of a call made for items that is not about
// one input: retryable errors mark the items for a later retry; setup
// errors stop the cycle; data errors fail the items. Cancellation stops
// the cycle.
func (c *cycle) callFailed(objectType string, items []*item, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch hubspot.Classify(err) {
	case hubspot.ClassSetup:
		if names := hubspot.MissingProperties(err); len(names) > 0 && !c.ownProps(names) {
			for _, it := range items {
				it.fail("%v; remove the property from the payload or create it in HubSpot", err)
			}
			return nil
		}
		return setupErr(objectType, err)
	case hubspot.ClassData:
		for _, it := range items {
			it.fail("HubSpot refused the record: %v", err)
		}
	default:
		for _, it := range items {
			it.retryLater("HubSpot is unavailable, will retry: %v", err)
		}
	}
	return nil
}

// ownProps reports whether names include a property syncd itself needs
// (then a missing one is a setup problem, not the row's).
func (c *cycle) ownProps(names []string) bool {
	for _, n := range names {
		switch n {
		case c.e.cfg.Sync.ERPIDProperty, c.e.cfg.Sync.TaxIDProperty, outbox.DefaultBranchProperty:
			return true
		}
	}
	return false
}
