package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/pgtest"
)

// syncdEnv is one test's set-up as an operator has it: a schema of its
// own, an in-process emulator behind a real HTTP server that accepts one
// token, and the environment syncd reads (database URL, HubSpot base URL,
// token).
type syncdEnv struct {
	db  *pgtest.DB
	emu *emulator.Server
	env map[string]string
	dir string // for config and token files
}

// envOptions shape a syncdEnv; the zero value is a migrated schema and an
// emulator without rate limits that accepts any token syncd sends.
type envOptions struct {
	token  string   // the one token the emulator accepts; "" means any
	scopes []string // the token's scopes; nil means every scope
	// wrap, when set, stands between syncd and the emulator.
	wrap func(http.Handler) http.Handler
	// unmigrated leaves the schema empty, for tests of syncd migrate.
	unmigrated bool
}

// anyToken is the token syncd sends when envOptions.token is "".
const anyToken = "pat-na1-00000000-0000-4000-8000-0000000000ff"

func newSyncdEnv(t *testing.T, o envOptions) syncdEnv {
	t.Helper()
	db := pgtest.Migrated
	if o.unmigrated {
		db = pgtest.New
	}
	d := syncdEnv{db: db(t), dir: t.TempDir()}
	opts := emulator.Options{DisableRateLimits: true}
	token := anyToken
	if o.token != "" {
		token = o.token
		opts.Tokens = []string{token}
		if o.scopes != nil {
			opts.Scopes = map[string][]string{token: o.scopes}
		}
	}
	d.emu = emulator.New(opts)
	var h http.Handler = d.emu
	if o.wrap != nil {
		h = o.wrap(d.emu)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	d.env = map[string]string{"SYNCD_DATABASE_URL": d.db.BaseURL, "SYNCD_HUBSPOT_BASE_URL": ts.URL, "HUBSPOT_TOKEN": token}
	return d
}

// config writes a config file for the schema, with extra TOML after it,
// and returns its path.
func (d syncdEnv) config(t *testing.T, name, extra string) string {
	t.Helper()
	p := filepath.Join(d.dir, name)
	if err := os.WriteFile(p, []byte(fmt.Sprintf("[database]\nschema = %q\n\n%s", d.db.Schema, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// step runs syncd with the config file cfg and fails the test unless it
// exits with want.
func (d syncdEnv) step(t *testing.T, cfg string, want int, args ...string) result {
	t.Helper()
	r := run(t, context.Background(), d.env, append([]string{"--config", cfg}, args...)...)
	if r.code != want {
		t.Fatalf("syncd %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}
