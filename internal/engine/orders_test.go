package engine_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// orderConfig maps ERP statuses by stage label and by stage ID.
func orderConfig(cfg *config.Config) {
	cfg.Deals = config.PipelineMapping{Pipeline: "Sales Pipeline", Stages: map[string]string{
		"open":    "Appointment Scheduled", // label
		"shipped": "closedwon",             // ID
		"lost":    "Closed Lost",
	}}
	cfg.Tickets = config.PipelineMapping{Pipeline: "0", Stages: map[string]string{
		"open":                      "1",
		"Pending Customer Response": "Waiting on contact",
		"closed":                    "Closed",
	}}
	cfg.Setup.CreatePipelines = true
}

// setupHubSpot runs `syncd setup` against the env's emulator and checks
// that a second run plans nothing.
func setupHubSpot(t testing.TB, e *env) {
	t.Helper()
	hubspottest.Setup(t, e.hs, e.cfg)
	again, err := setup.Plan(context.Background(), e.hs, e.cfg)
	if err != nil || !again.Empty() {
		t.Fatalf("second setup plan = %+v, %v; want empty", again, err)
	}
}

func newOrderEnv(t testing.TB) *env {
	t.Helper()
	e := newEnv(t, envOptions{cfg: orderConfig})
	setupHubSpot(t, e)
	return e
}

// assocIDs reads the associations of ids from→to and returns, per from ID,
// the to IDs that carry typeID.
func assocIDs(t testing.TB, e *env, from, to string, ids []string, typeID int) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for chunk := range slices.Chunk(ids, hubspot.MaxBatchInputs) {
		got, err := e.hs.ReadAssociations(context.Background(), from, to, chunk)
		if err != nil {
			t.Fatalf("read %s→%s associations: %v", from, to, err)
		}
		for fromID, as := range got {
			for _, a := range as {
				for _, ty := range a.Types {
					if ty.TypeID == typeID {
						out[fromID] = append(out[fromID], a.ToID)
					}
				}
			}
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func erpIndex(t testing.TB, e *env, objectType string, props ...string) map[string]listed {
	t.Helper()
	out := map[string]listed{}
	for _, o := range e.all(objectType, append([]string{e.cfg.Sync.ERPIDProperty}, props...)...) {
		k := o.Properties[e.cfg.Sync.ERPIDProperty]
		if k == "" {
			t.Errorf("%s %s has no ERP ID", objectType, o.ID)
			continue
		}
		if prev, dup := out[k]; dup {
			t.Errorf("%s: records %s and %s share ERP ID %s", objectType, prev.ID, o.ID, k)
		}
		out[k] = o
	}
	return out
}

func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	ctx := context.Background()

	e.insertJSON("company", "CO-1", map[string]any{"name": "Siam Trading", "domain": "siamtrading.example.co.th"})
	e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@siamtrading.example.co.th", "first_name": "Somchai", "last_name": "Jaidee", "company_id": "CO-1"})
	e.insertJSON("product", "SKU-1", map[string]any{"sku": "SKU-1", "name": "Jasmine rice 5 kg", "price": 10})
	order := map[string]any{
		"customer_id": "C-1", "company_id": "CO-1", "name": "SO-1 Siam Trading", "status": "open", "currency": "THB",
		"created_at": "2026-11-01T09:00:00+07:00", "close_date": "2026-11-30",
		"items": []map[string]any{
			{"line_id": "1", "sku": "SKU-1", "quantity": 2, "unit_price": 10},
			// SKU-2 is never sent as a product row: the order creates it.
			{"line_id": "2", "sku": "SKU-2", "name": "Fish sauce", "quantity": 1, "unit_price": 5, "discount": 1},
			{"line_id": "3", "sku": "SKU-1", "name": "Rice, promo price", "quantity": 3, "unit_price": 9},
		},
	}
	e.insertJSON("order", "SO-1", order)
	e.insertJSON("ticket", "T-1", map[string]any{"customer_id": "C-1", "company_id": "CO-1", "order_id": "SO-1",
		"subject": "Rice bag torn", "description": "One bag arrived torn.", "status": "Pending Customer Response", "priority": "HIGH"})
	sum := e.drain(e.eng)
	if sum.Failed != 0 || sum.Dead != 0 {
		t.Fatalf("first run: %+v; rows: %v", sum, e.failures())
	}

	deals := erpIndex(t, e, hubspot.Deals, "amount", "dealstage", "pipeline", "dealname", "deal_currency_code", "closedate")
	d := deals["SO-1"]
	if d.Properties["dealstage"] != "appointmentscheduled" || d.Properties["pipeline"] != "default" {
		t.Errorf("deal stage = %s/%s, want default/appointmentscheduled (mapped by label)", d.Properties["pipeline"], d.Properties["dealstage"])
	}
	if hubspottest.Rat(t, d.Properties["amount"]).Cmp(big.NewRat(51, 1)) != 0 { // 2×10 + 1×(5−1) + 3×9
		t.Errorf("deal amount = %s, want 51", d.Properties["amount"])
	}
	products := erpIndex(t, e, hubspot.Products, "hs_sku", "name")
	if len(products) != 2 || products["SKU-2"].Properties["name"] != "Fish sauce" {
		t.Errorf("products = %+v, want SKU-1 and SKU-2 once each", products)
	}
	checkLineItems(t, e, "SO-1", d.ID, map[string]lineWant{
		"SO-1/1": {product: products["SKU-1"].ID, amount: "20"},
		"SO-1/2": {product: products["SKU-2"].ID, amount: "4"},
		"SO-1/3": {product: products["SKU-1"].ID, amount: "27", name: "Rice, promo price"},
	})
	contacts := erpIndex(t, e, hubspot.Contacts)
	companies := erpIndex(t, e, hubspot.Companies)
	tickets := erpIndex(t, e, hubspot.Tickets, "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "subject")
	tk := tickets["T-1"]
	if tk.Properties["hs_pipeline_stage"] != "2" || tk.Properties["hs_ticket_priority"] != "HIGH" {
		t.Errorf("ticket = %+v, want stage 2 (Waiting on contact) and HIGH", tk.Properties)
	}
	for _, a := range []struct {
		from, to     string
		fromID, toID string
		typeID       int
	}{
		{hubspot.Deals, hubspot.Contacts, d.ID, contacts["C-1"].ID, 3},
		{hubspot.Contacts, hubspot.Deals, contacts["C-1"].ID, d.ID, 4},
		{hubspot.Deals, hubspot.Companies, d.ID, companies["CO-1"].ID, 5},
		{hubspot.Deals, hubspot.Companies, d.ID, companies["CO-1"].ID, 341},
		{hubspot.Companies, hubspot.Deals, companies["CO-1"].ID, d.ID, 342},
		{hubspot.Tickets, hubspot.Contacts, tk.ID, contacts["C-1"].ID, 16},
		{hubspot.Contacts, hubspot.Tickets, contacts["C-1"].ID, tk.ID, 15},
		{hubspot.Tickets, hubspot.Companies, tk.ID, companies["CO-1"].ID, 26},
		{hubspot.Tickets, hubspot.Companies, tk.ID, companies["CO-1"].ID, 339},
		{hubspot.Companies, hubspot.Tickets, companies["CO-1"].ID, tk.ID, 340},
		{hubspot.Tickets, hubspot.Deals, tk.ID, d.ID, 28},
		{hubspot.Deals, hubspot.Tickets, d.ID, tk.ID, 27},
	} {
		got := assocIDs(t, e, a.from, a.to, []string{a.fromID}, a.typeID)[a.fromID]
		if !slices.Equal(got, []string{a.toID}) {
			t.Errorf("%s %s → %s type %d: %v, want [%s]", a.from, a.fromID, a.to, a.typeID, got, a.toID)
		}
	}

	// The order changes: item 3 removed, item 4 added, item 1's quantity
	// changed, and the status moves to a stage named by ID.
	order["status"] = "shipped"
	order["items"] = []map[string]any{
		{"line_id": "1", "sku": "SKU-1", "quantity": 5, "unit_price": 10},
		{"line_id": "2", "sku": "SKU-2", "name": "Fish sauce", "quantity": 1, "unit_price": 5, "discount": 1},
		{"line_id": "4", "sku": "SKU-2", "name": "Fish sauce", "quantity": 2, "unit_price": 5},
	}
	e.insertJSON("order", "SO-1", order)
	before := e.rec.len()
	sum = e.drain(e.eng)
	if sum.Failed != 0 || sum.Updated != 1 {
		t.Fatalf("update run: %+v; rows: %v", sum, e.failures())
	}
	// Deal update, line item create, update and archive: four writes.
	if sum.WriteCalls != 4 {
		t.Errorf("update run made %d write calls, want 4: %v", sum.WriteCalls, paths(e.rec.since(before)))
	}
	deals = erpIndex(t, e, hubspot.Deals, "amount", "dealstage")
	if deals["SO-1"].Properties["dealstage"] != "closedwon" || hubspottest.Rat(t, deals["SO-1"].Properties["amount"]).Cmp(big.NewRat(64, 1)) != 0 {
		t.Errorf("updated deal = %+v, want closedwon and amount 64", deals["SO-1"].Properties)
	}
	checkLineItems(t, e, "SO-1", d.ID, map[string]lineWant{
		"SO-1/1": {product: products["SKU-1"].ID, amount: "50"},
		"SO-1/2": {product: products["SKU-2"].ID, amount: "4"},
		"SO-1/4": {product: products["SKU-2"].ID, amount: "10"},
	})
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND erp_id = 'SO-1/3' AND archived_at IS NOT NULL`); n != 1 {
		t.Errorf("removed line item SO-1/3 not marked archived in id_map")
	}

	// The same state again: nothing to write.
	e.insertJSON("order", "SO-1", order)
	sum = e.drain(e.eng)
	if sum.WriteCalls != 0 || sum.Unchanged != 1 {
		t.Errorf("unchanged re-run: %+v, want 0 write calls", sum)
	}

	// An unmapped status fails the row, naming the status and the pipeline.
	bad := e.insertJSON("order", "SO-2", map[string]any{"customer_id": "C-1", "status": "teleported", "items": []map[string]any{}})
	// A reference nobody sent fails the row and names it.
	orphan := e.insertJSON("order", "SO-3", map[string]any{"customer_id": "C-404", "status": "open"})
	e.drain(e.eng)
	const wantStage = `outbox row %d: order SO-2: field "status": ERP status "teleported" has no stage mapping in pipeline "default" (Sales Pipeline); add it under [deals.stages] in the config`
	if got := e.row(bad); got.State != "failed" || got.LastError != fmt.Sprintf(wantStage, bad) {
		t.Errorf("unmapped status row = %+v\nwant last_error %q", got, fmt.Sprintf(wantStage, bad))
	}
	if got := e.row(orphan); got.State != "failed" || !strings.Contains(got.LastError, `field "customer_id": customer C-404 is not in HubSpot`) {
		t.Errorf("orphan reference row = %+v", got)
	}
	if n := len(e.all(hubspot.Deals)); n != 1 {
		t.Errorf("HubSpot has %d deals, want 1", n)
	}

	// A delete archives the deal and its line items and marks the ID map;
	// the same for the ticket.
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, op) VALUES ('order', 'SO-1', 'delete'), ('ticket', 'T-1', 'delete')`); err != nil {
		t.Fatal(err)
	}
	sum = e.drain(e.eng)
	if n := len(e.all(hubspot.Tickets)); n != 0 || e.count(`SELECT count(*) FROM id_map WHERE object_type = 'ticket' AND erp_id = 'T-1' AND archived_at IS NOT NULL`) != 1 {
		t.Errorf("after the ticket delete: %d live tickets, id_map not marked", n)
	}
	if sum.Deleted != 2 {
		t.Errorf("delete run: %+v", sum)
	}
	if n := len(e.all(hubspot.Deals)); n != 0 {
		t.Errorf("HubSpot has %d live deals after the delete, want 0", n)
	}
	if n := len(e.all(hubspot.LineItems)); n != 0 {
		t.Errorf("HubSpot has %d live line items after the delete, want 0", n)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE archived_at IS NULL AND ((object_type = 'deal' AND erp_id = 'SO-1') OR (object_type = 'line_item' AND erp_id LIKE 'SO-1/%'))`); n != 0 {
		t.Errorf("%d id_map rows of SO-1 are not marked archived", n)
	}
}

type lineWant struct {
	product, amount, name string
}

// checkLineItems checks that the deal has exactly the wanted line items,
// associated both ways, with their product and amount.
func checkLineItems(t testing.TB, e *env, order, dealID string, want map[string]lineWant) {
	t.Helper()
	items := erpIndex(t, e, hubspot.LineItems, "amount", "hs_product_id", "name", "quantity", "price")
	var ids []string
	for key, w := range want {
		li, ok := items[key]
		if !ok {
			t.Errorf("line item %s missing", key)
			continue
		}
		ids = append(ids, li.ID)
		if li.Properties["hs_product_id"] != w.product || hubspottest.Rat(t, li.Properties["amount"]).Cmp(hubspottest.Rat(t, w.amount)) != 0 {
			t.Errorf("line item %s = %+v, want product %s amount %s", key, li.Properties, w.product, w.amount)
		}
		if w.name != "" && li.Properties["name"] != w.name {
			t.Errorf("line item %s name = %q, want %q", key, li.Properties["name"], w.name)
		}
	}
	for key := range items {
		if strings.HasPrefix(key, order+"/") {
			if _, ok := want[key]; !ok {
				t.Errorf("line item %s should not exist", key)
			}
		}
	}
	sort.Strings(ids)
	if got := assocIDs(t, e, hubspot.Deals, hubspot.LineItems, []string{dealID}, 19)[dealID]; !slices.Equal(got, ids) {
		t.Errorf("deal %s → line items (19) = %v, want %v", dealID, got, ids)
	}
	back := assocIDs(t, e, hubspot.LineItems, hubspot.Deals, ids, 20)
	for _, id := range ids {
		if !slices.Equal(back[id], []string{dealID}) {
			t.Errorf("line item %s → deals (20) = %v, want [%s]", id, back[id], dealID)
		}
	}
}

// failures lists the failed rows' errors, for test messages.
func (e *env) failures() []string {
	e.t.Helper()
	return outboxtest.Strings(e.t, e.db, `SELECT coalesce(last_error, '') FROM outbox WHERE state IN ('failed', 'dead') ORDER BY id LIMIT 20`)
}

func paths(rs []request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}

// TestProductsBySKU checks that a product is created once whichever comes
// first: an order item naming its SKU, or its catalog row under another
// ERP key.
func TestProductsBySKU(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	e.insertJSON("customer", "C-1", map[string]any{"email": "a@example.co.th"})
	// A catalog row under its own ERP key, synced on its own.
	e.insertJSON("product", "P-1", map[string]any{"sku": "S-1", "name": "Green curry paste", "price": 35})
	if sum := e.drain(e.eng); sum.Failed != 0 {
		t.Fatalf("catalog run: %+v %v", sum, e.failures())
	}
	// An order names S-1 (found by hs_sku) and S-2 (never sent: created by SKU).
	e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "status": "open", "items": []map[string]any{
		{"line_id": "1", "sku": "S-1", "quantity": 1, "unit_price": 35},
		{"line_id": "2", "sku": "S-2", "name": "Coconut milk", "quantity": 4, "unit_price": 20},
	}})
	if sum := e.drain(e.eng); sum.Failed != 0 {
		t.Fatalf("order run: %+v %v", sum, e.failures())
	}
	// S-2's catalog row arrives later, under another ERP key.
	e.insertJSON("product", "P-2", map[string]any{"sku": "S-2", "name": "Coconut milk 400 ml", "price": 21})
	if sum := e.drain(e.eng); sum.Failed != 0 {
		t.Fatalf("late catalog run: %+v %v", sum, e.failures())
	}
	all := e.all(hubspot.Products, "hs_sku", "name", "price", e.cfg.Sync.ERPIDProperty)
	if len(all) != 2 {
		t.Fatalf("HubSpot has %d products, want 2: %+v", len(all), all)
	}
	for _, p := range all {
		if p.Properties["hs_sku"] == "S-2" && (p.Properties["name"] != "Coconut milk 400 ml" || p.Properties[e.cfg.Sync.ERPIDProperty] != "P-2") {
			t.Errorf("S-2 after its catalog row = %+v", p.Properties)
		}
	}
	// Both line items point at the two products.
	items := erpIndex(t, e, hubspot.LineItems, "hs_product_id")
	if items["SO-1/1"].Properties["hs_product_id"] == items["SO-1/2"].Properties["hs_product_id"] {
		t.Errorf("line items share a product: %+v", items)
	}

	// Deleting P-1 archives it under both its keys; an order naming S-1
	// afterwards gets a new, live product rather than the archived one.
	if _, err := e.db.Pool.Exec(context.Background(), `INSERT INTO outbox (entity, erp_id, op) VALUES ('product', 'P-1', 'delete')`); err != nil {
		t.Fatal(err)
	}
	if sum := e.drain(e.eng); sum.Deleted != 1 {
		t.Fatalf("delete run: %+v %v", sum, e.failures())
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'product' AND erp_id IN ('P-1', 'S-1') AND archived_at IS NOT NULL`); n != 2 {
		t.Errorf("%d of P-1's two ID map keys are archived, want 2", n)
	}
	e.insertJSON("order", "SO-2", map[string]any{"customer_id": "C-1", "status": "open", "items": []map[string]any{
		{"line_id": "1", "sku": "S-1", "name": "Green curry paste", "quantity": 1, "unit_price": 35}}})
	if sum := e.drain(e.eng); sum.Failed != 0 {
		t.Fatalf("order after the delete: %+v %v", sum, e.failures())
	}
	if n := len(e.all(hubspot.Products)); n != 2 {
		t.Errorf("%d live products, want 2 (S-2 and a new S-1)", n)
	}
}

// TestStageMissingInHubSpot checks that a configured stage HubSpot lacks
// holds the orders back without using up their attempts, and that they go
// through once `syncd setup` has created it.
func TestStageMissingInHubSpot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(cfg *config.Config) {
		cfg.Deals = config.PipelineMapping{Pipeline: "default", Stages: map[string]string{"backorder": "Backordered"}}
	}})
	e.insertJSON("customer", "C-1", map[string]any{"email": "a@example.co.th"})
	id := e.insertJSON("order", "SO-1", map[string]any{"customer_id": "C-1", "status": "BackOrder"})
	// Properties exist (as setup would make them) but the stage does not.
	cfg := e.cfg
	cfg.Deals.Stages = nil
	plan, err := setup.Plan(context.Background(), e.hs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Apply(context.Background(), e.hs, plan); err != nil {
		t.Fatal(err)
	}
	e.drain(e.eng)
	got := e.row(id)
	if got.State != "failed" || got.Attempts != 0 || !strings.Contains(got.LastError, `stage "Backordered" (for ERP status "backorder") does not exist in pipeline "default" (Sales Pipeline)`) ||
		!strings.Contains(got.LastError, "syncd setup") {
		t.Fatalf("order row = %+v", got)
	}

	// setup without create_pipelines reports the stage; with it, creates it.
	if _, err := setup.Plan(context.Background(), e.hs, e.cfg); err == nil || !strings.Contains(err.Error(), "create_pipelines = true") {
		t.Errorf("setup plan error = %v, want the missing stage reported", err)
	}
	e.cfg.Setup.CreatePipelines = true
	setupHubSpot(t, e)
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.drain(e.eng)
	if got := e.row(id); got.State != "done" {
		t.Fatalf("order row after setup = %+v", got)
	}
	pipes, _ := e.hs.ListPipelines(context.Background(), hubspot.Deals)
	stage := hubspot.FindStage(hubspot.FindPipeline(pipes, "default"), "backordered")
	deals := erpIndex(t, e, hubspot.Deals, "dealstage")
	if stage == nil || deals["SO-1"].Properties["dealstage"] != stage.ID {
		t.Errorf("deal stage = %s, want the created stage %+v", deals["SO-1"].Properties["dealstage"], stage)
	}
}

// TestStageMissingReadsPipelinesOnce checks that a configured stage HubSpot
// lacks costs one read of the pipelines per cycle, not one per order.
func TestStageMissingReadsPipelinesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(cfg *config.Config) {
		cfg.Deals = config.PipelineMapping{Pipeline: "default", Stages: map[string]string{"backorder": "Backordered"}}
	}})
	var ids []int64
	for i := range 5 {
		ids = append(ids, e.insertJSON("order", fmt.Sprintf("SO-%d", i), map[string]any{"status": "backorder"}))
	}
	n := e.rec.len()
	if _, err := e.eng.RunCycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, r := range e.rec.since(n) {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/crm/pipelines/") {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("pipeline reads in one cycle = %d, want 1", reads)
	}
	for _, id := range ids {
		if got := e.row(id); got.State != "failed" || got.Attempts != 0 || !strings.Contains(got.LastError, "syncd setup") {
			t.Errorf("order row %d = %+v", id, got)
		}
	}
}

// TestLineItemUpdateWithoutResult checks that a line item update HubSpot
// answers without a result for it is not recorded as synced: the order is
// retried later, without using up an attempt.
func TestLineItemUpdateWithoutResult(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	order := func(qty int) map[string]any {
		return map[string]any{"status": "open", "items": []map[string]any{
			{"line_id": "1", "name": "Widget", "quantity": qty, "unit_price": 10}}}
	}
	e.insertJSON("order", "SO-1", order(1))
	if sum := e.drain(e.eng); sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("first drain: %+v; rows: %v", sum, e.failures())
	}
	e.rec.answer(pathEnds("/line_items/batch/update"), func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"COMPLETE","results":[]}`)
	})
	id := e.insertJSON("order", "SO-1", order(2))
	e.drain(e.eng)
	if got := e.row(id); got.State != "failed" || got.Attempts != 0 || !strings.Contains(got.LastError, "SO-1/1") {
		t.Errorf("order row = %+v, want failed without an attempt, naming line item SO-1/1", got)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND erp_id = 'SO-1/1' AND synced_properties->>'quantity' = '1'`); n != 1 {
		t.Errorf("line item SO-1/1 recorded as synced with the unconfirmed quantity")
	}
}
