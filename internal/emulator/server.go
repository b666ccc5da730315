package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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

	mu sync.Mutex // guards st; held while a route's handler runs
	st *state

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

// call is one request being served.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	route  *route
	params map[string]string
	ver    string // 2026-09, 2026-03, v3 or v4
	body   []byte
}

// param returns a path parameter.
func (c *call) param(name string) string { return c.params[name] }

// decode reads the JSON body into v. An empty body decodes as {}.
func (c *call) decode(v any) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return invalidJSON(err)
	}
	return nil
}

// handlerFunc serves a matched route. It returns the HTTP status and a body
// to encode as JSON (nil for none), or an *apiError.
type handlerFunc func(c *call) (int, any)

// correlationID returns a deterministic UUID-shaped ID.
func (s *Server) correlationID() string {
	n := s.corr.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(s.portalID), uint16(n>>48), uint16(n>>36)&0xfff, uint16(n>>24)&0xfff, n&0xffffffffffff)
}

// ServeHTTP routes a request: control routes first (no auth, not counted),
// then auth, limits, faults and the HubSpot route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		s.serveControl(w, r)
		return
	}
	rt, params := matchRoute(r.Method, r.URL.EscapedPath())
	key := r.Method + " " + r.URL.Path
	if rt != nil {
		key = r.Method + " " + rt.template
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() { s.stats.record(key, rec.status) }()
	w = rec

	if rt == nil {
		// HubSpot answers unknown routes with an HTML 404.
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<html><body><h1>404 Not Found</h1></body></html>")
		return
	}
	token, ok := bearer(r)
	if !ok || (s.tokens != nil && !s.tokens[token]) {
		w.Header().Set("x-hubspot-auth-failure", "401 Unauthorized")
		s.writeError(w, authError())
		return
	}
	cfg := s.Config()
	var limited *rateLimitBody
	if !cfg.DisableRateLimits {
		limited = s.limits.admit(s, w.Header(), cfg.Tier, token, rt.search)
	}
	if cfg.Latency.Duration > 0 {
		if err := s.sleep(r.Context(), cfg.Latency.Duration); err != nil {
			// The client went away; nobody reads an answer.
			return
		}
	}
	if limited != nil {
		s.writeJSON(w, http.StatusTooManyRequests, limited)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		s.writeError(w, validationError("could not read the request body"))
		return
	}
	c := &call{s: s, w: w, r: r, route: rt, params: params, ver: rt.version, body: body}
	if rt.scopes != nil && s.scopes != nil {
		if granted, listed := s.scopes[token]; listed {
			if req := rt.scopes(c); req != nil && !req.satisfiedBy(granted) {
				s.writeError(w, scopeError(req.list()))
				return
			}
		}
	}
	s.cfgMu.Lock()
	faults := s.faults
	s.cfgMu.Unlock()
	if faults.apply(r.Context(), s, w, key) {
		return
	}
	status, out := c.serve()
	if e, ok := out.(*apiError); ok {
		s.writeError(w, e)
		return
	}
	if out == nil || status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	s.writeJSON(w, status, out)
}

// serve runs the route's handler with the state locked, so that each
// operation reads and changes the state as one step and handlers need no
// locking of their own.
func (c *call) serve() (int, any) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.route.handler(c)
}

// bearer returns the bearer token of r.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(h[7:])
	return tok, tok != ""
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.CorrelationID == "" {
		e.CorrelationID = s.correlationID()
	}
	s.writeJSON(w, e.httpStatus, e)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	// HubSpot sends &, < and > as they are, not as \u0026 escapes.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}`)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("X-HubSpot-Correlation-Id", s.correlationID())
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// statusRecorder remembers the status written, for statistics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection for dropped
// connection faults.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// timestamp formats t as HubSpot does: UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
