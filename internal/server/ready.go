package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/hubspot"
)

// Check is a readiness check of a feature beside the sync (an inbox poll,
// say): Run returns nil when the feature is fine, else an error that says
// why. It must return within the probe's timeout.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// CheckResult is one check of /readyz.
type CheckResult struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what was found, in words that reveal nothing of the
	// setup, so that every prober may read it.
	Detail string `json:"detail"`
	// Error is the underlying error, shown only to requests from this
	// machine or with the access token; omitted otherwise and when none.
	Error string `json:"error,omitempty"`
}

// Readiness is the body of /readyz; its keys are a contract
// (docs/operations.md).
type Readiness struct {
	// Status is "ready", "not ready" or "stopping".
	Status string `json:"status"`
	Ready  bool   `json:"ready"`
	// Checks are database, token, cycle, then Options.Checks, in order.
	Checks []CheckResult `json:"checks"`
	At     time.Time     `json:"at"`
}

// tokenFresh is how long HubSpot's last answer vouches for the token; a
// probe after that checks it again (one account-details call, in the
// background).
const tokenFresh = 5 * time.Minute

// tokenState is what HubSpot's answers said of the token.
type tokenState int

const (
	tokenUnknown tokenState = iota
	tokenAccepted
	tokenRefused
)

// health is what the hooks tell the probes.
type health struct {
	mu       sync.Mutex
	running  *daemon.Cycle // the cycle running now
	last     *daemon.Cycle // the last cycle that finished
	stopping bool

	token     tokenState
	tokenAt   time.Time // HubSpot's last answer that said something of the token
	tokenErr  string
	verifying bool
}

func (h *health) cycleStarted(c daemon.Cycle) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = &c
}

func (h *health) cycleFinished(c daemon.Cycle) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running, h.last = nil, &c
}

func (h *health) stop(time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopping = true
}

// callMade reads the token's fate from an answer: 401 refuses it; any
// other answer but a server error means HubSpot took it (a 403 is a token
// without a scope, which the cycle reports).
func (h *health) callMade(c hubspot.Call) {
	if c.Status == 0 || c.Status >= 500 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokenAt = time.Now()
	if c.Status == http.StatusUnauthorized {
		h.token, h.tokenErr = tokenRefused, "HubSpot answered 401 to "+c.Operation
	} else {
		h.token, h.tokenErr = tokenAccepted, ""
	}
}

// CheckToken asks HubSpot whether it accepts the token, with one
// account-details call (Options.Account), and records the answer for the
// probes; it returns what it recorded. The endpoint calls it when it
// starts and whenever no answer has vouched for the token for a while.
func (s *Server) CheckToken(ctx context.Context) error {
	if s.o.Account == nil {
		return nil
	}
	acc, err := s.o.Account(ctx)
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	var he *hubspot.Error
	switch {
	case err == nil:
		h.token, h.tokenErr, h.tokenAt = tokenAccepted, "", time.Now()
		if acc != nil && acc.UIDomain != "" {
			s.uiDomain.Store(acc.UIDomain)
		}
	case errors.As(err, &he) && he.StatusCode == http.StatusUnauthorized:
		h.token, h.tokenErr, h.tokenAt = tokenRefused, err.Error(), time.Now()
	case errors.As(err, &he) && he.StatusCode < 500 && he.StatusCode != http.StatusTooManyRequests:
		// Answered, so authenticated: a scope problem is the cycle's to
		// report.
		h.token, h.tokenErr, h.tokenAt = tokenAccepted, "", time.Now()
	default:
		// No answer that says anything of the token: keep what is known.
		return err
	}
	if h.token == tokenRefused {
		return err
	}
	return nil
}

// verifyTokenSoon starts CheckToken in the background unless one runs or
// an answer vouched for the token lately.
func (s *Server) verifyTokenSoon() {
	h := &s.health
	h.mu.Lock()
	due := s.o.Account != nil && !h.verifying && (h.token == tokenUnknown || time.Since(h.tokenAt) > tokenFresh)
	if due {
		h.verifying = true
	}
	h.mu.Unlock()
	if !due {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.CheckToken(ctx); err != nil {
			s.log.WithError(err).Debug("readiness: HubSpot token check")
		}
		h.mu.Lock()
		h.verifying = false
		h.mu.Unlock()
	}()
}

// staleAfter is how long after the last cycle ended syncd is no longer
// ready: three periods of the schedule, at least a minute. A cycle that
// runs longer keeps it ready for up to the lease, the time it may hold its
// rows.
func (s *Server) staleAfter(now time.Time) (idle, running time.Duration) {
	idle = s.o.StaleAfter
	if idle <= 0 && s.o.Schedule != nil {
		next := s.o.Schedule.Next(now)
		idle = 3 * s.o.Schedule.Next(next).Sub(next)
	}
	idle = max(idle, time.Minute)
	return idle, max(idle, s.o.Lease)
}

// readiness runs the checks. detail adds the underlying errors.
func (s *Server) readiness(ctx context.Context, detail bool) Readiness {
	now := s.o.Now()
	out := Readiness{At: now.UTC()}
	add := func(name string, ok bool, words string, err error) {
		c := CheckResult{Name: name, OK: ok, Detail: words}
		if detail && err != nil {
			c.Error = err.Error()
		}
		out.Checks = append(out.Checks, c)
	}

	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	lvl, err := s.o.Store.SchemaLevel(dctx)
	cancel()
	switch {
	case err != nil:
		add("database", false, "the database does not answer", err)
	case !lvl.Migrated():
		add("database", false, fmt.Sprintf("the schema is at migration %d of %d: run 'syncd migrate up'", lvl.Current, lvl.Latest), nil)
	default:
		add("database", true, fmt.Sprintf("reachable, at migration %d of %d", lvl.Current, lvl.Latest), nil)
	}

	s.verifyTokenSoon()
	h := &s.health
	h.mu.Lock()
	token, tokenErr := h.token, h.tokenErr
	running, last, stopping := h.running, h.last, h.stopping
	h.mu.Unlock()
	switch token {
	case tokenAccepted:
		add("token", true, "HubSpot accepts the token", nil)
	case tokenRefused:
		add("token", false, "HubSpot refused the token (401): check HUBSPOT_TOKEN or hubspot.token_file", errors.New(tokenErr))
	default:
		add("token", false, "HubSpot has not answered yet", nil)
	}

	idle, long := s.staleAfter(now)
	switch {
	case last == nil && running == nil:
		add("cycle", false, "no sync cycle has run yet", nil)
	case last == nil:
		ok := now.Sub(running.Started) <= long
		add("cycle", ok, fmt.Sprintf("the first sync cycle has run for %s", now.Sub(running.Started).Round(time.Second)), nil)
	case last.Err != nil:
		add("cycle", false, fmt.Sprintf("the last sync cycle, ended %s ago, failed as a whole", now.Sub(last.Finished).Round(time.Second)), last.Err)
	case running != nil && now.Sub(running.Started) <= long:
		add("cycle", true, fmt.Sprintf("a sync cycle has run for %s", now.Sub(running.Started).Round(time.Second)), nil)
	case now.Sub(last.Finished) > idle:
		add("cycle", false, fmt.Sprintf("the last sync cycle ended %s ago, more than %s (three schedule periods)", now.Sub(last.Finished).Round(time.Second), idle), nil)
	default:
		add("cycle", true, fmt.Sprintf("the last sync cycle ended %s ago", now.Sub(last.Finished).Round(time.Second)), nil)
	}

	for _, c := range s.o.Checks {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.Run(cctx)
		cancel()
		if err != nil {
			add(c.Name, false, "failed", err)
		} else {
			add(c.Name, true, "ok", nil)
		}
	}

	out.Ready = !stopping
	for _, c := range out.Checks {
		out.Ready = out.Ready && c.OK
	}
	switch {
	case stopping:
		out.Status = "stopping"
	case out.Ready:
		out.Status = "ready"
	default:
		out.Status = "not ready"
	}
	return out
}
