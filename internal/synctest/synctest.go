// Package synctest holds what syncd's tests build a sync from: a virtual
// clock, HubSpot clients on an emulator served by httptest, outbox rows in a
// pgtest schema, and the shared test data beside the repository.
//
// It imports no engine, outbox or normalize code, so that those packages'
// own tests can use it without an import cycle; each test package builds
// its engine from these parts.
package synctest

import (
	"context"
	"io"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
)

// Token is the bearer token the tests' emulators accept and their clients
// send.
const Token = "test-token"

// Clock is a virtual clock shared by the store, the engines, the governors
// and, where a test wants it, the emulator: waits advance it instead of
// sleeping, so tests never wait on real time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock an hour ahead of the wall clock. Outbox rows get
// next_attempt_at from the database's now(), and claims compare it with
// this clock: the head start keeps fresh rows claimable however slowly a
// test runs (the race detector on two cores is slow).
func NewClock() *Clock { return &Clock{t: time.Now().Add(time.Hour)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Sleep is a governor's sleep: it advances the clock at once, or returns
// ctx's error when ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// Client returns a new HubSpot client on baseURL, sending Token, whose
// enterprise-tier governor waits on clk, so pacing and retries cost no
// wall time. Each call has its own governor, as each syncd process does.
func Client(t testing.TB, baseURL string, clk *Clock) *hubspot.Client {
	t.Helper()
	gov, err := governor.New(governor.Options{Tier: "enterprise", Now: clk.Now, Sleep: clk.Sleep, DailyReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: baseURL, Token: Token, Governor: gov})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// Setup runs `syncd setup` (plan, then apply) for cfg against hs.
func Setup(t testing.TB, hs *hubspot.Client, cfg config.Config) {
	t.Helper()
	ctx := context.Background()
	plan, err := setup.Plan(ctx, hs, cfg)
	if err != nil {
		t.Fatalf("setup plan: %v", err)
	}
	if _, err := setup.Apply(ctx, hs, plan); err != nil {
		t.Fatalf("setup apply: %v", err)
	}
}

// QuietLogger returns a logger that writes nowhere, for engines under test.
func QuietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// Rat parses a decimal string; "" is zero. The test fails on anything else.
func Rat(t testing.TB, s string) *big.Rat {
	t.Helper()
	if s == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a number", s)
	}
	return r
}
