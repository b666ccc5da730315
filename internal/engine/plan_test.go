package engine_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// seedSynced syncs a first state (a company, a customer, a product, an
// order and a ticket) and then writes a mixed outbox on top of it: new
// customers, companies, orders (with a product the order creates) and
// tickets, updates of records already synced (one of them twice, so that
// a row is superseded), a delete, and a customer whose email cannot be
// read.
func seedSynced(t *testing.T, e *env) {
	t.Helper()
	e.insertJSON("company", "CO-1", map[string]any{"name": "Siam Trading", "domain": "siamtrading.example.co.th"})
	e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@siamtrading.example.co.th", "first_name": "Somchai", "company_id": "CO-1"})
	e.insertJSON("product", "SKU-1", map[string]any{"sku": "SKU-1", "name": "Jasmine rice 5 kg", "price": 10})
	e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "company_id": "CO-1", "status": "open",
		"items": []map[string]any{{"line_id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": 10}}})
	e.insertJSON("ticket", "T-1", map[string]any{"customer_id": "C-1", "order_id": "SO-1", "subject": "Rice bag torn", "status": "open"})
	if sum := e.drain(e.eng); sum.Created != 5 || sum.Failed+sum.Dead != 0 {
		t.Fatalf("first sync: %+v %v", sum, e.failures())
	}

	e.insertJSON("company", "CO-2", map[string]any{"name": "Chiang Mai Foods", "domain": "cmfoods.example.co.th"})
	e.insertJSON("customer", "C-2", map[string]any{"email": "malee@cmfoods.example.co.th", "first_name": "Malee", "company_id": "CO-2"})
	e.insertJSON("order", "SO-2", map[string]any{"customer_id": "C-2", "company_id": "CO-2", "status": "open",
		"items": []map[string]any{
			{"line_id": "1", "sku": "SKU-1", "quantity": 1, "unit_price": 10},
			{"line_id": "2", "sku": "SKU-3", "name": "Fish sauce", "quantity": 4, "unit_price": 5},
		}})
	e.insertJSON("ticket", "T-2", map[string]any{"customer_id": "C-2", "order_id": "SO-2", "subject": "Where is my order?", "status": "open"})
	e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@siamtrading.example.co.th", "first_name": "Somchai J.", "company_id": "CO-1"})
	e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@siamtrading.example.co.th", "first_name": "Somchai", "last_name": "Jaidee", "company_id": "CO-1"})
	e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "company_id": "CO-1", "status": "shipped",
		"items": []map[string]any{{"line_id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": 10}}})
	if _, err := e.db.Pool.Exec(context.Background(), `INSERT INTO outbox (entity, erp_id, op) VALUES ('ticket', 'T-1', 'delete')`); err != nil {
		t.Fatal(err)
	}
	e.insertJSON("customer", "C-BAD", map[string]any{"email": "not an email", "first_name": "Broken"})
}

// snapshot is what a plan must leave as it was: the outbox's syncd
// columns, the ID map, the associations, runs and kept pipelines.
func snapshot(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT format('%s %s %s %s %s %s %s %s', id, state, attempts, coalesce(lease_owner, '-'), coalesce(lease_expires_at::text, '-'), next_attempt_at, coalesce(waiting_for::text, '-'), coalesce(last_error, '-')) FROM outbox ORDER BY id`,
		`SELECT format('%s %s %s %s %s %s', object_type, erp_id, hubspot_id, synced_properties, last_synced_at, coalesce(archived_at::text, '-')) FROM id_map ORDER BY object_type, erp_id`,
		`SELECT format('%s', a) FROM associations a ORDER BY 1`,
		`SELECT format('%s', r) FROM runs r ORDER BY 1`,
		`SELECT format('%s %s %s', portal_id, object_type, read_at) FROM pipelines ORDER BY 1`,
	} {
		out = append(out, strings.Join(e.strings(q), "\n"))
	}
	return out
}

func (e *env) strings(q string) []string {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), q)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// emulatorWrites counts the requests the emulator answered that change
// data: everything but GETs, batch reads and searches.
func emulatorWrites(e *env) int64 {
	var n int64
	for route, c := range e.emu.Stats().ByRoute {
		if strings.HasPrefix(route, "GET ") || strings.HasSuffix(route, "/batch/read") || strings.HasSuffix(route, "/search") {
			continue
		}
		n += c
	}
	return n
}

// keys returns "entity/erp_id" of the planned records.
func keys(rs []engine.PlannedRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Entity + "/" + r.ERPID
	}
	slices.Sort(out)
	return out
}

// TestPlanWritesNothing checks that a plan changes neither HubSpot nor the
// database: no write request reaches the emulator, and the outbox rows
// (state, attempts, leases), the ID map, the associations, the runs and
// the kept pipelines are as they were; a second plan plans the same.
func TestPlanWritesNothing(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	seedSynced(t, e)
	writes := emulatorWrites(e)
	before := snapshot(t, e)

	eng := e.engine(e.client(), "planner")
	p, err := eng.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Rows == 0 || len(p.Creates) == 0 || p.Calls.Writes == 0 {
		t.Fatalf("plan = %+v: nothing to write, the test proves nothing", p.Summary)
	}
	if got := emulatorWrites(e); got != writes {
		t.Errorf("the plan sent %d write requests to HubSpot", got-writes)
	}
	after := snapshot(t, e)
	for i, name := range []string{"outbox", "id_map", "associations", "runs", "pipelines"} {
		if before[i] != after[i] {
			t.Errorf("the plan changed %s:\nbefore:\n%s\nafter:\n%s", name, before[i], after[i])
		}
	}
	again, err := eng.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(again.Creates), keys(p.Creates)) || !slices.Equal(keys(again.Updates), keys(p.Updates)) {
		t.Errorf("a second plan differs: creates %v then %v, updates %v then %v", keys(p.Creates), keys(again.Creates), keys(p.Updates), keys(again.Updates))
	}
}

// TestPlanEqualsRun checks that what the plan predicts is what the next
// real cycle does on the same outbox: the same records created, updated,
// unchanged and archived (by key), the same rows failed and superseded,
// the same HubSpot calls by operation, each engine in a process of its
// own.
func TestPlanEqualsRun(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	seedSynced(t, e)
	mapped := func() map[string]string {
		out := map[string]string{}
		for _, s := range e.strings(`SELECT format('%s/%s|%s|%s', object_type, erp_id, synced_properties, archived_at IS NOT NULL) FROM id_map`) {
			k, v, _ := strings.Cut(s, "|")
			out[k] = v
		}
		return out
	}
	before := mapped()

	p, sum := planThenRun(t, e)
	if sum.Created != 4 || sum.Updated != 2 || sum.Deleted != 1 || sum.Failed+sum.Dead != 1 || sum.Superseded != 1 {
		t.Errorf("run = %+v, want 4 created, 2 updated, 1 archived, 1 failed, 1 superseded", sum)
	}
	if p.Calls.Total != int(sum.Calls) || p.Calls.Reads+p.Calls.Writes != p.Calls.Total || p.Calls.Writes != int(sum.WriteCalls) {
		t.Errorf("plan calls %+v, run made %d (%d writes)", p.Calls, sum.Calls, sum.WriteCalls)
	}

	// The keys, from what the run left in the ID map and the outbox.
	after := mapped()
	idType := map[string]string{"company": "company", "customer": "contact", "product": "product", "order": "deal", "ticket": "ticket"}
	var created, updated, archived []string
	for _, entity := range []string{"company", "customer", "order", "product", "ticket"} {
		for k, v := range after {
			typ, erp, _ := strings.Cut(k, "/")
			if typ != idType[entity] {
				continue
			}
			old, had := before[k]
			key := entity + "/" + erp
			switch {
			case !had:
				created = append(created, key)
			case strings.HasSuffix(v, "|t") && !strings.HasSuffix(old, "|t"):
				archived = append(archived, key)
			case old != v:
				updated = append(updated, key)
			}
		}
	}
	slices.Sort(created)
	slices.Sort(archived)
	slices.Sort(updated)
	// SKU-3 is created by its order, not by a row of its own: the plan
	// lists it in the order's calls, not among the records.
	created = slices.DeleteFunc(created, func(k string) bool { return k == "product/SKU-3" })
	if !slices.Equal(keys(p.Creates), created) {
		t.Errorf("creates: plan %v, run %v", keys(p.Creates), created)
	}
	if !slices.Equal(keys(p.Archives), archived) {
		t.Errorf("archives: plan %v, run %v", keys(p.Archives), archived)
	}
	if !slices.Equal(keys(p.Updates), updated) {
		t.Errorf("updates: plan %v, run %v", keys(p.Updates), updated)
	}
	var failed []string
	for _, f := range p.Failures {
		failed = append(failed, fmt.Sprintf("%d %s/%s", f.OutboxID, f.Entity, f.ERPID))
	}
	if runFailed := e.strings(`SELECT format('%s %s/%s', id, entity, erp_id) FROM outbox WHERE state IN ('failed', 'dead') ORDER BY id`); !slices.Equal(failed, runFailed) {
		t.Errorf("failures: plan %v, run %v", failed, runFailed)
	}
	if len(p.Failures) != 1 || !strings.Contains(p.Failures[0].Error, "email") {
		t.Errorf("failures %+v, want C-BAD's email", p.Failures)
	}
	// Old → new of C-1's update: the ID map's synced values before.
	var c1 *engine.PlannedRecord
	for i := range p.Updates {
		if p.Updates[i].ERPID == "C-1" {
			c1 = &p.Updates[i]
		}
	}
	if c1 == nil || c1.HubSpotID == "" || !slices.Contains(c1.Changes, engine.Change{Property: "lastname", Old: "", New: "Jaidee"}) {
		t.Errorf("C-1's update = %+v, want lastname '' → Jaidee", c1)
	}
	var dealAssoc bool
	for _, a := range p.Associations {
		if a.FromType == hubspot.Deals && a.FromID == "new:deals:SO-2" && a.ToType == hubspot.Contacts {
			dealAssoc = true
		}
	}
	if !dealAssoc {
		t.Errorf("associations %+v: want the new deal SO-2 with its contact", p.Associations)
	}
}

// planThenRun plans the next cycle in one process and drains the outbox in
// another, and fails the test where the run did other than the plan said.
func planThenRun(t *testing.T, e *env) (*engine.Plan, engine.Summary) {
	t.Helper()
	ctx := context.Background()
	p, err := e.engine(e.client(), "planner").Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hs := e.client()
	sum, err := e.engine(hs, "runner").Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Summary
	if got.Rows != sum.Rows || got.Created != sum.Created || got.Updated != sum.Updated || got.Unchanged != sum.Unchanged ||
		got.Deleted != sum.Deleted || got.Failed != sum.Failed || got.Dead != sum.Dead || got.Superseded != sum.Superseded ||
		got.Waiting != sum.Waiting || got.Calls != sum.Calls || got.WriteCalls != sum.WriteCalls {
		t.Errorf("plan  %+v\nrun   %+v", got, sum)
	}
	if calls := hs.Stats().Calls; !maps.Equal(p.Calls.ByOperation, calls) {
		t.Errorf("calls by operation:\nplan %v\nrun  %v", p.Calls.ByOperation, calls)
	}
	return p, sum
}

// TestPlanAdoptedProduct checks the ID-map row a cycle saves before it
// records (a product row whose SKU an order already created in HubSpot
// takes that record over): the plan keeps it in memory, and predicts the
// update of that record the run makes, not a create.
func TestPlanAdoptedProduct(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	e.insertJSON("customer", "C-1", map[string]any{"email": "a@example.co.th"})
	e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "status": "open", "items": []map[string]any{
		{"line_id": "1", "sku": "RICE-5", "name": "Rice 5 kg", "quantity": 2, "unit_price": 90}}})
	if sum := e.drain(e.eng); sum.Failed+sum.Dead != 0 {
		t.Fatalf("first sync: %+v %v", sum, e.failures())
	}
	e.insertJSON("product", "P-100", map[string]any{"sku": "RICE-5", "name": "Jasmine rice 5 kg", "price": 100})
	p, sum := planThenRun(t, e)
	if sum.Updated != 1 || sum.Created != 0 || len(p.Updates) != 1 || p.Updates[0].ERPID != "P-100" || strings.HasPrefix(p.Updates[0].HubSpotID, "new:") {
		t.Errorf("run %+v, plan updates %+v: want P-100 to update the order's product", sum, p.Updates)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'product' AND erp_id = 'P-100'`); n != 1 {
		t.Errorf("the run recorded %d ID map rows for P-100", n)
	}
}

// TestPlanWaitingRows checks rows that wait: a customer whose company's
// row fails in the same cycle waits for it, in the plan as in the run, and
// a customer whose company's row another process holds waits for that
// row.
func TestPlanWaitingRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	co, cu := e.insertCustomerOfBadCompany()
	held := e.insertJSON("company", "CO-2", companyPayload(2))
	p2 := customerPayload(2, 0)
	p2["company_id"] = "CO-2"
	e.insertJSON("customer", "C-2", p2)
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE outbox SET lease_owner = 'other', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, held); err != nil {
		t.Fatal(err)
	}
	p, sum := planThenRun(t, e)
	if sum.Failed != 1 || sum.Waiting != 2 {
		t.Errorf("run %+v: want CO-1 failed, C-1 and C-2 waiting", sum)
	}
	waits := map[string]int64{}
	for _, w := range p.Waiting {
		waits[w.ERPID] = w.WaitingFor
	}
	if waits["C-1"] != co || waits["C-2"] != held || len(p.Failures) != 1 || p.Failures[0].ERPID != "CO-1" {
		t.Errorf("plan waits %v (want C-1 → %d, C-2 → %d), failures %+v", waits, co, held, p.Failures)
	}
	if r := e.row(cu); r.State != store.StatePending {
		t.Errorf("C-1 after the run: %+v", r)
	}
}

// TestPlanHubSpotWins checks [conflicts] hubspot_wins in a plan: the plan
// reads HubSpot's values as the cycle does, leaves the stage a user chose
// out of the update, keeps the conflict as the row's warning, and the run
// does the same with the same calls.
func TestPlanHubSpotWins(t *testing.T) {
	t.Parallel()
	e := conflictEnv(t, map[string]string{"dealstage": config.ConflictHubSpotWins}, nil)
	e.insertJSON("order", "SO-1", order("open", 2))
	e.cycleOf()
	dealID := erpIndex(t, e, hubspot.Deals)["SO-1"].ID
	e.userPatch(hubspot.Deals, dealID, map[string]string{"dealstage": "contractsent"})
	e.insertJSON("order", "SO-1", order("shipped", 3))
	p, sum := planThenRun(t, e)
	if sum.Updated != 1 || sum.Warned != 1 || len(p.Updates) != 1 {
		t.Fatalf("run %+v, plan updates %+v", sum, p.Updates)
	}
	u := p.Updates[0]
	var props []string
	for _, c := range u.Changes {
		props = append(props, c.Property)
	}
	if u.HubSpotID != dealID || slices.Contains(props, "dealstage") || !slices.Contains(props, "amount") || len(u.Warnings) == 0 {
		t.Errorf("planned update %+v: want the amount, not the stage HubSpot keeps, with a warning", u)
	}
	if got := erpIndex(t, e, hubspot.Deals, "dealstage")["SO-1"].Properties["dealstage"]; got != "contractsent" {
		t.Errorf("the run wrote dealstage %s", got)
	}
}
