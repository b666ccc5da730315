// Package governor paces syncd's calls to HubSpot. It keeps three budgets:
// the burst budget per rolling ten-second window (by account tier, with a
// safety margin), the search budget (five requests per second, separate from
// the burst budget), and the daily allowance, of which a reserve is left for
// the account's other integrations. HubSpot's X-HubSpot-RateLimit-* headers
// tune the budgets as answers arrive. With Options.Ledger, the burst and
// search budgets are shared with every other process that uses the same
// ledger (see Ledger); the daily allowance needs no ledger, because
// HubSpot's X-HubSpot-RateLimit-Daily-Remaining already counts the whole
// account.
//
// Do runs one HTTP call with retries that are visible at the call site:
//
//	resp, err := gov.Do(ctx, governor.Burst, func(ctx context.Context) (*http.Response, error) {
//		return httpClient.Do(req.WithContext(ctx))
//	})
//
// A 429 slows the governor down for every caller (Retry-After when present,
// else by the 429 body's policyName); 5xx answers, 423 Locked, timeouts and
// dropped connections are retried with exponential backoff and jitter up to
// MaxAttempts. A DAILY 429, or a daily allowance spent down to the reserve,
// stops calls with a *LimitError until the allowance resets; it is never
// retried. Every wait goes through the injected Sleep and watches ctx.Done().
package governor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/fanout"
)

// Budget says which rate budget a call draws from.
type Budget uint8

const (
	// Burst calls count against the ten-second burst window and the daily
	// allowance. Every CRM call except search is a Burst call.
	Burst Budget = 1 << iota
	// Search calls count against the per-second search limit and the daily
	// allowance; HubSpot exempts them from the burst window.
	Search
)

// Policy names HubSpot uses in 429 bodies (policyName).
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// Rate-limit response headers.
const (
	HeaderMax            = "X-HubSpot-RateLimit-Max"
	HeaderRemaining      = "X-HubSpot-RateLimit-Remaining"
	HeaderInterval       = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderDaily          = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
)

// Tier burst limits per ten seconds for privately distributed apps and
// service keys, and their daily allowances.
var tiers = map[string]struct{ burst, daily int }{
	"free":         {100, 250_000},
	"starter":      {100, 250_000},
	"professional": {190, 625_000},
	"enterprise":   {190, 1_000_000},
	// The limit pack raises the burst to 250 and adds 1,000,000 a day to the
	// base tier, which is not known here; headers correct it on first answer.
	"limit_pack": {250, 1_250_000},
}

// Tiers lists the tier names New accepts.
func Tiers() []string {
	return []string{"free", "starter", "professional", "enterprise", "limit_pack"}
}

const (
	defaultWindow      = 10 * time.Second
	searchWindow       = time.Second
	searchPerSecond    = 5
	defaultMargin      = 0.9
	defaultReserve     = 0.2
	defaultMaxAttempts = 5
	defaultBaseBackoff = 500 * time.Millisecond
	defaultMaxBackoff  = 30 * time.Second
	defaultBurstShare  = 0.25
	// maxLimited bounds the rate-limit answers (429 other than DAILY) one
	// Do call retries; they do not use up MaxAttempts, since each is
	// followed by a wait the answer prescribes.
	maxLimited = 10
	// lockedWait is HubSpot's documented minimum wait after 423 Locked.
	lockedWait = 2 * time.Second
	// secondlyWait is the longest pause after a SECONDLY 429: the length
	// of that policy's window.
	secondlyWait = time.Second
	// minWait keeps a caller that must wait from asking again at once.
	minWait = time.Millisecond
	// maxBodyPeek caps how much of a 429 body is read to find policyName.
	maxBodyPeek = 64 << 10
)

// retryStatus lists the HTTP statuses for which the same request is sent
// again after a backoff. 429 is handled separately (by policy).
var retryStatus = map[int]bool{
	http.StatusLocked:              true, // 423: HubSpot locks records for ~2 s during heavy writes
	http.StatusInternalServerError: true, // 500: transient server fault
	http.StatusBadGateway:          true, // 502: "pause and retry" (HubSpot error-handling guide)
	http.StatusServiceUnavailable:  true, // 503: same
	http.StatusGatewayTimeout:      true, // 504: same
	521:                            true, // Cloudflare: origin down, same guidance
	523:                            true, // Cloudflare: origin unreachable, same guidance
	524:                            true, // Cloudflare: origin timeout, same guidance
	// Not retried: 477 (data-hosting migration; Retry-After can be hours, so
	// the caller reschedules), 522/525/526 (HubSpot says contact support).
}

// Options configures a Governor. Zero values take the defaults.
type Options struct {
	// Tier is free, starter, professional, enterprise or limit_pack;
	// default starter.
	Tier string
	// Margin is the share of the burst and search limits syncd uses, default 0.9.
	Margin float64
	// DailyReserve is the share of the daily allowance left for the account's
	// other integrations, default 0.2. Use a negative value for none.
	DailyReserve float64
	// MaxAttempts bounds the attempts of one Do call, default 5.
	MaxAttempts int
	// BaseBackoff is the first retry delay, doubled on every attempt up to
	// MaxBackoff; defaults 500ms and 30s.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Location is the account's time zone; the daily allowance resets at its
	// midnight. Default UTC.
	Location *time.Location
	// Now, Sleep and Rand are injected for tests. Sleep must return early
	// with ctx.Err() when ctx is done. Rand returns a value in [0, 1).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
	// Logger receives waits and retries. Default: discard.
	Logger logrus.FieldLogger
	// Ledger, when set, shares the burst and search budgets with every
	// other governor that uses the same ledger (other processes). When it
	// fails, the governor counts only its own calls until it is back.
	Ledger Ledger
	// BurstShare is the share of the burst budget that may be spent at
	// once; the rest is spent evenly, one call every window / budget.
	// Default 0.25 (about 43 calls at the professional tier); 1 spends the
	// whole window's budget as fast as calls come.
	BurstShare float64
}

// Governor paces calls. It is safe for concurrent use.
type Governor struct {
	opts Options

	mu sync.Mutex
	// burst window
	burstMax    int           // HubSpot's limit per window (tier or header)
	window      time.Duration // window length (default or header)
	burstCalls  []time.Time   // starts of this process's calls in the window
	burstPaused time.Time     // no burst call before this instant
	// foreign is the number of calls other integrations (anything but
	// syncd) had made in the window, as last worked out from HubSpot's
	// X-HubSpot-RateLimit-Remaining at foreignAt; it is taken to leave the
	// window evenly over the following window.
	foreign   int
	foreignAt time.Time // grant time of the call that told; zero when never
	// tat is the pace's theoretical arrival time (GCRA): calls go when
	// tat - burst tolerance is not after now.
	tat time.Time
	// limitedRun counts the ten-secondly 429s since the last success, the
	// first of them at limitedSince.
	limitedRun    int
	limitedSince  time.Time
	searchCalls   []time.Time
	searchPaused  time.Time
	dailyLimit    int // 0 when unknown
	dailyLeft     int // -1 when unknown
	dailyBlocked  time.Time
	dailyByServer bool // dailyBlocked came from a DAILY 429
	shared        sharedState
	// reportedLeft is the last X-HubSpot-RateLimit-Remaining; -1 before any.
	reportedLeft int
	// observers see the budgets' state (Observe).
	observers fanout.List[State]
}

// LimitError reports that the daily allowance, or the share of it syncd may
// use, is spent. Calls fail with it until Until; it is not worth retrying
// sooner.
type LimitError struct {
	Policy string    // PolicyDaily
	Until  time.Time // when the allowance resets
	// Reserve is true when syncd stopped at its reserve, before HubSpot's
	// own limit.
	Reserve bool
}

// Error says which limit is reached and when it resets.
func (e *LimitError) Error() string {
	if e.Reserve {
		return fmt.Sprintf("hubspot daily limit reached (reserve kept for other integrations); resets at %s", e.Until.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("hubspot daily limit reached; resets at %s", e.Until.UTC().Format(time.RFC3339))
}

// New returns a Governor. It fails on an unknown tier or out-of-range margins.
func New(opts Options) (*Governor, error) {
	if opts.Tier == "" {
		opts.Tier = "starter"
	}
	t, ok := tiers[opts.Tier]
	if !ok {
		return nil, fmt.Errorf("governor: unknown tier %q (want one of %v)", opts.Tier, Tiers())
	}
	if opts.Margin == 0 {
		opts.Margin = defaultMargin
	}
	if opts.Margin <= 0 || opts.Margin > 1 {
		return nil, fmt.Errorf("governor: margin %v outside (0, 1]", opts.Margin)
	}
	switch {
	case opts.DailyReserve == 0:
		opts.DailyReserve = defaultReserve
	case opts.DailyReserve < 0:
		opts.DailyReserve = 0
	case opts.DailyReserve >= 1:
		return nil, fmt.Errorf("governor: daily reserve %v outside [0, 1)", opts.DailyReserve)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultMaxAttempts
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = defaultBaseBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = defaultMaxBackoff
	}
	switch {
	case opts.BurstShare == 0:
		opts.BurstShare = defaultBurstShare
	case opts.BurstShare < 0 || opts.BurstShare > 1:
		return nil, fmt.Errorf("governor: burst share %v outside (0, 1]", opts.BurstShare)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Logger = l
	}
	return &Governor{
		opts:         opts,
		burstMax:     t.burst,
		window:       defaultWindow,
		dailyLimit:   t.daily,
		dailyLeft:    -1,
		reportedLeft: -1,
	}, nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SetLocation sets the account's time zone, which decides when the daily
// allowance resets.
func (g *Governor) SetLocation(loc *time.Location) {
	if loc == nil {
		return
	}
	g.mu.Lock()
	g.opts.Location = loc
	g.mu.Unlock()
}

// Limits is a snapshot of what the governor knows.
type Limits struct {
	BurstMax   int           // HubSpot's burst limit per window
	BurstLimit int           // what syncd uses of it (after the margin)
	Window     time.Duration // burst window
	SearchMax  int           // search calls per second syncd uses
	DailyLimit int           // HubSpot's daily allowance; 0 when unknown
	DailyLeft  int           // remaining today as last reported; -1 when unknown
	Reserve    int           // calls of the daily allowance left to others
}

// Limits returns a snapshot of the budgets.
func (g *Governor) Limits() Limits {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Limits{
		BurstMax:   g.burstMax,
		BurstLimit: g.burstLimit(),
		Window:     g.window,
		SearchMax:  g.searchLimit(),
		DailyLimit: g.dailyLimit,
		DailyLeft:  g.dailyLeft,
		Reserve:    g.reserve(),
	}
}

func (g *Governor) burstLimit() int {
	return max(1, int(math.Floor(float64(g.burstMax)*g.opts.Margin)))
}

func (g *Governor) searchLimit() int {
	return max(1, int(math.Floor(searchPerSecond*g.opts.Margin)))
}

func (g *Governor) reserve() int { return DailyReserve(g.dailyLimit, g.opts.DailyReserve) }

// DailyReserve is the part of a daily allowance of limit calls that a
// governor with Options.DailyReserve share leaves to other integrations,
// rounded up.
func DailyReserve(limit int, share float64) int {
	return int(math.Ceil(float64(limit) * share))
}

// Do calls fn until it succeeds, fails for good, or MaxAttempts is reached,
// waiting for budget before every attempt. It returns fn's last response
// (whose body the caller closes) or its last error. Responses that are
// retried are drained and closed here. A spent daily allowance returns a
// *LimitError without calling fn; a done ctx returns ctx.Err(). Rate-limit
// answers (429 other than DAILY) are retried up to ten times without using
// up MaxAttempts: each is followed by the wait it prescribes, not by a
// backoff.
func (g *Governor) Do(ctx context.Context, b Budget, fn func(ctx context.Context) (*http.Response, error)) (*http.Response, error) {
	limited := 0
	for attempt := 1; ; {
		gr, err := g.acquire(ctx, b)
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) {
				g.notify()
			}
			return nil, err
		}
		resp, err := fn(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryableTransport(err) || attempt >= g.opts.MaxAttempts {
				return nil, err
			}
			d := g.backoff(attempt)
			g.opts.Logger.WithFields(logrus.Fields{"attempt": attempt, "wait": d, "error": err.Error()}).Warn("hubspot call failed; retrying")
			if err := g.opts.Sleep(ctx, d); err != nil {
				return nil, err
			}
			attempt++
			continue
		}
		g.observe(resp, b, gr)
		if resp.StatusCode == http.StatusTooManyRequests {
			retry := g.limited(resp, b, gr, limited)
			g.notify()
			if !retry {
				return resp, nil
			}
			limited++
			drain(resp)
			continue
		}
		g.notify()
		wait, retry := g.decide(resp, attempt)
		if !retry {
			return resp, nil
		}
		drain(resp)
		g.opts.Logger.WithFields(logrus.Fields{"attempt": attempt, "status": resp.StatusCode, "wait": wait}).Warn("hubspot answered with a retryable status; retrying")
		if err := g.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		attempt++
	}
}

// limited handles a 429 answer to the call gr and says whether to send it
// again. The wait is proportional to what the answer says, and holds every
// caller of the budget: Retry-After when present; for SECONDLY, until the
// oldest of this process's calls of the last second leaves it; for
// TEN_SECONDLY_ROLLING, two places' worth of the window (window / max
// calls each), twice as long for every further 429 in a row, and no later
// than a window after the first of them.
// A DAILY 429 stops calls until the reset.
func (g *Governor) limited(resp *http.Response, b Budget, gr grant, retries int) bool {
	policy := peekPolicy(resp)
	ra, hasRA := retryAfter(resp.Header, g.opts.Now())
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()
	if policy == PolicyDaily {
		g.dailyBlocked = g.nextReset(now)
		g.dailyByServer = true
		g.dailyLeft = 0
		g.opts.Logger.WithField("until", g.dailyBlocked).Warn("hubspot daily limit reached; calls stop until it resets")
		return false
	}
	search := b&Search != 0
	paused := &g.burstPaused
	calls := g.burstCalls
	if search {
		paused, calls = &g.searchPaused, g.searchCalls
	}
	var until time.Time
	switch {
	case hasRA:
		until = now.Add(ra + g.jitter(ra/10))
	case policy == PolicySecondly || search:
		// Search 429s are secondly whatever they say. The oldest call of
		// the last second leaving it frees a place.
		until = now.Add(secondlyWait)
		for _, t := range calls {
			if t.After(now.Add(-secondlyWait)) {
				until = t.Add(secondlyWait)
				break
			}
		}
	default: // TEN_SECONDLY_ROLLING, or no policy on a burst call
		// The window is full now and the answer says no more. A place
		// frees when the oldest call in it leaves, one every window / max
		// calls on average: wait two of those, twice as long with every
		// 429 in a row, and never past a window after the first, so
		// that a window others keep full is asked seldom, and an answer
		// that is soon wrong costs little.
		// The next answer's X-HubSpot-RateLimit-Remaining tells how much
		// room there is.
		if g.limitedRun == 0 || !now.Before(g.limitedSince.Add(g.window)) {
			g.limitedRun, g.limitedSince = 0, now
		}
		g.limitedRun++
		d := g.window / time.Duration(max(g.burstMax, 1)) * 2 << min(g.limitedRun-1, 16)
		// Every call in the window at the first 429 has left it a window
		// later.
		until = now.Add(d + g.jitter(d/10))
		if end := g.limitedSince.Add(g.window); until.After(end) {
			until = end
		}
	}
	if !until.IsZero() {
		*paused = later(*paused, until)
	}
	g.opts.Logger.WithFields(logrus.Fields{"policy": policy, "until": until}).Warn("hubspot rate limit hit; slowing down")
	return retries < maxLimited
}

// decide looks at a non-429 response and says whether to retry it and
// after how long.
func (g *Governor) decide(resp *http.Response, attempt int) (time.Duration, bool) {
	if !retryStatus[resp.StatusCode] || attempt >= g.opts.MaxAttempts {
		return 0, false
	}
	wait := g.backoff(attempt)
	if ra, ok := retryAfter(resp.Header, g.opts.Now()); ok && ra > wait {
		wait = ra
	}
	if resp.StatusCode == http.StatusLocked && wait < lockedWait {
		wait = lockedWait
	}
	return wait, true
}

// backoff is the exponential delay before attempt+1, with jitter in [d/2, d).
func (g *Governor) backoff(attempt int) time.Duration {
	d := g.opts.BaseBackoff << (attempt - 1)
	if d <= 0 || d > g.opts.MaxBackoff {
		d = g.opts.MaxBackoff
	}
	return d/2 + g.jitter(d/2)
}

func (g *Governor) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(g.opts.Rand() * float64(d))
}

// acquire waits until b has room, then records the call and returns its
// grant.
func (g *Governor) acquire(ctx context.Context, b Budget) (grant, error) {
	for {
		if err := ctx.Err(); err != nil {
			return grant{}, err
		}
		wait, gr, err := g.reserveSlot(b)
		if err != nil {
			return grant{}, err
		}
		if wait <= 0 {
			// The local budget has room; the shared one, if any, must too.
			var inWindow int
			wait, inWindow, err = g.reserveShared(ctx, b, gr)
			if err != nil || wait > 0 {
				g.release(b, gr)
			}
			if err != nil {
				return grant{}, err
			}
			if wait <= 0 {
				if inWindow > 0 {
					gr.inWindow = inWindow
				}
				return gr, nil
			}
		}
		g.opts.Logger.WithField("wait", wait).Debug("waiting for hubspot rate budget")
		if err := g.opts.Sleep(ctx, wait); err != nil {
			return grant{}, err
		}
	}
}

// DailyBlockedUntil returns when the daily allowance resets if it is spent
// now (HubSpot answered a DAILY 429, or the calls left today are down to
// the reserve), so that every call would fail with a *LimitError until
// then; otherwise it returns the zero time. It makes no call.
func (g *Governor) DailyBlockedUntil() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, _ := g.dailyBlock(g.opts.Now())
	return until
}

// dailyBlock returns when calls may go again if the daily allowance is
// spent at now, and whether syncd stopped at its reserve rather than at
// HubSpot's own limit; the zero time when calls may go. A block whose
// reset has passed is lifted. g.mu must be held.
func (g *Governor) dailyBlock(now time.Time) (time.Time, bool) {
	if !g.dailyBlocked.IsZero() {
		if now.Before(g.dailyBlocked) {
			return g.dailyBlocked, !g.dailyByServer
		}
		g.dailyBlocked, g.dailyByServer, g.dailyLeft = time.Time{}, false, -1
	}
	if g.dailyLeft >= 0 && g.dailyLeft <= g.reserve() {
		g.dailyBlocked = g.nextReset(now)
		return g.dailyBlocked, true
	}
	return time.Time{}, false
}

// reserveSlot records a call when b has room and returns 0 and the record,
// or returns how long to wait before asking again.
//
// The window and the pace are two separate bounds. A window full of this
// process's own calls lets the next call go when its oldest call leaves;
// the pace's credit is not reset by that wait, so that the credit earned
// by time without calls (the short pauses of a sync between its steps and
// cycles) is spent when the window has room, up to the burst share at
// once, rather than lost: the window, not the pace, then sets the rate,
// and it is the rate HubSpot counts.
func (g *Governor) reserveSlot(b Budget) (time.Duration, grant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.opts.Now()

	if until, reserve := g.dailyBlock(now); !until.IsZero() {
		return 0, grant{}, &LimitError{Policy: PolicyDaily, Until: until, Reserve: reserve}
	}

	if b&Search != 0 {
		g.searchCalls = prune(g.searchCalls, now.Add(-searchWindow))
		var wait time.Duration
		switch {
		case now.Before(g.searchPaused):
			wait = g.searchPaused.Sub(now)
		case len(g.searchCalls) >= g.searchLimit():
			wait = g.searchCalls[len(g.searchCalls)-g.searchLimit()].Add(searchWindow).Sub(now)
		}
		if wait > 0 {
			return max(wait, minWait), grant{}, nil
		}
		g.searchCalls = append(g.searchCalls, now)
		return 0, g.grant(now, len(g.searchCalls), time.Time{}), nil
	}

	g.burstCalls = prune(g.burstCalls, now.Add(-g.window))
	if now.Before(g.burstPaused) {
		return max(g.burstPaused.Sub(now), minWait), grant{}, nil
	}
	foreign := g.foreignNow(now)
	if len(g.burstCalls) >= g.burstLimit()-foreign {
		return max(g.windowWait(now), minWait), grant{}, nil
	}
	interval, tolerance := g.pace()
	if wait := g.tat.Add(-tolerance).Sub(now); wait > 0 {
		return max(wait, minWait), grant{}, nil
	}
	prevTAT := g.tat
	g.tat = later(g.tat, now).Add(interval)
	g.burstCalls = append(g.burstCalls, now)
	gr := g.grant(now, len(g.burstCalls), prevTAT)
	gr.setTAT = g.tat
	return 0, gr, nil
}

// grant records the daily count of a call granted at now, with inWindow
// calls in its window; prevTAT is the pace before it, to restore when the
// call is taken back. g.mu must be held.
func (g *Governor) grant(now time.Time, inWindow int, prevTAT time.Time) grant {
	gr := grant{at: now, inWindow: inWindow, prevTAT: prevTAT}
	if g.dailyLeft > 0 {
		g.dailyLeft--
		gr.daily = true
	}
	return gr
}

// pace returns the interval between calls that spends the burst budget
// evenly over the window, and how far ahead of that pace calls may run
// (the burst share of the budget); interval 0 when BurstShare is 1 and
// only the window counts. Other integrations' use does not slow the pace:
// it shrinks the window's room instead. g.mu must be held.
func (g *Governor) pace() (interval, tolerance time.Duration) {
	if g.opts.BurstShare >= 1 {
		return 0, 0
	}
	limit := g.burstLimit()
	interval = g.window / time.Duration(limit)
	burst := max(1, int(math.Floor(float64(limit)*g.opts.BurstShare)))
	return interval, interval * time.Duration(burst-1)
}

// foreignNow returns the calls other integrations are taken to hold in the
// window at now: the last count worked out from HubSpot's headers, less
// the share of the window that has passed since. g.mu must be held.
func (g *Governor) foreignNow(now time.Time) int {
	if g.foreign <= 0 || g.foreignAt.IsZero() {
		return 0
	}
	age := now.Sub(g.foreignAt)
	if age >= g.window {
		return 0
	}
	// ceil(foreign × (window - age) / window), in integers so that
	// windowWait's instants agree with it exactly.
	left, w := int64(g.window-max(age, 0)), int64(g.window)
	return int((int64(g.foreign)*left + w - 1) / w)
}

// windowWait returns how long until the burst window has room for one more
// call: until enough of this process's oldest calls have left it, or other
// integrations' calls have, whichever comes first. g.mu must be held.
func (g *Governor) windowWait(now time.Time) time.Duration {
	limit := g.burstLimit()
	n := len(g.burstCalls)
	best := time.Duration(-1)
	// Other integrations' calls leave first.
	if k := limit - 1 - n; k >= 0 && g.foreign > k {
		// foreignNow is at most k once age ≥ window × (foreign - k) / foreign.
		f := int64(g.foreign)
		age := (int64(g.window)*(f-int64(k)) + f - 1) / f
		best = g.foreignAt.Add(time.Duration(age)).Sub(now)
	}
	// This process's oldest calls leave first.
	for i, t := range g.burstCalls {
		at := t.Add(g.window)
		if n-(i+1)+g.foreignNow(at) < limit {
			if d := at.Sub(now); best < 0 || d < best {
				best = d
			}
			break
		}
	}
	if best < 0 {
		best = g.foreignAt.Add(g.window).Sub(now)
	}
	return best
}

// sawRemaining records what a successful response to the call gr said
// about the burst window: max calls allowed and remaining left. The calls in it that were
// not syncd's (this process's, or every process's with a ledger) are
// other integrations'. Only the newest call's answer counts, since
// answers may arrive out of order. g.mu must be held.
func (g *Governor) sawRemaining(gr grant, maxv, remaining int) {
	if gr.at.IsZero() || gr.at.Before(g.foreignAt) {
		return
	}
	g.foreign = max(0, maxv-remaining-gr.inWindow)
	g.foreignAt = gr.at
}

// observe tunes the budgets from the rate-limit headers of the answer to
// the call gr.
func (g *Governor) observe(resp *http.Response, b Budget, gr grant) {
	h := resp.Header
	maxv, okMax := headerInt(h, HeaderMax)
	rem, okRem := headerInt(h, HeaderRemaining)
	iv, okIv := headerInt(h, HeaderInterval)
	daily, okDaily := headerInt(h, HeaderDaily)
	dleft, okDleft := headerInt(h, HeaderDailyRemaining)
	g.mu.Lock()
	defer g.mu.Unlock()
	if b&Search == 0 {
		if okMax && maxv > 0 {
			g.burstMax = maxv
		}
		if okIv && iv > 0 {
			g.window = time.Duration(iv) * time.Millisecond
		}
		if okRem && resp.StatusCode != http.StatusTooManyRequests {
			g.sawRemaining(gr, g.burstMax, rem)
		}
		if okRem {
			g.reportedLeft = rem
		}
		if resp.StatusCode < 300 {
			g.limitedRun = 0
		}
	}
	if okDaily && daily > 0 {
		g.dailyLimit = daily
	}
	if okDleft {
		g.dailyLeft = dleft
	}
}

// nextReset is the next midnight in the account's time zone.
func (g *Governor) nextReset(now time.Time) time.Time {
	t := now.In(g.opts.Location)
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, g.opts.Location)
}

func prune(calls []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(calls) && !calls[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return calls
	}
	return append(calls[:0], calls[i:]...)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// peekPolicy reads the policyName of a 429 body and puts the body back.
func peekPolicy(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyPeek))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	var body struct {
		PolicyName string `json:"policyName"`
		Message    string `json:"message"`
	}
	if json.Unmarshal(data, &body) != nil {
		return ""
	}
	if body.PolicyName == "" && body.Message == "You have reached your secondly limit." {
		// Search 429s may carry the message without a policy name.
		return PolicySecondly
	}
	return body.PolicyName
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyPeek))
		resp.Body.Close()
	}
}

// retryableTransport reports whether a failed round trip is worth repeating:
// timeouts, refused or reset connections, and connections closed mid-answer.
// Errors such as a malformed URL are not.
func retryableTransport(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return true
		}
		var ne net.Error
		return errors.As(ue.Err, &ne)
	}
	var ne net.Error
	return errors.As(err, &ne)
}
