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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/pgtest"
)

// testFactory is what syncd is given in a test: an empty stdin, out and
// errOut as stdout and stderr, exactly env as its environment and the
// real clock.
func testFactory(env map[string]string, out, errOut io.Writer) *cli.Factory {
	return &cli.Factory{
		IO: cli.IOStreams{In: strings.NewReader(""), Out: out, Err: errOut},
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		Now: time.Now,
	}
}

// adminDB is a migrated test schema and the environment and arguments that
// point syncd at it, with no HubSpot token: a command that built a HubSpot
// client would start the built-in emulator and warn about it on stderr.
type adminDB struct {
	*pgtest.DB
	env  map[string]string
	args []string
}

// newAdminDB returns an adminDB on a schema of its own, migrated or empty.
func newAdminDB(t *testing.T, migrated bool) adminDB {
	t.Helper()
	newDB := pgtest.New
	if migrated {
		newDB = pgtest.Migrated
	}
	db := newDB(t)
	cfgPath := writeTemp(t, "syncd.toml", configFor(db.Schema, ""))
	return adminDB{DB: db, env: map[string]string{"SYNCD_DATABASE_URL": db.BaseURL}, args: []string{"--config", cfgPath}}
}

func (a adminDB) run(t *testing.T, args ...string) result {
	t.Helper()
	r := run(t, context.Background(), a.env, append(slices.Clone(a.args), args...)...)
	if strings.Contains(r.stderr, "emulator") || strings.Contains(r.stderr, "HubSpot token") {
		t.Errorf("syncd %v reached for HubSpot:\n%s", args, r.stderr)
	}
	return r
}

// seed inserts an outbox row as syncd would have left it in state, with
// no last error when lastErr is "".
func (a adminDB) seed(t *testing.T, entity, erpID, state string, attempts int, lastErr string) int64 {
	t.Helper()
	var id int64
	err := a.Pool.QueryRow(context.Background(), `
INSERT INTO outbox (entity, erp_id, payload, state, attempts, last_error, next_attempt_at, processed_at)
VALUES ($1, $2, '{}', $3, $4, NULLIF($5, ''), '2030-01-02T03:04:05Z',
        CASE WHEN $3 IN ('done', 'dead', 'superseded') THEN '2026-11-27T01:00:00Z'::timestamptz END)
RETURNING id`, entity, erpID, state, attempts, lastErr).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

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
	return writeFile(t, d.dir, name, configFor(d.db.Schema, extra))
}

// hubspot sends a request to the env's HubSpot with the token syncd uses,
// as a user does through another integration (asUser is the HubSpot user
// the change is made as, "" for none), and fails the test unless HubSpot
// answers want.
func (d syncdEnv) hubspot(t *testing.T, method, path, body, asUser string, want int) {
	t.Helper()
	req, err := http.NewRequest(method, d.env["SYNCD_HUBSPOT_BASE_URL"]+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.env["HUBSPOT_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	if asUser != "" {
		req.Header.Set(emulator.UserHeader, asUser)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: HubSpot answered %d, want %d", method, path, resp.StatusCode, want)
	}
}

// setUpEnv is a syncdEnv after the steps an operator takes before the
// first sync, with the config file they took them with.
type setUpEnv struct {
	syncdEnv
	cfg string
}

// newSetUpEnv is newSyncdEnv with a config file syncd.toml holding extra,
// after `syncd migrate up` (for a schema o leaves unmigrated) and
// `syncd setup` have succeeded with it.
func newSetUpEnv(t *testing.T, o envOptions, extra string) setUpEnv {
	t.Helper()
	e := setUpEnv{syncdEnv: newSyncdEnv(t, o)}
	e.cfg = e.config(t, "syncd.toml", extra)
	if o.unmigrated {
		e.syncd(t, cli.ExitOK, "migrate", "up")
	}
	e.syncd(t, cli.ExitOK, "setup")
	return e
}

// syncd runs syncd with the env's config file and fails the test unless
// it exits with want.
func (e setUpEnv) syncd(t *testing.T, want int, args ...string) result {
	t.Helper()
	return e.step(t, e.cfg, want, args...)
}

// configFor is a config file's TOML for the schema, with extra TOML after
// it.
func configFor(schema, extra string) string {
	return fmt.Sprintf("[database]\nschema = %q\n\n%s", schema, extra)
}

// setting is the TOML that sets key in table to value, or "" when value
// is "" (the default).
func setting(table, key, value string) string {
	if value == "" {
		return ""
	}
	return fmt.Sprintf("[%s]\n%s = %q\n", table, key, value)
}

// docSection returns the text of docs/name from heading on.
func docSection(t *testing.T, name, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), heading)
	if !ok {
		t.Fatalf("docs/%s has no section %q", name, heading)
	}
	return heading + section
}

// codeBlock returns the first code block of lang in doc.
func codeBlock(t *testing.T, doc, lang string) string {
	t.Helper()
	_, block, ok := strings.Cut(doc, "```"+lang+"\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatalf("no %s block in %.80q…", lang, doc)
	}
	return block
}

// daemonTOML makes `syncd run` log JSON, for a lineWatcher to wait on, and
// sync hourly, so that only what the test does brings a cycle after the
// first.
const daemonTOML = "[sync]\nschedule = \"@hourly\"\n[log]\nformat = \"json\"\n"

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTemp writes content to name in a directory of its own and returns
// its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), name, content)
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
	f := testFactory(map[string]string{"SYNCD_DATABASE_URL": dbURL}, io.Discard, logs)
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

// get sends a GET request for path to where syncd serves its HTTP
// endpoint and returns the status code and the body.
func (d *daemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	base, _ := d.serving(t)
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stopped stops syncd as SIGTERM does and returns its exit status.
func (d *daemon) stopped() int {
	d.stop()
	return <-d.code
}
