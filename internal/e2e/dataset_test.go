package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testkit/outboxtest"
	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// dataset is one ERP's worth of records, independent of how they reach
// HubSpot: the guide flow reads it directly, syncd through outbox rows.
type dataset struct {
	name      string
	companies []dsCompany
	customers []dsCustomer
	products  []dsProduct
	orders    []dsOrder
	tickets   []dsTicket
}

type dsCompany struct{ erpID, name, domain string }

type dsCustomer struct{ erpID, email, first, last, companyID string }

// dsProduct is a catalog product; its ERP key is its SKU.
type dsProduct struct{ sku, name, price string }

type dsOrder struct {
	erpID, customerID, companyID, name, status, currency, closeDate string
	items                                                           []dsItem
}

// dsItem prices are decimal strings; discount is per unit.
type dsItem struct{ lineID, sku, name, quantity, unitPrice, discount string }

type dsTicket struct {
	erpID, customerID, companyID, orderID, subject, description, status, priority string
}

// records counts the HubSpot records the data set becomes.
func (d *dataset) records() int {
	n := len(d.companies) + len(d.customers) + len(d.products) + len(d.orders) + len(d.tickets)
	for _, o := range d.orders {
		n += len(o.items)
	}
	return n
}

// dealStages and ticketStages map the data sets' ERP statuses to stage IDs
// of HubSpot's default pipelines, for both flows.
var (
	dealStages   = map[string]string{"open": "appointmentscheduled", "shipped": "closedwon"}
	ticketStages = map[string]string{"open": "1", "closed": "4"}
)

// decimal parses a decimal of the data sets, which are built in code or
// read from the shared CSV files; "" is zero.
func decimal(s string) *big.Rat {
	if s == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(fmt.Sprintf("data set value %q is not a number", s))
	}
	return r
}

// amount is Σ quantity × (unit price − discount), as syncd and the guide
// compute a deal's amount.
func (o dsOrder) amount() *big.Rat {
	sum := new(big.Rat)
	for _, it := range o.items {
		unit := new(big.Rat).Sub(decimal(it.unitPrice), decimal(it.discount))
		sum.Add(sum, unit.Mul(unit, decimal(it.quantity)))
	}
	return sum
}

// rows returns the data set as outbox rows, in dependency order as an ERP
// would write them.
func (d *dataset) rows() []outboxtest.Row {
	var out []outboxtest.Row
	for _, c := range d.companies {
		out = append(out, outboxtest.Row{Entity: "company", ERPID: c.erpID, Payload: map[string]any{"name": c.name, "domain": c.domain}})
	}
	for _, c := range d.customers {
		out = append(out, outboxtest.Row{Entity: "customer", ERPID: c.erpID, Payload: map[string]any{
			"email": c.email, "first_name": c.first, "last_name": c.last, "company_id": c.companyID}})
	}
	for _, p := range d.products {
		out = append(out, outboxtest.Row{Entity: "product", ERPID: p.sku, Payload: map[string]any{"sku": p.sku, "name": p.name, "price": json.Number(p.price)}})
	}
	for _, o := range d.orders {
		items := make([]map[string]any, len(o.items))
		for i, it := range o.items {
			items[i] = map[string]any{"line_id": it.lineID, "sku": it.sku, "name": it.name,
				"quantity": json.Number(it.quantity), "unit_price": json.Number(it.unitPrice), "discount": json.Number(it.discount)}
		}
		out = append(out, outboxtest.Row{Entity: "order", ERPID: o.erpID, Payload: map[string]any{
			"customer_id": o.customerID, "company_id": o.companyID, "name": o.name, "status": o.status,
			"currency": o.currency, "close_date": o.closeDate, "items": items}})
	}
	for _, tk := range d.tickets {
		p := map[string]any{"customer_id": tk.customerID, "company_id": tk.companyID, "subject": tk.subject,
			"description": tk.description, "status": tk.status, "priority": tk.priority}
		if tk.orderID != "" {
			p["order_id"] = tk.orderID
		}
		out = append(out, outboxtest.Row{Entity: "ticket", ERPID: tk.erpID, Payload: p})
	}
	return out
}

// synthetic generates a data set in code: companies, customers (contacts)
// spread over them, a catalog, orders of one to four items with prices
// and discounts, and tickets, some about an order.
func synthetic(companies, customers, products, orders, tickets int) *dataset {
	d := &dataset{name: "synthetic"}
	for i := range companies {
		d.companies = append(d.companies, dsCompany{fmt.Sprintf("CO-%04d", i), fmt.Sprintf("Siam Trading %d Co., Ltd.", i),
			fmt.Sprintf("siam%d.example.co.th", i)})
	}
	for i := range customers {
		d.customers = append(d.customers, dsCustomer{fmt.Sprintf("C-%05d", i), fmt.Sprintf("buyer%d@siam%d.example.co.th", i, i%companies),
			fmt.Sprintf("Somchai%d", i), fmt.Sprintf("Jaidee%d", i), d.companies[i%companies].erpID})
	}
	for i := range products {
		d.products = append(d.products, dsProduct{fmt.Sprintf("SKU-%03d", i), fmt.Sprintf("Jasmine rice grade %d", i),
			fmt.Sprintf("%d.50", 100+i*7)})
	}
	for i := range orders {
		c := d.customers[(i*7)%customers]
		o := dsOrder{erpID: fmt.Sprintf("SO-%05d", i), customerID: c.erpID, companyID: c.companyID,
			name: fmt.Sprintf("SO-%05d rice", i), status: []string{"open", "shipped"}[i%2], currency: "THB",
			closeDate: fmt.Sprintf("2026-12-%02d", 1+i%28)}
		seen := map[string]bool{}
		for j := range 1 + i%4 {
			p := d.products[(i*3+j*5)%products]
			if seen[p.sku] {
				continue // an order names a product once
			}
			seen[p.sku] = true
			// The line price differs from the catalog price on every
			// third line, as the guide allows.
			price := p.price
			if (i+j)%3 == 0 {
				price = fmt.Sprintf("%d.25", 90+j)
			}
			o.items = append(o.items, dsItem{lineID: fmt.Sprint(j + 1), sku: p.sku, name: p.name,
				quantity: fmt.Sprint(1 + (i+j)%5), unitPrice: price, discount: []string{"0", "5"}[j%2]})
		}
		d.orders = append(d.orders, o)
	}
	// The catalog holds the products orders name: the guide has no
	// product step of its own.
	d.products = slices.DeleteFunc(d.products, func(p dsProduct) bool {
		for _, o := range d.orders {
			for _, it := range o.items {
				if it.sku == p.sku {
					return false
				}
			}
		}
		return true
	})
	d.tickets = syntheticTickets(d, tickets)
	return d
}

// syntheticTickets makes n tickets about the data set's customers; every
// other one names one of the customer's orders.
func syntheticTickets(d *dataset, n int) []dsTicket {
	var out []dsTicket
	for i := range n {
		o := d.orders[(i*11)%len(d.orders)]
		tk := dsTicket{erpID: fmt.Sprintf("T-%05d", i), customerID: o.customerID, companyID: o.companyID,
			subject: fmt.Sprintf("Delivery question %d", i), description: "The parcel has not arrived.",
			status: []string{"open", "closed"}[i%2], priority: []string{"LOW", "MEDIUM", "HIGH", "URGENT"}[i%4]}
		if i%2 == 0 {
			tk.orderID = o.erpID
		}
		out = append(out, tk)
	}
	return out
}

// northwind returns the first n Northwind orders with their lines, the
// products they name and their customers (each a company with one
// contact), plus generated tickets. It reports false when ../shared is
// absent.
func northwind(t testing.TB, n, tickets int) (*dataset, bool) {
	t.Helper()
	for _, f := range []string{"customers", "products", "orders", "order-details"} {
		if !shareddata.Has("northwind/" + f + ".csv") {
			return nil, false
		}
	}
	customers := shareddata.ReadCSV(t, "northwind/customers.csv")
	products := shareddata.ReadCSV(t, "northwind/products.csv")
	orders := shareddata.ReadCSV(t, "northwind/orders.csv")
	details := shareddata.ReadCSV(t, "northwind/order-details.csv")
	d := &dataset{name: "northwind"}
	orders = orders[:min(n, len(orders))]
	lines := map[string][]map[string]string{}
	for _, l := range details {
		lines[l["orderID"]] = append(lines[l["orderID"]], l)
	}
	productByID := map[string]map[string]string{}
	for _, p := range products {
		productByID[p["productID"]] = p
	}
	customerByID := map[string]map[string]string{}
	for _, c := range customers {
		customerByID[c["customerID"]] = c
	}
	usedCustomers, usedProducts := map[string]bool{}, map[string]bool{}
	for _, o := range orders {
		cid := o["customerID"]
		if customerByID[cid] == nil {
			t.Fatalf("Northwind order %s names unknown customer %s", o["orderID"], cid)
		}
		usedCustomers[cid] = true
		status := "shipped"
		if o["shippedDate"] == "NULL" {
			status = "open"
		}
		do := dsOrder{erpID: o["orderID"], customerID: "C-" + cid, companyID: cid, name: "Order " + o["orderID"] + " " + o["shipName"],
			status: status, currency: "USD", closeDate: o["requiredDate"][:10]}
		for _, l := range lines[o["orderID"]] {
			p := productByID[l["productID"]]
			usedProducts[l["productID"]] = true
			// Northwind's discount is a fraction of the price; the
			// outbox's is an amount per unit.
			disc := new(big.Rat).Mul(decimal(l["unitPrice"]), decimal(l["discount"])).FloatString(2)
			do.items = append(do.items, dsItem{lineID: l["productID"], sku: "NW-" + l["productID"], name: p["productName"],
				quantity: l["quantity"], unitPrice: l["unitPrice"], discount: disc})
		}
		d.orders = append(d.orders, do)
	}
	for _, id := range slices.Sorted(maps.Keys(usedCustomers)) {
		c := customerByID[id]
		first, last, _ := strings.Cut(c["contactName"], " ")
		// syncd folds runs of spaces in names ("Wolski  Zajazd"); the guide
		// sends what it is given, so both get the folded name.
		name := strings.Join(strings.Fields(c["companyName"]), " ")
		d.companies = append(d.companies, dsCompany{id, name, strings.ToLower(id) + ".northwind.example.com"})
		d.customers = append(d.customers, dsCustomer{"C-" + id, strings.ToLower(id) + "@northwind.example.com", first, last, id})
	}
	for _, id := range slices.Sorted(maps.Keys(usedProducts)) {
		p := productByID[id]
		d.products = append(d.products, dsProduct{"NW-" + id, p["productName"], p["unitPrice"]})
	}
	d.tickets = syntheticTickets(d, tickets)
	return d, true
}

// changed returns a copy of d as the ERP would hold it a day later: some
// companies renamed, some orders with an item removed, a quantity changed
// or a new product added, some orders shipped and some tickets closed.
func (d *dataset) changed() *dataset {
	c := &dataset{name: d.name + "-changed",
		companies: slices.Clone(d.companies), customers: slices.Clone(d.customers),
		products: slices.Clone(d.products), tickets: slices.Clone(d.tickets)}
	for i := range c.companies {
		if i%4 == 0 {
			c.companies[i].name += " (Head Office)"
		}
	}
	for i, o := range d.orders {
		o.items = slices.Clone(o.items)
		switch {
		case i%5 == 0 && len(o.items) > 1:
			o.items = o.items[:len(o.items)-1]
		case i%5 == 1:
			o.items[0].quantity = fmt.Sprint(decimal(o.items[0].quantity).Num().Int64() + 10)
		case i%5 == 2:
			p := dsProduct{sku: fmt.Sprintf("NEW-%03d", i), name: fmt.Sprintf("New product %d", i), price: "42.00"}
			c.products = append(c.products, p)
			o.items = append(o.items, dsItem{lineID: "new", sku: p.sku, name: p.name, quantity: "3", unitPrice: "40", discount: "0"})
		case i%5 == 3:
			o.status = "shipped"
		}
		c.orders = append(c.orders, o)
	}
	for i := range c.tickets {
		if i%3 == 0 {
			c.tickets[i].status = "closed"
		}
	}
	return c
}

// deleted returns d without n customers, n orders and n tickets that no
// remaining record refers to, and the outbox delete rows that say so.
func (d *dataset) deleted(n int) (*dataset, []outboxtest.Row) {
	used := map[string]bool{}
	for _, o := range d.orders {
		used[o.customerID] = true
	}
	for _, tk := range d.tickets {
		used[tk.customerID] = true
		used[tk.orderID] = true
	}
	c := &dataset{name: d.name + "-deleted", companies: d.companies, products: d.products}
	var rows []outboxtest.Row
	drop := func(entity, erpID string) bool {
		if used[erpID] || len(rows) >= n*map[string]int{"customer": 1, "order": 2, "ticket": 3}[entity] {
			return false
		}
		rows = append(rows, outboxtest.Row{Entity: entity, ERPID: erpID})
		return true
	}
	for _, x := range d.customers {
		if !drop("customer", x.erpID) {
			c.customers = append(c.customers, x)
		}
	}
	for _, x := range d.orders {
		if !drop("order", x.erpID) {
			c.orders = append(c.orders, x)
		}
	}
	for _, x := range d.tickets {
		if !drop("ticket", x.erpID) {
			c.tickets = append(c.tickets, x)
		}
	}
	return c, rows
}
