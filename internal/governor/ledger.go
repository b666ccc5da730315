package governor

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"
)

// Ledger is a rate budget shared by every process that uses it, so that
// several syncd processes syncing one HubSpot account keep together within
// the account's burst and search limits. The governor consults it after its
// own accounting has found room for a call.
type Ledger interface {
	// Reserve counts one call of budget at now when fewer than limit calls
	// were counted in the rolling window that ends at now, and returns 0.
	// Otherwise it counts nothing and returns how long until enough of the
	// window has passed for the call to fit. now comes from the governor's
	// clock. An error means the ledger is unusable; the governor then falls
	// back to its own accounting.
	Reserve(ctx context.Context, budget Budget, now time.Time, window time.Duration, limit int) (wait time.Duration, err error)
}

const (
	// ledgerRetry is how long the governor keeps to its own accounting after
	// the ledger failed, before it asks the ledger again.
	ledgerRetry = 10 * time.Second
	// ledgerLogEvery limits warnings about a failing ledger.
	ledgerLogEvery = time.Minute
	// ledgerTimeout bounds one Reserve call, so that an unreachable
	// database delays a call by at most this much (real time).
	ledgerTimeout = 5 * time.Second
)

// String returns "search" for search calls and "burst" for the others; it
// names the budget in a shared ledger.
func (b Budget) String() string {
	if b&Search != 0 {
		return "search"
	}
	return "burst"
}

// sharedState is the governor's view of its ledger's health.
type sharedState struct {
	downUntil time.Time // ledger not asked before this instant
	logged    time.Time // last warning about a failing ledger
	failures  int       // failures not yet reported
	failing   bool      // the last Reserve failed
}

// grant is a call recorded by reserveSlot, so that it can be taken back
// when the ledger refuses it.
type grant struct {
	at    time.Time
	daily bool // dailyLeft was decremented
}

// reserveShared asks the ledger for room for a call of b that the local
// budget has already granted. It returns 0 when the call may go (the
// ledger counted it, there is no ledger, or the ledger failed), else how
// long to wait before asking again.
func (g *Governor) reserveShared(ctx context.Context, b Budget) (time.Duration, error) {
	l := g.opts.Ledger
	if l == nil {
		return 0, nil
	}
	g.mu.Lock()
	now := g.opts.Now()
	if now.Before(g.shared.downUntil) {
		g.mu.Unlock()
		return 0, nil
	}
	window, limit := g.window, g.burstLimit()
	if b&Search != 0 {
		window, limit = searchWindow, g.searchLimit()
	}
	g.mu.Unlock()

	rctx, cancel := context.WithTimeout(ctx, ledgerTimeout)
	wait, err := l.Reserve(rctx, b, now, window, limit)
	cancel()
	if err != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	s := &g.shared
	if err != nil {
		s.downUntil = now.Add(ledgerRetry)
		s.failures++
		s.failing = true
		if s.logged.IsZero() || !now.Before(s.logged.Add(ledgerLogEvery)) {
			g.opts.Logger.WithFields(logrus.Fields{"error": err.Error(), "failures": s.failures}).
				Warn("shared hubspot rate budget unavailable; this process counts only its own calls until it is back")
			s.logged, s.failures = now, 0
		}
		return 0, nil
	}
	if s.failing {
		// s.logged stays: a flapping database still warns once a minute.
		s.failing = false
		g.opts.Logger.Info("shared hubspot rate budget available again")
	}
	return max(wait, 0), nil
}

// release takes back a call that reserveSlot recorded but that was not made.
func (g *Governor) release(b Budget, gr grant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	calls := &g.burstCalls
	if b&Search != 0 {
		calls = &g.searchCalls
	}
	for i := len(*calls) - 1; i >= 0; i-- {
		if (*calls)[i].Equal(gr.at) {
			*calls = append((*calls)[:i], (*calls)[i+1:]...)
			break
		}
	}
	if gr.daily && g.dailyLeft >= 0 {
		g.dailyLeft++
	}
}
