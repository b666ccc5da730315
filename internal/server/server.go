package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// Options configures New. Store is required.
type Options struct {
	// Store is the outbox, the ID map and the runs log the page shows.
	Store *store.Store
	// Metrics serves /metrics (metrics.Metrics.Handler); nil serves none.
	Metrics http.Handler
	// Token is the access token requests from beyond this machine need;
	// with none they are refused. It is never written to a page, a log
	// line or an error.
	Token config.Secret
	// Account reads the HubSpot account (hubspot.Client.AccountDetails):
	// the probe's token check when no answer has vouched for the token
	// lately, and the host of the links into HubSpot (its uiDomain). Nil
	// leaves the token to the answers the hooks report.
	Account func(context.Context) (*hubspot.Account, error)
	// Budget returns the rate budgets the page shows
	// (governor.Governor.State); nil shows none.
	Budget func() governor.State
	// Schedule is sync.schedule: readiness ends three periods after the
	// last cycle, unless StaleAfter says otherwise.
	Schedule   cron.Schedule
	StaleAfter time.Duration
	// Lease is sync.lease: how long a running cycle keeps syncd ready.
	Lease time.Duration
	// Entities are the outbox entities the page lists even without rows,
	// in order; ObjectTypes, the ID map's object type of each
	// (engine.IDMapType), for the lookup by entity. A lookup of an entity
	// without one searches every type.
	Entities    []string
	ObjectTypes map[string]store.ObjectType
	// Version is the build's version, shown on the page.
	Version string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives the endpoint's lines; nothing is logged when nil.
	Logger logrus.FieldLogger
	// Sections are added to the status page after the built-in ones;
	// Checks to /readyz after the built-in ones.
	Sections []Section
	Checks   []Check
	// Handlers are further routes (ServeMux patterns, such as "POST
	// /inbox/replay") behind the same access guard and cross-origin
	// protection as the page; a POST handler checks the form with
	// CheckCSRF.
	Handlers map[string]http.Handler
	// Limit is how many rows each list of the page shows (default 50);
	// Runs, how many runs (default 10).
	Limit, Runs int
}

// Server is the HTTP endpoint of `syncd run`. Its Hooks keep the probes
// informed; Handler serves every route.
type Server struct {
	o        Options
	log      logrus.FieldLogger
	guard    *guard
	health   health
	pages    *template.Template
	msgs     Messages
	uiDomain atomic.Value // string: HubSpot's UI host, from the account
	handler  http.Handler
}

// New returns the endpoint; it parses the page's templates and the
// sections', so that a bad template fails at start, not on a request.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("server: Options.Store is nil")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limit <= 0 {
		o.Limit = 50
	}
	if o.Runs <= 0 {
		o.Runs = 10
	}
	log := o.Logger
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = l
	}
	s := &Server{o: o, log: log, guard: newGuard(o.Token.Reveal()), msgs: pageMessages()}
	s.uiDomain.Store("")
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Hooks returns the daemon subscriber that tells the probes of cycles,
// HubSpot's answers and the stop.
func (s *Server) Hooks() daemon.Hooks {
	return daemon.Hooks{
		CycleStarted:  s.health.cycleStarted,
		CycleFinished: s.health.cycleFinished,
		CallMade:      s.health.callMade,
		Stopping:      s.health.stop,
	}
}

// Handler serves every route.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.o.Metrics != nil {
		mux.Handle("GET /metrics", s.needAccess(s.o.Metrics, false))
	}
	mux.Handle("GET /{$}", s.needAccess(http.HandlerFunc(s.page), true))
	mux.Handle("POST /retry", s.needAccess(http.HandlerFunc(s.retry), true))
	for pattern, h := range s.o.Handlers {
		mux.Handle(pattern, s.needAccess(h, true))
	}
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	// Cross-origin POSTs are refused by the browser's own headers
	// (Sec-Fetch-Site, Origin); the forms also carry a per-process CSRF
	// token, checked by each POST handler.
	cop := http.NewCrossOriginProtection()
	return securityHeaders(cop.Handler(mux))
}

// securityHeaders keeps the page out of frames and other sites' reach, and
// out of caches.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// needAccess lets r through when the guard allows it. Otherwise a browser
// (html) gets the login form, a scraper a 401; without a configured token,
// a 403 that says how to get in.
func (s *Server) needAccess(h http.Handler, html bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.guard.allowed(r) {
			h.ServeHTTP(w, r)
			return
		}
		s.log.WithFields(logrus.Fields{"remote": r.RemoteAddr, "path": r.URL.Path}).Info("http: refused a request without the access token")
		if s.guard.token == "" {
			http.Error(w, "syncd answers "+r.URL.Path+" only on this machine: set SYNCD_HTTP_TOKEN (or http.token_file) to open it to others", http.StatusForbidden)
			return
		}
		if !html {
			w.Header().Set("WWW-Authenticate", `Bearer realm="syncd"`)
			http.Error(w, "the access token is required (Authorization: Bearer ...)", http.StatusUnauthorized)
			return
		}
		s.renderLogin(w, r, http.StatusUnauthorized, false)
	})
}

// CheckCSRF reports whether a POST's form carries the page's CSRF token
// (the hidden field "csrf" every form of the page has).
func (s *Server) CheckCSRF(r *http.Request) bool { return s.guard.csrfOK(r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rd := s.readiness(r.Context(), s.guard.allowed(r))
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rd)
}

// Serve answers on ln until ctx ends, then lets the requests in flight
// finish for up to five seconds. It checks the HubSpot token once at
// start, in the background.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errLog := s.log.WithField("component", "http").WriterLevel(logrus.WarnLevel)
	defer errLog.Close()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(errLog, "", 0),
	}
	s.verifyTokenSoon()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
