package emulator_test

import (
	"bytes"
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

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	if _, err := os.Stat(filepath.Join(nodeClientDir, "node_modules")); errors.Is(err, fs.ErrNotExist) {
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
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "client.test.js")
	cmd.Dir = nodeClientDir
	cmd.Env = append(os.Environ(),
		"HUBSPOT_BASE_URL="+ts.URL,
		"HUBSPOT_ACCESS_TOKEN="+token,
		"NO_COLOR=1",
	)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	text := strings.ReplaceAll(out.String(), token, "[token]")
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
