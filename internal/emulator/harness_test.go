package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

// testClock is a clock tests move by hand. Sleep blocks until Advance
// moves the clock past the wait.
type testClock struct {
	mu sync.Mutex
	t  time.Time
	// sleepers are the pending Sleeps; slept receives each Sleep's
	// duration as it starts.
	sleepers []sleeper
	slept    chan time.Duration
}

type sleeper struct {
	until time.Time
	done  chan struct{}
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), slept: make(chan time.Duration, 16)}
}

// Sleep waits until the clock has advanced by d, or ctx is done.
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	sl := sleeper{until: c.t.Add(d), done: make(chan struct{})}
	c.sleepers = append(c.sleepers, sl)
	c.mu.Unlock()
	c.slept <- d
	select {
	case <-sl.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.sleepers[:0]
	for _, sl := range c.sleepers {
		if c.t.Before(sl.until) {
			kept = append(kept, sl)
			continue
		}
		close(sl.done)
	}
	c.sleepers = kept
}

// emuHarness is an emulator behind a real HTTP server.
type emuHarness struct {
	t     *testing.T
	srv   *emulator.Server
	url   string
	hc    *http.Client
	clock *testClock
	token string
}

// startEmu starts an emulator on an injected clock.
func startEmu(t *testing.T, opts emulator.Options) *emuHarness {
	t.Helper()
	clock := newTestClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	srv := emulator.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &emuHarness{t: t, srv: srv, url: ts.URL, hc: ts.Client(), clock: clock, token: "test-token"}
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a request with the harness token; body is JSON-encoded unless
// it is nil.
func (h *emuHarness) do(method, path string, body any) reply {
	h.t.Helper()
	return h.doAs(h.token, method, path, body)
}

func (h *emuHarness) doAs(token, method, path string, body any) reply {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return r
}

// must sends a request and fails the test unless the status is want.
func (h *emuHarness) must(method, path string, body any, want int) reply {
	h.t.Helper()
	r := h.do(method, path, body)
	if r.status != want {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.raw)
	}
	return r
}

// create makes a record through the 2026-09 API and returns its ID.
func (h *emuHarness) create(objectType string, props map[string]any) string {
	h.t.Helper()
	r := h.must("POST", "/crm/objects/2026-09/"+objectType, map[string]any{"properties": props}, http.StatusCreated)
	return r.body["id"].(string)
}

// props returns the properties of a decoded record.
func props(v any) map[string]any {
	return v.(map[string]any)["properties"].(map[string]any)
}

// list returns a JSON array field.
func list(m map[string]any, key string) []any {
	v, _ := m[key].([]any)
	return v
}
