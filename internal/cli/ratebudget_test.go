package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/pgtest"
)

// TestSetupCountsCallsInSharedBudget checks that a command with a database
// counts its HubSpot calls in the schema's shared rate budget.
func TestSetupCountsCallsInSharedBudget(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-0000-4000-8000-000000000000"
	db := pgtest.Migrated(t)
	emu := emulator.New(emulator.Options{Tokens: []string{token}, DisableRateLimits: true})
	var calls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	cfgPath := filepath.Join(t.TempDir(), "syncd.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("[database]\nschema = %q\n", db.Schema)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SYNCD_DATABASE_URL":     db.BaseURL,
		"SYNCD_HUBSPOT_BASE_URL": ts.URL,
		"HUBSPOT_TOKEN":          token,
	}
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
