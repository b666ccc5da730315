package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// newVClock returns a clock shared by workers: time moves only when every
// worker sleeps, and then straight to the earliest wake-up, so a call's
// time as the governor sees it is the time the server sees.
func newVClock(workers int) *fakeclock.Clock {
	// Not on a slot boundary, so rounding to slots is exercised.
	return fakeclock.NewShared(time.Date(2026, 11, 27, 8, 0, 0, 37_000_000, time.UTC), workers)
}

// openPool opens a pool of its own on db's schema, as another syncd process
// would.
func openPool(t *testing.T, db *pgtest.DB) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), db.BaseURL, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// maxInWindow returns the most calls in any rolling window (T-w, T].
func maxInWindow(times []time.Time, w time.Duration) int {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most, lo := 0, 0
	for hi, t := range times {
		for !times[lo].After(t.Add(-w)) {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// reserve asks l for a call in a window of limit calls, without a pace,
// and returns the wait.
func reserve(l *store.RateLedger, b governor.Budget, at time.Time, window time.Duration, limit int) (time.Duration, error) {
	res, err := l.Reserve(context.Background(), b, at, governor.Pace{Window: window, Limit: limit})
	return res.Wait, err
}

// TestRateLedgerPace checks that the ledger spends a window's calls evenly
// when asked to: calls run at most the tolerance ahead of one call per
// interval, every process's calls counted, and a granted call learns how
// many calls its window holds.
func TestRateLedgerPace(t *testing.T) {
	ctx, db := newDB(t)
	a, b := store.NewRateLedger(db.Pool), store.NewRateLedger(db.Pool)
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	// 100 calls per 10 s: one every 100 ms, up to 2 intervals ahead.
	p := governor.Pace{Window: 10 * time.Second, Limit: 100, Interval: 100 * time.Millisecond, Tolerance: 200 * time.Millisecond}
	for i, l := range []*store.RateLedger{a, b, a} {
		res, err := l.Reserve(ctx, governor.Burst, t0, p)
		if err != nil || res.Wait != 0 || res.InWindow != i+1 {
			t.Fatalf("call %d at once: %+v, %v; want room, %d in the window", i, res, err, i+1)
		}
	}
	// Three calls at t0 put the pace at t0+300ms; the fourth may go at
	// t0+100ms (300ms less the tolerance).
	res, err := b.Reserve(ctx, governor.Burst, t0, p)
	if err != nil || res.Wait != 100*time.Millisecond {
		t.Fatalf("fourth call at once: %+v, %v; want a 100ms wait", res, err)
	}
	if res, err := b.Reserve(ctx, governor.Burst, t0.Add(100*time.Millisecond), p); err != nil || res.Wait != 0 || res.InWindow != 4 {
		t.Fatalf("fourth call after its wait: %+v, %v; want room, 4 in the window", res, err)
	}
	// Without a pace the window alone decides.
	if res, err := a.Reserve(ctx, governor.Burst, t0.Add(100*time.Millisecond), governor.Pace{Window: p.Window, Limit: p.Limit}); err != nil || res.Wait != 0 {
		t.Fatalf("no pace: %+v, %v; want room", res, err)
	}
}

func TestRateLedgerReserve(t *testing.T) {
	ctx, db := newDB(t)
	l := store.NewRateLedger(db.Pool)
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

	for i := range 3 {
		if wait, err := reserve(l, governor.Search, t0.Add(time.Duration(i)*300*time.Millisecond), time.Second, 3); err != nil || wait != 0 {
			t.Fatalf("call %d: wait %v, err %v; want room", i, wait, err)
		}
	}
	// The fourth search at 0.9 s waits until the slot of the first call
	// (0.0-0.1 s) has left the window: 1.1 s.
	wait, err := reserve(l, governor.Search, t0.Add(900*time.Millisecond), time.Second, 3)
	if err != nil || wait != 200*time.Millisecond {
		t.Fatalf("full window: wait %v, err %v; want 200ms", wait, err)
	}
	// The burst budget is separate.
	if wait, err := reserve(l, governor.Burst, t0.Add(900*time.Millisecond), 10*time.Second, 3); err != nil || wait != 0 {
		t.Fatalf("burst: wait %v, err %v; want room", wait, err)
	}
	if wait, err := reserve(l, governor.Search, t0.Add(1100*time.Millisecond), time.Second, 3); err != nil || wait != 0 {
		t.Fatalf("after the wait: wait %v, err %v; want room", wait, err)
	}
	// A lower limit (a header said so) counts what is there already: the
	// calls at 0.3, 0.6 and 1.1 s leave room for one call at 1.7 s.
	if wait, err := reserve(l, governor.Search, t0.Add(1700*time.Millisecond), time.Second, 2); err != nil || wait != 0 {
		t.Fatalf("lower limit: wait %v, err %v; want room", wait, err)
	}
	// Old rows go as new calls are counted.
	if _, err := reserve(l, governor.Search, t0.Add(2*time.Minute), time.Second, 3); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM rate_ledger WHERE budget = 'search'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d search rows after a minute, want 1", rows)
	}
	if _, err := reserve(l, governor.Burst, t0, 10*time.Second, 0); err == nil {
		t.Error("limit 0 accepted")
	}
}

// TestSharedBudgetAcrossProcesses runs three governors, each with a pool of
// its own on one schema, hammering one server on a virtual clock. With the
// shared ledger the server never sees more than the budget (90 burst calls
// in any 10 s, 4 searches in any second); each governor alone would allow
// that much by itself, as the run without a ledger shows.
func TestSharedBudgetAcrossProcesses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		shared    bool
		maxBurst  int // most burst calls the server may see in 10 s
		maxSearch int // most searches in 1 s
	}{
		{"shared ledger", true, 90, 4},
		{"local only", false, 3 * 90, 3 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const (
				processes = 3
				workers   = 4 // goroutines per process
				calls     = 60
			)
			db := pgtest.Migrated(t)
			clk := newVClock(processes * workers)
			start := clk.Now()
			var mu sync.Mutex
			seen := map[string][]time.Time{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[r.URL.Query().Get("b")] = append(seen[r.URL.Query().Get("b")], clk.Now())
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(srv.Close)

			var wg sync.WaitGroup
			errs := make(chan error, processes*workers)
			perProcess := make([]int, processes)
			for p := range processes {
				opts := governor.Options{Tier: "starter", Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0 }}
				if tt.shared {
					opts.Ledger = store.NewRateLedger(openPool(t, db))
				}
				g, err := governor.New(opts)
				if err != nil {
					t.Fatal(err)
				}
				for w := range workers {
					wg.Go(func() {
						defer clk.Done()
						for i := range calls {
							b, name := governor.Burst, "burst"
							if (w+i)%4 == 0 {
								b, name = governor.Search, "search"
							}
							resp, err := g.Do(context.Background(), b, func(ctx context.Context) (*http.Response, error) {
								req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/?b="+name, nil)
								if err != nil {
									return nil, err
								}
								return srv.Client().Do(req)
							})
							if err != nil {
								errs <- fmt.Errorf("process %d: %w", p, err)
								return
							}
							resp.Body.Close()
							mu.Lock()
							perProcess[p]++
							mu.Unlock()
							// A short pause now and then spreads calls off
							// the 100 ms slot boundaries.
							if err := clk.Sleep(context.Background(), time.Duration((w*13+i*7)%50)*time.Millisecond); err != nil {
								errs <- err
								return
							}
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			burst := maxInWindow(seen["burst"], 10*time.Second)
			search := maxInWindow(seen["search"], time.Second)
			t.Logf("%d burst calls, at most %d in 10 s; %d searches, at most %d in 1 s; per process %v; virtual time %s",
				len(seen["burst"]), burst, len(seen["search"]), search, perProcess, clk.Now().Sub(start))
			if total := len(seen["burst"]) + len(seen["search"]); total != processes*workers*calls {
				t.Fatalf("server saw %d calls, want %d", total, processes*workers*calls)
			}
			// The budget is used to the full and never exceeded.
			if burst != tt.maxBurst {
				t.Errorf("at most %d burst calls in a 10 s window, want %d", burst, tt.maxBurst)
			}
			if search != tt.maxSearch {
				t.Errorf("at most %d searches in a 1 s window, want %d", search, tt.maxSearch)
			}
		})
	}
}

// TestSharedBudgetDatabaseGone checks that a governor whose ledger cannot
// reach its database keeps syncing on its own accounting, and says so once
// a minute.
func TestSharedBudgetDatabaseGone(t *testing.T) {
	ctx, db := newDB(t)
	pool, err := store.Open(ctx, db.BaseURL, db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(srv.Close)

	clk := newVClock(1)
	log, hook := logtest.NewNullLogger()
	g, err := governor.New(governor.Options{
		Tier: "starter", Now: clk.Now, Sleep: clk.Sleep, Rand: func() float64 { return 0 },
		Logger: log, Ledger: store.NewRateLedger(pool),
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(i int) {
		t.Helper()
		resp, err := g.Do(ctx, governor.Burst, func(ctx context.Context) (*http.Response, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				return nil, err
			}
			return srv.Client().Do(req)
		})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		resp.Body.Close()
	}
	warnings := func() int {
		n := 0
		for _, e := range hook.AllEntries() {
			if e.Level == logrus.WarnLevel {
				n++
			}
		}
		return n
	}
	start := clk.Now()
	// 90 calls fit the local budget at once; the 91st waits for the window.
	for i := range 91 {
		call(i)
	}
	if got := clk.Now().Sub(start); got != 10*time.Second {
		t.Errorf("91 calls took %s of virtual time, want 10s (the local window)", got)
	}
	if n := warnings(); n != 1 {
		t.Errorf("%d warnings about the shared budget, want 1: %v", n, hook.AllEntries())
	}
	// A minute on, the next failure is worth another warning.
	if err := clk.Sleep(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	call(91)
	if n := warnings(); n != 2 {
		t.Errorf("%d warnings after a minute, want 2", n)
	}
}

// TestRateLedgerUnmigrated checks that a schema without rate_ledger is an
// error that names the fix.
func TestRateLedgerUnmigrated(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	_, err := reserve(store.NewRateLedger(db.Pool), governor.Burst, time.Now(), 10*time.Second, 90)
	if err == nil {
		t.Fatal("Reserve on an unmigrated schema succeeded")
	}
	if want := "run 'syncd migrate up'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("error %q is not store.ErrNotMigrated", err)
	}
}
