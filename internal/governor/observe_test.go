package governor_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/governor"
)

// TestObserve checks what an observer of the budgets sees: the window and
// the daily allowance after an answer, the daily block after a DAILY 429
// and on the call refused for it, and nothing once it has stopped.
func TestObserve(t *testing.T) {
	t.Parallel()
	var daily sync.Mutex // held: the server answers DAILY 429s
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set(governor.HeaderMax, "190")
		h.Set(governor.HeaderRemaining, "150")
		h.Set(governor.HeaderDaily, "625000")
		h.Set(governor.HeaderDailyRemaining, "600000")
		if !daily.TryLock() {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(bodyDaily))
			return
		}
		daily.Unlock()
	}))
	t.Cleanup(srv.Close)
	g, err := governor.New(governor.Options{Tier: "professional"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []governor.State
	stop := g.Observe(func(s governor.State) { seen = append(seen, s) })
	call := func() error {
		resp, err := g.Do(context.Background(), governor.Burst, func(ctx context.Context) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			return http.DefaultClient.Do(req)
		})
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	if err := call(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 {
		t.Fatalf("%d states after one answer, want 1", len(seen))
	}
	s := seen[0]
	// 190 − 150 = 40 calls in the window, one of them this one: 39 are
	// other integrations'. syncd allows itself 90 % of 190.
	if s.WindowLimit != 171 || s.WindowUsed != 40 || s.WindowLeft != 131 || s.ReportedLeft != 150 {
		t.Errorf("window: limit %d, used %d, left %d, reported %d; want 171, 40, 131, 150", s.WindowLimit, s.WindowUsed, s.WindowLeft, s.ReportedLeft)
	}
	if s.DailyLimit != 625000 || s.DailyUsed != 25000 || s.DailyReserve != 125000 || !s.DailyBlockedUntil.IsZero() {
		t.Errorf("daily: limit %d, used %d, reserve %d, blocked until %v; want 625000, 25000, 125000, not blocked",
			s.DailyLimit, s.DailyUsed, s.DailyReserve, s.DailyBlockedUntil)
	}
	if g.State().WindowUsed != s.WindowUsed {
		t.Errorf("State() = %+v, the observer saw %+v", g.State(), s)
	}

	daily.Lock()
	if err := call(); err != nil {
		t.Fatal(err) // a DAILY 429 is the answer, not an error
	}
	var le *governor.LimitError
	if err := call(); !errors.As(err, &le) {
		t.Fatalf("call after a DAILY 429: %v, want a *LimitError", err)
	}
	if len(seen) != 3 {
		t.Fatalf("%d states after the 429 and the refused call, want 3", len(seen))
	}
	for _, s := range seen[1:] {
		if !s.DailyBlockedUntil.After(s.At) || s.DailyUsed != s.DailyLimit {
			t.Errorf("after a DAILY 429: blocked until %v at %v, used %d of %d", s.DailyBlockedUntil, s.At, s.DailyUsed, s.DailyLimit)
		}
	}

	stop()
	_ = call()
	if len(seen) != 3 {
		t.Errorf("the observer saw %d states after it stopped", len(seen)-3)
	}
}
