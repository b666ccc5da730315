package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// emuHarness is an emulator behind a real HTTP server.
type emuHarness struct {
	t     *testing.T
	srv   *emulator.Server
	url   string
	hc    *http.Client
	clock *fakeclock.Clock
	token string
}

// startEmu starts an emulator on a manual fake clock: latency holds a
// request until the test advances the clock.
func startEmu(t *testing.T, opts emulator.Options) *emuHarness {
	t.Helper()
	clock := fakeclock.NewManual(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
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

// pageAll GETs path, whose query ends in "after=", page after page as
// paging.next.after leads, for at most maxPages pages, and returns field of
// every result.
func (h *emuHarness) pageAll(path, field string, maxPages int) []string {
	h.t.Helper()
	var got []string
	after := ""
	for page := 0; page < maxPages; page++ {
		r := h.must("GET", path+after, nil, http.StatusOK)
		for _, x := range list(r.body, "results") {
			got = append(got, x.(map[string]any)[field].(string))
		}
		p, _ := r.body["paging"].(map[string]any)
		if p == nil {
			break
		}
		after = p["next"].(map[string]any)["after"].(string)
	}
	return got
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
