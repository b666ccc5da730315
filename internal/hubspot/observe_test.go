package hubspot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
)

// TestObserve checks that an observer sees every request, retries
// included, with its operation, status and 429 policy, and a transport
// failure with a token-free error.
func TestObserve(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-0bse4ve0-0000-4000-8000-000000000001"
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// Retry-After 0: the governor retries at once.
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"COMPLETE","results":[]}`))
	}))
	t.Cleanup(srv.Close)
	// One attempt: a refused connection fails at once instead of after backoffs.
	gov, err := governor.New(governor.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: token, Governor: gov})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []hubspot.Call
	stop := hs.Observe(func(c hubspot.Call) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, c)
	})
	if _, err := hs.BatchUpsert(context.Background(), "companies", []hubspot.UpsertInput{{ID: "CO-1", IDProperty: "syncd_erp_id"}}); err != nil {
		t.Fatal(err)
	}
	const op = "POST /crm/objects/2026-09/{objectType}/batch/upsert"
	want := []hubspot.Call{
		{Operation: op, Status: 429, Attempt: 1, Write: true, Policy: governor.PolicyTenSecondly},
		{Operation: op, Status: 200, Attempt: 2, Write: true},
	}
	mu.Lock()
	got := calls
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("observed %+v, want %+v", got, want)
	}
	for i, c := range got {
		if c.Duration <= 0 {
			t.Errorf("call %d took %v", i, c.Duration)
		}
		// The test server's Date, to the second, and the time the answer
		// came, which is after it.
		if c.Date.IsZero() || c.Received.Before(c.Date) || c.Received.Sub(c.Date) > time.Minute {
			t.Errorf("call %d: Date %v, received %v", i, c.Date, c.Received)
		}
		c.Duration, c.Date, c.Received = 0, time.Time{}, time.Time{}
		if c != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
	if !got[1].Retry() || got[0].Retry() {
		t.Errorf("Retry() = %v, %v; want false, true", got[0].Retry(), got[1].Retry())
	}
	if hs.Governor() == nil {
		t.Error("Governor() is nil")
	}

	// No answer: the observer gets the error, the token is not in it.
	srv.Close()
	_, err = hs.BatchUpsert(context.Background(), "companies", []hubspot.UpsertInput{{ID: "CO-1", IDProperty: "syncd_erp_id"}})
	if err == nil {
		t.Fatal("a call to a closed server succeeded")
	}
	mu.Lock()
	last := calls[len(calls)-1]
	mu.Unlock()
	if last.Status != 0 || last.Err == nil || strings.Contains(last.Err.Error(), token) {
		t.Errorf("call to a closed server observed as %+v", last)
	}

	stop()
	mu.Lock()
	before := len(calls)
	mu.Unlock()
	_, _ = hs.BatchUpsert(context.Background(), "companies", []hubspot.UpsertInput{{ID: "CO-1", IDProperty: "syncd_erp_id"}})
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != before {
		t.Errorf("the observer saw %d calls after it stopped", len(calls)-before)
	}
}
