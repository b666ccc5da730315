package cli_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/cli"
)

// TestEmulatorCommand starts `syncd emulator` on a free loopback port,
// reads the URL it prints, calls it with and without the one accepted
// token, and stops it.
func TestEmulatorCommand(t *testing.T) {
	t.Parallel()
	var out, logs lineWatcher
	printed := out.when("http://")
	f := testFactory(nil, &out, &logs)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	code := make(chan int, 1)
	go func() {
		code <- cli.Main(ctx, f, []string{"emulator", "--addr", "127.0.0.1:0", "--token", "pat-test", "--tier", "starter"})
	}()
	select {
	case <-printed:
	case c := <-code:
		t.Fatalf("emulator exited with %d:\n%s", c, logs.String())
	}
	url := strings.TrimSpace(out.String())
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.Contains(url, "\n") {
		t.Fatalf("stdout = %q, want one loopback URL", url)
	}
	for token, want := range map[string]int{"pat-test": http.StatusOK, "pat-other": http.StatusUnauthorized} {
		req, _ := http.NewRequest(http.MethodGet, url+"/account-info/2026-09/details", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %s: status %d, want %d", token, resp.StatusCode, want)
		}
	}
	stop()
	if c := <-code; c != cli.ExitOK {
		t.Errorf("exit %d after stop:\n%s", c, logs.String())
	}
}
