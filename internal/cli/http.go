package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/robfig/cron/v3"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/metrics"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/server"
	"github.com/syncd/syncd/internal/store"
)

// HTTPEndpoint is the endpoint `syncd run` serves while it runs: the
// probes, /metrics and the status page, listening on Addr.
type HTTPEndpoint struct {
	Server  *server.Server
	Metrics *metrics.Metrics
	// Addr is the address it listens on (the port chosen when the
	// configured one is 0).
	Addr net.Addr
	// Hooks are its daemon subscribers: the metrics', the server's.
	Hooks []daemon.Hooks
	stop  func() error
}

// Stop ends the endpoint: no new request is taken, those in flight may
// finish for a few seconds.
func (e *HTTPEndpoint) Stop() error { return e.stop() }

// StartHTTP builds the metrics and the status server over the store, the
// HubSpot client and its governor, listens on addr, and serves until Stop
// (not until ctx ends: a stopping daemon still answers its probes until it
// has stopped). sched is sync.schedule, for the readiness probe.
//
// A feature with its own metrics, page section or readiness check (an
// inbox of HubSpot changes) adds them here: its collectors with
// Metrics.MustRegister before serving, its server.Section and server.Check
// in the server's Options.
func (f *Factory) StartHTTP(ctx context.Context, addr string, sched cron.Schedule) (*HTTPEndpoint, error) {
	if err := config.ValidListenAddr("--http", addr); err != nil {
		return nil, err
	}
	c, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	cfg, log, st, hs := c.cfg, c.log, c.st, c.hs
	gov := hs.Governor()
	entities := make([]string, len(outbox.Entities))
	types := map[string]store.ObjectType{}
	for i, e := range outbox.Entities {
		entities[i] = string(e)
		if t, ok := engine.IDMapType(e); ok {
			types[string(e)] = t
		}
	}
	mo := metrics.Options{
		Version: Version, Backlog: st.Backlog, Entities: entities, Budget: gov.State, Logger: log,
	}
	var sections []server.Section
	if cfg.Inbox.Enabled {
		mo.Inbox, mo.InboxObjects = st.InboxBacklogs, inboxObjectTypes(cfg.Inbox)
		sections = append(sections, inboxSection(st))
	}
	m := metrics.New(mo)
	srv, err := server.New(server.Options{
		Store: st, Metrics: m.Handler(), Token: cfg.HTTP.Token, Account: hs.AccountDetails, Budget: gov.State,
		Schedule: sched, Lease: cfg.Sync.Lease.Duration, Entities: entities, ObjectTypes: types,
		Version: Version, Now: f.Now, Logger: log, Sections: sections,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	entry := log.WithField("addr", "http://"+ln.Addr().String())
	switch {
	case config.IsLoopback(host):
		entry.Info("serving /healthz, /readyz, /metrics and the status page on this machine only")
	case cfg.HTTP.Token == "":
		entry.Warn("serving /healthz, /readyz, /metrics and the status page; beyond this machine only the probes answer until an access token is set (SYNCD_HTTP_TOKEN or http.token_file)")
	default:
		entry.WithField("token_from", cfg.HTTP.TokenSource).
			Info("serving /healthz, /readyz, /metrics and the status page; beyond this machine with the access token")
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	return &HTTPEndpoint{
		Server: srv, Metrics: m, Addr: ln.Addr(),
		Hooks: []daemon.Hooks{m.Hooks(), srv.Hooks()},
		stop: func() error {
			cancel()
			return <-done
		},
	}, nil
}
