package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/pgtest"
)

// TestDemoCommand runs `syncd demo` on a test schema. A HubSpot token and
// base URL in the environment are ignored: the demo only ever talks to its
// own emulator (the base URL below does not answer).
func TestDemoCommand(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	env := map[string]string{
		"SYNCD_DATABASE_URL":     db.BaseURL,
		"HUBSPOT_TOKEN":          "pat-must-not-be-used",
		"SYNCD_HUBSPOT_BASE_URL": "http://192.0.2.1:1",
	}
	r := run(t, context.Background(), env, "demo", "--schema", db.Schema)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"failed, as intended", "exits 0", "schema " + db.Schema} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "pat-must-not-be-used") {
		t.Error("the demo printed the token")
	}
}
