package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/store"
)

// remote is a request to h from beyond this machine (a TEST-NET address;
// the handler sees it as the peer, no packet is sent).
func remote(t *testing.T, h http.Handler, method, path string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = "192.0.2.10:40000"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestAccessWithToken checks who gets in when an access token is set:
// from beyond this machine the probes answer without it (and without the
// errors behind them), the page, the metrics and the retry button need it,
// as a bearer token or through the login form's session cookie; a request
// a local proxy forwards counts as remote. The token never appears in an
// answer, a cookie or a log line.
func TestAccessWithToken(t *testing.T) {
	t.Parallel()
	const token = "tok-5c1f0e2a9b7d4e6f8a3b2c1d0e9f8a7b"
	e := newEnv(t, token)
	h := e.ep.Server.Handler()
	var seen strings.Builder // every answer, to look for the token in
	see := func(w *httptest.ResponseRecorder) *httptest.ResponseRecorder {
		fmt.Fprintf(&seen, "%v\n%s\n", w.Header(), w.Body.String())
		return w
	}

	if w := see(remote(t, h, "GET", "/healthz", nil)); w.Code != http.StatusOK {
		t.Errorf("remote /healthz = %d", w.Code)
	}
	if w := see(remote(t, h, "GET", "/readyz", nil)); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("remote /readyz = %d:\n%s", w.Code, w.Body)
	}
	w := see(remote(t, h, "GET", "/", nil))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `name="token"`) || strings.Contains(w.Body.String(), "C-BAD") {
		t.Errorf("remote / without the token = %d, want the login form and no rows:\n%s", w.Code, w.Body)
	}
	if w := see(remote(t, h, "GET", "/metrics", nil)); w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("remote /metrics without the token = %d %v", w.Code, w.Header())
	}
	if w := see(remote(t, h, "GET", "/metrics", nil, "Authorization", "Bearer wrong-"+token)); w.Code != http.StatusUnauthorized {
		t.Errorf("remote /metrics with a wrong token = %d", w.Code)
	}
	if w := see(remote(t, h, "GET", "/metrics", nil, "Authorization", "Bearer "+token)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "syncd_outbox_rows") {
		t.Errorf("remote /metrics with the token = %d", w.Code)
	}
	if w := see(remote(t, h, "GET", "/?key=C-1", nil, "Authorization", "Bearer "+token)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "C-BAD") {
		t.Errorf("remote / with the token = %d", w.Code)
	}

	// The retry button needs the token too.
	tBad := e.id(t, "T-BAD")
	_, page, _ := e.get(t, "/")
	form := url.Values{"csrf": {csrf(t, page)}, "id": {fmt.Sprint(tBad)}}
	if w := see(remote(t, h, "POST", "/retry", form)); w.Code != http.StatusUnauthorized {
		t.Errorf("remote POST /retry without the token = %d", w.Code)
	}
	if st, _ := e.state(t, tBad); st != store.StateDead {
		t.Errorf("a refused retry changed T-BAD to %s", st)
	}

	// The login form: a wrong token is refused, the right one sets a
	// session cookie that is not the token and lets the browser in.
	w = see(remote(t, h, "GET", "/login", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("remote /login = %d", w.Code)
	}
	loginCSRF := csrf(t, w.Body.String())
	w = see(remote(t, h, "POST", "/login", url.Values{"csrf": {loginCSRF}, "token": {"guess"}}))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "That is not the access token") {
		t.Errorf("a wrong login = %d:\n%s", w.Code, w.Body)
	}
	if w := see(remote(t, h, "POST", "/login", url.Values{"token": {token}})); w.Code != http.StatusForbidden {
		t.Errorf("a login without the CSRF field = %d", w.Code)
	}
	w = see(remote(t, h, "POST", "/login", url.Values{"csrf": {loginCSRF}, "token": {token}}))
	cookies := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cookies) != 1 || cookies[0].Name != "syncd_session" || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("the right login = %d, cookies %v", w.Code, cookies)
	}
	session := cookies[0].Name + "=" + cookies[0].Value
	if w := see(remote(t, h, "GET", "/", nil, "Cookie", session)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/logout") {
		t.Errorf("remote / with the session = %d", w.Code)
	}
	if w := see(remote(t, h, "POST", "/retry", form, "Cookie", session)); w.Code != http.StatusSeeOther {
		t.Errorf("remote POST /retry with the session = %d:\n%s", w.Code, w.Body)
	}
	if w := see(remote(t, h, "GET", "/", nil, "Cookie", "syncd_session="+strings.Repeat("0", 64))); w.Code != http.StatusUnauthorized {
		t.Errorf("remote / with a forged session = %d", w.Code)
	}

	// A reverse proxy on this machine forwards remote users: they need the
	// token too.
	if code, _, _ := e.get(t, "/", "X-Forwarded-For", "198.51.100.7"); code != http.StatusUnauthorized {
		t.Errorf("/ through a local proxy = %d", code)
	}

	// A real listener on an address of this machine that is not loopback,
	// when there is one: a request to it comes from that address.
	if ip := nonLoopbackAddr(t); ip != "" {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.ep.Server.Serve(ctx, ln) }()
		base := "http://" + ln.Addr().String()
		for path, want := range map[string]int{"/": http.StatusUnauthorized, "/metrics": http.StatusUnauthorized, "/healthz": http.StatusOK} {
			resp, err := noRedirect.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			fmt.Fprintf(&seen, "%v\n%s\n", resp.Header, b)
			if resp.StatusCode != want {
				t.Errorf("GET %s%s = %d, want %d", base, path, resp.StatusCode, want)
			}
		}
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve on %s: %v", ip, err)
		}
	}

	e.stopDaemon()
	if strings.Contains(seen.String(), token) {
		t.Errorf("an answer carries the access token:\n%s", seen.String())
	}
	if strings.Contains(e.logs.String(), token) {
		t.Errorf("the log carries the access token:\n%s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), "a login gave a wrong access token") {
		t.Error("a wrong login is not logged")
	}
}

// nonLoopbackAddr returns an IPv4 address of this machine's interfaces
// that is not loopback, or "" when it has none.
func nonLoopbackAddr(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Logf("no interface addresses: %v", err)
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Log("this machine has no non-loopback IPv4 address; the remote peer is simulated only")
	return ""
}

// TestAccessWithoutToken checks that with no access token set, nothing
// but the probes answers beyond this machine, and the answer says how to
// open it.
func TestAccessWithoutToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	h := e.ep.Server.Handler()
	for _, path := range []string{"/", "/metrics", "/login"} {
		w := remote(t, h, "GET", path, nil)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "SYNCD_HTTP_TOKEN") {
			t.Errorf("remote %s = %d %q; want 403 naming SYNCD_HTTP_TOKEN", path, w.Code, w.Body)
		}
	}
	if w := remote(t, h, "POST", "/login", url.Values{"token": {"anything"}}); w.Code != http.StatusForbidden {
		t.Errorf("remote POST /login = %d", w.Code)
	}
	if w := remote(t, h, "GET", "/healthz", nil); w.Code != http.StatusOK {
		t.Errorf("remote /healthz = %d", w.Code)
	}
	if code, _, _ := e.get(t, "/"); code != http.StatusOK {
		t.Errorf("/ from this machine = %d", code)
	}
}
