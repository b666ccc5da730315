package cli_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/pgtest"
)

// TestRunHTTPUsage checks the --http flag's usage errors.
func TestRunHTTPUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, args := range [][]string{
		{"run", "--once", "--http", "127.0.0.1:0"},
		{"run", "--http", "localhost"},
	} {
		r := run(t, ctx, map[string]string{"SYNCD_DATABASE_URL": pgtest.DefaultURL}, args...)
		if r.code != cli.ExitUsage || !strings.Contains(r.stderr, "--http") {
			t.Errorf("syncd %v: exit %d, stderr %q; want a usage error naming --http", args, r.code, r.stderr)
		}
	}
}

// TestRunHTTP runs `syncd run` with [http] addr on a free loopback port and
// the access token from a file: it logs where it serves, answers the probes,
// the metrics and the page, stops with status 0, and the token is in no
// log line.
func TestRunHTTP(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	dir := t.TempDir()
	const token = "http-token-3f9a1c7e5b2d4a6c8e0f"
	writeFile(t, dir, "http-token", token+"\n")
	cfgPath := writeFile(t, dir, "syncd.toml", configFor(db.Schema, daemonTOML+"[http]\naddr = \"127.0.0.1:0\"\ntoken_file = \"http-token\"\n"))
	var logs lineWatcher
	serving, idle := logs.when("serving /healthz"), logs.when("sync cycle: nothing to do")
	d := startDaemon(t, db.BaseURL, cfgPath, &logs, []string{"--log-level", "debug", "run"}, serving, idle)
	base, msg := d.serving(t)
	if !strings.Contains(msg, "on this machine only") {
		t.Errorf("a loopback address is not said to serve this machine only: %q", msg)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("no address in the serving line:\n%s", logs.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/": 200, "/nothing": 404} {
		code, body := d.get(t, path)
		if code != want {
			t.Errorf("GET %s = %d, want %d:\n%s", path, code, want, body)
		}
		if strings.Contains(body, token) {
			t.Errorf("GET %s shows the access token", path)
		}
	}
	if c := d.stopped(); c != cli.ExitOK {
		t.Errorf("run exited with %d after the stop:\n%s", c, logs.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the endpoint still answers after syncd stopped")
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the log shows the access token:\n%s", logs.String())
	}
}

// TestRunHTTPWithInbox checks the inbox as `syncd run` wires it: a job on
// the daemon that runs at the start, its gauges on /metrics and its
// section on the status page.
func TestRunHTTPWithInbox(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	cfgPath := writeTemp(t, "syncd.toml", configFor(db.Schema, daemonTOML+"[http]\naddr = \"127.0.0.1:0\"\n"+
		"[inbox]\nenabled = true\nschedule = \"@hourly\"\nobjects = [\"contacts\", \"deals\"]\n"))
	var logs lineWatcher
	serving, polled := logs.when("serving /healthz"), logs.when("inbox cycle finished")
	d := startDaemon(t, db.BaseURL, cfgPath, &logs, []string{"run"}, serving, polled)
	_, m := d.get(t, "/metrics")
	for _, want := range []string{`syncd_inbox_rows_unconsumed{object_type="contact"} 0`, `syncd_inbox_rows_unconsumed{object_type="deal"} 0`,
		`syncd_inbox_watermark_age_seconds{object_type="deal"}`, `syncd_inbox_database_up 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, page := d.get(t, "/"); !strings.Contains(page, `<section id="inbox">`) || !strings.Contains(page, "deal") {
		t.Errorf("the status page has no inbox section:\n%s", page)
	}
	if c := d.stopped(); c != cli.ExitOK {
		t.Errorf("run exited with %d after the stop:\n%s", c, logs.String())
	}
}
