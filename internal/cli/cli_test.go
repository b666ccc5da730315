package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
)

// result is what one syncd invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs syncd in-process with exactly the given environment.
func run(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, testFactory(env, &out, &errOut), args)
	return result{code, out.String(), errOut.String()}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{"version"}, cli.ExitOK, "syncd dev", ""},
		{[]string{"bogus"}, cli.ExitUsage, "", `unknown command "bogus"`},
		{[]string{"run", "--bogus"}, cli.ExitUsage, "", "unknown flag: --bogus"},
		{[]string{"version", "extra"}, cli.ExitUsage, "", "takes no arguments"},
		{[]string{"migrate", "down", "--to", "x"}, cli.ExitUsage, "", "--to"},
		{[]string{"emulator", "--addr", "0.0.0.0:0"}, cli.ExitUsage, "", "not a loopback address"},
		{[]string{"emulator", "--tier", "gold"}, cli.ExitUsage, "", `--tier "gold"`},
		{[]string{"--log-level", "loud", "config"}, cli.ExitUsage, "", "--log-level"},
		{[]string{"migrate", "up"}, cli.ExitError, "", `key "database.url": is not set`},
		{[]string{"run", "--json"}, cli.ExitUsage, "", "--json needs --once"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, context.Background(), map[string]string{}, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.out) || !strings.Contains(r.stderr, tt.err) {
				t.Errorf("syncd %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tt.args, r.code, r.stdout, r.stderr, tt.code, tt.out, tt.err)
			}
		})
	}
}

// TestHelpNeedsNothing checks that help is served without reading the
// config: the config file named in the environment does not exist.
func TestHelpNeedsNothing(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SYNCD_CONFIG": filepath.Join(t.TempDir(), "missing.toml"), "SYNCD_DATABASE_URL": "postgres://nobody@192.0.2.1:1/x?connect_timeout=1"}
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"migrate", "--help"}, {"demo", "--help"}, {"setup", "--help"}, {}} {
		r := run(t, context.Background(), env, args...)
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("syncd %v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	// The same config makes a real command fail, so the test above can fail.
	if r := run(t, context.Background(), env, "config"); r.code != cli.ExitError || !strings.Contains(r.stderr, "missing.toml") {
		t.Errorf("syncd config with a missing file: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-00000000-1111-2222-3333-444444444444"
	path := writeTemp(t, "syncd.toml", "[sync]\nbatch_size = 250\n")
	r := run(t, context.Background(), map[string]string{"HUBSPOT_TOKEN": token, "SYNCD_DATABASE_URL": "postgres://u:hunter2@db/erp"}, "--config", path, "config")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"batch_size = 250", "set, from HUBSPOT_TOKEN", "schedule = '@every 10s'"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{token, "hunter2"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("output reveals %q", secret)
		}
	}

	bad := writeTemp(t, "bad.toml", "[sync]\n\nbatch_size = 0\n")
	r = run(t, context.Background(), map[string]string{}, "--config", bad, "config")
	if want := bad + `:3: key "sync.batch_size": must be between 1 and 10000`; r.code != cli.ExitError || !strings.Contains(r.stderr, want) {
		t.Errorf("bad config: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}
