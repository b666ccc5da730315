package server_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testkit/daemontest"
	"github.com/syncd/syncd/internal/testkit/logbuf"
)

// env is `syncd run --http` over the CLI's wiring: PostgreSQL, the
// built-in emulator, the daemon and the endpoint, with an outbox that has
// rows in every state after two cycles:
//
//	CO-1  company, done                 C-1   customer of CO-1, done
//	CO-2  company with a wrong tax-ID check digit: done, with a warning
//	      (invalid_field = "skip")
//	C-BAD customer with no valid email: failed, retried in 30s or more
//	T-BAD ticket without a subject, at its last attempt: dead
//	SO-1  order of C-BAD: pending, waiting for C-BAD's row
type env struct {
	db   *pgtest.DB
	f    *cli.Factory
	ep   *cli.HTTPEndpoint
	url  string // the endpoint's base URL, on loopback
	logs *logbuf.Buffer
	// cycles hears every finished cycle; heard counts them.
	cycles chan daemon.Cycle
	heard  atomic.Int64
	token  string
	// stopDaemon stops the daemon (the endpoint keeps serving), so that
	// no cycle takes requeued rows; it may be called more than once.
	stopDaemon func()
}

// newEnv starts the env; token is the access token ("" for none).
func newEnv(t *testing.T, token string) *env {
	t.Helper()
	db := pgtest.Migrated(t)
	cfg := config.Default()
	cfg.Database.URL, cfg.Database.Schema = db.BaseURL, db.Schema
	cfg.Sync.InvalidField = config.InvalidFieldSkip
	cfg.Sync.MaxAttempts = 2
	cfg.Log.Format, cfg.Log.Level = "json", "debug"
	cfg.HTTP.Token = config.Secret(token)
	e := &env{db: db, logs: &logbuf.Buffer{}, cycles: make(chan daemon.Cycle, 256), token: token}
	parent := &cli.Factory{
		IO:        cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: e.logs},
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       time.Now,
	}
	e.f = parent.ForEmulator(&cfg)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO outbox (entity, erp_id, payload) VALUES
	  ('company', 'CO-1', '{"name": "บริษัท หนึ่ง จำกัด", "domain": "nueng.co.th"}'),
	  ('company', 'CO-2', '{"name": "บริษัท สอง จำกัด", "tax_id": "0105536000002"}'),
	  ('customer', 'C-1', '{"email": "somchai@nueng.co.th", "first_name": "สมชาย", "last_name": "ใจดี", "company_id": "CO-1"}'),
	  ('customer', 'C-BAD', '{"email": "not-an-email", "first_name": "สมหญิง"}')`)
	exec(`INSERT INTO outbox (entity, erp_id, payload, attempts) VALUES ('ticket', 'T-BAD', '{"description": "เรื่องไม่มีหัวข้อ"}', 1)`)

	eng, err := e.f.Engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.f.Store(ctx)
	hs, _ := e.f.HubSpot(ctx)
	e.ep, err = e.f.StartHTTP(ctx, "127.0.0.1:0", daemontest.Never{})
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + e.ep.Addr.String()

	listening := make(chan bool, 8)
	hooks := append(e.ep.Hooks, daemon.Hooks{
		CycleFinished: func(c daemon.Cycle) { e.heard.Add(1); e.cycles <- c },
		Notifications: func(on bool) {
			select {
			case listening <- on:
			default:
			}
		},
	})
	log, err := e.f.Logger()
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	returned := make(chan error, 1)
	go func() {
		returned <- daemon.Run(runCtx, daemon.Options{
			Engine: eng, Store: st, HubSpot: hs, Governor: hs.Governor(),
			Schedule: daemontest.Never{}, Grace: time.Minute, Hooks: hooks, Logger: log,
		})
	}()
	var once sync.Once
	e.stopDaemon = func() {
		once.Do(func() {
			stop()
			if err := <-returned; err != nil {
				t.Errorf("daemon.Run = %v", err)
			}
		})
	}
	t.Cleanup(func() {
		e.stopDaemon()
		if err := e.ep.Stop(); err != nil {
			t.Errorf("endpoint stop: %v", err)
		}
		parent.Close()
	})

	if c := daemontest.Recv(t, e.cycles, "the first cycle"); c.Err != nil || c.Summary.Rows != 5 {
		t.Fatalf("first cycle: %+v\n%s", c, e.logs)
	}
	// A cycle that claimed rows is followed at once by another (a backlog
	// is worked off cycle after cycle); this one finds nothing, and the
	// daemon is at rest.
	if c := daemontest.Recv(t, e.cycles, "the backlog's next cycle"); c.Err != nil || c.Summary.Rows != 0 || c.Trigger != daemon.TriggerBacklog {
		t.Fatalf("the cycle after the first: %+v\n%s", c, e.logs)
	}
	for !daemontest.Recv(t, listening, "LISTEN") {
	}
	exec(`INSERT INTO outbox (entity, erp_id, payload) VALUES ('order', 'SO-1', '{"customer_id": "C-BAD", "name": "SO-1 กาแฟ", "status": "new", "items": [{"line_id": "1", "sku": "COF-1", "name": "กาแฟ", "quantity": 1, "unit_price": 100}]}')`)
	// SO-1 waits for C-BAD: its cycle starts no other.
	if c := daemontest.Recv(t, e.cycles, "the cycle of SO-1"); c.Err != nil || c.Summary.Waiting != 1 || c.Trigger != daemon.TriggerNotify {
		t.Fatalf("the cycle of SO-1: %+v\n%s", c, e.logs)
	}
	return e
}

// nextCycle returns the next finished cycle that claimed rows, skipping
// the empty ones.
func (e *env) nextCycle(t *testing.T, what string) daemon.Cycle {
	t.Helper()
	for {
		if c := daemontest.Recv(t, e.cycles, what); c.Summary.Rows > 0 || c.Err != nil {
			return c
		}
	}
}

// id returns the newest outbox row id of erpID.
func (e *env) id(t *testing.T, erpID string) int64 {
	t.Helper()
	var id int64
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT max(id) FROM outbox WHERE erp_id = $1`, erpID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// state returns the state and attempts of outbox row id.
func (e *env) state(t *testing.T, id int64) (string, int) {
	t.Helper()
	var st string
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT state, attempts FROM outbox WHERE id = $1`, id).Scan(&st, &n); err != nil {
		t.Fatal(err)
	}
	return st, n
}
