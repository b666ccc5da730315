package backfill

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/outbox"
)

// TestDocsMapping loads the mapping file of docs/backfill.md and compiles
// it against a header of its own columns, so the example users copy stays
// a mapping syncd accepts.
func TestDocsMapping(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "backfill.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```toml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/backfill.md has no TOML mapping example")
	}
	path := filepath.Join(t.TempDir(), "customers.toml")
	if err := os.WriteFile(path, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	mp, err := LoadMapping(path)
	if err != nil {
		t.Fatal(err)
	}
	header := make([]string, 0, len(mp.Columns))
	for col := range mp.Columns {
		header = append(header, col)
	}
	slices.Sort(header)
	p, err := compile(outbox.Entity(mp.Entity), mp, header)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.columns) != len(header)-1 || p.header[p.key] != "รหัสลูกค้า" || !strings.HasPrefix(mp.Encoding, "windows") {
		t.Errorf("compiled %v (key %d)", p.columns, p.key)
	}
}
