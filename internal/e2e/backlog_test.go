package e2e

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// backlog is a first load as an ERP export writes it: 20,000 outbox rows
// (1,000 companies, 6,000 customers, the 400 products orders name, 10,000
// orders of one to four items and 2,600 tickets, half about an order), in
// a shuffled order, so that most referencing rows come before the rows
// they reference and the references cross claim boundaries.
func backlog(t *testing.T, e *env) *dataset {
	t.Helper()
	d := synthetic(1000, 6000, 400, 10000, 2600)
	rows := d.rows()
	if len(rows) != 20000 {
		t.Fatalf("the backlog has %d rows, want 20000", len(rows))
	}
	rng := rand.New(rand.NewPCG(7, 2026))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	e.insert(rows)
	early := e.count(`SELECT count(*) FROM outbox o JOIN outbox c ON c.entity = 'customer' AND c.erp_id = o.payload->>'customer_id'
WHERE o.entity IN ('order', 'ticket') AND c.id > o.id`)
	if early < 1000 {
		t.Fatalf("only %d orders and tickets come before their customer's row: the backlog is not shuffled", early)
	}
	t.Logf("%d rows (%d HubSpot records); %d orders and tickets come before their customer's row", len(rows), d.records(), early)
	return d
}

func backlogEnv(t *testing.T) *env {
	return newEnv(t, envOptions{cfg: func(c *config.Config) {
		c.Sync.BatchSize = 500
		// The governors wait on the virtual clock, which their pacing moves
		// by minutes over this load; leases must not expire meanwhile.
		c.Sync.Lease = config.Duration{Duration: 24 * time.Hour}
	}})
}

// checkBacklog checks the end state of a first load: every row done in
// one drain per process, none failed, none spent an attempt, HubSpot holds
// every record once with every association, and the ID map agrees.
func (e *env) checkBacklog(d *dataset, sums ...engine.Summary) {
	e.t.Helper()
	for i, s := range sums {
		// What `syncd run --once` exits 0 on.
		if s.Failed != 0 || s.Dead != 0 {
			e.t.Errorf("process %d: %d rows failed, %d dead; run --once would exit 3", i, s.Failed, s.Dead)
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE attempts > 0`); n != 0 {
		e.t.Errorf("%d rows spent an attempt", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state <> 'done'`); n != 0 {
		e.t.Errorf("%d rows are not done: %v", n, e.openRows())
	}
	e.checkAll(d)
}

// Acceptance: one process, batch_size 500: the first drain (what `syncd
// run --once` runs) leaves every row done, and no row had to wait: each
// claim took the rows of the records its rows reference.
func TestShuffledBacklogOneProcess(t *testing.T) {
	t.Parallel()
	e := backlogEnv(t)
	d := backlog(t, e)
	start := time.Now()
	sum, err := e.engine(e.st, "syncd-a").Drain(context.Background())
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	cycles := e.count(`SELECT count(*) FROM runs WHERE (counts->>'rows')::int > 0`)
	biggest := e.count(`SELECT max((counts->>'rows')::int) FROM runs`)
	t.Logf("one process: %d rows in %d cycles (largest %d rows), %d created, %d HubSpot calls (%d writes), %d waiting, wall %v",
		sum.Rows, cycles, biggest, sum.Created, sum.Calls, sum.WriteCalls, sum.Waiting, wall.Round(time.Millisecond))
	if sum.Waiting != 0 {
		t.Errorf("%d rows waited: with one process every referenced row is claimable and should have been claimed with its referrer", sum.Waiting)
	}
	e.checkBacklog(d, sum)
}

// Acceptance: two processes drain the same backlog at once, each once.
// A reference to a record the other process is writing resolves once that
// record is in HubSpot, or makes the row wait for the other process's row
// rather than fail; the process that records that row brings the waiting
// rows due and takes them. (TestRowWaitsForARowAnotherProcessHolds forces
// the wait.)
func TestShuffledBacklogTwoProcesses(t *testing.T) {
	t.Parallel()
	e := backlogEnv(t)
	d := backlog(t, e)
	owners := []string{"syncd-a", "syncd-b"}
	sums := make([]engine.Summary, len(owners))
	errs := make([]error, len(owners))
	startc := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for i, o := range owners {
		eng := e.engine(store.New(e.pool(nil), store.Options{Offset: e.clk.Advanced}), o)
		wg.Go(func() {
			<-startc
			sums[i], errs[i] = eng.Drain(context.Background())
		})
	}
	close(startc)
	wg.Wait()
	wall := time.Since(start)
	var total engine.Summary
	for i, s := range sums {
		if errs[i] != nil {
			t.Errorf("%s: %v", owners[i], errs[i])
		}
		addSummary(&total, s)
		t.Logf("%s: %d rows, %d created, %d waiting, %d calls", owners[i], s.Rows, s.Created, s.Waiting, s.Calls)
	}
	total.Waiting = sums[0].Waiting + sums[1].Waiting
	t.Logf("two processes: %d rows claimed, %d created, %d HubSpot calls (%d writes), %d rows waited, wall %v",
		total.Rows, total.Created, total.Calls, total.WriteCalls, total.Waiting, wall.Round(time.Millisecond))
	if busy := e.count(`SELECT count(DISTINCT owner) FROM runs WHERE (counts->>'rows')::int > 0`); busy != 2 {
		t.Errorf("%d processes claimed rows, want both: the drains did not overlap", busy)
	}
	e.checkBacklog(d, sums...)
}

// An order whose customer's row another process holds, mid-write, waits
// for that row: it goes back to pending without failing or spending an
// attempt, says which row it waits for, and is synced by the process that
// held the customer as soon as that process records it.
func TestRowWaitsForARowAnotherProcessHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	e.insert([]outboxtest.Row{
		{Entity: "company", ERPID: "CO-1", Payload: map[string]any{"name": "Siam Rice Co., Ltd.", "domain": "siamrice.example.co.th"}},
		{Entity: "customer", ERPID: "C-1", Payload: map[string]any{"email": "somchai@siamrice.example.co.th", "company_id": "CO-1"}},
		{Entity: "product", ERPID: "RICE-5", Payload: map[string]any{"sku": "RICE-5", "name": "Jasmine rice 5 kg", "price": 100}},
	})
	customerRow := e.count(`SELECT id FROM outbox WHERE erp_id = 'C-1'`)
	holder, other := e.engine(e.st, "syncd-holder"), e.engine(e.st, "syncd-other")

	// The holder claims the customer, its company and the product, and
	// stops at the contact's write.
	held := e.holdCycle(holder, "holder's", func(r *http.Request, body []byte) bool {
		return bytes.Contains(body, []byte("somchai@siamrice.example.co.th"))
	})

	e.insert([]outboxtest.Row{{Entity: "order", ERPID: "SO-1", Payload: map[string]any{
		"customer_id": "C-1", "company_id": "CO-1", "status": "open", "name": "SO-1 rice",
		"items": []map[string]any{{"line_id": "1", "sku": "RICE-5", "name": "Jasmine rice 5 kg", "quantity": 2, "unit_price": 100, "discount": 0}}}}})
	sum, err := other.RunCycle(ctx)
	if err != nil || sum.Rows != 1 || sum.Waiting != 1 || sum.Failed != 0 {
		t.Fatalf("other's cycle: %+v, %v; want the order claimed alone and waiting", sum, err)
	}
	var state string
	var attempts int
	var waitingFor *int64
	var lastErr *string
	if err := e.db.Pool.QueryRow(ctx, `SELECT state, attempts, waiting_for, last_error FROM outbox WHERE erp_id = 'SO-1'`).Scan(&state, &attempts, &waitingFor, &lastErr); err != nil {
		t.Fatal(err)
	}
	if state != "pending" || attempts != 0 || waitingFor == nil || *waitingFor != int64(customerRow) || lastErr != nil {
		t.Errorf("order row: %s, %d attempts, waiting for %v, last_error %v; want pending, 0, row %d, none", state, attempts, waitingFor, lastErr, customerRow)
	}
	st, err := e.st.Status(ctx, store.StatusQuery{Limit: 5})
	if err != nil || st.Waiting != 1 || len(st.WaitingRows) != 1 || st.WaitingRows[0].WaitingFor == nil ||
		st.WaitingRows[0].WaitingFor.ERPID != "C-1" || st.WaitingRows[0].WaitingFor.Entity != "customer" {
		t.Errorf("status: %+v, %v; want the order waiting for customer C-1's row", st, err)
	}
	// Until the customer is recorded the order is not claimed again.
	if sum, err := other.Drain(ctx); err != nil || sum.Rows != 0 {
		t.Errorf("other's drain while the customer is held: %+v, %v; want nothing claimed", sum, err)
	}

	if err := held.finish(); err != nil {
		t.Fatalf("holder's cycle: %v", err)
	}
	sum, err = holder.Drain(ctx)
	if err != nil || sum.Rows != 1 || sum.Created != 1 {
		t.Errorf("holder's drain after recording the customer: %+v, %v; want the order", sum, err)
	}
	d := &dataset{
		companies: []dsCompany{{"CO-1", "Siam Rice Co., Ltd.", "siamrice.example.co.th"}},
		customers: []dsCustomer{{"C-1", "somchai@siamrice.example.co.th", "", "", "CO-1"}},
		products:  []dsProduct{{"RICE-5", "Jasmine rice 5 kg", "100"}},
		orders: []dsOrder{{erpID: "SO-1", customerID: "C-1", companyID: "CO-1", name: "SO-1 rice", status: "open",
			items: []dsItem{{lineID: "1", sku: "RICE-5", name: "Jasmine rice 5 kg", quantity: "2", unitPrice: "100", discount: "0"}}}},
	}
	e.checkAll(d)
	if n := e.count(`SELECT count(*) FROM outbox WHERE attempts > 0 OR waiting_for IS NOT NULL`); n != 0 {
		t.Errorf("%d rows spent an attempt or still wait", n)
	}
}
