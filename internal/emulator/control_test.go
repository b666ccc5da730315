package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{
		Tokens: []string{"good", "narrow"},
		Scopes: map[string][]string{"narrow": {"crm.objects.contacts.read"}},
	})
	r := h.doAs("", "GET", "/crm/objects/2026-09/contacts", nil)
	if r.status != http.StatusUnauthorized || r.body["category"] != "INVALID_AUTHENTICATION" || r.header.Get("x-hubspot-auth-failure") != "401 Unauthorized" {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if r := h.doAs("wrong", "GET", "/crm/objects/2026-09/contacts", nil); r.status != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", r.status)
	}
	if strings.Contains(string(r.raw), "good") {
		t.Errorf("error body mentions a token: %s", r.raw)
	}
	if r := h.doAs("good", "POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{}}); r.status != http.StatusCreated {
		t.Errorf("good token create: %d %s", r.status, r.raw)
	}
	if r := h.doAs("narrow", "GET", "/crm/objects/2026-09/contacts", nil); r.status != http.StatusOK {
		t.Errorf("narrow token read: %d %s", r.status, r.raw)
	}
	r = h.doAs("narrow", "POST", "/crm/objects/2026-09/contacts/batch/create", map[string]any{"inputs": []any{}})
	if r.status != http.StatusForbidden || r.body["category"] != "MISSING_SCOPES" {
		t.Fatalf("narrow token write: %d %s", r.status, r.raw)
	}
	scopes := list(r.body, "errors")[0].(map[string]any)["context"].(map[string]any)["requiredGranularScopes"].([]any)
	if len(scopes) != 1 || scopes[0] != "crm.objects.contacts.write" {
		t.Errorf("missing scopes = %v", scopes)
	}
	// 2026-09 needs both the object scope and e-commerce for products.
	h2 := startEmu(t, emulator.Options{Scopes: map[string][]string{"t": {"e-commerce"}}})
	if r := h2.doAs("t", "GET", "/crm/objects/2026-09/products", nil); r.status != http.StatusForbidden {
		t.Errorf("2026-09 products with e-commerce only: %d", r.status)
	}
	if r := h2.doAs("t", "GET", "/crm/v3/objects/products", nil); r.status != http.StatusOK {
		t.Errorf("v3 products with e-commerce only: %d", r.status)
	}
}

func TestAccountDetails(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{PortalID: 987})
	for _, p := range []string{"/account-info/2026-09/details", "/account-info/2026-03/details", "/account-info/v3/details"} {
		r := h.must("GET", p, nil, http.StatusOK)
		if r.body["portalId"] != 987.0 || r.body["companyCurrency"] != "THB" || r.body["timeZone"] != "Asia/Bangkok" {
			t.Errorf("%s = %s", p, r.raw)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true, Faults: emulator.FaultConfig{Rules: []emulator.FaultRule{
		{Route: "POST /crm/objects/*/{objectType}/batch/upsert", Rate: 1, Statuses: []int{503}},
		{Route: "GET /crm/objects/2026-09/{objectType}", Rate: 1, Statuses: []int{502}},
	}}})
	r := h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{}}, http.StatusServiceUnavailable)
	if r.body["status"] != "error" {
		t.Errorf("503 body = %s", r.raw)
	}
	r = h.must("GET", "/crm/objects/2026-09/contacts", nil, http.StatusBadGateway)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("502 Content-Type = %q", r.header.Get("Content-Type"))
	}
	h.must("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{}}, http.StatusCreated)
}

func TestFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) string {
		h := startEmu(t, emulator.Options{DisableRateLimits: true, Faults: emulator.FaultConfig{Seed: seed, Rules: []emulator.FaultRule{
			{Rate: 0.5, Statuses: []int{429, 500, 504}},
		}}})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			r := h.do("GET", "/account-info/2026-09/details", nil)
			fmt.Fprintf(&b, "%d ", r.status)
		}
		return b.String()
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same faults: %s", a)
	}
	if !strings.Contains(a, "200") || !strings.Contains(a, "429") || !strings.Contains(a, "504") {
		t.Errorf("rate 0.5 over 40 calls gave %s", a)
	}
}

func TestFaultDropAndLatency(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true, Faults: emulator.FaultConfig{Rules: []emulator.FaultRule{
		{Route: "GET /account-info/*", DropRate: 1},
		{Route: "GET /crm/objects/2026-09/{objectType}", Latency: emulator.Duration{Duration: time.Hour}},
	}}})
	req, _ := http.NewRequest("GET", h.url+"/account-info/2026-09/details", nil)
	req.Header.Set("Authorization", "Bearer x")
	if resp, err := h.hc.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}
	// The added latency ends with the caller's context.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", h.url+"/crm/objects/2026-09/contacts", nil)
	req.Header.Set("Authorization", "Bearer x")
	done := make(chan error, 1)
	go func() {
		resp, err := h.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Errorf("request under an hour's latency returned before its context ended")
	}
}

func TestControlEndpoints(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{})
	contact := h.create("contacts", map[string]any{"email": "s@example.com"})
	company := h.create("companies", map[string]any{"name": "S"})
	h.must("PUT", "/crm/objects/2026-09/contacts/"+contact+"/associations/default/companies/"+company, nil, http.StatusOK)
	h.do("GET", "/crm/objects/2026-09/contacts/404", nil)

	control := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, h.url+path, bytes.NewBufferString(body))
		resp, err := h.hc.Do(req) // no Authorization: control routes need none
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	st := h.srv.Stats()
	if st.Total != 4 || st.ByRoute["POST /crm/objects/2026-09/{objectType}"] != 2 || st.ByStatus["404"] != 1 ||
		st.ByRoute["PUT /crm/objects/2026-09/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}"] != 1 {
		t.Errorf("stats = %+v", st)
	}
	if b := control("GET", "/_emulator/stats", "", http.StatusOK); !bytes.Contains(b, []byte(`"total":4`)) {
		t.Errorf("GET stats = %s", b)
	}
	dump := control("GET", "/_emulator/dump", "", http.StatusOK)
	if !bytes.Contains(dump, []byte(`"typeIds":[279]`)) || !bytes.Contains(dump, []byte(`"email":"s@example.com"`)) {
		t.Errorf("dump = %s", dump)
	}
	if b := control("PUT", "/_emulator/config", `{"tier":"free","searchLag":"2s","dealAmountFromLineItems":true}`, http.StatusOK); !bytes.Contains(b, []byte(`"searchLag":"2s"`)) {
		t.Errorf("PUT config = %s", b)
	}
	if c := h.srv.Config(); c.Tier != "free" || c.SearchLag.Duration != 2*time.Second || !c.DealAmountFromLineItems {
		t.Errorf("config after PUT = %+v", c)
	}
	control("PUT", "/_emulator/faults", `{"seed":3,"rules":[{"route":"GET /crm/objects/2026-09/{objectType}/{objectId}","rate":1,"statuses":[504]}]}`, http.StatusOK)
	h.must("GET", "/crm/objects/2026-09/contacts/"+contact, nil, http.StatusGatewayTimeout)
	if b := control("GET", "/_emulator/faults", "", http.StatusOK); !bytes.Contains(b, []byte(`"seed":3`)) {
		t.Errorf("GET faults = %s", b)
	}
	control("PUT", "/_emulator/faults", `{}`, http.StatusOK)
	h.must("GET", "/crm/objects/2026-09/contacts/"+contact, nil, http.StatusOK)
	control("PUT", "/_emulator/config", `{"tier":"gold"}`, http.StatusBadRequest)
	control("PUT", "/_emulator/config", `{"faults":{"rules":[{"rate":1,"statuses":[418]}]}}`, http.StatusBadRequest)
	if r := h.must("GET", "/crm/objects/2026-09/contacts", nil, http.StatusOK); r.header.Get("X-HubSpot-RateLimit-Max") != "100" {
		t.Errorf("tier change not applied: Max = %q", r.header.Get("X-HubSpot-RateLimit-Max"))
	}
	control("POST", "/_emulator/reset", "", http.StatusNoContent)
	if st := h.srv.Stats(); st.Total != 0 || st.DailyUsage != 0 {
		t.Errorf("stats after reset = %+v", st)
	}
	h.must("GET", "/crm/objects/2026-09/contacts/"+contact, nil, http.StatusNotFound)
	// IDs restart from the same fixed start.
	if id := h.create("contacts", map[string]any{"email": "again@example.com"}); id != contact {
		t.Errorf("first ID after reset = %s, want %s", id, contact)
	}
	control("GET", "/_emulator/nothing", "", http.StatusNotFound)
}

func TestListenAndServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- emulator.ListenAndServe(ctx, "127.0.0.1:0", emulator.Options{}, func(u string) { urls <- u })
	}()
	u := <-urls
	req, _ := http.NewRequest("GET", u+"/account-info/2026-09/details", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true, SearchLag: time.Second})
	createUnique(h, "contacts", "syncd_erp_id")
	const workers, rounds = 6, 5
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for r := 0; r < rounds; r++ {
				inputs := make([]any, 20)
				for i := range inputs {
					inputs[i] = map[string]any{"id": fmt.Sprintf("W%d-%d", w, i), "idProperty": "syncd_erp_id", "properties": map[string]any{"firstname": fmt.Sprint(r)}}
				}
				b, _ := json.Marshal(map[string]any{"inputs": inputs})
				for _, call := range []struct{ path, body string }{
					{"/crm/objects/2026-09/contacts/batch/upsert", string(b)},
					{"/crm/objects/2026-09/contacts/search", `{"filterGroups":[{"filters":[{"propertyName":"firstname","operator":"EQ","value":"1"}]}]}`},
				} {
					req, _ := http.NewRequest("POST", h.url+call.path, strings.NewReader(call.body))
					req.Header.Set("Authorization", "Bearer x")
					resp, err := h.hc.Do(req)
					if err != nil {
						errs <- err
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("%s: status %d", call.path, resp.StatusCode)
						return
					}
				}
				h.clock.Advance(300 * time.Millisecond)
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	d := h.srv.Dump()
	if n := len(d.Objects["contacts"]); n != workers*20 {
		t.Errorf("contacts after concurrent upserts = %d, want %d", n, workers*20)
	}
	for _, rec := range d.Objects["contacts"] {
		if rec.Properties["firstname"] != fmt.Sprint(rounds-1) {
			t.Errorf("contact %s firstname = %q, want the last round", rec.ID, rec.Properties["firstname"])
			break
		}
	}
}

// TestLatency checks that the latency knob holds every HubSpot answer for
// that long on the emulator's clock, leaves control routes alone, and can
// be changed through /_emulator/config.
func TestLatency(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{Latency: 150 * time.Millisecond})
	answered := make(chan reply, 1)
	go func() { answered <- h.do("GET", "/crm/objects/2026-09/contacts", nil) }()
	if d := <-h.clock.Slept(); d != 150*time.Millisecond {
		t.Fatalf("the request waits %v, want 150ms", d)
	}
	// Control routes are not delayed: this returns while the request waits.
	if r := h.do("GET", "/_emulator/stats", nil); r.status != http.StatusOK {
		t.Fatalf("stats while a request waits: %d %s", r.status, r.raw)
	}
	h.clock.Advance(149 * time.Millisecond)
	select {
	case r := <-answered:
		t.Fatalf("answered after 149ms of 150ms latency: %d", r.status)
	default:
	}
	h.clock.Advance(time.Millisecond)
	if r := <-answered; r.status != http.StatusOK {
		t.Fatalf("after the latency: %d %s", r.status, r.raw)
	}

	r := h.must("PUT", "/_emulator/config", map[string]any{"latency": "40ms"}, http.StatusOK)
	if r.body["latency"] != "40ms" {
		t.Errorf("config after PUT latency = %v, want 40ms", r.body["latency"])
	}
	go func() { answered <- h.do("GET", "/crm/objects/2026-09/companies", nil) }()
	if d := <-h.clock.Slept(); d != 40*time.Millisecond {
		t.Fatalf("after the PUT the request waits %v, want 40ms", d)
	}
	h.clock.Advance(40 * time.Millisecond)
	if r := <-answered; r.status != http.StatusOK {
		t.Fatalf("after 40ms: %d %s", r.status, r.raw)
	}
	h.must("PUT", "/_emulator/config", map[string]any{"latency": "-1s"}, http.StatusBadRequest)
}
