package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/syncd/syncd/internal/emulator"
)

// benchServer starts an emulator without rate limits on a loopback server.
func benchServer(b *testing.B) (url string, hc *http.Client, token string) {
	b.Helper()
	token = newToken(b)
	ts := httptest.NewServer(emulator.New(emulator.Options{DisableRateLimits: true, Tokens: []string{token}}))
	b.Cleanup(ts.Close)
	return ts.URL, ts.Client(), token
}

// benchPost sends one JSON POST and fails the benchmark on any status but want; it returns
// the answer's body.
func benchPost(b *testing.B, hc *http.Client, url, token string, body []byte, want int) []byte {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("POST %s: status %d, want %d: %s", url, resp.StatusCode, want, clip(respBody))
	}
	return respBody
}

// upsertBody is a batch upsert of 100 contacts keyed by email. Keys repeat every 10 calls,
// so after the first ten calls every upsert updates existing records.
func upsertBody(b *testing.B, call int) []byte {
	inputs := make([]map[string]any, 100)
	for i := range inputs {
		n := (call%10)*100 + i
		inputs[i] = map[string]any{
			"id": fmt.Sprintf("bench-%04d@example.co.th", n), "idProperty": "email",
			"properties": map[string]any{"firstname": fmt.Sprintf("Name %d", call), "lastname": "Bench", "phone": "+6681234" + fmt.Sprintf("%04d", n)},
		}
	}
	body, err := json.Marshal(map[string]any{"inputs": inputs})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkBatchUpsert100 measures batch upserts of 100 contacts through a loopback HTTP
// server: requests/s and records/s.
func BenchmarkBatchUpsert100(b *testing.B) {
	url, hc, token := benchServer(b)
	url += "/crm/objects/2026-09/contacts/batch/upsert"
	bodies := make([][]byte, 10)
	for i := range bodies {
		bodies[i] = upsertBody(b, i)
	}
	benchRequests(b, hc, url, token, bodies, 100)
}

// BenchmarkSearch measures searches (an email IN filter of 10 values, sorted, over 1,000
// contacts) through a loopback HTTP server: requests/s and records returned/s.
func BenchmarkSearch(b *testing.B) {
	base, hc, token := benchServer(b)
	for i := 0; i < 10; i++ {
		benchPost(b, hc, base+"/crm/objects/2026-09/contacts/batch/upsert", token, upsertBody(b, i), http.StatusOK)
	}
	bodies := make([][]byte, 10)
	for i := range bodies {
		values := make([]string, 10)
		for j := range values {
			values[j] = fmt.Sprintf("bench-%04d@example.co.th", i*100+j*7)
		}
		body, err := json.Marshal(map[string]any{
			"filterGroups": []any{map[string]any{"filters": []any{
				map[string]any{"propertyName": "email", "operator": "IN", "values": values},
			}}},
			"sorts":      []any{map[string]any{"propertyName": "createdate", "direction": "DESCENDING"}},
			"properties": []string{"email", "firstname"},
			"limit":      100,
		})
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	url := base + "/crm/objects/2026-09/contacts/search"
	for _, body := range bodies {
		var res struct {
			Total   int   `json:"total"`
			Results []any `json:"results"`
		}
		if err := json.Unmarshal(benchPost(b, hc, url, token, body, http.StatusOK), &res); err != nil {
			b.Fatal(err)
		}
		if res.Total != 10 || len(res.Results) != 10 {
			b.Fatalf("search found %d (%d returned), want 10", res.Total, len(res.Results))
		}
	}
	benchRequests(b, hc, url, token, bodies, 10)
}

// benchRequests times b.N posts of bodies, in turn, to url, and reports
// requests/s and records/s for perRequest records each.
func benchRequests(b *testing.B, hc *http.Client, url, token string, bodies [][]byte, perRequest int) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchPost(b, hc, url, token, bodies[i%len(bodies)], http.StatusOK)
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "req/s")
	b.ReportMetric(float64(b.N*perRequest)/secs, "records/s")
}
