package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
)

// sessionCookie holds a browser's proof that it logged in with the access
// token. Its value is derived from the token with the process's own key,
// so it reveals nothing of the token and ends when the process does.
const sessionCookie = "syncd_session"

// guard decides who may see the page and press its buttons: requests from
// this machine always; others with the access token, as a bearer token
// (Prometheus, curl) or through the session cookie the login form sets.
type guard struct {
	token   string // "" when none is configured: only this machine is let in
	key     []byte // the process's random key
	session string // the session cookie's value
	csrf    string // the forms' hidden field
}

func newGuard(token string) *guard {
	g := &guard{token: token, key: make([]byte, 32)}
	if _, err := rand.Read(g.key); err != nil {
		panic("server: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	g.session = g.mac("session\x00" + token)
	g.csrf = g.mac("csrf")
	return g
}

func (g *guard) mac(s string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// local reports whether r comes from this machine and not through a proxy:
// a loopback peer whose request names no forwarded client. A reverse proxy
// on the same host forwards remote users; the headers it adds make them
// remote here too.
func local(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// allowed reports whether r may see more than the probes.
func (g *guard) allowed(r *http.Request) bool {
	if local(r) {
		return true
	}
	if g.token == "" {
		return false
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, cred, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && g.tokenMatches(strings.TrimSpace(cred))
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(g.session)) == 1
	}
	return false
}

// tokenMatches compares s with the access token in constant time.
func (g *guard) tokenMatches(s string) bool {
	return g.token != "" && hmac.Equal([]byte(g.mac("t\x00"+s)), []byte(g.mac("t\x00"+g.token)))
}

// csrfOK checks a form's hidden field.
func (g *guard) csrfOK(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(g.csrf)) == 1
}

// secure reports whether the browser reached the endpoint over TLS,
// directly or through a proxy that says so, for the cookie's Secure flag.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (g *guard) setSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: g.session, Path: "/",
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}
