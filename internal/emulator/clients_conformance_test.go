package emulator_test

// Outside programs drive a fresh emulator on a loopback server: the curl
// walk-through of docs/emulator.md, run by sh, and HubSpot's official
// Node.js client.

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

// runOutside serves h on a loopback server, makes the outside program's
// command for the server's URL and runs it for at most timeout. It returns
// what the program wrote to its standard output and error, interleaved.
func runOutside(t *testing.T, h http.Handler, timeout time.Duration, command func(ctx context.Context, url string) *exec.Cmd) (string, error) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := command(ctx, ts.URL).CombinedOutput()
	return string(out), err
}

// docPath is the emulator's user documentation, whose walk-through this test runs.
var docPath = filepath.Join("..", "..", "docs", "emulator.md")

// The walk-through's shell blocks use these literals for the emulator's URL and token; the
// test substitutes its own server's.
const (
	docURL   = "http://127.0.0.1:8080"
	docToken = "dev-token"
)

// shellBlocks returns the ```sh fenced blocks of a markdown file, in order. Blocks fenced
// with another info string (console, text, json) are not run.
func shellBlocks(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```sh":
			cur = &strings.Builder{}
		case cur != nil && trimmed == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
			cur.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s: unterminated ```sh block", path)
	}
	return blocks
}

// TestEmulatorDocsWalkthrough runs every ```sh block of docs/emulator.md, in order, as one
// script against a fresh emulator, so the curl walk-through keeps working as written.
func TestEmulatorDocsWalkthrough(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not on PATH; skipping the docs/emulator.md walk-through")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("sh is not on PATH; skipping the docs/emulator.md walk-through")
	}
	blocks := shellBlocks(t, docPath)
	if len(blocks) < 5 {
		t.Fatalf("%s has %d ```sh blocks; the walk-through needs them", docPath, len(blocks))
	}
	script := "set -eu\n" + strings.Join(blocks, "\n")

	out, err := runOutside(t, emulator.New(emulator.Options{Tokens: []string{docToken}}), time.Minute, func(ctx context.Context, url string) *exec.Cmd {
		return exec.CommandContext(ctx, sh, "-c", strings.ReplaceAll(script, docURL, url))
	})
	if err != nil {
		t.Fatalf("the walk-through in %s fails: %v\n--- output ---\n%s", docPath, err, out)
	}
	if testing.Verbose() {
		t.Logf("walk-through output:\n%s", out)
	}
	// The walk-through echoes the IDs it learns; each must be a HubSpot record ID.
	for _, name := range []string{"company", "contact", "deal", "product", "line item", "ticket"} {
		re := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`)
		if !re.MatchString(out) {
			t.Errorf("walk-through output has no line %q followed by a record ID\n--- output ---\n%s", name, out)
		}
	}
}

// nodeClientDir holds the Node project that runs HubSpot's official client.
const nodeClientDir = "testdata/node"

// TestNodeClient runs HubSpot's official Node.js client (@hubspot/api-client, pinned in
// testdata/node/package-lock.json) against a fresh emulator on a loopback server. The script
// covers contacts, companies, deals with products and line items, tickets, search, batch
// upsert, v4 associations, pipelines, properties and the client's own 429 retries.
func TestNodeClient(t *testing.T) {
	t.Parallel()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are not on PATH; skipping the official Node.js client test")
	}

	// npm ci and the client's tests share four minutes.
	deadline := time.Now().Add(4 * time.Minute)
	if _, err := os.Stat(filepath.Join(nodeClientDir, "node_modules")); errors.Is(err, fs.ErrNotExist) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeClientDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", nodeClientDir, err, out)
		}
	}

	token := newToken(t)
	var srv http.Handler = emulator.New(emulator.Options{Tier: "professional", Tokens: []string{token}})
	// With the specs at hand, every exchange the client makes is also checked against them.
	var proxy *specProxy
	if specs := specsIfPresent(t); specs != nil {
		proxy = &specProxy{specs: specs, tally: newOpTally(), next: srv}
		srv = proxy
	}
	out, err := runOutside(t, srv, time.Until(deadline), func(ctx context.Context, url string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "client.test.js")
		cmd.Dir = nodeClientDir
		cmd.Env = append(os.Environ(),
			"HUBSPOT_BASE_URL="+url,
			"HUBSPOT_ACCESS_TOKEN="+token,
			"NO_COLOR=1",
		)
		return cmd
	})
	text := strings.ReplaceAll(out, token, "[token]")
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, text)
	}
	for _, line := range strings.Split(text, "\n") {
		if nodeSummary.MatchString(line) {
			t.Log(strings.TrimSpace(line))
		}
	}
	if proxy == nil {
		t.Log("HubSpot OpenAPI specs not found; the client's exchanges were not checked against them")
		return
	}
	proxy.tally.report(t)
	for _, p := range proxy.problems {
		t.Error(strings.ReplaceAll(p, token, "[token]"))
	}
}

var nodeSummary = regexp.MustCompile(`^\s*ℹ (tests|pass|fail|duration_ms) `)
