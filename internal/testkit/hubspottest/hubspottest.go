// Package hubspottest builds the HubSpot side of a sync under test: a
// client of an emulator served by httptest whose governor waits on a fake
// clock, the setup run that creates syncd's properties and pipelines, a
// quiet logger for the engines, decimal parsing for comparing the amounts
// HubSpot holds, and a person's change made in HubSpot (AsUser).
//
// It imports no engine, outbox or normalize code, so that those packages'
// own tests can use it without an import cycle; each test package builds
// its engine from these parts. The fake clock is package fakeclock, outbox
// fixtures are package outboxtest, and the shared test data beside the
// repository is package shareddata.
package hubspottest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// Token is the bearer token the tests' emulators accept and their clients
// send.
const Token = "test-token"

// Client returns a new HubSpot client on baseURL, sending Token, whose
// enterprise-tier governor waits on clk, so pacing and retries cost no
// wall time. Each call has its own governor, as each syncd process does.
func Client(t testing.TB, baseURL string, clk *fakeclock.Clock) *hubspot.Client {
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

// AsUser sends a public API request to the emulator at baseURL on behalf
// of HubSpot user user (the emulator's UserHeader), as a person's change
// in HubSpot's UI would reach it, with body as JSON, and returns the
// answer's body. An answer of 300 or more fails the test.
func AsUser(t testing.TB, baseURL, user, method, path string, body any) []byte {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, baseURL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(emulator.UserHeader, user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s as user %s: %d %s", method, path, user, resp.StatusCode, raw)
	}
	return raw
}
