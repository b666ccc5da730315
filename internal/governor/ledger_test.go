package governor_test

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/syncd/syncd/internal/governor"
)

// scriptedLedger answers Reserve from a list of answers, then grants every
// call, and records what it was asked.
type scriptedLedger struct {
	mu      sync.Mutex
	answers []ledgerAnswer
	asked   []ledgerAsk
}

type ledgerAnswer struct {
	wait time.Duration
	err  error
}

type ledgerAsk struct {
	budget string
	window time.Duration
	limit  int
}

func (l *scriptedLedger) Reserve(ctx context.Context, b governor.Budget, now time.Time, p governor.Pace) (governor.Reservation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, ledgerAsk{b.String(), p.Window, p.Limit})
	if len(l.answers) == 0 {
		return governor.Reservation{InWindow: 1}, nil
	}
	a := l.answers[0]
	l.answers = l.answers[1:]
	return governor.Reservation{Wait: a.wait}, a.err
}

// TestLedgerRefusalWaitsAndReleases checks that a call the shared ledger
// refuses waits as long as the ledger says, and that refused attempts do
// not use up the local budget.
func TestLedgerRefusalWaitsAndReleases(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&script{})
	t.Cleanup(srv.Close)
	c := newClock()
	l := &scriptedLedger{answers: []ledgerAnswer{{wait: time.Second}, {wait: time.Second}, {wait: 2 * time.Second}}}
	g := newGov(t, c, governor.Options{Tier: "starter", Ledger: l, BurstShare: 1})
	for range 90 {
		if _, err := do(t, g, governor.Burst, srv); err != nil {
			t.Fatal(err)
		}
	}
	// Three refusals, then 90 calls within the local budget of 90: had the
	// refused attempts been counted locally, the last calls would wait too.
	equalWaits(t, c.Waits(), time.Second, time.Second, 2*time.Second)
	if _, err := do(t, g, governor.Search, srv); err != nil {
		t.Fatal(err)
	}
	want := map[ledgerAsk]int{{"burst", 10 * time.Second, 90}: 93, {"search", time.Second, 4}: 1}
	got := map[ledgerAsk]int{}
	for _, a := range l.asked {
		got[a]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("ledger asked %v, want %v", got, want)
	}
}

// TestLedgerFailureFallsBack checks that a failing ledger leaves the
// governor on its own budget, is not asked again for a while, is reported
// once, and that its return is reported too.
func TestLedgerFailureFallsBack(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&script{})
	t.Cleanup(srv.Close)
	c := newClock()
	down := errors.New("connection refused")
	l := &scriptedLedger{answers: []ledgerAnswer{{err: down}, {err: down}}}
	log, hook := logtest.NewNullLogger()
	g := newGov(t, c, governor.Options{Tier: "starter", Ledger: l, Logger: log})
	for range 5 {
		if _, err := do(t, g, governor.Burst, srv); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(l.asked); n != 1 {
		t.Fatalf("ledger asked %d times within 10 s of failing, want 1", n)
	}
	c.Advance(10 * time.Second)
	if _, err := do(t, g, governor.Burst, srv); err != nil { // fails again, quietly
		t.Fatal(err)
	}
	c.Advance(10 * time.Second)
	if _, err := do(t, g, governor.Burst, srv); err != nil { // back
		t.Fatal(err)
	}
	if n := len(l.asked); n != 3 {
		t.Fatalf("ledger asked %d times, want 3", n)
	}
	var levels []logrus.Level
	for _, e := range hook.AllEntries() {
		levels = append(levels, e.Level)
	}
	if len(levels) != 2 || levels[0] != logrus.WarnLevel || levels[1] != logrus.InfoLevel {
		t.Errorf("log levels %v, want one warning then one info", levels)
	}
	if len(c.Waits()) != 0 {
		t.Errorf("waited %v", c.Waits())
	}
}

// TestLedgerWaitWatchesContext checks that a done context ends a wait for
// the shared budget.
func TestLedgerWaitWatchesContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&script{})
	t.Cleanup(srv.Close)
	c := newClock()
	l := &scriptedLedger{answers: []ledgerAnswer{{wait: time.Second}}}
	ctx, cancel := context.WithCancel(context.Background())
	g, err := governor.New(governor.Options{Ledger: l, Now: c.Now, Rand: func() float64 { return 0 },
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return c.Sleep(ctx, d) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Do(ctx, governor.Burst, get(srv)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
	if n := srv.Config.Handler.(*script).calls.Load(); n != 0 {
		t.Errorf("%d calls reached the server", n)
	}
}
