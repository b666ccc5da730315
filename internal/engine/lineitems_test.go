package engine_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

// lineOrder is an order payload whose items have no product: line i has
// quantity qty[i] at unit price 10·(i+1), and the description desc[i]
// when set.
func lineOrder(qty []int, desc map[int]string) map[string]any {
	var items []map[string]any
	for i, q := range qty {
		li := map[string]any{"line_id": fmt.Sprint(i + 1), "name": fmt.Sprintf("Line %d", i+1), "quantity": q, "unit_price": 10 * (i + 1)}
		if d, ok := desc[i]; ok {
			li["description"] = d
		}
		items = append(items, li)
	}
	return map[string]any{"status": "open", "items": items}
}

// TestLineItemBatchRefusedAsWhole checks that a line item batch HubSpot
// refuses as a whole for one bad line fails only that line's order: the
// batch is split until the bad input is found, and the other orders of
// the chunk sync.
func TestLineItemBatchRefusedAsWhole(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	const orders = 6
	for i := range orders {
		e.insertJSON("order", fmt.Sprintf("SO-%d", i), lineOrder([]int{1, 1}, nil))
	}
	if sum := e.drain(e.eng); sum.Created != orders || sum.Failed != 0 {
		t.Fatalf("first drain: %+v; rows: %v", sum, e.failures())
	}
	e.rec.answer(pathEnds("/line_items/batch/update", "REFUSED"), hubSpotError(400, "VALIDATION_ERROR", "Property values were not valid"))
	ids := map[string]int64{}
	for i := range orders {
		var desc map[int]string
		if i == 3 {
			desc = map[int]string{1: "REFUSED"}
		}
		key := fmt.Sprintf("SO-%d", i)
		ids[key] = e.insertJSON("order", key, lineOrder([]int{2, 3}, desc))
	}
	before := e.rec.len()
	e.drain(e.eng)
	calls := 0
	for _, r := range e.rec.since(before) {
		if strings.HasSuffix(r.Path, "/line_items/batch/update") {
			calls++
		}
	}
	if calls < 2 {
		t.Errorf("%d line item update calls, want the refused batch split", calls)
	}
	items := erpIndex(t, e, hubspot.LineItems, "quantity", "description")
	for key, id := range ids {
		got := e.row(id)
		if key == "SO-3" {
			if got.State != "failed" || got.Attempts != 1 || !strings.Contains(got.LastError, "SO-3/2") || !strings.Contains(got.LastError, "Property values were not valid") {
				t.Errorf("bad order %s row = %+v, want failed with an attempt, naming line item SO-3/2 and HubSpot's reason", key, got)
			}
			if q := items[key+"/2"].Properties["quantity"]; q != "1" {
				t.Errorf("refused line item %s/2 quantity = %s, want 1 (unchanged)", key, q)
			}
			continue
		}
		if got.State != "done" {
			t.Errorf("order %s row = %+v, want done", key, got)
		}
		for line, want := range map[string]string{"/1": "2", "/2": "3"} {
			if q := items[key+line].Properties["quantity"]; q != want {
				t.Errorf("line item %s%s quantity = %s, want %s", key, line, q, want)
			}
		}
		if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND erp_id LIKE $1 AND synced_properties->>'quantity' IN ('2', '3')`, key+"/%"); n != 2 {
			t.Errorf("order %s: %d line items recorded with the new quantity, want 2", key, n)
		}
	}
}

// TestLineItemDeletedInHubSpot checks that a line item a user deleted in
// HubSpot is created again by the next update of its order, associated with
// the deal, and that the ID map then points at the new record.
func TestLineItemDeletedInHubSpot(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	ctx := context.Background()
	e.insertJSON("order", "SO-1", lineOrder([]int{1, 2}, nil))
	if sum := e.drain(e.eng); sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("first drain: %+v; rows: %v", sum, e.failures())
	}
	deal := erpIndex(t, e, hubspot.Deals)["SO-1"]
	old := erpIndex(t, e, hubspot.LineItems)["SO-1/1"].ID
	if err := e.hs.BatchArchive(ctx, hubspot.LineItems, []string{old}); err != nil {
		t.Fatal(err)
	}

	id := e.insertJSON("order", "SO-1", lineOrder([]int{3, 2}, nil))
	if sum := e.drain(e.eng); sum.Failed != 0 || sum.Updated != 1 {
		t.Fatalf("update drain: %+v; rows: %v", sum, e.failures())
	}
	if got := e.row(id); got.State != "done" {
		t.Fatalf("order row = %+v, want done", got)
	}
	checkLineItems(t, e, "SO-1", deal.ID, map[string]lineWant{
		"SO-1/1": {amount: "30"},
		"SO-1/2": {amount: "40"},
	})
	items := erpIndex(t, e, hubspot.LineItems, "amount")
	li := items["SO-1/1"]
	if li.ID == old {
		t.Fatalf("line item SO-1/1 still has the deleted ID %s", old)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND erp_id = 'SO-1/1' AND hubspot_id = $1 AND archived_at IS NULL AND synced_properties->>'quantity' = '3'`, li.ID); n != 1 {
		t.Errorf("id_map row of SO-1/1 does not point at the new line item %s", li.ID)
	}
	sum := new(big.Rat)
	for _, o := range items {
		sum.Add(sum, hubspottest.Rat(t, o.Properties["amount"]))
	}
	amount := hubspottest.Rat(t, erpIndex(t, e, hubspot.Deals, "amount")["SO-1"].Properties["amount"])
	if amount.Cmp(sum) != 0 || amount.Cmp(big.NewRat(70, 1)) != 0 {
		t.Errorf("deal amount = %s, line items sum to %s; want both 70", amount.FloatString(2), sum.FloatString(2))
	}

	// The next unchanged run writes nothing: the new ID was recorded.
	e.insertJSON("order", "SO-1", lineOrder([]int{3, 2}, nil))
	if sum := e.drain(e.eng); sum.WriteCalls != 0 || sum.Failed != 0 {
		t.Errorf("unchanged re-run: %+v, want no writes", sum)
	}
}

// TestLineItemArchiveGoneInHubSpot checks that archiving a line item
// HubSpot no longer has completes, when HubSpot refuses the archive batch
// that names it: the order's other archive still happens.
func TestLineItemArchiveGoneInHubSpot(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	ctx := context.Background()
	e.insertJSON("order", "SO-1", lineOrder([]int{1, 2, 3}, nil))
	if sum := e.drain(e.eng); sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("first drain: %+v; rows: %v", sum, e.failures())
	}
	deal := erpIndex(t, e, hubspot.Deals)["SO-1"]
	items := erpIndex(t, e, hubspot.LineItems)
	gone := items["SO-1/2"].ID
	if err := e.hs.BatchArchive(ctx, hubspot.LineItems, []string{gone}); err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int32
	e.rec.answer(pathEnds("/line_items/batch/archive", `"`+gone+`"`), func(w http.ResponseWriter) {
		refused.Add(1)
		writeHubSpotError(w, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
	})

	// Lines 2 (gone) and 3 (live) are dropped.
	id := e.insertJSON("order", "SO-1", lineOrder([]int{1}, nil))
	e.drain(e.eng)
	if got := e.row(id); got.State != "done" {
		t.Fatalf("order row = %+v, want done", got)
	}
	if refused.Load() == 0 {
		t.Fatal("no archive naming the deleted line item reached HubSpot")
	}
	checkLineItems(t, e, "SO-1", deal.ID, map[string]lineWant{"SO-1/1": {amount: "10"}})
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND erp_id IN ('SO-1/2', 'SO-1/3') AND archived_at IS NOT NULL`); n != 2 {
		t.Errorf("%d of the two dropped line items are archived in id_map, want 2", n)
	}
}

// TestLineItemsOfOrderWithSlashes checks that an order's line items are
// found by their order, not by a key prefix: ERP order numbers such as
// "SO/2026" and "SO/2026/7" are common, and the line items of the second
// start with "SO/2026/" too.
func TestLineItemsOfOrderWithSlashes(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	e.insertJSON("order", "SO/2026", lineOrder([]int{1, 1}, nil))
	e.insertJSON("order", "SO/2026/7", lineOrder([]int{1, 1}, nil))
	if sum := e.drain(e.eng); sum.Created != 2 || sum.Failed != 0 {
		t.Fatalf("first drain: %+v; rows: %v", sum, e.failures())
	}
	// SO/2026 drops its second line and changes its first.
	e.insertJSON("order", "SO/2026", lineOrder([]int{5}, nil))
	if sum := e.drain(e.eng); sum.Updated != 1 || sum.Failed != 0 {
		t.Fatalf("second drain: %+v; rows: %v", sum, e.failures())
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND archived_at IS NOT NULL`); n != 1 {
		t.Errorf("%d line items archived in the ID map, want only SO/2026/2", n)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE object_type = 'line_item' AND order_erp_id = 'SO/2026/7' AND archived_at IS NULL`); n != 2 {
		t.Errorf("SO/2026/7 keeps %d live line items, want 2", n)
	}
	live := 0
	for _, li := range e.all(hubspot.LineItems, e.cfg.Sync.ERPIDProperty) {
		if strings.HasPrefix(li.Properties[e.cfg.Sync.ERPIDProperty], "SO/2026/7/") {
			live++
		}
	}
	if live != 2 {
		t.Errorf("HubSpot holds %d line items of SO/2026/7, want 2", live)
	}
}
