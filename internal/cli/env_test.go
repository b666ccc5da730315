package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
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

// daemon is `syncd run` started in-process for a test, with only the
// database in its environment, so that the built-in emulator stands in
// for HubSpot.
type daemon struct {
	logs *lineWatcher
	code chan int
	stop context.CancelFunc
}

// startDaemon runs syncd with args after --config cfg, its log going to
// logs, and waits for each of ready in turn (channels of logs.when),
// failing the test when syncd exits first or a minute passes.
func startDaemon(t *testing.T, dbURL, cfg string, logs *lineWatcher, args []string, ready ...<-chan struct{}) *daemon {
	t.Helper()
	f := &cli.Factory{
		IO: cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: logs},
		LookupEnv: func(k string) (string, bool) {
			if k == "SYNCD_DATABASE_URL" {
				return dbURL, true
			}
			return "", false
		},
		Now: time.Now,
	}
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	d := &daemon{logs: logs, code: make(chan int, 1), stop: stop}
	go func() { d.code <- cli.Main(ctx, f, append([]string{"--config", cfg}, args...)) }()
	d.await(t, "ready", ready...)
	return d
}

// await waits for each of ready in turn, failing the test when syncd
// exits first or a minute passes; what names the wait in the failure.
func (d *daemon) await(t *testing.T, what string, ready ...<-chan struct{}) {
	t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for _, r := range ready {
		select {
		case <-r:
		case c := <-d.code:
			t.Fatalf("syncd exited with %d before it was %s:\n%s", c, what, d.logs.String())
		case <-timeout.C:
			t.Fatalf("syncd is not %s after a minute:\n%s", what, d.logs.String())
		}
	}
}

// serving returns the base URL and the message of the log line that says
// where syncd serves its HTTP endpoint.
func (d *daemon) serving(t *testing.T) (base, msg string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(d.logs.String()))
	for sc.Scan() {
		var l struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &l) == nil && strings.HasPrefix(l.Msg, "serving /healthz") {
			return l.Addr, l.Msg
		}
	}
	t.Fatalf("no serving line in the log:\n%s", d.logs.String())
	return "", ""
}

// stopped stops syncd as SIGTERM does and returns its exit status.
func (d *daemon) stopped() int {
	d.stop()
	return <-d.code
}
