package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/server"
	"github.com/syncd/syncd/internal/store"
)

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// readyz asks the handler from this machine (local) or from beyond it.
func readyz(t *testing.T, h http.Handler, local bool) (int, server.Readiness) {
	t.Helper()
	req := httptest.NewRequest("GET", "/readyz", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if !local {
		req.RemoteAddr = "192.0.2.10:40000"
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var rd server.Readiness
	if err := json.Unmarshal(w.Body.Bytes(), &rd); err != nil {
		t.Fatalf("/readyz is not JSON: %v\n%s", err, w.Body)
	}
	if (w.Code == http.StatusOK) != rd.Ready {
		t.Errorf("/readyz answered %d with ready %v", w.Code, rd.Ready)
	}
	return w.Code, rd
}

// check returns the named check of rd.
func check(t *testing.T, rd server.Readiness, name string) server.CheckResult {
	t.Helper()
	for _, c := range rd.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, rd)
	return server.CheckResult{}
}

// TestReadiness drives the probe through the hooks on a test clock: not
// ready before HubSpot answered and a cycle ran; ready after; not ready
// when the last cycle is older than three schedule periods (a running
// cycle keeps it ready), when it failed as a whole (the error shown only
// to this machine), when HubSpot refuses the token, when a feature's
// check fails, and while stopping.
func TestReadiness(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	clk := &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	sched, err := config.CronParser.Parse("@every 30s")
	if err != nil {
		t.Fatal(err)
	}
	var inboxErr error
	var mu sync.Mutex
	srv, err := server.New(server.Options{
		Store: store.New(db.Pool, store.Options{}), Schedule: sched, Lease: 5 * time.Minute, Now: clk.Now,
		Checks: []server.Check{{Name: "inbox", Run: func(context.Context) error { mu.Lock(); defer mu.Unlock(); return inboxErr }}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, hooks := srv.Handler(), srv.Hooks()

	code, rd := readyz(t, h, true)
	if code != http.StatusServiceUnavailable || rd.Status != "not ready" ||
		check(t, rd, "token").Detail != "HubSpot has not answered yet" || check(t, rd, "cycle").Detail != "no sync cycle has run yet" ||
		!check(t, rd, "database").OK || !check(t, rd, "inbox").OK {
		t.Errorf("at start: %d %+v", code, rd)
	}

	hooks.CallMade(hubspot.Call{Operation: "GET /account-info/2026-09/details", Status: 200})
	start := clk.Now()
	hooks.CycleStarted(daemon.Cycle{Trigger: daemon.TriggerStart, Started: start})
	if _, rd := readyz(t, h, true); !rd.Ready || !check(t, rd, "token").OK {
		t.Errorf("during the first cycle: %+v", rd)
	}
	clk.Advance(2 * time.Second)
	hooks.CycleFinished(daemon.Cycle{Trigger: daemon.TriggerStart, Started: start, Finished: clk.Now()})
	if code, rd := readyz(t, h, true); code != http.StatusOK || rd.Status != "ready" {
		t.Errorf("after the first cycle: %d %+v", code, rd)
	}

	// Three periods of 30s pass without a cycle.
	clk.Advance(91 * time.Second)
	if _, rd := readyz(t, h, true); rd.Ready || !strings.Contains(check(t, rd, "cycle").Detail, "more than 1m30s") {
		t.Errorf("91s after the last cycle: %+v", rd)
	}
	// A cycle runs: ready while it runs, up to the lease.
	hooks.CycleStarted(daemon.Cycle{Trigger: daemon.TriggerSchedule, Started: clk.Now()})
	clk.Advance(4 * time.Minute)
	if _, rd := readyz(t, h, true); !rd.Ready {
		t.Errorf("a cycle running for 4m of a 5m lease: %+v", rd)
	}
	clk.Advance(2 * time.Minute)
	if _, rd := readyz(t, h, true); rd.Ready {
		t.Errorf("a cycle running for 6m, past the 5m lease: %+v", rd)
	}

	// The cycle fails as a whole: the reason's words for everyone, its
	// error for this machine only.
	cause := errors.New("store: claim outbox rows: connection refused")
	hooks.CycleFinished(daemon.Cycle{Trigger: daemon.TriggerSchedule, Started: clk.Now().Add(-6 * time.Minute), Finished: clk.Now(), Err: cause})
	_, rd = readyz(t, h, true)
	if c := check(t, rd, "cycle"); rd.Ready || c.OK || !strings.Contains(c.Detail, "failed as a whole") || c.Error != cause.Error() {
		t.Errorf("after a failed cycle, from this machine: %+v", rd)
	}
	_, rd = readyz(t, h, false)
	if c := check(t, rd, "cycle"); rd.Ready || c.Error != "" || !strings.Contains(c.Detail, "failed as a whole") {
		t.Errorf("after a failed cycle, from beyond: %+v", rd)
	}
	hooks.CycleFinished(daemon.Cycle{Trigger: daemon.TriggerSchedule, Started: clk.Now(), Finished: clk.Now()})
	if _, rd := readyz(t, h, true); !rd.Ready {
		t.Errorf("after a good cycle again: %+v", rd)
	}

	// HubSpot refuses the token; a later answer takes it back.
	hooks.CallMade(hubspot.Call{Operation: "POST /crm/objects/2026-09/{objectType}/batch/read", Status: 401})
	if _, rd := readyz(t, h, true); rd.Ready || check(t, rd, "token").OK || !strings.Contains(check(t, rd, "token").Detail, "401") {
		t.Errorf("after a 401: %+v", rd)
	}
	hooks.CallMade(hubspot.Call{Operation: "POST /crm/objects/2026-09/{objectType}/batch/read", Status: 503})
	if _, rd := readyz(t, h, true); rd.Ready {
		t.Errorf("a 503 says nothing of the token, but it made syncd ready: %+v", rd)
	}
	hooks.CallMade(hubspot.Call{Operation: "POST /crm/objects/2026-09/{objectType}/batch/read", Status: 207})
	if _, rd := readyz(t, h, true); !rd.Ready {
		t.Errorf("after HubSpot took the token again: %+v", rd)
	}

	mu.Lock()
	inboxErr = errors.New("inbox: watermark 2h behind")
	mu.Unlock()
	if _, rd := readyz(t, h, true); rd.Ready || check(t, rd, "inbox").Error != "inbox: watermark 2h behind" {
		t.Errorf("with the inbox check failing: %+v", rd)
	}
	mu.Lock()
	inboxErr = nil
	mu.Unlock()

	hooks.Stopping(clk.Now())
	if code, rd := readyz(t, h, true); code != http.StatusServiceUnavailable || rd.Status != "stopping" {
		t.Errorf("while stopping: %d %+v", code, rd)
	}
}

// TestReadinessToken checks the token check that asks HubSpot itself
// (CheckToken, account details): a 401 refuses the token, an answer
// accepts it, and no answer keeps what was known.
func TestReadinessToken(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	var mu sync.Mutex
	var answer error
	srv, err := server.New(server.Options{
		Store: store.New(db.Pool, store.Options{}),
		Account: func(context.Context) (*hubspot.Account, error) {
			mu.Lock()
			defer mu.Unlock()
			if answer != nil {
				return nil, answer
			}
			return &hubspot.Account{PortalID: 42, UIDomain: "app-eu1.hubspot.com"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	set := func(err error) { mu.Lock(); answer = err; mu.Unlock() }
	ctx := context.Background()

	set(&hubspot.Error{Method: "GET", Path: "/account-info/2026-09/details", StatusCode: 401, Message: "Authentication credentials not found."})
	if err := srv.CheckToken(ctx); err == nil {
		t.Error("CheckToken after a 401 = nil")
	}
	if _, rd := readyz(t, srv.Handler(), true); check(t, rd, "token").OK || !strings.Contains(check(t, rd, "token").Error, "401") {
		t.Errorf("after a 401: %+v", rd)
	}
	set(errors.New("dial tcp: connection refused"))
	_ = srv.CheckToken(ctx)
	if _, rd := readyz(t, srv.Handler(), true); check(t, rd, "token").OK {
		t.Errorf("no answer made the refused token accepted: %+v", rd)
	}
	set(&hubspot.Error{StatusCode: 403, Category: "MISSING_SCOPES"})
	if err := srv.CheckToken(ctx); err != nil {
		t.Errorf("CheckToken after a 403 = %v; HubSpot knew the token", err)
	}
	set(nil)
	if err := srv.CheckToken(ctx); err != nil {
		t.Errorf("CheckToken = %v", err)
	}
	if _, rd := readyz(t, srv.Handler(), true); !check(t, rd, "token").OK {
		t.Errorf("after HubSpot answered: %+v", rd)
	}
}

// TestReadinessDatabase checks the database check: a schema a migration
// behind, an empty schema, and a database that does not answer.
func TestReadinessDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	behind := pgtest.Migrated(t)
	if _, err := store.Migrate(ctx, behind.BaseURL, behind.Schema, "down"); err != nil {
		t.Fatal(err)
	}
	empty := pgtest.New(t)
	gone, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:1/nothing?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gone.Close)
	latest := store.LatestMigration()
	for _, c := range []struct {
		name string
		pool *pgxpool.Pool
		want string
	}{
		{"behind", behind.Pool, "the schema is at migration " + itoa(latest-1) + " of " + itoa(latest) + ": run 'syncd migrate up'"},
		{"empty", empty.Pool, "the schema is at migration 0 of " + itoa(latest) + ": run 'syncd migrate up'"},
		{"gone", gone, "the database does not answer"},
	} {
		srv, err := server.New(server.Options{Store: store.New(c.pool, store.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		_, rd := readyz(t, srv.Handler(), true)
		if db := check(t, rd, "database"); db.OK || db.Detail != c.want || rd.Ready {
			t.Errorf("%s: %+v, want %q", c.name, db, c.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
