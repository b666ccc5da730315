package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// request is one HubSpot request the emulator received.
type request struct {
	Method, Path string
	Body         []byte
}

// recorder records the requests that reach the emulator. A hook, when
// set, may answer a request itself (to stand in for HubSpot behaviour the
// emulator does not produce on demand) by returning true.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []request
	hook func(w http.ResponseWriter, r request) bool
}

func (r *recorder) setHook(h func(w http.ResponseWriter, r request) bool) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

// answer makes reply, instead of the emulator, answer the requests match
// accepts.
func (r *recorder) answer(match func(request) bool, reply func(http.ResponseWriter)) {
	r.setHook(func(w http.ResponseWriter, req request) bool {
		if !match(req) {
			return false
		}
		reply(w)
		return true
	})
}

// pathEnds matches the requests whose path ends in suffix and whose body
// holds each of parts.
func pathEnds(suffix string, parts ...string) func(request) bool {
	return func(r request) bool {
		for _, p := range parts {
			if !bytes.Contains(r.Body, []byte(p)) {
				return false
			}
		}
		return strings.HasSuffix(r.Path, suffix)
	}
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var hook func(http.ResponseWriter, request) bool
	if !strings.HasPrefix(req.URL.Path, "/_emulator/") {
		r.mu.Lock()
		r.reqs = append(r.reqs, request{req.Method, req.URL.Path, body})
		hook = r.hook
		r.mu.Unlock()
	}
	if hook != nil && hook(w, request{req.Method, req.URL.Path, body}) {
		return
	}
	r.next.ServeHTTP(w, req)
}

// since returns the requests recorded after the first n.
func (r *recorder) since(n int) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs[n:]...)
}

func (r *recorder) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.reqs) }

type envOptions struct {
	searchLag time.Duration
	emuClock  func() time.Time
	cfg       func(*config.Config)
	// noProperties skips creating syncd's properties in the emulator.
	noProperties bool
}

// env is a real PostgreSQL schema, an in-process emulator and a real client.
type env struct {
	t   testing.TB
	db  *pgtest.DB
	emu *emulator.Server
	srv *httptest.Server
	rec *recorder
	clk *fakeclock.Clock
	cfg config.Config
	st  *store.Store
	hs  *hubspot.Client
	eng *engine.Engine
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{t: t, db: pgtest.Migrated(t), clk: fakeclock.New(time.Now()), cfg: config.Default()}
	e.cfg.Sync.BatchSize = 2000
	if o.cfg != nil {
		o.cfg(&e.cfg)
	}
	e.emu = emulator.New(emulator.Options{Tier: "enterprise", SearchLag: o.searchLag, Now: o.emuClock, DisableRateLimits: true, Tokens: []string{hubspottest.Token}})
	e.rec = &recorder{next: e.emu}
	e.srv = httptest.NewServer(e.rec)
	t.Cleanup(e.srv.Close)
	e.st = store.New(e.db.Pool, store.Options{Offset: e.clk.Advanced})
	e.hs = e.client()
	e.eng = e.engine(e.hs, "engine-a")
	if !o.noProperties {
		createProperties(t, e.hs, e.cfg)
	}
	return e
}

// client returns a new HubSpot client on the emulator whose governor runs
// on the virtual clock.
func (e *env) client() *hubspot.Client { return hubspottest.Client(e.t, e.srv.URL, e.clk) }

func (e *env) engine(hs *hubspot.Client, owner string) *engine.Engine {
	e.t.Helper()
	eng, err := engine.New(engine.Deps{Store: e.st, HubSpot: hs, Logger: hubspottest.QuietLogger(), Now: e.clk.Now, Owner: owner}, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// createProperties creates the properties `syncd setup` would: the unique
// ERP-ID property on contacts and companies, the tax-ID and branch
// properties on companies.
func createProperties(t testing.TB, hs *hubspot.Client, cfg config.Config) {
	t.Helper()
	ctx := context.Background()
	for _, ot := range []string{hubspot.Contacts, hubspot.Companies} {
		group := "contactinformation"
		if ot == hubspot.Companies {
			group = "companyinformation"
		}
		ps := []hubspot.Property{{Name: cfg.Sync.ERPIDProperty, Label: "ERP ID", Type: "string", FieldType: "text", GroupName: group, HasUniqueValue: true}}
		if ot == hubspot.Companies {
			ps = append(ps,
				hubspot.Property{Name: cfg.Sync.TaxIDProperty, Label: "Tax ID", Type: "string", FieldType: "text", GroupName: group},
				hubspot.Property{Name: "syncd_branch", Label: "Branch", Type: "string", FieldType: "text", GroupName: group})
		}
		for _, p := range ps {
			if _, err := hs.CreateProperty(ctx, ot, p); err != nil {
				t.Fatalf("create property %s.%s: %v", ot, p.Name, err)
			}
		}
	}
}

// insert writes one outbox row and returns its id.
func (e *env) insert(entity, erpID, payload string) int64 {
	e.t.Helper()
	return outboxtest.Insert(e.t, e.db, entity, erpID, payload)
}

// insertJSON writes one outbox row with payload v marshalled.
func (e *env) insertJSON(entity, erpID string, v any) int64 {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.insert(entity, erpID, string(b))
}

func (e *env) drain(eng *engine.Engine) engine.Summary {
	e.t.Helper()
	sum, err := eng.Drain(context.Background())
	if err != nil {
		e.t.Fatalf("drain: %v", err)
	}
	return sum
}

// outboxRow is an outbox row's syncd columns.
type outboxRow struct {
	State     string
	Attempts  int
	LastError string
}

func (e *env) row(id int64) outboxRow {
	e.t.Helper()
	var r outboxRow
	var le *string
	err := e.db.Pool.QueryRow(context.Background(), `SELECT state, attempts, last_error FROM outbox WHERE id = $1`, id).Scan(&r.State, &r.Attempts, &le)
	if err != nil {
		e.t.Fatal(err)
	}
	if le != nil {
		r.LastError = *le
	}
	return r
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	return outboxtest.Count(e.t, e.db, sql, args...)
}

// all lists every record of objectType in the emulator through HubSpot's
// list endpoint, with the given properties.
func (e *env) all(objectType string, props ...string) []listed {
	e.t.Helper()
	var out []listed
	after := ""
	for {
		u := fmt.Sprintf("%s/crm/objects/2026-09/%s?limit=100&properties=%s", e.srv.URL, objectType, strings.Join(props, ","))
		if after != "" {
			u += "&after=" + after
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+hubspottest.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		var page struct {
			Results []listed `json:"results"`
			Paging  *struct {
				Next *struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			e.t.Fatalf("list %s: %d %v", objectType, resp.StatusCode, err)
		}
		out = append(out, page.Results...)
		if page.Paging == nil || page.Paging.Next == nil || page.Paging.Next.After == "" {
			return out
		}
		after = page.Paging.Next.After
	}
}

type listed struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// String names the request without its body.
func (r request) String() string { return r.Method + " " + r.Path }

// direct sends a request straight to the emulator, past the recorder and
// its hook, as another client of the same HubSpot account would.
func (e *env) direct(method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hubspottest.Token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.emu.ServeHTTP(rec, req)
	return rec
}
