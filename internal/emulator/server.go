package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value is a professional-tier portal
// that accepts any bearer token, with no search lag and the real clock.
type Options struct {
	// Tier is "free", "starter", "professional" (default), "enterprise" or
	// "limit_pack"; it sets the burst and daily limits. An unknown tier acts
	// as professional (SetConfig and PUT /_emulator/config refuse one).
	Tier string
	// SearchLag is how long a write stays invisible to search. GET and batch
	// read see writes at once. Default 0.
	SearchLag time.Duration
	// Latency is added to every HubSpot request (control routes excepted)
	// after the rate limits have counted it and before it is served, as
	// HubSpot's network and processing time. Default 0.
	Latency time.Duration
	// Sleep waits for Latency; default a timer on the real clock. It must
	// return early with ctx.Err() when ctx is done. Tests inject a clock's.
	Sleep func(ctx context.Context, d time.Duration) error
	// Tokens are the accepted bearer tokens; empty accepts any non-empty token.
	Tokens []string
	// Scopes optionally restricts tokens to scopes: a token listed here gets
	// only these scopes and a 403 MISSING_SCOPES beyond them; a token not
	// listed has every scope.
	Scopes map[string][]string
	// PortalID is the account's ID, default 12345678.
	PortalID int64
	// Now is the clock, default time.Now. Rate windows, timestamps and the
	// search lag all read it.
	Now func() time.Time
	// DisableRateLimits turns off burst, search and daily limits and their
	// headers, for bulk tests that are not about limits.
	DisableRateLimits bool
	// DealAmountFromLineItems makes a deal's amount follow the sum of its
	// line items' amounts, like the portal setting. Default off, as HubSpot
	// does not document recomputing it for API writes.
	DealAmountFromLineItems bool
	// Faults injects failures; see FaultConfig.
	Faults FaultConfig
}

// DefaultPortalID is the portal ID of an emulator without Options.PortalID.
const DefaultPortalID = 12345678

// Server is an in-memory HubSpot. It implements http.Handler; use it with
// httptest.NewServer or ListenAndServe. It is safe for concurrent use.
type Server struct {
	portalID int64
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	tokens   map[string]bool
	scopes   map[string]map[string]bool

	cfgMu sync.Mutex
	cfg   Config

	mu sync.Mutex // guards st and actor; held while a route's handler runs
	// actor is the HubSpot user the running request acts as (UserHeader),
	// empty for an integration's write.
	actor string
	st    *state

	limits *limiter
	faults *faultInjector
	stats  *statsCounter

	corr atomic.Uint64
}

// New returns a Server with seeded default properties and pipelines.
func New(opts Options) *Server {
	s := &Server{portalID: opts.PortalID, now: opts.Now, sleep: opts.Sleep}
	if s.sleep == nil {
		s.sleep = sleepReal
	}
	if s.portalID == 0 {
		s.portalID = DefaultPortalID
	}
	if s.now == nil {
		s.now = time.Now
	}
	if len(opts.Tokens) > 0 {
		s.tokens = map[string]bool{}
		for _, t := range opts.Tokens {
			s.tokens[t] = true
		}
	}
	if len(opts.Scopes) > 0 {
		s.scopes = map[string]map[string]bool{}
		for tok, list := range opts.Scopes {
			m := map[string]bool{}
			for _, sc := range list {
				m[sc] = true
			}
			s.scopes[tok] = m
		}
	}
	tier := opts.Tier
	if _, ok := tiers[tier]; !ok {
		tier = "professional"
	}
	s.cfg = Config{
		Tier:                    tier,
		SearchLag:               Duration{opts.SearchLag},
		Latency:                 Duration{opts.Latency},
		DisableRateLimits:       opts.DisableRateLimits,
		DealAmountFromLineItems: opts.DealAmountFromLineItems,
		Faults:                  opts.Faults,
	}
	s.limits = newLimiter()
	s.faults = newFaultInjector(opts.Faults)
	s.stats = newStatsCounter()
	s.st = newState(s.now())
	return s
}

// Reset drops every record, association, custom property, custom pipeline
// and custom association label, restarts ID counters, rate windows, the
// daily count and statistics. The configuration (tier, lag, faults) stays.
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newState(s.now())
	s.mu.Unlock()
	s.limits.reset()
	s.stats.reset()
	s.cfgMu.Lock()
	s.faults = newFaultInjector(s.cfg.Faults)
	s.cfgMu.Unlock()
}

// ListenAndServe serves s's HubSpot on addr until ctx ends. ready, when not
// nil, is called with the base URL once the listener is open.
func ListenAndServe(ctx context.Context, addr string, opts Options, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: New(opts), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	select {
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// sleepReal waits d on the real clock or until ctx is done.
func sleepReal(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
