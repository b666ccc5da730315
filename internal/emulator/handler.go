package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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

// UserHeader is the emulator's extension header that makes a public API
// request act as a HubSpot user, as a change made in HubSpot's UI: its
// value is the user ID the writes record in hs_updated_by_user_id (and
// hs_created_by_user_id on create), with source CRM_UI. Writes without it
// are an integration's: they clear hs_updated_by_user_id, and their
// source is API. HubSpot itself ignores the header.
const UserHeader = "X-Emulator-User-Id"

// serve runs the route's handler with the state locked, so that each
// operation reads and changes the state as one step and handlers need no
// locking of their own.
func (c *call) serve() (int, any) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if u := c.r.Header.Get(UserHeader); u != "" {
		if n, err := strconv.ParseInt(u, 10, 64); err != nil || n <= 0 {
			return 0, validationError(fmt.Sprintf("%s must be a HubSpot user ID (a positive integer), got %q", UserHeader, u))
		}
	}
	c.s.actor = c.r.Header.Get(UserHeader)
	defer func() { c.s.actor = "" }()
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
