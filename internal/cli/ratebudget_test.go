package cli_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/syncd/syncd/internal/cli"
)

// TestSetupCountsCallsInSharedBudget checks that a command with a database
// counts its HubSpot calls in the schema's shared rate budget.
func TestSetupCountsCallsInSharedBudget(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-0000-4000-8000-000000000000"
	var calls atomic.Int64
	e := newSyncdEnv(t, envOptions{token: token, wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			h.ServeHTTP(w, r)
		})
	}})
	db, env, cfgPath := e.db, e.env, e.config(t, "syncd.toml", "")
	if r := run(t, context.Background(), env, "--config", cfgPath, "setup"); r.code != cli.ExitOK {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var counted int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0) FROM rate_ledger`).Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if counted == 0 || counted != calls.Load() {
		t.Errorf("shared budget counted %d calls, the emulator saw %d", counted, calls.Load())
	}
}
