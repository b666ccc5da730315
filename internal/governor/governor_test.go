package governor_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// HubSpot's 429 bodies, byte for byte as captured (objects.md §10.3).
const (
	bodyTenSecondly = `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-7d61-4c3e-b63f-edf486fc6e90","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}`
	bodyDaily       = `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa-0000-0000-0000-000000000000","policyName":"DAILY","requestId":"3d3e35b7-0000-0000-0000-000000000000"}`
	bodySecondly    = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c1","groupName":"publicapi:hapikey-secondly:2431623","policyName":"SECONDLY","requestId":"r1"}`
	bodySearch429   = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c2"}`
)

// newClock returns a fake clock whose Sleep advances it at once and
// records every wait.
func newClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
}

type reply struct {
	status  int
	body    string
	headers map[string]string
}

// script serves the replies in order, then 200 {} forever, and counts calls.
type script struct {
	mu      sync.Mutex
	replies []reply
	calls   atomic.Int32
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	s.mu.Lock()
	rep := reply{status: 200, body: `{}`}
	if len(s.replies) > 0 {
		rep, s.replies = s.replies[0], s.replies[1:]
	}
	s.mu.Unlock()
	for k, v := range rep.headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func newGov(t *testing.T, c *fakeclock.Clock, opts governor.Options) *governor.Governor {
	t.Helper()
	opts.Now, opts.Sleep = c.Now, c.Sleep
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0 }
	}
	g, err := governor.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func get(srv *httptest.Server) func(ctx context.Context) (*http.Response, error) {
	return func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			return nil, err
		}
		return srv.Client().Do(req)
	}
}

func do(t *testing.T, g *governor.Governor, b governor.Budget, srv *httptest.Server) (*http.Response, error) {
	t.Helper()
	resp, err := g.Do(context.Background(), b, get(srv))
	if resp != nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

// serve serves h until the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// calls makes n calls of budget b through g, each of which must succeed.
func calls(t *testing.T, g *governor.Governor, b governor.Budget, srv *httptest.Server, n int) {
	t.Helper()
	for range n {
		if _, err := do(t, g, b, srv); err != nil {
			t.Fatal(err)
		}
	}
}

// callsWithinBudget makes n calls of budget b, none of which may wait on
// c, the governor's clock.
func callsWithinBudget(t *testing.T, c *fakeclock.Clock, g *governor.Governor, b governor.Budget, srv *httptest.Server, n int) {
	t.Helper()
	calls(t, g, b, srv, n)
	if len(c.Waits()) != 0 {
		t.Fatalf("waited %v within the budget of %d calls", c.Waits(), n)
	}
}

func equalWaits(t *testing.T, got []time.Duration, want ...time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v", got, want)
		}
	}
}

// ceilDiv is d / n rounded up to the nanosecond, as the governor rounds
// its waits.
func ceilDiv(d time.Duration, n int64) time.Duration {
	return (d + time.Duration(n) - 1) / time.Duration(n)
}

func TestRetryDecisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		budget    governor.Budget
		replies   []reply
		wantCalls int32
		wantCode  int
		wantWaits []time.Duration
		attempts  int // MaxAttempts; default 3
	}{
		{
			// A place in HubSpot's window frees every 10 s / 190 on
			// average: the call goes again after two, not a window.
			name:      "ten-secondly 429 waits two places of the window",
			budget:    governor.Burst,
			replies:   []reply{{429, bodyTenSecondly, nil}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{10 * time.Second / 190 * 2},
		},
		{
			// 105 ms, 211 ms, 421 ms, 842 ms, 1.68 s, 3.37 s, then the
			// rest of the window after the first 429: every call in it
			// has then left.
			name:   "ten-secondly 429s in a row wait twice as long, up to a window after the first",
			budget: governor.Burst,
			replies: []reply{{429, bodyTenSecondly, nil}, {429, bodyTenSecondly, nil}, {429, bodyTenSecondly, nil},
				{429, bodyTenSecondly, nil}, {429, bodyTenSecondly, nil}, {429, bodyTenSecondly, nil}, {429, bodyTenSecondly, nil}},
			wantCalls: 8, wantCode: 200,
			wantWaits: []time.Duration{10 * time.Second / 190 * 2, 10 * time.Second / 190 * 4, 10 * time.Second / 190 * 8,
				10 * time.Second / 190 * 16, 10 * time.Second / 190 * 32, 10 * time.Second / 190 * 64, 10*time.Second - 10*time.Second/190*126},
		},
		{
			name:   "window length comes from the interval header",
			budget: governor.Burst,
			replies: []reply{{429, bodyTenSecondly, map[string]string{
				governor.HeaderInterval: "5000", governor.HeaderMax: "190", governor.HeaderRemaining: "0",
			}}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{5 * time.Second / 190 * 2},
		},
		{
			name:      "a ten-secondly 429 does not use up an attempt",
			budget:    governor.Burst,
			replies:   []reply{{429, bodyTenSecondly, nil}},
			attempts:  1,
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{10 * time.Second / 190 * 2},
		},
		{
			name:      "Retry-After wins over the policy",
			budget:    governor.Burst,
			replies:   []reply{{429, bodyTenSecondly, map[string]string{"Retry-After": "3"}}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{3 * time.Second},
		},
		{
			name:      "secondly 429 waits one second",
			budget:    governor.Burst,
			replies:   []reply{{429, bodySecondly, nil}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "search 429 without policy waits one second",
			budget:    governor.Search,
			replies:   []reply{{429, bodySearch429, nil}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "5xx backs off exponentially",
			budget:    governor.Burst,
			replies:   []reply{{503, `{}`, nil}, {502, ``, nil}, {500, `{}`, nil}},
			wantCalls: 4, wantCode: 200, attempts: 5,
			// Rand 0: half of 500ms, 1s, 2s.
			wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second},
		},
		{
			name:      "5xx gives up after MaxAttempts and returns the last answer",
			budget:    governor.Burst,
			replies:   []reply{{503, `{}`, nil}, {503, `{}`, nil}, {504, `{}`, nil}, {503, `{}`, nil}},
			wantCalls: 3, wantCode: 504,
			wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond},
		},
		{
			name:      "423 Locked waits at least two seconds",
			budget:    governor.Burst,
			replies:   []reply{{423, `{}`, nil}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{2 * time.Second},
		},
		{
			name:      "5xx honours a longer Retry-After",
			budget:    governor.Burst,
			replies:   []reply{{503, `{}`, map[string]string{"Retry-After": "7"}}},
			wantCalls: 2, wantCode: 200,
			wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name:      "400 is not retried",
			budget:    governor.Burst,
			replies:   []reply{{400, `{"category":"VALIDATION_ERROR"}`, nil}},
			wantCalls: 1, wantCode: 400,
		},
		{
			name:      "477 is not retried",
			budget:    governor.Burst,
			replies:   []reply{{477, `{}`, map[string]string{"Retry-After": "3600"}}},
			wantCalls: 1, wantCode: 477,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &script{replies: tt.replies}
			srv := serve(t, s)
			c := newClock()
			if tt.attempts == 0 {
				tt.attempts = 3
			}
			g := newGov(t, c, governor.Options{Tier: "professional", MaxAttempts: tt.attempts})
			resp, err := do(t, g, tt.budget, srv)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if got := s.calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			equalWaits(t, c.Waits(), tt.wantWaits...)
		})
	}
}

func TestReturnedBodyIsReadable(t *testing.T) {
	t.Parallel()
	srv := serve(t, &script{replies: []reply{{429, bodyDaily, nil}}})
	g := newGov(t, newClock(), governor.Options{})
	resp, err := do(t, g, governor.Burst, srv)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	if string(data) != bodyDaily {
		t.Errorf("body = %q, want HubSpot's body untouched", data)
	}
}

func TestDailyLimitStopsUntilMidnight(t *testing.T) {
	t.Parallel()
	s := &script{replies: []reply{{429, bodyDaily, nil}}}
	srv := serve(t, s)
	c := newClock()
	bangkok := time.FixedZone("ICT", 7*3600)
	g := newGov(t, c, governor.Options{Location: bangkok})
	if u := g.DailyBlockedUntil(); !u.IsZero() {
		t.Fatalf("DailyBlockedUntil before any call = %v, want zero", u)
	}

	resp, err := do(t, g, governor.Burst, srv)
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("first call: %v, %v; want the 429 back, not retried", resp, err)
	}
	if u, want := g.DailyBlockedUntil(), time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC); !u.Equal(want) {
		t.Fatalf("DailyBlockedUntil after the DAILY 429 = %v, want %v", u, want)
	}
	for range 3 {
		_, err = do(t, g, governor.Burst, srv)
		var le *governor.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("err = %v, want *LimitError", err)
		}
		// 08:00 UTC is 15:00 in Bangkok; the next midnight there is 17:00 UTC.
		if want := time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC); !le.Until.Equal(want) || le.Reserve {
			t.Fatalf("LimitError = %+v, want Until %v from HubSpot's limit", le, want)
		}
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("calls = %d, want 1: no retry storm", got)
	}
	if len(c.Waits()) != 0 {
		t.Errorf("waits = %v, want none", c.Waits())
	}
	c.Advance(9 * time.Hour)
	if u := g.DailyBlockedUntil(); !u.IsZero() {
		t.Fatalf("DailyBlockedUntil after midnight = %v, want zero", u)
	}
	if resp, err := do(t, g, governor.Burst, srv); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after midnight: %v, %v; want 200", resp, err)
	}
}

func TestDailyReserve(t *testing.T) {
	t.Parallel()
	hdr := func(left string) map[string]string {
		return map[string]string{governor.HeaderDaily: "1000", governor.HeaderDailyRemaining: left}
	}
	s := &script{replies: []reply{{200, `{}`, hdr("201")}, {200, `{}`, hdr("200")}}}
	srv := serve(t, s)
	c := newClock()
	g := newGov(t, c, governor.Options{DailyReserve: 0.2})
	if _, err := do(t, g, governor.Burst, srv); err != nil {
		t.Fatal(err)
	}
	if u := g.DailyBlockedUntil(); !u.IsZero() {
		t.Fatalf("DailyBlockedUntil with 201 left = %v, want zero", u)
	}
	// 201 left, 200 reserved: one more call, then stop.
	if _, err := do(t, g, governor.Burst, srv); err != nil {
		t.Fatal(err)
	}
	if u := g.DailyBlockedUntil(); u.IsZero() {
		t.Fatal("DailyBlockedUntil at the reserve is zero, want the next midnight")
	}
	_, err := do(t, g, governor.Burst, srv)
	var le *governor.LimitError
	if !errors.As(err, &le) || !le.Reserve {
		t.Fatalf("err = %v, want *LimitError at the reserve", err)
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("calls = %d, want 2", got)
	}
	if l := g.Limits(); l.DailyLimit != 1000 || l.Reserve != 200 {
		t.Errorf("Limits = %+v", l)
	}
}

func TestBurstBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tier string
		want int // calls before the first wait: the tier's limit × 0.9
	}{
		{"free", 90},
		{"starter", 90},
		{"professional", 171},
		{"enterprise", 171},
		{"limit_pack", 225},
	}
	for _, tt := range tests {
		t.Run(tt.tier, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, &script{})
			c := newClock()
			g := newGov(t, c, governor.Options{Tier: tt.tier, BurstShare: 1})
			callsWithinBudget(t, c, g, governor.Burst, srv, tt.want)
			// Search has its own budget and is not held up by the burst one.
			callsWithinBudget(t, c, g, governor.Search, srv, 1)
			calls(t, g, governor.Burst, srv, 1)
			equalWaits(t, c.Waits(), 10*time.Second)
		})
	}
}

func TestSearchBudget(t *testing.T) {
	t.Parallel()
	srv := serve(t, &script{})
	c := newClock()
	g := newGov(t, c, governor.Options{})
	callsWithinBudget(t, c, g, governor.Search, srv, 4) // 5 a second × 0.9
	calls(t, g, governor.Search, srv, 1)
	equalWaits(t, c.Waits(), time.Second)
}

func TestHeadersTuneBurst(t *testing.T) {
	t.Parallel()
	t.Run("max", func(t *testing.T) {
		t.Parallel()
		hdr := map[string]string{governor.HeaderMax: "20", governor.HeaderRemaining: "19", governor.HeaderInterval: "10000"}
		srv := serve(t, &script{replies: []reply{{200, `{}`, hdr}}})
		c := newClock()
		g := newGov(t, c, governor.Options{Tier: "professional", BurstShare: 1})
		callsWithinBudget(t, c, g, governor.Burst, srv, 18) // 20 × 0.9
		calls(t, g, governor.Burst, srv, 1)
		equalWaits(t, c.Waits(), 10*time.Second)
	})
	t.Run("remaining spent by another integration", func(t *testing.T) {
		t.Parallel()
		// 190 allowed; syncd made 1 call, so another integration has made
		// 170 and syncd may use 171 - 170 = 1, which it has. The next call
		// waits until one of the others' calls is taken to have left the
		// window, a 170th of it, not a whole window.
		hdr := map[string]string{governor.HeaderMax: "190", governor.HeaderRemaining: "19"}
		srv := serve(t, &script{replies: []reply{{200, `{}`, hdr}}})
		c := newClock()
		g := newGov(t, c, governor.Options{Tier: "professional"})
		calls(t, g, governor.Burst, srv, 2)
		equalWaits(t, c.Waits(), ceilDiv(10*time.Second, 170))
	})
}

// TestOwnCallsAreNotForeign checks the window against a server that counts
// like HubSpot: after syncd's own calls bring X-HubSpot-RateLimit-Remaining
// down to the margin, the next call waits only until syncd's oldest call
// leaves the window, not a window from the last answer.
func TestOwnCallsAreNotForeign(t *testing.T) {
	t.Parallel()
	c := newClock()
	var mu sync.Mutex
	var seen []time.Time
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := c.Now()
		kept := seen[:0]
		for _, t := range seen {
			if now.Sub(t) < 10*time.Second {
				kept = append(kept, t)
			}
		}
		seen = append(kept, now)
		w.Header().Set(governor.HeaderMax, "190")
		w.Header().Set(governor.HeaderRemaining, strconv.Itoa(190-len(seen)))
		mu.Unlock()
		w.WriteHeader(200)
	}))
	g := newGov(t, c, governor.Options{Tier: "professional", BurstShare: 1})
	// 171 calls 10 ms apart: the last answer says 19 remain, the margin.
	for range 171 {
		if _, err := do(t, g, governor.Burst, srv); err != nil {
			t.Fatal(err)
		}
		c.Advance(10 * time.Millisecond)
	}
	calls(t, g, governor.Burst, srv, 2)
	// The first call (at 0 s) leaves the window at 10 s, 8.29 s after the
	// clock's 1.71 s; the second (at 10 ms) 10 ms later.
	equalWaits(t, c.Waits(), 8290*time.Millisecond, 10*time.Millisecond)
}

// TestPaceSpreadsCalls checks that a quarter of the window's budget may go
// at once and the rest goes one call every window / budget, and that the
// calls after a full window go as its oldest calls leave it: the window,
// whose rate HubSpot counts, is not made to wait longer by the pace (the
// wait for the window does not reset the pace's credit), and no more than
// a quarter of the budget goes at once.
func TestPaceSpreadsCalls(t *testing.T) {
	t.Parallel()
	srv := serve(t, &script{})
	c := newClock()
	g := newGov(t, c, governor.Options{Tier: "professional"})
	interval := 10 * time.Second / 171
	var want []time.Duration
	for i := range 215 {
		if _, err := do(t, g, governor.Burst, srv); err != nil {
			t.Fatal(err)
		}
		switch {
		case i < 42: // floor(171 × 0.25) at once
		case i < 171:
			want = append(want, interval)
		case i == 171: // the window holds 171: wait for the first 42 to leave
			want = append(want, 10*time.Second-129*interval)
		case i < 213: // the 42 that left are replaced at once
		default: // then the window and the pace free one place each interval
			want = append(want, interval)
		}
	}
	equalWaits(t, c.Waits(), want...)
}

// TestTooManyRequestsSlowsEveryCaller checks that a 429's wait holds every
// caller of the governor, not only the one that got it: a call started
// during the wait waits for it before reaching the server.
func TestTooManyRequestsSlowsEveryCaller(t *testing.T) {
	t.Parallel()
	s := &script{replies: []reply{{429, bodyTenSecondly, nil}}}
	srv := serve(t, s)
	c := newClock()
	sleeping := make(chan time.Duration, 4)
	wake := make(chan struct{})
	g, err := governor.New(governor.Options{
		Tier: "professional", Now: c.Now, Rand: func() float64 { return 0 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeping <- d
			select {
			case <-wake:
				c.Advance(d)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	call := func() {
		resp, err := g.Do(context.Background(), governor.Burst, get(srv))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}
	go call()
	pause := 10 * time.Second / 190 * 2
	if d := <-sleeping; d != pause {
		t.Fatalf("the 429'd call waits %v, want %v", d, pause)
	}
	go call()
	if d := <-sleeping; d != pause {
		t.Fatalf("a new call during the pause waits %v, want %v", d, pause)
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("%d calls reached the server during the pause, want 1", n)
	}
	close(wake)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := s.calls.Load(); n != 3 {
		t.Errorf("%d calls reached the server, want 3", n)
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("dropped connection is retried", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			w.WriteHeader(200)
		}))
		c := newClock()
		g := newGov(t, c, governor.Options{})
		resp, err := do(t, g, governor.Burst, srv)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("got %v, %v; want 200 after a retry", resp, err)
		}
		if calls.Load() != 2 {
			t.Errorf("calls = %d, want 2", calls.Load())
		}
		equalWaits(t, c.Waits(), 250*time.Millisecond)
	})
	t.Run("refused connection gives up after MaxAttempts", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(&script{})
		url := srv.URL
		srv.Close()
		c := newClock()
		g := newGov(t, c, governor.Options{MaxAttempts: 3})
		attempts := 0
		_, err := g.Do(context.Background(), governor.Burst, func(ctx context.Context) (*http.Response, error) {
			attempts++
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			return http.DefaultClient.Do(req)
		})
		if err == nil || attempts != 3 {
			t.Fatalf("err = %v after %d attempts; want an error after 3", err, attempts)
		}
	})
	t.Run("malformed request is not retried", func(t *testing.T) {
		t.Parallel()
		g := newGov(t, newClock(), governor.Options{})
		attempts := 0
		_, err := g.Do(context.Background(), governor.Burst, func(ctx context.Context) (*http.Response, error) {
			attempts++
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "ftp://example.invalid/", nil)
			return http.DefaultClient.Do(req)
		})
		if err == nil || attempts != 1 {
			t.Fatalf("err = %v after %d attempts; want an error after 1", err, attempts)
		}
	})
}

func TestWaitsWatchContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel() // the caller gives up while HubSpot asks for an hour
		w.Header().Set("Retry-After", strconv.Itoa(3600))
		w.WriteHeader(429)
		io.WriteString(w, bodyTenSecondly)
	}))
	// The real sleep: it must return at once because ctx is done.
	g, err := governor.New(governor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := g.Do(ctx, governor.Burst, get(srv))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return after ctx was cancelled")
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", calls.Load())
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []governor.Options{{Tier: "gold"}, {Margin: 1.5}, {DailyReserve: 1}} {
		if _, err := governor.New(o); err == nil {
			t.Errorf("New(%+v) = nil error", o)
		}
	}
}

// TestConcurrentCallersStayInBudget runs many callers at once with a frozen
// clock: exactly the budget gets through, the rest wait in Sleep until the
// test moves the clock past the window and wakes them.
func TestConcurrentCallersStayInBudget(t *testing.T) {
	t.Parallel()
	c := newClock()
	var calls atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(200)
	}))

	var mu sync.Mutex
	wake := make(chan struct{})
	sleeping := make(chan struct{}, 1000)
	g, err := governor.New(governor.Options{
		Tier: "free", Now: c.Now, Rand: func() float64 { return 0 }, BurstShare: 1,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			ch := wake
			mu.Unlock()
			sleeping <- struct{}{}
			select {
			case <-ch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	const callers = 200
	done := make(chan error, callers)
	for range callers {
		go func() {
			resp, err := g.Do(context.Background(), governor.Burst, get(srv))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
	}
	// Each round: some callers finish, the others report that they sleep.
	rounds := []struct{ finish, sleep int }{{90, 110}, {90, 20}, {20, 0}}
	total := 0
	for i, r := range rounds {
		for range r.finish {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		for range r.sleep {
			<-sleeping
		}
		total += r.finish
		if got := calls.Load(); int(got) != total {
			t.Fatalf("round %d: %d calls reached the server, want %d", i, got, total)
		}
		c.Advance(10 * time.Second)
		mu.Lock()
		close(wake)
		wake = make(chan struct{})
		mu.Unlock()
	}
}
