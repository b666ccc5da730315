package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

const erpProp = "syncd_erp_id"

// idMapTypes are the ID map's object types by HubSpot object type.
var idMapTypes = map[string]string{
	"contacts": "contact", "companies": "company", "products": "product",
	"deals": "deal", "line_items": "line_item", "tickets": "ticket",
}

// live returns the records of objectType that are not archived.
func live(dump emulator.Dump, objectType string) []emulator.DumpRecord {
	var out []emulator.DumpRecord
	for _, r := range dump.Objects[objectType] {
		if !r.Archived {
			out = append(out, r)
		}
	}
	return out
}

// assocIDs returns the IDs of r's associated records of objectType.
func assocIDs(r emulator.DumpRecord, objectType string) []string {
	var out []string
	for _, a := range r.Associations[objectType] {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

// index keys the live records of objectType by property prop, failing on
// two records with one value and on records without one.
func index(t testing.TB, dump emulator.Dump, objectType, prop string) map[string]emulator.DumpRecord {
	t.Helper()
	out := map[string]emulator.DumpRecord{}
	for _, r := range live(dump, objectType) {
		k := r.Properties[prop]
		if k == "" {
			t.Errorf("%s %s has no %s", objectType, r.ID, prop)
			continue
		}
		if prev, dup := out[k]; dup {
			t.Errorf("duplicate %s: records %s and %s both have %s %q", objectType, prev.ID, r.ID, prop, k)
		}
		out[k] = r
	}
	return out
}

func sameNumber(t testing.TB, got, want string) bool {
	t.Helper()
	if got == "" {
		return want == ""
	}
	return hubspottest.Rat(t, got).Cmp(hubspottest.Rat(t, want)) == 0
}

// expectRecords checks that HubSpot holds one live objectType record for
// each of want, found by its key (key) in property prop: none missing, none
// extra, no two with one key. It records each record's ID in ids under the
// ID map's type and key, then hands the record to check with what it
// should hold.
func expectRecords[T any](t testing.TB, dump emulator.Dump, ids map[string]map[string]string, objectType, prop string,
	want []T, key func(T) string, check func(T, emulator.DumpRecord)) {
	t.Helper()
	if got := len(live(dump, objectType)); got != len(want) {
		t.Errorf("HubSpot holds %d %s, want %d", got, objectType, len(want))
	}
	ty := idMapTypes[objectType]
	byKey := index(t, dump, objectType, prop)
	for _, w := range want {
		k := key(w)
		r, ok := byKey[k]
		if !ok {
			t.Errorf("%s %s is missing", ty, k)
			continue
		}
		ids[ty][k] = r.ID
		check(w, r)
	}
}

// checkHubSpot checks that the emulator holds exactly the records d
// becomes: no duplicate, none missing, none extra, with their key
// properties and associations. It returns the HubSpot IDs by ID map type
// and ERP key (line items: "<order>/<line_id>").
func checkHubSpot(t testing.TB, d *dataset, dump emulator.Dump) map[string]map[string]string {
	t.Helper()
	ids := map[string]map[string]string{}
	for _, ty := range idMapTypes {
		ids[ty] = map[string]string{}
	}
	items := 0
	for _, o := range d.orders {
		items += len(o.items)
	}
	if got := len(live(dump, "line_items")); got != items {
		t.Errorf("HubSpot holds %d line_items, want %d", got, items)
	}

	expectRecords(t, dump, ids, "companies", erpProp, d.companies, func(c dsCompany) string { return c.erpID },
		func(c dsCompany, r emulator.DumpRecord) {
			if r.Properties["name"] != c.name || r.Properties["domain"] != c.domain {
				t.Errorf("company %s: name %q domain %q, want %q %q", c.erpID, r.Properties["name"], r.Properties["domain"], c.name, c.domain)
			}
		})
	index(t, dump, "companies", "domain")

	expectRecords(t, dump, ids, "contacts", erpProp, d.customers, func(c dsCustomer) string { return c.erpID },
		func(c dsCustomer, r emulator.DumpRecord) {
			if r.Properties["email"] != c.email {
				t.Errorf("contact %s: email %q, want %q", c.erpID, r.Properties["email"], c.email)
			}
			if want := []string{ids["company"][c.companyID]}; !slices.Equal(assocIDs(r, "companies"), want) {
				t.Errorf("contact %s: companies %v, want %v", c.erpID, assocIDs(r, "companies"), want)
			}
		})
	index(t, dump, "contacts", "email")

	expectRecords(t, dump, ids, "products", "hs_sku", d.products, func(p dsProduct) string { return p.sku },
		func(p dsProduct, r emulator.DumpRecord) {
			if r.Properties["name"] != p.name || !sameNumber(t, r.Properties["price"], p.price) {
				t.Errorf("product %s: name %q price %q, want %q %q", p.sku, r.Properties["name"], r.Properties["price"], p.name, p.price)
			}
		})
	skuOf := map[string]string{}
	for sku, id := range ids["product"] {
		skuOf[id] = sku
	}

	lineItems := map[string]emulator.DumpRecord{}
	for _, r := range live(dump, "line_items") {
		lineItems[r.ID] = r
	}
	expectRecords(t, dump, ids, "deals", erpProp, d.orders, func(o dsOrder) string { return o.erpID },
		func(o dsOrder, r emulator.DumpRecord) {
			p := r.Properties
			if want := o.amount().FloatString(2); !sameNumber(t, p["amount"], want) {
				t.Errorf("deal %s: amount %q, want %s", o.erpID, p["amount"], want)
			}
			if p["dealname"] != o.name || p["pipeline"] != "default" || p["dealstage"] != dealStages[o.status] {
				t.Errorf("deal %s: name %q pipeline %q stage %q, want %q default %q", o.erpID, p["dealname"], p["pipeline"], p["dealstage"], o.name, dealStages[o.status])
			}
			if want := []string{ids["contact"][o.customerID]}; !slices.Equal(assocIDs(r, "contacts"), want) {
				t.Errorf("deal %s: contacts %v, want %v", o.erpID, assocIDs(r, "contacts"), want)
			}
			if want := []string{ids["company"][o.companyID]}; !slices.Equal(assocIDs(r, "companies"), want) {
				t.Errorf("deal %s: companies %v, want %v", o.erpID, assocIDs(r, "companies"), want)
			}
			// Line items by SKU: an order names each SKU once.
			bySKU := map[string]emulator.DumpRecord{}
			for _, id := range assocIDs(r, "line_items") {
				li, ok := lineItems[id]
				if !ok {
					t.Errorf("deal %s: associated line item %s is not live", o.erpID, id)
					continue
				}
				sku := skuOf[li.Properties["hs_product_id"]]
				if _, dup := bySKU[sku]; dup || sku == "" {
					t.Errorf("deal %s: line item %s has product %q (SKU %q), already seen or unknown", o.erpID, id, li.Properties["hs_product_id"], sku)
				}
				bySKU[sku] = li
			}
			if len(bySKU) != len(o.items) {
				t.Errorf("deal %s: %d line items, want %d", o.erpID, len(bySKU), len(o.items))
			}
			for _, it := range o.items {
				li, ok := bySKU[it.sku]
				if !ok {
					t.Errorf("deal %s: line %s (%s) is missing", o.erpID, it.lineID, it.sku)
					continue
				}
				ids["line_item"][o.erpID+"/"+it.lineID] = li.ID
				lp := li.Properties
				if !sameNumber(t, lp["quantity"], it.quantity) || !sameNumber(t, lp["price"], it.unitPrice) || !sameNumber(t, lp["discount"], it.discount) {
					t.Errorf("deal %s line %s: quantity %q price %q discount %q, want %s %s %s", o.erpID, it.lineID,
						lp["quantity"], lp["price"], lp["discount"], it.quantity, it.unitPrice, it.discount)
				}
				if got := assocIDs(li, "deals"); !slices.Equal(got, []string{r.ID}) {
					t.Errorf("line item %s: deals %v, want [%s]", li.ID, got, r.ID)
				}
			}
		})

	expectRecords(t, dump, ids, "tickets", erpProp, d.tickets, func(tk dsTicket) string { return tk.erpID },
		func(tk dsTicket, r emulator.DumpRecord) {
			p := r.Properties
			if p["subject"] != tk.subject || p["hs_pipeline"] != "0" || p["hs_pipeline_stage"] != ticketStages[tk.status] || p["hs_ticket_priority"] != tk.priority {
				t.Errorf("ticket %s: subject %q stage %q/%q priority %q", tk.erpID, p["subject"], p["hs_pipeline"], p["hs_pipeline_stage"], p["hs_ticket_priority"])
			}
			want := map[string][]string{"contacts": {ids["contact"][tk.customerID]}, "companies": {ids["company"][tk.companyID]}, "deals": nil}
			if tk.orderID != "" {
				want["deals"] = []string{ids["deal"][tk.orderID]}
			}
			for ot, w := range want {
				if got := assocIDs(r, ot); !slices.Equal(got, w) {
					t.Errorf("ticket %s: %s %v, want %v", tk.erpID, ot, got, w)
				}
			}
		})
	return ids
}

// checkIDMap checks that the ID map's live rows are exactly ids.
func (e *env) checkIDMap(ids map[string]map[string]string) {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT object_type, erp_id, hubspot_id FROM id_map WHERE archived_at IS NULL`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]map[string]string{}
	n := 0
	for rows.Next() {
		var ty, erp, id string
		if err := rows.Scan(&ty, &erp, &id); err != nil {
			e.t.Fatal(err)
		}
		if got[ty] == nil {
			got[ty] = map[string]string{}
		}
		got[ty][erp] = id
		n++
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	var bad []string
	want := 0
	for ty, m := range ids {
		want += len(m)
		for erp, id := range m {
			if got[ty][erp] != id {
				bad = append(bad, fmt.Sprintf("%s %s: id_map %q, HubSpot %q", ty, erp, got[ty][erp], id))
			}
		}
	}
	if n != want {
		bad = append(bad, fmt.Sprintf("id_map has %d live rows, HubSpot %d records", n, want))
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		e.t.Errorf("id_map disagrees with HubSpot (%d):\n%s", len(bad), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
}

// checkDone checks that every outbox row is done or superseded, none
// failed or dead, and none leased.
func (e *env) checkDone() {
	e.t.Helper()
	if rows := e.openRows(); len(rows) > 0 {
		e.t.Errorf("outbox rows not done: %v", rows)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL AND state NOT IN ('done', 'superseded')`); n != 0 {
		e.t.Errorf("%d open rows still leased", n)
	}
}
