package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// faultStatuses are every status the emulator can inject.
var faultStatuses = []int{429, 500, 502, 503, 504}

// putConfig changes the emulator's configuration through its control
// route, as an operator would with curl.
func (e *env) putConfig(v any) {
	e.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/_emulator/config", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("PUT /_emulator/config: %s", resp.Status)
	}
}

// faultsServed counts the injected answers: error statuses and dropped
// connections ("0").
func faultsServed(st emulator.Stats) int64 {
	var n int64
	for _, s := range []string{"0", "429", "500", "502", "503", "504"} {
		n += st.ByStatus[s]
	}
	return n
}

// checkAll checks HubSpot against d, the ID map against HubSpot, and the
// outbox rows.
func (e *env) checkAll(d *dataset) {
	e.t.Helper()
	e.checkIDMap(checkHubSpot(e.t, d, e.emu.Dump()))
	e.checkDone()
}

// Several hundred records, orders and tickets included, reach HubSpot
// exactly once through error answers of every retryable kind, dropped
// connections, lost answers to applied writes, added latency, search lag
// and rate limits.
func TestChaosDrain(t *testing.T) {
	t.Parallel()
	d := synthetic(40, 300, 30, 80, 30)
	e := newEnv(t, envOptions{rateLimits: true, cfg: func(c *config.Config) { c.Sync.BatchSize = 60 }})
	e.putConfig(map[string]any{
		"searchLag": "3s",
		"faults": emulator.FaultConfig{Seed: 20261127, Rules: []emulator.FaultRule{
			// Upserts fail often enough that some rows use up the
			// client's retries and go back to the outbox with a backoff.
			{Route: "POST */batch/upsert", Rate: 0.55, Statuses: faultStatuses, DropRate: 0.15},
			{Route: "", Rate: 0.2, Statuses: faultStatuses, DropRate: 0.05, Latency: emulator.Duration{Duration: 100 * time.Microsecond}},
		}},
	})
	e.proxy.loseAnswers(11, 0.15)
	e.insert(d.rows())

	sum := e.drainUntilDone(e.engine(e.st, "syncd-a"), 30)
	st := e.emu.Stats()
	t.Logf("%d records: %d rows, %d calls (%d writes); emulator served %d requests, %d injected faults, %d answers lost; %d rows failed on the way",
		d.records(), sum.Rows, sum.Calls, sum.WriteCalls, st.Total, faultsServed(st), e.proxy.lost.Load(), sum.Failed)
	if faultsServed(st) == 0 || e.proxy.lost.Load() == 0 {
		t.Fatalf("no fault was injected (%v, %d lost): the test proves nothing", st.ByStatus, e.proxy.lost.Load())
	}
	e.checkAll(d)

	// A day of changes, through the same faults: renamed companies, line
	// items removed, changed and added, stages moved. Every key gets an
	// older row too, which the newer one supersedes.
	d2 := d.changed()
	e.insert(d.rows())
	e.insert(d2.rows())
	sum = e.drainUntilDone(e.engine(e.st, "syncd-a"), 30)
	t.Logf("changes: %+v; %d answers lost in all", sum, e.proxy.lost.Load())
	e.checkAll(d2)
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'superseded'`); n != len(d.rows()) {
		t.Errorf("%d rows superseded, want the %d older ones", n, len(d.rows()))
	}

	// Deletes: customers, orders (with their line items) and tickets.
	d3, deletes := d2.deleted(5)
	e.insert(deletes)
	sum = e.drainUntilDone(e.engine(e.st, "syncd-a"), 30)
	if sum.Deleted != len(deletes) {
		t.Errorf("deletes: %+v, want %d deleted", sum, len(deletes))
	}
	e.checkAll(d3)

	// The same rows again: nothing changed, so nothing is written, faults
	// or not.
	e.insert(d3.rows())
	again := e.drainUntilDone(e.engine(e.st, "syncd-a"), 30)
	if again.WriteCalls != 0 {
		t.Errorf("re-sending %d unchanged rows made %d write calls, want 0", again.Rows, again.WriteCalls)
	}
	e.checkAll(d3)
}

var errCrashed = errors.New("process crashed")

// A process that stops mid-cycle, after HubSpot applied some of its writes
// and before it recorded them, loses nothing and duplicates nothing: when
// it crashes, its rows stay leased and another process takes them once the
// lease expires; when it is cancelled, it releases them and another process
// takes them at once. The crash points cover each step of a cycle (with
// this data set, writes 1–6 are the first cycle's companies, contacts,
// their associations and products; 7–14 the second cycle's deals, line
// items, tickets and their associations).
func TestCrashMidCycleRecovered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		crashAt  int64 // the write HubSpot applies just before the stop
		graceful bool
	}{
		{"crash/companies", 1, false},
		{"crash/associations", 4, false},
		{"crash/before-record", 6, false},
		{"crash/line-items", 8, false},
		{"crash/deal-associations", 10, false},
		{"crash/last-write", 14, false},
		{"cancel/line-items", 8, true},
		{"cancel/companies", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testCrash(t, tc.crashAt, tc.graceful)
		})
	}
}

func testCrash(t *testing.T, crashAt int64, graceful bool) {
	d := synthetic(20, 120, 20, 40, 12)
	lease := time.Minute
	e := newEnv(t, envOptions{searchLag: 3 * time.Second, cfg: func(c *config.Config) {
		c.Sync.BatchSize = 160
		c.Sync.Lease = config.Duration{Duration: lease}
	}})
	e.insert(d.rows())

	// A crashed process's database connections fail from the crash on, so
	// it can neither record nor release anything.
	var crashed atomic.Bool
	stopPool := e.pool(func() error {
		if crashed.Load() {
			return errCrashed
		}
		return nil
	})
	stopper := e.engine(store.New(stopPool, store.Options{Offset: e.clk.Advanced}), "syncd-stopped")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := e.proxy.writes.Load()
	e.proxy.setOnWrite(func(n int64) {
		if n == base+crashAt {
			crashed.Store(!graceful)
			cancel()
		}
	})
	_, err := stopper.Drain(ctx)
	e.proxy.setOnWrite(nil)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, errCrashed) {
		t.Fatalf("drain: %v, want it stopped at write %d", err, crashAt)
	}
	leased := e.count(`SELECT count(*) FROM outbox WHERE lease_owner = 'syncd-stopped' AND state IN ('pending', 'failed')`)
	held := 0
	for _, recs := range e.emu.Dump().Objects {
		held += len(recs)
	}
	mapped := e.count(`SELECT count(*) FROM id_map`)
	t.Logf("stopped at write %d: %d rows left leased, HubSpot holds %d records, id_map %d", crashAt, leased, held, mapped)
	if held <= mapped {
		t.Fatalf("the stop did not fall between a write and its record (%d records in HubSpot, %d in id_map)", held, mapped)
	}
	other := e.engine(e.st, "syncd-b")
	if graceful {
		if leased != 0 {
			t.Fatalf("a cancelled cycle left %d rows leased, want them released", leased)
		}
	} else {
		if leased == 0 {
			t.Fatal("a crash left no row leased")
		}
		// Before the lease expires another process leaves those rows alone.
		if _, err := other.Drain(context.Background()); err != nil {
			t.Fatalf("drain during the lease: %v", err)
		}
		if n := e.count(`SELECT count(*) FROM outbox WHERE lease_owner = 'syncd-stopped' AND state IN ('pending', 'failed')`); n != leased {
			t.Fatalf("%d rows still leased by the crashed process, want %d: a live lease was taken", n, leased)
		}
		e.clk.Advance(lease + time.Second)
	}
	e.drainUntilDone(other, 10)
	e.checkAll(d)
}

// Three processes draining one outbox at once, through light faults, lost
// answers and search lag, write every record once.
func TestConcurrentEnginesNoDuplicates(t *testing.T) {
	t.Parallel()
	d := synthetic(30, 240, 24, 60, 20)
	e := newEnv(t, envOptions{searchLag: 3 * time.Second,
		faults: emulator.FaultConfig{Seed: 3, Rules: []emulator.FaultRule{{Route: "", Rate: 0.05, Statuses: faultStatuses}}},
		cfg: func(c *config.Config) {
			c.Sync.BatchSize = 40
			// Long enough that the governors' virtual waits never expire
			// a lease: this test is about claims, not lease expiry.
			c.Sync.Lease = config.Duration{Duration: 24 * time.Hour}
		}})
	e.proxy.loseAnswers(5, 0.05)
	e.insert(d.rows())
	owners := []string{"syncd-a", "syncd-b", "syncd-c"}
	var engines []*engine.Engine
	for _, o := range owners {
		engines = append(engines, e.engine(store.New(e.pool(nil), store.Options{Offset: e.clk.Advanced}), o))
	}
	var mu sync.Mutex
	var total engine.Summary
	for round := 0; e.open() > 0; round++ {
		if round == 10 {
			t.Fatalf("rows still open after %d rounds: %v", round, e.openRows())
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, eng := range engines {
			wg.Go(func() {
				<-start
				sum, err := eng.Drain(context.Background())
				if err != nil {
					t.Logf("%s: %v (retried)", eng.Owner(), err)
				}
				mu.Lock()
				addSummary(&total, sum)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		e.clk.Advance(2 * time.Hour)
	}
	busy := e.count(`SELECT count(DISTINCT owner) FROM runs WHERE (counts->>'rows')::int > 0`)
	t.Logf("%d rows, %d calls (%d writes), %d answers lost, %d rows failed on the way; %d of %d processes claimed rows",
		total.Rows, total.Calls, total.WriteCalls, e.proxy.lost.Load(), total.Failed, busy, len(owners))
	if busy < 2 {
		t.Errorf("only %d process claimed rows: the drains did not overlap", busy)
	}
	e.checkAll(d)
}

// A catalog product row and an order naming the same new SKU, synced at
// the same time by two processes, leave HubSpot with the catalog's price
// and name: the order's process, which found no product and no product
// row, must not overwrite the one the catalog's process created from the
// row the ERP wrote meanwhile.
func TestCatalogProductRacingAnOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.BatchSize = 1 }})
	ctx := context.Background()
	e.insert([]outboxtest.Row{
		{Entity: "company", ERPID: "CO-1", Payload: map[string]any{"name": "Siam Rice Co., Ltd.", "domain": "siamrice.example.co.th"}},
		{Entity: "customer", ERPID: "C-1", Payload: map[string]any{"email": "somchai@siamrice.example.co.th", "company_id": "CO-1"}},
	})
	e.drainUntilDone(e.engine(e.st, "syncd-setup"), 2)
	e.insert([]outboxtest.Row{
		{Entity: "order", ERPID: "SO-1", Payload: map[string]any{"customer_id": "C-1", "company_id": "CO-1", "status": "open", "items": []map[string]any{
			{"line_id": "1", "sku": "RICE-5", "name": "Rice 5 kg (promotion)", "quantity": 2, "unit_price": 90}}}},
	})
	orders, catalog := e.engine(e.st, "syncd-orders"), e.engine(e.st, "syncd-catalog")

	// The order's process looks the SKU up and finds neither a product nor
	// a product row; its product write reaches HubSpot only after the ERP
	// has written the product row and the catalog's process has synced it.
	held := e.holdCycle(orders, "order's", func(r *http.Request, body []byte) bool {
		return bytes.Contains(body, []byte(`"price":"90"`)) && strings.Contains(r.URL.Path, "/products/")
	})
	e.insert([]outboxtest.Row{{Entity: "product", ERPID: "RICE-5", Payload: map[string]any{"sku": "RICE-5", "name": "Jasmine rice 5 kg", "price": 100}}})
	sum, err := catalog.RunCycle(ctx)
	orderErr := held.finish()
	if err != nil || sum.Rows != 1 || sum.Created != 1 {
		t.Fatalf("catalog cycle: %+v, %v; want the product row created", sum, err)
	}
	if orderErr != nil {
		t.Fatalf("order cycle: %v", orderErr)
	}
	e.drainUntilDone(orders, 3)

	products := live(e.emu.Dump(), "products")
	if len(products) != 1 {
		t.Fatalf("HubSpot holds %d products, want 1", len(products))
	}
	p := products[0].Properties
	if p["name"] != "Jasmine rice 5 kg" || !sameNumber(t, p["price"], "100") {
		t.Errorf("product RICE-5: name %q price %q, want the catalog row's \"Jasmine rice 5 kg\" 100", p["name"], p["price"])
	}
	// The ID map may not know what was last written (the next row then
	// sends every property), but what it says must be what HubSpot holds.
	var synced *string
	if err := e.db.Pool.QueryRow(ctx, `SELECT synced_properties->>'price' FROM id_map WHERE object_type = 'product' AND erp_id = 'RICE-5'`).Scan(&synced); err != nil {
		t.Fatal(err)
	}
	if synced != nil && !sameNumber(t, *synced, p["price"]) {
		t.Errorf("id_map says price %q was synced, HubSpot holds %q: re-sending the row would change nothing", *synced, p["price"])
	}
}

// A process stalled longer than its lease loses its rows to another
// process, which syncs a newer row of the same key. When the stalled
// process's write then reaches HubSpot, the newer values must still win:
// HubSpot, the ID map and the outbox agree on the newest row.
func TestStalledProcessDoesNotOverwriteNewerRow(t *testing.T) {
	t.Parallel()
	lease := time.Minute
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.Lease = config.Duration{Duration: lease} }})
	ctx := context.Background()
	e.insert([]outboxtest.Row{{Entity: "customer", ERPID: "C-1", Payload: map[string]any{"email": "somchai@example.co.th", "first_name": "Old"}}})
	stalled, other := e.engine(e.st, "syncd-stalled"), e.engine(e.st, "syncd-b")

	held := e.holdCycle(stalled, "stalled", func(r *http.Request, body []byte) bool {
		return bytes.Contains(body, []byte(`"Old"`))
	})
	e.clk.Advance(lease + time.Second)
	e.insert([]outboxtest.Row{{Entity: "customer", ERPID: "C-1", Payload: map[string]any{"email": "somchai@example.co.th", "first_name": "New"}}})
	if sum, err := other.RunCycle(ctx); err != nil || sum.Created+sum.Updated != 1 {
		t.Fatalf("second process: %+v, %v; want the newer row written", sum, err)
	}
	if err := held.finish(); err != nil {
		t.Fatalf("stalled cycle: %v", err)
	}
	e.drainUntilDone(other, 3)

	contacts := live(e.emu.Dump(), "contacts")
	if len(contacts) != 1 {
		t.Fatalf("HubSpot holds %d contacts, want 1", len(contacts))
	}
	var synced string
	if err := e.db.Pool.QueryRow(ctx, `SELECT synced_properties->>'firstname' FROM id_map WHERE erp_id = 'C-1'`).Scan(&synced); err != nil {
		t.Fatal(err)
	}
	if got := contacts[0].Properties["firstname"]; got != "New" || synced != "New" {
		t.Errorf("after the stalled write: HubSpot firstname %q, id_map %q; want the newest row's \"New\" in both", got, synced)
	}
}
