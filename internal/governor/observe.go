package governor

import (
	"net/http"
	"time"
)

// State is a snapshot of the governor's budgets as they stand at At: what
// a status page or a metrics endpoint shows, and what a job that shares
// the budget (an inbox poll) reads before it spends it.
type State struct {
	At time.Time
	// Window is the burst window's length.
	Window time.Duration
	// WindowLimit is how many calls syncd allows itself per window:
	// HubSpot's limit less the margin.
	WindowLimit int
	// WindowUsed is the calls counted in the window now: this process's,
	// plus other integrations' as HubSpot's last answer let the governor
	// work them out. Other syncd processes sharing a Ledger are counted in
	// the ledger, not here.
	WindowUsed int
	// WindowLeft is WindowLimit less WindowUsed, at least 0.
	WindowLeft int
	// ReportedLeft is the X-HubSpot-RateLimit-Remaining of the last answer
	// that carried it (the whole account's room in the window when
	// HubSpot answered); -1 before any did.
	ReportedLeft int
	// PausedUntil is when burst calls may go again after a 429; zero when
	// none holds them now.
	PausedUntil time.Time
	// SearchLimit is the search calls per second syncd allows itself;
	// SearchUsed, this process's search calls in the last second.
	SearchLimit, SearchUsed int
	// DailyLimit is HubSpot's daily allowance (from the tier, then the
	// headers). DailyUsed is how much of it the account has spent today as
	// last reported, with this process's calls since counted on; -1 while
	// unknown. DailyReserve is the part left to other integrations.
	DailyLimit, DailyUsed, DailyReserve int
	// DailyBlockedUntil is when the daily allowance resets if it is spent
	// (calls fail with a *LimitError until then); zero while calls may go.
	DailyBlockedUntil time.Time
}

// State returns a snapshot of the budgets. It makes no call.
func (g *Governor) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state(g.opts.Now())
}

// Observe calls fn with the budgets' state after every answer the governor
// reads and every call it refuses for the daily limit, in the calling
// goroutine, and returns a function that stops it. fn must be quick and
// safe for concurrent use.
func (g *Governor) Observe(fn func(State)) (stop func()) { return g.observers.Add(fn) }

// notify tells the observers the budgets' state. g.mu must not be held.
func (g *Governor) notify() {
	if g.observers.Active() {
		g.observers.Send(g.State())
	}
}

// state is State at now. g.mu must be held.
func (g *Governor) state(now time.Time) State {
	own := 0
	for _, t := range g.burstCalls {
		if t.After(now.Add(-g.window)) {
			own++
		}
	}
	search := 0
	for _, t := range g.searchCalls {
		if t.After(now.Add(-searchWindow)) {
			search++
		}
	}
	s := State{
		At:           now,
		Window:       g.window,
		WindowLimit:  g.burstLimit(),
		WindowUsed:   own + g.foreignNow(now),
		ReportedLeft: g.reportedLeft,
		SearchLimit:  g.searchLimit(),
		SearchUsed:   search,
		DailyLimit:   g.dailyLimit,
		DailyUsed:    -1,
		DailyReserve: g.reserve(),
	}
	s.WindowLeft = max(0, s.WindowLimit-s.WindowUsed)
	if now.Before(g.burstPaused) {
		s.PausedUntil = g.burstPaused
	}
	if g.dailyLimit > 0 && g.dailyLeft >= 0 {
		s.DailyUsed = max(0, g.dailyLimit-g.dailyLeft)
	}
	if now.Before(g.dailyBlocked) {
		s.DailyBlockedUntil = g.dailyBlocked
	}
	return s
}

// PeekPolicy returns the policyName of a 429 answer's body (PolicyDaily,
// PolicySecondly, PolicyTenSecondly), or "" when it names none, and puts
// the body back so that it can be read again.
func PeekPolicy(resp *http.Response) string { return peekPolicy(resp) }
