package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

func writeHubSpotError(w http.ResponseWriter, status int, category, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":"error","message":%q,"correlationId":"test-corr","category":%q}`, msg, category)
}

// hubSpotError returns a reply that writes a HubSpot error envelope.
func hubSpotError(status int, category, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { writeHubSpotError(w, status, category, msg) }
}

// dailyLimit answers as HubSpot does once the daily allowance is spent.
func dailyLimit(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(429)
	fmt.Fprint(w, `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c","policyName":"DAILY","groupName":"api-calls-daily"}`)
}

// A batch HubSpot refuses as a whole, without saying which input is wrong,
// is split until the bad input is found; the others sync.
func TestSyncBisectsWholeBatchErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.rec.answer(pathEnds("/batch/upsert", "POISON"), hubSpotError(400, "VALIDATION_ERROR", "Property values were not valid"))
	seed(e, 60, 0)
	bad := e.insert("customer", "C-BAD", `{"email":"bad@example.co.th","first_name":"POISON"}`)
	seed(e, 0, 0)
	sum := e.drain(e.eng)
	if sum.Created != 60 || sum.Failed != 1 {
		t.Fatalf("drain: %+v; want 60 created, 1 failed", sum)
	}
	r := e.row(bad)
	if r.State != store.StateFailed || !strings.Contains(r.LastError, fmt.Sprintf("outbox row %d", bad)) || !strings.Contains(r.LastError, "VALIDATION_ERROR") {
		t.Fatalf("bad row: %+v", r)
	}
	// 61 inputs in one batch: the bisection costs about 2·log2(61) calls.
	upserts := 0
	for _, q := range e.rec.since(0) {
		if strings.HasSuffix(q.Path, "/batch/upsert") {
			upserts++
		}
	}
	if upserts > 14 {
		t.Fatalf("%d upsert calls to find one bad input among 61", upserts)
	}
}

// Outages leave rows failed with a backoff but never use up attempts.
func TestSyncRetryableErrorsKeepAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.rec.answer(pathEnds("/contacts/batch/upsert"), hubSpotError(503, "", "Service Unavailable"))
	seed(e, 5, 1)
	sum := e.drain(e.eng)
	if sum.Failed != 5 || sum.Created != 1 {
		t.Fatalf("drain during outage: %+v", sum)
	}
	n := e.count(`SELECT count(*) FROM outbox WHERE state = 'failed' AND attempts = 0 AND last_error LIKE '%will retry%' AND next_attempt_at > now()`)
	if n != 5 {
		t.Fatalf("%d rows failed transiently with a backoff, want 5", n)
	}
	e.rec.setHook(nil)
	if sum := e.drain(e.eng); sum.Rows != 0 {
		t.Fatalf("rows claimed before their backoff: %+v", sum)
	}
	e.clk.Advance(2 * time.Hour)
	if sum := e.drain(e.eng); sum.Created != 5 || sum.Failed != 0 {
		t.Fatalf("drain after outage: %+v", sum)
	}
	if c := byERP(e, hubspot.Contacts); len(c) != 5 {
		t.Fatalf("%d contacts", len(c))
	}
}

// A missing ERP-ID property stops the cycle with a setup error and leaves
// the rows as they were.
func TestSyncSetupErrorStopsCycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noProperties: true})
	seed(e, 3, 1)
	_, err := e.eng.RunCycle(context.Background())
	var se *engine.SetupError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "syncd setup") {
		t.Fatalf("RunCycle error %v, want a *SetupError naming syncd setup", err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 0 AND lease_owner IS NULL`); n != 4 {
		t.Fatalf("%d rows pending and released, want 4", n)
	}
	if n := e.count(`SELECT count(*) FROM runs WHERE error LIKE '%syncd setup%' AND finished_at IS NOT NULL`); n != 1 {
		t.Fatalf("runs: %d rows with the setup error", n)
	}
	// Once set up, the same rows sync.
	createProperties(t, e.hs, e.cfg)
	if sum := e.drain(e.eng); sum.Created != 4 {
		t.Fatalf("after setup: %+v", sum)
	}
}

// A customer whose company nobody sent fails with a clear reason and syncs
// once the company arrives.
func TestSyncMissingCompanyRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	id := e.insertJSON("customer", "C-1", customerPayload(1, 0))
	p := customerPayload(2, 0)
	p["company_id"] = "CO-LATE"
	late := e.insertJSON("customer", "C-2", p)
	sum := e.drain(e.eng)
	if sum.Created != 1 || sum.Failed != 1 {
		t.Fatalf("drain: %+v", sum)
	}
	if r := e.row(id); r.State != store.StateDone {
		t.Fatalf("C-1: %+v", r)
	}
	r := e.row(late)
	if r.State != store.StateFailed || !strings.Contains(r.LastError, "company CO-LATE is not in HubSpot") || !strings.Contains(r.LastError, "company_id") {
		t.Fatalf("C-2: %+v", r)
	}
	e.insertJSON("company", "CO-LATE", companyPayload(9))
	e.drain(e.eng) // the company; the customer waits for its backoff
	e.clk.Advance(time.Hour)
	if sum := e.drain(e.eng); sum.Created != 1 {
		t.Fatalf("retry: %+v", sum)
	}
	e.wantCompany("C-2", "CO-LATE")
}

// A delete archives the record and marks the ID map row archived.
func TestSyncDeleteArchives(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	seed(e, 3, 0)
	e.drain(e.eng)
	if _, err := e.db.Pool.Exec(context.Background(), `INSERT INTO outbox (entity, erp_id, op) VALUES ('customer', 'C-1', 'delete'), ('customer', 'C-NEVER', 'delete')`); err != nil {
		t.Fatal(err)
	}
	sum := e.drain(e.eng)
	if sum.Deleted != 1 || sum.Unchanged != 1 || sum.Failed != 0 {
		t.Fatalf("drain: %+v", sum)
	}
	c := byERP(e, hubspot.Contacts)
	if _, ok := c["C-1"]; ok || len(c) != 2 {
		t.Fatalf("contacts after delete: %v", c)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE erp_id = 'C-1' AND archived_at IS NOT NULL`); n != 1 {
		t.Fatal("C-1 not archived in id_map")
	}
}

// cancelOn returns a context that the first request whose path matches
// cancels, as a process stopped mid-cycle would; that request is answered
// 503 and reaches no record.
func cancelOn(e *env, match func(path string) bool) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	e.rec.answer(func(r request) bool { return match(r.Path) }, func(w http.ResponseWriter) {
		cancel()
		writeHubSpotError(w, 503, "", "Service Unavailable")
	})
	return ctx
}

// Cancelling a cycle releases its rows for the next one.
func TestSyncCancelReleasesRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := cancelOn(e, func(path string) bool { return strings.HasSuffix(path, "/batch/upsert") })
	seed(e, 3, 0)
	if _, err := e.eng.RunCycle(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunCycle: %v, want context.Canceled", err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'pending' AND lease_owner IS NULL`); n != 3 {
		t.Fatalf("%d rows released, want 3", n)
	}
}

// Several rows of one key coalesce: the newest is sent, the older ones are
// superseded.
func TestSyncCoalescesRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var ids []int64
	for i := range 3 {
		p := customerPayload(1, 0)
		p["first_name"] = fmt.Sprintf("V%d", i)
		ids = append(ids, e.insertJSON("customer", "C-1", p))
	}
	sum := e.drain(e.eng)
	if sum.Rows != 3 || sum.Created != 1 || sum.Superseded != 2 {
		t.Fatalf("drain: %+v", sum)
	}
	if e.row(ids[0]).State != store.StateSuperseded || e.row(ids[2]).State != store.StateDone {
		t.Fatal("older rows not superseded")
	}
	if fn := byERP(e, hubspot.Contacts)["C-1"].Properties["firstname"]; fn != "V2" {
		t.Fatalf("firstname %q, want the newest V2", fn)
	}
}

// A token HubSpot refuses stops the cycle before any row is claimed.
func TestSyncBadTokenIsSetupError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	seed(e, 1, 0)
	hs, err := hubspot.New(hubspot.Options{BaseURL: e.srv.URL, Token: "wrong-token"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.engine(hs, "engine-bad").RunCycle(context.Background())
	var se *engine.SetupError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "token") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("RunCycle: %v; want a *SetupError about the token that does not show it", err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'pending' AND lease_owner IS NULL`); n != 1 {
		t.Fatal("row touched by a cycle that could not start")
	}
}

// A row that keeps failing becomes dead at the attempt limit.
func TestSyncDeadAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.MaxAttempts = 3 }})
	id := e.insert("customer", "C-1", `{"email":"broken"}`)
	for attempt := 1; attempt <= 3; attempt++ {
		sum := e.drain(e.eng)
		if wantDead := attempt == 3; (sum.Dead == 1) != wantDead || sum.Rows != 1 {
			t.Fatalf("attempt %d: %+v", attempt, sum)
		}
		e.clk.Advance(2 * time.Hour)
	}
	if r := e.row(id); r.State != store.StateDead || r.Attempts != 3 {
		t.Fatalf("row: %+v", r)
	}
	if sum := e.drain(e.eng); sum.Rows != 0 {
		t.Fatalf("dead row claimed again: %+v", sum)
	}
}

// A spent daily allowance stops the cycle, releases the rows and is not
// reported as a setup problem.
func TestSyncDailyLimitStopsCycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.rec.answer(pathEnds("/batch/upsert"), dailyLimit)
	seed(e, 3, 0)
	_, err := e.eng.RunCycle(context.Background())
	var dl *engine.DailyLimitError
	var se *engine.SetupError
	if !errors.As(err, &dl) || errors.As(err, &se) {
		t.Fatalf("RunCycle: %v (%T), want a *DailyLimitError", err, err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 0 AND lease_owner IS NULL`); n != 3 {
		t.Fatalf("%d rows released untouched, want 3", n)
	}
}

// Once the daily allowance is spent, cycles claim nothing and write no
// runs row until it resets, and say so once; after the reset they sync.
func TestSyncDailyLimitSkipsCyclesUntilReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var logs bytes.Buffer
	log := hubspottest.QuietLogger()
	log.SetOutput(&logs)
	log.SetFormatter(&logrus.JSONFormatter{})
	eng, err := engine.New(engine.Deps{Store: e.st, HubSpot: e.hs, Logger: log, Now: e.clk.Now, Owner: "engine-daily"}, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.rec.answer(pathEnds("/batch/upsert"), dailyLimit)
	seed(e, 3, 0)
	ctx := context.Background()
	var dl *engine.DailyLimitError
	if _, err := eng.RunCycle(ctx); !errors.As(err, &dl) {
		t.Fatalf("first cycle: %v, want a *DailyLimitError", err)
	}
	calls := e.rec.len()
	for i := range 3 {
		sum, err := eng.RunCycle(ctx)
		if err != nil || sum.Rows != 0 || sum.Calls != 0 {
			t.Fatalf("cycle %d after the limit: %+v, %v; want nothing claimed, no call, no error", i, sum, err)
		}
	}
	if n := e.count(`SELECT count(*) FROM runs`); n != 1 {
		t.Errorf("%d runs rows, want 1: skipped cycles write none", n)
	}
	if n := e.rec.len() - calls; n != 0 {
		t.Errorf("%d HubSpot requests while the allowance was spent, want 0", n)
	}
	if n := strings.Count(logs.String(), `"resets_at"`); n != 1 {
		t.Errorf("the skip is logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), `"level":"error"`) {
		t.Errorf("skipped cycles logged an error:\n%s", logs.String())
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 0 AND lease_owner IS NULL`); n != 3 {
		t.Fatalf("%d rows pending and unclaimed, want 3", n)
	}

	// The allowance resets at midnight UTC, within a day.
	e.rec.setHook(nil)
	e.clk.Advance(24 * time.Hour)
	sum, err := eng.Drain(ctx)
	if err != nil || sum.Created != 3 {
		t.Fatalf("drain after the reset: %+v, %v; want 3 created", sum, err)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'done'`); n != 3 {
		t.Fatalf("%d rows done after the reset, want 3", n)
	}
}

// A database error while resolving references stops the cycle with that
// error; it is not filed on the rows as a HubSpot outage.
func TestSyncRefsDatabaseErrorStopsCycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	seed(e, 0, 1)
	e.drain(e.eng)
	// A customer of the company synced before: its reference is looked up
	// in the ID map, which the database can no longer read.
	id := e.insertJSON("customer", "C-0", customerPayload(0, 1))
	ctx := context.Background()
	if _, err := e.db.Pool.Exec(ctx, `ALTER TABLE id_map RENAME TO id_map_gone`); err != nil {
		t.Fatal(err)
	}
	_, err := e.eng.RunCycle(ctx)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("RunCycle: %v (%T), want the database error", err, err)
	}
	if r := e.row(id); r.State != store.StatePending || r.Attempts != 0 || r.LastError != "" {
		t.Fatalf("row after the database error: %+v, want pending and untouched", r)
	}
	if _, err := e.db.Pool.Exec(ctx, `ALTER TABLE id_map_gone RENAME TO id_map`); err != nil {
		t.Fatal(err)
	}
	if sum := e.drain(e.eng); sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("drain once the database is back: %+v; want the customer created", sum)
	}
}

// A cycle that dies after its HubSpot writes but before recording them
// leaves no duplicate behind: the next cycle finds the records by their
// ERP-ID property.
func TestSyncCrashAfterWritesNoDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := cancelOn(e, func(path string) bool { return strings.Contains(path, "/crm/associations/") })
	seed(e, 5, 1)
	if _, err := e.eng.RunCycle(ctx); err == nil {
		t.Fatal("the interrupted cycle reported no error")
	}
	if n := len(e.all(hubspot.Contacts)); n != 5 {
		t.Fatalf("%d contacts written before the interruption, want 5", n)
	}
	if n := e.count(`SELECT count(*) FROM id_map`); n != 0 {
		t.Fatalf("id_map has %d rows after an unrecorded cycle", n)
	}
	e.rec.setHook(nil)
	sum := e.drain(e.eng)
	if sum.Created != 0 || sum.Failed != 0 || sum.Rows != 6 {
		t.Fatalf("second drain: %+v; want nothing created", sum)
	}
	e.wantCounts(5, 1, 6)
}

// An upsert HubSpot applied but whose answer was lost is sent again by the
// client; the records it made are still counted as created, although the
// second answer finds them existing.
func TestSyncLostUpsertAnswerCountsCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var lost atomic.Int32
	e.rec.setHook(func(w http.ResponseWriter, r request) bool {
		if !strings.HasSuffix(r.Path, "/contacts/batch/upsert") || !lost.CompareAndSwap(0, 1) {
			return false
		}
		if applied := e.direct(r.Method, r.Path, r.Body); applied.Code/100 != 2 {
			t.Errorf("the upsert whose answer is lost was not applied: %d %s", applied.Code, applied.Body)
		}
		writeHubSpotError(w, 502, "", "Bad Gateway")
		return true
	})
	seed(e, 3, 0)
	sum := e.drain(e.eng)
	if lost.Load() == 0 {
		t.Fatal("no upsert answer was lost: the test proves nothing")
	}
	if sum.Created != 3 || sum.Updated != 0 || sum.Failed != 0 {
		t.Fatalf("drain: %+v; want 3 created", sum)
	}
	if n := len(e.all(hubspot.Contacts)); n != 3 {
		t.Fatalf("%d contacts in HubSpot, want 3", n)
	}
}

// A product an order item needs, created meanwhile by someone else, is
// taken as it is even when HubSpot's conflict names no record: the engine
// finds it by the ERP-ID property and leaves its name and price alone.
func TestOrderProductConflictWithoutExistingID(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	erpProp := e.cfg.Sync.ERPIDProperty
	var conflicts atomic.Int32
	e.rec.setHook(func(w http.ResponseWriter, r request) bool {
		if !strings.HasSuffix(r.Path, "/products/batch/create") || !conflicts.CompareAndSwap(0, 1) {
			return false
		}
		body := fmt.Sprintf(`{"inputs":[{"properties":{"name":"Jasmine rice 5 kg","price":"100","hs_sku":"RICE-5","%s":"RICE-5"}}]}`, erpProp)
		if catalog := e.direct(http.MethodPost, r.Path, []byte(body)); catalog.Code/100 != 2 {
			t.Errorf("the catalog's product was not created: %d %s", catalog.Code, catalog.Body)
		}
		writeHubSpotError(w, 409, "CONFLICT", "A product with these unique values already exists.")
		return true
	})
	e.insertJSON("customer", "C-1", map[string]any{"email": "a@example.co.th"})
	e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "status": "open", "items": []map[string]any{
		{"line_id": "1", "sku": "RICE-5", "name": "Rice 5 kg (promotion)", "quantity": 2, "unit_price": 90}}})
	if sum := e.drain(e.eng); sum.Failed != 0 {
		t.Fatalf("drain: %+v %v", sum, e.failures())
	}
	if conflicts.Load() == 0 {
		t.Fatal("no product create was refused: the test proves nothing")
	}
	products := e.all(hubspot.Products, "name", "price")
	if len(products) != 1 || products[0].Properties["name"] != "Jasmine rice 5 kg" || products[0].Properties["price"] != "100" {
		t.Fatalf("products %+v, want the catalog's one, untouched", products)
	}
	items := erpIndex(t, e, hubspot.LineItems, "hs_product_id")
	if got := items["SO-1/1"].Properties["hs_product_id"]; got != products[0].ID {
		t.Errorf("line item points at product %q, want %s", got, products[0].ID)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'product' AND erp_id = 'RICE-5' AND synced_properties = '{}' AND hubspot_id = $1`, products[0].ID); n != 1 {
		t.Errorf("id_map for RICE-5: want the existing record with no synced values")
	}
}

// An ERP clear ("") of a field syncd never wrote still reaches HubSpot: a
// user may have set that property there since the record was created.
func TestSyncClearReachesValueSetInHubSpot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.insertJSON("customer", "C-1", map[string]any{"email": "clear@example.co.th", "first_name": "Somchai"})
	if sum := e.drain(e.eng); sum.Created != 1 {
		t.Fatalf("first drain: %+v", sum)
	}
	id := byERP(e, hubspot.Contacts)["C-1"].ID
	hs := e.client()
	if _, err := hs.BatchUpdate(context.Background(), hubspot.Contacts, []hubspot.UpdateInput{{ID: id, Properties: map[string]string{"phone": "+66812345678"}}}); err != nil {
		t.Fatal(err)
	}
	e.insertJSON("customer", "C-1", map[string]any{"email": "clear@example.co.th", "first_name": "Somchai", "phone": ""})
	if sum := e.drain(e.eng); sum.Updated != 1 {
		t.Fatalf("second drain: %+v; want the clear sent", sum)
	}
	if p := byERP(e, hubspot.Contacts)["C-1"].Properties["phone"]; p != "" {
		t.Fatalf("phone %q after the ERP cleared it, want empty", p)
	}
	e.insertJSON("customer", "C-1", map[string]any{"email": "clear@example.co.th", "first_name": "Somchai", "phone": ""})
	if sum := e.drain(e.eng); sum.Unchanged != 1 {
		t.Fatalf("third drain: %+v; the clear was recorded, nothing to send", sum)
	}
}
