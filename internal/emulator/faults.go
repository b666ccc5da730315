package emulator

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// FaultConfig injects failures into HubSpot routes. The sequence of
// failures is fixed by Seed: the same requests in the same order fail the
// same way.
type FaultConfig struct {
	Seed  uint64      `json:"seed"`
	Rules []FaultRule `json:"rules"`
}

// FaultRule applies to requests whose "METHOD /route/template" (as in
// Stats.ByRoute) matches Route, where * matches anything; an empty Route
// matches every HubSpot route. The first matching rule wins.
type FaultRule struct {
	Route string `json:"route"`
	// Rate is the share (0..1) of matching requests answered with one of
	// Statuses instead of being served.
	Rate float64 `json:"rate"`
	// Statuses to answer with, chosen at random: 429, 500, 502, 503 or 504.
	// Default 500.
	Statuses []int `json:"statuses,omitempty"`
	// DropRate is the share (0..1) of matching requests whose connection is
	// closed without an answer.
	DropRate float64 `json:"dropRate"`
	// Latency is added before each matching request is answered.
	Latency Duration `json:"latency"`
}

var faultStatuses = map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true}

// validate checks statuses and shares.
func (fc FaultConfig) validate() error {
	for i, r := range fc.Rules {
		if r.Rate < 0 || r.Rate > 1 || r.DropRate < 0 || r.DropRate > 1 || r.Rate+r.DropRate > 1 {
			return fmt.Errorf("fault rule %d: rate and dropRate must be shares between 0 and 1 that add up to at most 1", i)
		}
		for _, st := range r.Statuses {
			if !faultStatuses[st] {
				return fmt.Errorf("fault rule %d: status %d is not one of 429, 500, 502, 503, 504", i, st)
			}
		}
		if r.Latency.Duration < 0 {
			return fmt.Errorf("fault rule %d: latency must not be negative", i)
		}
	}
	return nil
}

type faultInjector struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rules []FaultRule
	res   []*regexp.Regexp
}

func newFaultInjector(fc FaultConfig) *faultInjector {
	f := &faultInjector{rng: rand.New(rand.NewPCG(fc.Seed, fc.Seed^0x9e3779b97f4a7c15)), rules: fc.Rules}
	for _, r := range fc.Rules {
		pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(r.Route), `\*`, ".*") + "$"
		if r.Route == "" {
			pat = ".*"
		}
		f.res = append(f.res, regexp.MustCompile(pat))
	}
	return f
}

// apply runs the first rule matching key. It reports whether it answered
// (or dropped) the request, in which case the route is not served.
func (f *faultInjector) apply(ctx context.Context, s *Server, w http.ResponseWriter, key string) bool {
	if len(f.rules) == 0 {
		return false
	}
	idx := -1
	for i, re := range f.res {
		if re.MatchString(key) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return false
	}
	r := f.rules[idx]
	f.mu.Lock()
	roll := f.rng.Float64()
	pick := 0
	if len(r.Statuses) > 1 {
		pick = f.rng.IntN(len(r.Statuses))
	}
	f.mu.Unlock()
	if r.Latency.Duration > 0 {
		t := time.NewTimer(r.Latency.Duration)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return true
		}
	}
	switch {
	case roll < r.DropRate:
		// ErrAbortHandler makes net/http close the connection without an
		// answer and without logging a panic.
		panic(http.ErrAbortHandler)
	case roll < r.DropRate+r.Rate:
		status := 500
		if len(r.Statuses) > 0 {
			status = r.Statuses[pick]
		}
		writeFault(s, w, status)
		return true
	}
	return false
}

// writeFault answers like HubSpot's edge: JSON for 429, 500 and 503, an
// HTML gateway page for 502 and 504.
func writeFault(s *Server, w http.ResponseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		// Injected 429s name the first app's group.
		s.writeJSON(w, status, s.tenSecondlyBody(firstAppID))
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, fmt.Sprintf("<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>",
			status, http.StatusText(status), status, http.StatusText(status)))
	case http.StatusServiceUnavailable:
		s.writeError(w, newError(status, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."))
	default:
		s.writeError(w, newError(status, "INTERNAL_ERROR", "internal error"))
	}
}
