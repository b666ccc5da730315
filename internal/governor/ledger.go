package governor

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"
)

// Ledger is a rate budget shared by every process that uses it, so that
// several syncd processes syncing one HubSpot account keep together within
// the account's burst and search limits, and pace their calls together.
// The governor consults it after its own accounting has found room for a
// call.
type Ledger interface {
	// Reserve counts one call of budget at now when fewer than p.Limit
	// calls were counted in the rolling window of p.Window that ends at
	// now, and the calls counted in that window are not ahead of p's pace,
	// and returns a zero Wait and the calls in the window, this one
	// included. Otherwise it counts nothing and returns how long until the
	// call fits. now comes from the governor's clock. An error means the
	// ledger is unusable; the governor then falls back to its own
	// accounting.
	Reserve(ctx context.Context, budget Budget, now time.Time, p Pace) (Reservation, error)
}

// Pace is what a Ledger checks a call against: at most Limit calls in any
// Window, and, when Interval is positive, calls spent evenly at one per
// Interval, running at most Tolerance ahead of that pace (the generic cell
// rate algorithm over the calls counted in the window).
type Pace struct {
	Window    time.Duration
	Limit     int
	Interval  time.Duration
	Tolerance time.Duration
}

// Reservation is a Ledger's answer: Wait is zero when the call was counted,
// and InWindow is then the number of calls in its window, every process's,
// this one included.
type Reservation struct {
	Wait     time.Duration
	InWindow int
}

// PaceWait returns how long a call at now must wait to keep to interval
// and tolerance, given the calls already made as (time, count) pairs in
// time order: 0 when it may go. The pace is the generic cell rate
// algorithm: each call moves a theoretical arrival time one interval on
// from the later of itself and the previous theoretical arrival time, and
// a call may go once that time, less the tolerance, is not after now.
func PaceWait(now time.Time, interval, tolerance time.Duration, times []time.Time, counts []int) time.Duration {
	if interval <= 0 {
		return 0
	}
	var tat time.Time
	for i, t := range times {
		tat = later(tat, t).Add(interval * time.Duration(counts[i]))
	}
	return max(0, tat.Add(-tolerance).Sub(now))
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
// when the ledger refuses it, and so that its answer can be told apart
// from syncd's own use of the window.
type grant struct {
	at    time.Time
	daily bool // dailyLeft was decremented
	// inWindow counts syncd's calls in the window at the grant, this one
	// included: this process's, or with a ledger every process's.
	inWindow int
	// prevTAT is the pace before the call, setTAT the pace after it.
	prevTAT, setTAT time.Time
}

// reserveShared asks the ledger for room for a call of b that the local
// budget has already granted as gr. It returns 0 when the call may go (the
// ledger counted it, there is no ledger, or the ledger failed) with the
// calls the ledger counts in the window (0 when it did not answer), else
// how long to wait before asking again.
func (g *Governor) reserveShared(ctx context.Context, b Budget, gr grant) (time.Duration, int, error) {
	l := g.opts.Ledger
	if l == nil {
		return 0, 0, nil
	}
	g.mu.Lock()
	now := gr.at
	if now.Before(g.shared.downUntil) {
		g.mu.Unlock()
		return 0, 0, nil
	}
	p := Pace{Window: searchWindow, Limit: g.searchLimit()}
	if b&Search == 0 {
		p.Window, p.Limit = g.window, g.burstLimit()-g.foreignNow(now)
		p.Interval, p.Tolerance = g.pace()
	}
	g.mu.Unlock()

	rctx, cancel := context.WithTimeout(ctx, ledgerTimeout)
	res, err := l.Reserve(rctx, b, now, p)
	cancel()
	if err != nil && ctx.Err() != nil {
		return 0, 0, ctx.Err()
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
		return 0, 0, nil
	}
	if s.failing {
		// s.logged stays: a flapping database still warns once a minute.
		s.failing = false
		g.opts.Logger.Info("shared hubspot rate budget available again")
	}
	if res.Wait > 0 {
		return max(res.Wait, minWait), 0, nil
	}
	return 0, res.InWindow, nil
}

// release takes back a call that reserveSlot recorded but that was not made.
func (g *Governor) release(b Budget, gr grant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	calls := &g.burstCalls
	if b&Search != 0 {
		calls = &g.searchCalls
	} else if g.tat.Equal(gr.setTAT) {
		// No call has moved the pace on since.
		g.tat = gr.prevTAT
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
