package cli_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestSetupCountsCallsInSharedBudget checks that a command with a database
// counts its HubSpot calls in the schema's shared rate budget.
func TestSetupCountsCallsInSharedBudget(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-0000-4000-8000-000000000000"
	var calls atomic.Int64
	// The set-up runs `syncd setup`, the command whose calls are counted.
	e := newSetUpEnv(t, envOptions{token: token, wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			h.ServeHTTP(w, r)
		})
	}}, "")
	var counted int64
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0) FROM rate_ledger`).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if counted == 0 || counted != calls.Load() {
		t.Errorf("shared budget counted %d calls, the emulator saw %d", counted, calls.Load())
	}
}
