package emulator_test

import (
	"bufio"
	"bytes"
	"context"
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

	ts := httptest.NewServer(emulator.New(emulator.Options{Tokens: []string{docToken}}))
	t.Cleanup(ts.Close)
	script = strings.ReplaceAll(script, docURL, ts.URL)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-c", script)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through in %s fails: %v\n--- output ---\n%s", docPath, err, out.String())
	}
	if testing.Verbose() {
		t.Logf("walk-through output:\n%s", out.String())
	}
	// The walk-through echoes the IDs it learns; each must be a HubSpot record ID.
	for _, name := range []string{"company", "contact", "deal", "product", "line item", "ticket"} {
		re := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`)
		if !re.Match(out.Bytes()) {
			t.Errorf("walk-through output has no line %q followed by a record ID\n--- output ---\n%s", name, out.String())
		}
	}
}
