package engine_test

import (
	"context"
	"encoding/json"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// northwind is the Northwind data set turned into outbox payloads, with
// what HubSpot should hold afterwards.
type northwind struct {
	rows []outboxtest.Row
	// orders maps order ERP IDs to their expected amount and status.
	orders map[string]nwOrder
	// lines maps line item keys to their expected amount and SKU.
	lines    map[string]nwLine
	skus     []string
	tickets  map[string]nwTicket
	catalog  int // products sent as their own rows
	custKeys []string
}

type nwOrder struct {
	amount         *big.Rat
	status         string
	customer, comp string
}

type nwLine struct {
	order, sku string
	amount     *big.Rat
}

type nwTicket struct {
	customer, company, order, stage string
}

func cents(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a number", s)
	}
	return r
}

// roundCents rounds r to two decimals, half away from zero.
func roundCents(r *big.Rat) string { return r.FloatString(2) }

func loadNorthwind(t testing.TB, tickets int) *northwind {
	t.Helper()
	customers := shareddata.ReadCSV(t, "northwind/customers.csv")
	products := shareddata.ReadCSV(t, "northwind/products.csv")
	orders := shareddata.ReadCSV(t, "northwind/orders.csv")
	details := shareddata.ReadCSV(t, "northwind/order-details.csv")
	support := shareddata.ReadCSV(t, "support-tickets/customer_support_tickets.csv")

	nw := &northwind{orders: map[string]nwOrder{}, lines: map[string]nwLine{}, tickets: map[string]nwTicket{}}
	for _, c := range customers {
		id := c["customerID"]
		nw.rows = append(nw.rows, outboxtest.Row{Entity: "company", ERPID: id, Payload: map[string]any{"name": c["companyName"]}})
		nw.rows = append(nw.rows, outboxtest.Row{Entity: "customer", ERPID: "C-" + id, Payload: map[string]any{
			"name": c["contactName"], "email": strings.ToLower(id) + "@northwind.example.com", "company_id": id,
		}})
		nw.custKeys = append(nw.custKeys, id)
	}
	names := map[string]string{}
	for i, p := range products {
		sku := "NW-" + p["productID"]
		nw.skus = append(nw.skus, sku)
		names[sku] = p["productName"]
		// Every eleventh product is never sent as a catalog row: orders
		// create it by its SKU.
		if i%11 == 10 {
			continue
		}
		nw.catalog++
		nw.rows = append(nw.rows, outboxtest.Row{Entity: "product", ERPID: sku, Payload: map[string]any{
			"sku": sku, "name": p["productName"], "price": json.Number(p["unitPrice"]), "description": p["quantityPerUnit"],
		}})
	}
	items := map[string][]map[string]any{}
	for _, d := range details {
		oid, sku := d["orderID"], "NW-"+d["productID"]
		price := cents(t, d["unitPrice"])
		// Northwind's discount is a fraction; the outbox's is per unit.
		disc := roundCents(new(big.Rat).Mul(price, cents(t, d["discount"])))
		qty := cents(t, d["quantity"])
		amount := new(big.Rat).Mul(qty, new(big.Rat).Sub(price, cents(t, disc)))
		key := oid + "/" + d["productID"]
		nw.lines[key] = nwLine{order: oid, sku: sku, amount: amount}
		items[oid] = append(items[oid], map[string]any{
			"line_id": d["productID"], "sku": sku, "name": names[sku],
			"quantity": json.Number(d["quantity"]), "unit_price": json.Number(d["unitPrice"]), "discount": json.Number(disc),
		})
	}
	for _, o := range orders {
		oid := o["orderID"]
		status := "shipped"
		if o["shippedDate"] == "NULL" {
			status = "open"
		}
		sum := new(big.Rat)
		for _, l := range nw.lines {
			if l.order == oid {
				sum.Add(sum, l.amount)
			}
		}
		nw.orders[oid] = nwOrder{amount: sum, status: status, customer: "C-" + o["customerID"], comp: o["customerID"]}
		orderDate, err := time.Parse("2006-01-02 15:04:05.000", o["orderDate"])
		if err != nil {
			t.Fatalf("order %s: %v", oid, err)
		}
		nw.rows = append(nw.rows, outboxtest.Row{Entity: "order", ERPID: oid, Payload: map[string]any{
			"customer_id": "C-" + o["customerID"], "company_id": o["customerID"], "name": "Order " + oid + " " + o["shipName"],
			"status": status, "currency": "USD", "created_at": orderDate.Format(time.RFC3339),
			"close_date": o["requiredDate"][:10], "items": items[oid],
		}})
	}
	priorities := map[string]string{"Low": "LOW", "Medium": "MEDIUM", "High": "HIGH", "Critical": "URGENT"}
	stages := map[string]string{"Open": "1", "Pending Customer Response": "2", "Closed": "4"}
	statuses := map[string]string{"Open": "open", "Pending Customer Response": "Pending Customer Response", "Closed": "closed"}
	for i, s := range support[:tickets] {
		id := "T-" + s["Ticket ID"]
		cust := nw.custKeys[i%len(nw.custKeys)]
		p := map[string]any{
			"customer_id": "C-" + cust, "company_id": cust, "subject": s["Ticket Subject"],
			"description": s["Ticket Description"], "status": statuses[s["Ticket Status"]],
			"priority": priorities[s["Ticket Priority"]], "created_at": s["Date of Purchase"] + "T10:00:00Z",
		}
		want := nwTicket{customer: "C-" + cust, company: cust, stage: stages[s["Ticket Status"]]}
		if i%2 == 0 {
			want.order = orders[i%len(orders)]["orderID"]
			p["order_id"] = want.order
		}
		nw.tickets[id] = want
		nw.rows = append(nw.rows, outboxtest.Row{Entity: "ticket", ERPID: id, Payload: p})
	}
	return nw
}

func TestNorthwindOrdersEndToEnd(t *testing.T) {
	t.Parallel()
	nw := loadNorthwind(t, 500)
	if len(nw.orders) != 830 || len(nw.lines) != 2155 || len(nw.skus) != 77 || len(nw.custKeys) != 91 {
		t.Fatalf("Northwind data: %d orders, %d lines, %d products, %d customers", len(nw.orders), len(nw.lines), len(nw.skus), len(nw.custKeys))
	}
	e := newOrderEnv(t)
	outboxtest.InsertRows(e.t, e.db, nw.rows)
	start := time.Now()
	sum := e.drain(e.eng)
	wall := time.Since(start)
	if sum.Failed != 0 || sum.Dead != 0 {
		t.Fatalf("run: %+v; failures: %v", sum, e.failures())
	}
	t.Logf("%d rows → %d HubSpot calls (%d writes), %.3f calls per order, in %v",
		sum.Rows, sum.Calls, sum.WriteCalls, float64(sum.Calls)/float64(len(nw.orders)), wall.Round(time.Millisecond))
	if sum.Calls > int64(len(nw.orders))/4 {
		t.Errorf("%d calls for %d orders: want far fewer than one per record", sum.Calls, len(nw.orders))
	}

	contacts := erpIndex(t, e, hubspot.Contacts)
	companies := erpIndex(t, e, hubspot.Companies)
	products := erpIndex(t, e, hubspot.Products, "hs_sku")
	deals := erpIndex(t, e, hubspot.Deals, "amount", "dealstage", "pipeline")
	lines := erpIndex(t, e, hubspot.LineItems, "amount", "hs_product_id")
	tickets := erpIndex(t, e, hubspot.Tickets, "hs_pipeline", "hs_pipeline_stage")
	if len(contacts) != 91 || len(companies) != 91 || len(products) != 77 || len(deals) != 830 || len(lines) != 2155 || len(tickets) != 500 {
		t.Fatalf("HubSpot holds %d contacts, %d companies, %d products, %d deals, %d line items, %d tickets; want 91, 91, 77, 830, 2155, 500",
			len(contacts), len(companies), len(products), len(deals), len(lines), len(tickets))
	}
	skuSeen := map[string]bool{}
	for _, p := range products {
		if skuSeen[p.Properties["hs_sku"]] {
			t.Errorf("two products with SKU %s", p.Properties["hs_sku"])
		}
		skuSeen[p.Properties["hs_sku"]] = true
	}

	// Line items: amount and product.
	lineSum := map[string]*big.Rat{}
	for key, want := range nw.lines {
		li := lines[key]
		if got := hubspottest.Rat(t, li.Properties["amount"]); got.Cmp(hubspottest.Rat(t, want.amount.FloatString(2))) != 0 {
			t.Errorf("line item %s amount = %s, want %s", key, li.Properties["amount"], want.amount.FloatString(2))
		}
		if li.Properties["hs_product_id"] != products[want.sku].ID {
			t.Errorf("line item %s product = %s, want %s (%s)", key, li.Properties["hs_product_id"], products[want.sku].ID, want.sku)
		}
		if lineSum[want.order] == nil {
			lineSum[want.order] = new(big.Rat)
		}
		lineSum[want.order].Add(lineSum[want.order], hubspottest.Rat(t, li.Properties["amount"]))
	}

	// Deals: stage by label or ID, amount = sum of the line items.
	var dealIDs []string
	for oid, want := range nw.orders {
		d := deals[oid]
		dealIDs = append(dealIDs, d.ID)
		wantStage := map[string]string{"shipped": "closedwon", "open": "appointmentscheduled"}[want.status]
		if d.Properties["dealstage"] != wantStage || d.Properties["pipeline"] != "default" {
			t.Errorf("deal %s stage = %s, want %s", oid, d.Properties["dealstage"], wantStage)
		}
		amount := hubspottest.Rat(t, d.Properties["amount"])
		if amount.Cmp(want.amount) != 0 || lineSum[oid] == nil || amount.Cmp(lineSum[oid]) != 0 {
			t.Errorf("deal %s amount = %s, want %s = sum of its line items (%v)", oid, d.Properties["amount"], want.amount.FloatString(2), lineSum[oid])
		}
	}

	// Associations, both directions.
	expectPairs := func(from, to string, fromIDs []string, typeID int, want map[string][]string) {
		t.Helper()
		got := assocIDs(t, e, from, to, fromIDs, typeID)
		for _, id := range fromIDs {
			w := slices.Clone(want[id])
			slices.Sort(w)
			if !slices.Equal(got[id], w) {
				t.Errorf("%s %s → %s type %d = %v, want %v", from, id, to, typeID, got[id], w)
				return
			}
		}
	}
	dealToContact, dealToCompany, dealToLines := map[string][]string{}, map[string][]string{}, map[string][]string{}
	var lineIDs, ticketIDs []string
	for oid, want := range nw.orders {
		d := deals[oid].ID
		dealToContact[d], dealToCompany[d] = []string{contacts[want.customer].ID}, []string{companies[want.comp].ID}
	}
	for key, l := range nw.lines {
		d := deals[l.order].ID
		dealToLines[d] = append(dealToLines[d], lines[key].ID)
		lineIDs = append(lineIDs, lines[key].ID)
	}
	tToContact, tToCompany, tToDeal := map[string][]string{}, map[string][]string{}, map[string][]string{}
	for id, want := range nw.tickets {
		tk := tickets[id]
		if tk.Properties["hs_pipeline"] != "0" || tk.Properties["hs_pipeline_stage"] != want.stage {
			t.Errorf("ticket %s stage = %s/%s, want 0/%s", id, tk.Properties["hs_pipeline"], tk.Properties["hs_pipeline_stage"], want.stage)
		}
		ticketIDs = append(ticketIDs, tk.ID)
		tToContact[tk.ID], tToCompany[tk.ID] = []string{contacts[want.customer].ID}, []string{companies[want.company].ID}
		if want.order != "" {
			tToDeal[tk.ID] = []string{deals[want.order].ID}
		}
	}
	// Each link is checked from its records (type fwd) and, unless back
	// is 0, from the records it points at (type back); backIDs, when set,
	// are the records checked from that side, else those pointed at.
	for _, l := range []struct {
		from, to  string
		fromIDs   []string
		fwd, back int
		want      map[string][]string
		backIDs   []string
	}{
		{hubspot.Deals, hubspot.Contacts, dealIDs, 3, 4, dealToContact, nil},
		{hubspot.Deals, hubspot.Companies, dealIDs, 5, 0, dealToCompany, nil},
		{hubspot.Deals, hubspot.Companies, dealIDs, 341, 342, dealToCompany, nil},
		{hubspot.Deals, hubspot.LineItems, dealIDs, 19, 20, dealToLines, lineIDs},
		{hubspot.Tickets, hubspot.Contacts, ticketIDs, 16, 15, tToContact, nil},
		{hubspot.Tickets, hubspot.Companies, ticketIDs, 26, 0, tToCompany, nil},
		{hubspot.Tickets, hubspot.Companies, ticketIDs, 339, 340, tToCompany, nil},
		{hubspot.Tickets, hubspot.Deals, ticketIDs, 28, 27, tToDeal, dealIDs},
	} {
		expectPairs(l.from, l.to, l.fromIDs, l.fwd, l.want)
		if l.back == 0 {
			continue
		}
		back := map[string][]string{}
		for from, tos := range l.want {
			for _, to := range tos {
				back[to] = append(back[to], from)
			}
		}
		ids := l.backIDs
		if ids == nil {
			ids = slices.Sorted(maps.Keys(back))
		}
		expectPairs(l.to, l.from, ids, l.back, back)
	}

	// Nothing new: no call at all. The same rows again: no write.
	if sum := e.drain(e.eng); sum.Calls != 0 {
		t.Errorf("idle run made %d calls", sum.Calls)
	}
	outboxtest.InsertRows(e.t, e.db, nw.rows)
	sum = e.drain(e.eng)
	if sum.WriteCalls != 0 || sum.Failed != 0 {
		t.Errorf("re-sending every row: %+v, want no write call", sum)
	}
	t.Logf("re-sending %d unchanged rows: %d calls, %d writes", sum.Rows, sum.Calls, sum.WriteCalls)
}

// BenchmarkOrders syncs Northwind orders (with their customers, companies
// and products) into a fresh emulator per iteration and reports HubSpot
// calls per order and wall time per order.
func BenchmarkOrders(b *testing.B) {
	nw := loadNorthwind(b, 0)
	var calls, writes, orders int64
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newOrderEnv(b)
		outboxtest.InsertRows(e.t, e.db, nw.rows)
		b.StartTimer()
		start := time.Now()
		sum, err := e.eng.Drain(context.Background())
		wall += time.Since(start)
		if err != nil || sum.Failed != 0 {
			b.Fatalf("drain: %+v, %v", sum, err)
		}
		calls += sum.Calls
		writes += sum.WriteCalls
		orders += int64(len(nw.orders))
	}
	b.ReportMetric(float64(calls)/float64(orders), "calls/order")
	b.ReportMetric(float64(writes)/float64(orders), "writes/order")
	b.ReportMetric(float64(wall.Microseconds())/float64(orders), "µs/order")
	b.ReportMetric(float64(len(nw.rows)), "rows/op")
}
