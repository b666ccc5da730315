package e2e

import (
	"bytes"
	"context"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// proxy stands between the clients and the emulator. It counts the writes
// the emulator served, can lose answers (the emulator applies the request
// but the client never hears back, as when a connection drops after
// HubSpot committed), and calls onWrite after each served write.
type proxy struct {
	next http.Handler

	mu       sync.Mutex
	rng      *rand.Rand
	loseRate float64
	onWrite  func(n int64)
	// hold, when set, runs before a write is served with its body; it may
	// block to order requests of several processes.
	hold func(r *http.Request, body []byte)

	writes atomic.Int64
	lost   atomic.Int64
}

// isWrite reports whether r changes data in HubSpot.
func isWrite(r *http.Request) bool {
	if r.Method == http.MethodGet {
		return false
	}
	return !strings.HasSuffix(r.URL.Path, "/search") && !strings.HasSuffix(r.URL.Path, "/batch/read")
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") || !isWrite(r) {
		p.next.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	lose := p.rng != nil && p.rng.Float64() < p.loseRate
	onWrite, hold := p.onWrite, p.hold
	p.mu.Unlock()
	if hold != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		hold(r, body)
	}
	if lose {
		rec := httptest.NewRecorder()
		p.next.ServeHTTP(rec, r)
		if rec.Code < 300 {
			p.writes.Add(1)
		}
		p.lost.Add(1)
		// The write is applied; the connection closes without an answer.
		panic(http.ErrAbortHandler)
	}
	if serveRecorded(p.next, w, r) < 300 {
		n := p.writes.Add(1)
		if onWrite != nil {
			onWrite(n)
		}
	}
}

// loseAnswers makes the proxy lose the given share of write answers, in
// a sequence fixed by seed.
func (p *proxy) loseAnswers(seed uint64, rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rng = rand.New(rand.NewPCG(seed, seed+1))
	p.loseRate = rate
}

func (p *proxy) setOnWrite(f func(n int64)) { p.mu.Lock(); p.onWrite = f; p.mu.Unlock() }

func (p *proxy) setHold(f func(r *http.Request, body []byte)) { p.mu.Lock(); p.hold = f; p.mu.Unlock() }

// serveRecorded serves r through next into w, and returns the status next
// answered with. A panic (the emulator's dropped-connection fault) goes up
// to net/http, which closes the connection without an answer.
func serveRecorded(next http.Handler, w http.ResponseWriter, r *http.Request) int {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	return rec.Code
}

type envOptions struct {
	searchLag  time.Duration
	faults     emulator.FaultConfig
	rateLimits bool
	// tier is the emulator's, default enterprise.
	tier string
	// realTime puts the emulator and the store on the real clock, for
	// benchmarks of wall time; clients are then built by the benchmark.
	realTime bool
	// noDB skips PostgreSQL, for the guide flow alone.
	noDB bool
	cfg  func(*config.Config)
}

// env is an in-process emulator behind a proxy, a virtual clock, and
// (unless noDB) a fresh migrated PostgreSQL schema.
type env struct {
	t     testing.TB
	clk   *fakeclock.Clock
	emu   *emulator.Server
	proxy *proxy
	srv   *httptest.Server
	cfg   config.Config
	db    *pgtest.DB
	st    *store.Store
	// admin is a client for setup and checks; its calls are not counted
	// in any flow's figures.
	admin *hubspot.Client
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, clk: fakeclock.New(time.Now()), cfg: config.Default()}
	e.cfg.Deals = config.PipelineMapping{Pipeline: "default", Stages: dealStages}
	e.cfg.Tickets = config.PipelineMapping{Pipeline: "0", Stages: ticketStages}
	e.cfg.Sync.BatchSize = 1000
	e.cfg.Sync.MaxAttempts = 20
	if o.cfg != nil {
		o.cfg(&e.cfg)
	}
	tier, now, ahead := "enterprise", e.clk.Now, e.clk.Advanced
	if o.tier != "" {
		tier = o.tier
	}
	if o.realTime {
		now, ahead = time.Now, nil
	}
	e.emu = emulator.New(emulator.Options{Tier: tier, SearchLag: o.searchLag, Now: now,
		DisableRateLimits: !o.rateLimits, Tokens: []string{hubspottest.Token}})
	e.proxy = &proxy{next: e.emu}
	e.srv = httptest.NewServer(e.proxy)
	t.Cleanup(e.srv.Close)
	e.admin = e.client()
	hubspottest.Setup(t, e.admin, e.cfg)
	// Faults start after setup: setup is not what is under test.
	if len(o.faults.Rules) > 0 {
		cfg := e.emu.Config()
		cfg.Faults = o.faults
		if err := e.emu.SetConfig(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if !o.noDB {
		e.db = pgtest.Migrated(t)
		e.st = store.New(e.db.Pool, store.Options{Offset: ahead})
	}
	return e
}

// client returns a new HubSpot client whose governor waits on the
// virtual clock, so pacing and retries cost no wall time.
func (e *env) client() *hubspot.Client { return hubspottest.Client(e.t, e.srv.URL, e.clk) }

// engine returns an engine named owner with its own client, on st.
func (e *env) engine(st *store.Store, owner string) *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(engine.Deps{Store: st, HubSpot: e.client(), Logger: hubspottest.QuietLogger(), Now: e.clk.Now, Owner: owner}, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// heldCycle is a cycle running in the background whose write the proxy
// holds.
type heldCycle struct {
	e       *env
	release func()
	errc    chan error
}

// holdCycle runs a cycle of eng, named name, in the background and returns
// once its first write that match accepts has reached the proxy, which
// holds it there until finish. It fails the test if the cycle ends before
// that write.
func (e *env) holdCycle(eng *engine.Engine, name string, match func(r *http.Request, body []byte) bool) *heldCycle {
	e.t.Helper()
	arrived, resume := make(chan struct{}), make(chan struct{})
	signal, release := sync.OnceFunc(func() { close(arrived) }), sync.OnceFunc(func() { close(resume) })
	// Released at the latest when the test ends, so that the held request
	// does not keep the server's shutdown waiting.
	e.t.Cleanup(release)
	e.proxy.setHold(func(r *http.Request, body []byte) {
		if match(r, body) {
			signal()
			<-resume
		}
	})
	h := &heldCycle{e: e, release: release, errc: make(chan error, 1)}
	go func() {
		_, err := eng.RunCycle(context.Background())
		h.errc <- err
	}()
	select {
	case <-arrived:
	case err := <-h.errc:
		e.t.Fatalf("the %s cycle ended (%v) before the write it was to be held at", name, err)
	}
	return h
}

// finish stops holding writes, lets the held one through and returns the
// cycle's error.
func (h *heldCycle) finish() error {
	h.e.proxy.setHold(nil)
	h.release()
	return <-h.errc
}

// pool opens another pool on the env's schema, for a process of its own.
// prepare, when set, runs before every connection is handed out.
func (e *env) pool(prepare func() error) *pgxpool.Pool {
	e.t.Helper()
	cfg, err := pgxpool.ParseConfig(e.db.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.MaxConns = 3
	if prepare != nil {
		cfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) { return true, prepare() }
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(p.Close)
	return p
}

// insert writes the rows into the outbox in one statement. A row without a
// payload is a delete.
func (e *env) insert(rows []outboxtest.Row) {
	e.t.Helper()
	outboxtest.InsertRows(e.t, e.db, rows)
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	return outboxtest.Count(e.t, e.db, sql, args...)
}

// open counts the outbox rows not yet done or superseded.
func (e *env) open() int {
	return e.count(`SELECT count(*) FROM outbox WHERE state NOT IN ('done', 'superseded')`)
}

// drainUntilDone drains with eng until every row is done, advancing the
// virtual clock past the retry backoff between drains. Cycle errors from
// injected faults are tolerated; it fails after rounds drains.
func (e *env) drainUntilDone(eng *engine.Engine, rounds int) engine.Summary {
	e.t.Helper()
	var total engine.Summary
	for range rounds {
		sum, err := eng.Drain(context.Background())
		addSummary(&total, sum)
		if err != nil {
			e.t.Logf("drain: %v (retried)", err)
		}
		if e.open() == 0 {
			return total
		}
		e.clk.Advance(2 * time.Hour)
	}
	e.t.Fatalf("rows still open after %d drains: %v", rounds, e.openRows())
	return total
}

// openRows describes up to ten open rows.
func (e *env) openRows() []string {
	return outboxtest.Strings(e.t, e.db, `SELECT id || ' ' || entity || ' ' || erp_id || ' ' || state || ': ' || coalesce(last_error, '')
FROM outbox WHERE state NOT IN ('done', 'superseded') ORDER BY id LIMIT 10`)
}

func addSummary(t *engine.Summary, s engine.Summary) {
	t.Rows += s.Rows
	t.Created += s.Created
	t.Updated += s.Updated
	t.Unchanged += s.Unchanged
	t.Deleted += s.Deleted
	t.Failed += s.Failed
	t.Dead += s.Dead
	t.Superseded += s.Superseded
	t.Calls += s.Calls
	t.WriteCalls += s.WriteCalls
	t.Duration += s.Duration
}
