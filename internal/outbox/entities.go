package outbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"strings"

	"github.com/syncd/syncd/internal/normalize"
)

// Customer is a customer payload, normalised; it becomes a HubSpot contact.
// String fields hold "" when the payload did not send them or sent them
// empty.
type Customer struct {
	// Email is lower-cased and checked.
	Email string
	// Phone is E.164, followed by " ext. N" when there is an extension.
	Phone string
	// OtherPhones are further valid numbers from the same phone cell, in
	// E.164; they are not synced.
	OtherPhones []string
	FirstName   string
	LastName    string
	// Honorific is the title split off first_name or name (นาย, ดร., Mr.);
	// it is written only to Options.SalutationProperty, when set.
	Honorific string
	// CompanyID is the ERP key of the customer's company, or "".
	CompanyID string

	props map[string]string
}

// Properties returns the contact properties to write: email, phone,
// firstname, lastname, the salutation property when configured, and the
// passthrough properties. The map is a fresh copy.
func (c *Customer) Properties() map[string]string { return maps.Clone(c.props) }

// Company is a company payload, normalised; it becomes a HubSpot company.
type Company struct {
	Name string
	// Domain comes from domain, or else from website: lower case, no
	// scheme, "www.", port or path.
	Domain  string
	Website string
	// TaxID is 13 checked digits.
	TaxID string
	// Branch is 5 digits, "00000" for the head office.
	Branch string
	// Phone is E.164, with " ext. N" when there is an extension.
	Phone string

	props map[string]string
}

// Properties returns the company properties to write: name, domain,
// website, phone, the tax-ID and branch properties, and the passthrough
// properties. The map is a fresh copy.
func (c *Company) Properties() map[string]string { return maps.Clone(c.props) }

// Product is a product payload, normalised; it becomes a HubSpot product.
type Product struct {
	SKU  string
	Name string
	// Price is a plain decimal ("450", "1234.5").
	Price string

	props map[string]string
}

// Properties returns the product properties to write: name (the SKU, or
// else the ERP key, when the payload has no name, because HubSpot requires
// one), hs_sku, price, description, and the passthrough properties. The map
// is a fresh copy.
func (p *Product) Properties() map[string]string { return maps.Clone(p.props) }

// Order is an order payload, normalised; it becomes a HubSpot deal with
// line items.
type Order struct {
	// CustomerID and CompanyID are ERP keys of the records the deal is
	// associated with, or "".
	CustomerID string
	CompanyID  string
	Name       string
	// Status is the ERP status as sent; the engine maps it to a pipeline
	// stage through the configuration.
	Status string
	// Currency is an upper-case ISO 4217 code, or "".
	Currency string
	// HasItems reports whether the payload sent "items" (possibly empty).
	// Without it the order's line items are left as they are.
	HasItems bool
	Items    []Item
	// Amount is the sum of the items' quantity × (unit_price − discount),
	// set when every item has a quantity and a unit price; otherwise "".
	Amount string

	props map[string]string
}

// Properties returns the deal properties to write: dealname (the ERP key
// when the payload has no name, because HubSpot requires one), closedate
// (midnight UTC), createdate, deal_currency_code, amount (when computed),
// and the passthrough properties. pipeline and dealstage are the engine's.
// The map is a fresh copy.
func (o *Order) Properties() map[string]string { return maps.Clone(o.props) }

// Item is one order item; it becomes a HubSpot line item.
type Item struct {
	// LineID is the item's id within the order.
	LineID string
	// Key is the line item's ERP key in the ID map, "<order erp_id>/<line_id>".
	Key string
	// SKU is the ERP key of the product (a product payload's erp_id or
	// sku), or "" for a line without a product. The engine resolves it and
	// sets hs_product_id.
	SKU      string
	Name     string
	Quantity string
	// UnitPrice and Discount (per unit, in the order's currency) are plain
	// decimals, or "" when not sent.
	UnitPrice string
	Discount  string

	props map[string]string
}

// Properties returns the line item properties to write: name, quantity,
// price, discount, description, hs_sku. hs_product_id is the engine's. The
// map is a fresh copy.
func (it *Item) Properties() map[string]string { return maps.Clone(it.props) }

// Ticket is a ticket payload, normalised; it becomes a HubSpot ticket.
type Ticket struct {
	// CustomerID, CompanyID and OrderID are ERP keys of the records the
	// ticket is associated with, or "".
	CustomerID string
	CompanyID  string
	OrderID    string
	Subject    string
	// Status is the ERP status as sent; the engine maps it to a pipeline
	// stage through the configuration.
	Status string
	// Priority is LOW, MEDIUM, HIGH, URGENT or "" (CRITICAL is read as
	// URGENT).
	Priority string

	props map[string]string
}

// Properties returns the ticket properties to write: subject (the ERP key
// when the payload has none, because HubSpot requires one), content,
// hs_ticket_priority, createdate, and the passthrough properties.
// hs_pipeline and hs_pipeline_stage are the engine's. The map is a fresh
// copy.
func (t *Ticket) Properties() map[string]string { return maps.Clone(t.props) }

func (r *reader) customer() *Customer {
	sc := r.top()
	c := &Customer{props: map[string]string{}}
	if raw, ok := r.text(sc, "email"); ok {
		if strings.TrimSpace(raw) == "" {
			c.props["email"] = ""
		} else if e, err := normalize.Email(raw); err != nil {
			r.fail("email", raw, reasonOf(err), "send one valid address or leave email empty", err)
		} else {
			c.Email, c.props["email"] = e, e
		}
	}
	if p, others, ok := r.phone(sc, "phone"); ok {
		c.Phone, c.OtherPhones, c.props["phone"] = p, others, p
	}
	first, hasFirst := r.text(sc, "first_name")
	last, hasLast := r.text(sc, "last_name")
	full, hasFull := r.text(sc, "name")
	switch {
	case hasFirst || hasLast:
		if hasFirst {
			c.Honorific, c.FirstName = normalize.StripHonorific(first)
			c.props["firstname"] = c.FirstName
		}
		if hasLast {
			c.LastName = normalize.CleanName(last)
			c.props["lastname"] = c.LastName
		}
	case hasFull:
		n := normalize.SplitName(full)
		c.Honorific, c.FirstName, c.LastName = n.Honorific, n.First, n.Last
		c.props["firstname"], c.props["lastname"] = n.First, n.Last
	}
	reserved := map[string]string{"email": "email", "phone": "phone", "firstname": "first_name", "lastname": "last_name"}
	if sp := r.opts.SalutationProperty; sp != "" {
		reserved[sp] = "first_name"
		if hasFirst || (hasFull && !hasLast) {
			c.props[sp] = c.Honorific // "" clears a title the name no longer has
		}
	}
	c.CompanyID = r.ref(sc, "company_id")
	merge(c.props, r.passthrough(sc, reserved))
	return c
}

func (r *reader) company() *Company {
	sc := r.top()
	c := &Company{props: map[string]string{}}
	if name, ok := r.text(sc, "name"); ok {
		c.Name = normalize.CleanName(name)
		c.props["name"] = c.Name
	}
	domainRaw, hasDomain := r.text(sc, "domain")
	website, hasWebsite := r.text(sc, "website")
	if hasWebsite {
		c.Website = normalize.Text(website)
		c.props["website"] = c.Website
	}
	switch {
	case hasDomain && strings.TrimSpace(domainRaw) != "":
		if d, err := normalize.Domain(domainRaw); err != nil {
			r.fail("domain", domainRaw, reasonOf(err), "send a host name such as example.co.th", err)
		} else {
			c.Domain, c.props["domain"] = d, d
		}
	case hasDomain:
		c.props["domain"] = ""
	case hasWebsite && c.Website != "":
		if d, err := normalize.Domain(c.Website); err != nil {
			r.fail("website", website, "gives no domain: "+reasonOf(err), "send a web address such as https://www.example.co.th, or a domain field", err)
			delete(c.props, "website") // refused: not written when the field is skipped
		} else {
			c.Domain, c.props["domain"] = d, d
		}
	}
	if n, isNumber := sc.obj["tax_id"].(json.Number); isNumber {
		// A number has lost the tax ID's leading 0, and a spreadsheet's
		// float (105536000000.0) may have lost more: checking its digits
		// would report a wrong check digit for what is a wrong type.
		sc.get("tax_id")
		r.fail("tax_id", "", "is the JSON number "+shorten(n.String())+"; a number loses the leading 0 of a tax ID",
			`send the tax ID as text, such as "0105536112014"`, nil)
	} else if raw, ok := r.text(sc, "tax_id"); ok {
		if strings.TrimSpace(raw) == "" {
			c.props[r.opts.TaxIDProperty] = ""
		} else if id, err := normalize.ParseTaxID(raw); err != nil {
			r.fail("tax_id", raw, reasonOf(err), "check it for a typing error and send the 13 digits as text, such as \"0105536112014\"", err)
		} else {
			c.TaxID, c.props[r.opts.TaxIDProperty] = id.ID, id.ID
			if id.Restored {
				r.warn("tax_id", raw, "had 12 digits; the leading 0 was restored to "+id.ID+" (send it as text)")
			}
		}
	}
	if raw, ok := r.text(sc, "branch"); ok {
		if b, err := normalize.Branch(raw); err != nil {
			r.fail("branch", raw, reasonOf(err), `send 5 digits, "00000" for the head office`, err)
		} else {
			c.Branch, c.props[r.opts.BranchProperty] = b, b
		}
	}
	if p, _, ok := r.phone(sc, "phone"); ok {
		c.Phone, c.props["phone"] = p, p
	}
	reserved := map[string]string{"name": "name", "domain": "domain", "website": "website", "phone": "phone",
		r.opts.TaxIDProperty: "tax_id", r.opts.BranchProperty: "branch"}
	merge(c.props, r.passthrough(sc, reserved))
	return c
}

func (r *reader) product() *Product {
	sc := r.top()
	p := &Product{props: map[string]string{}}
	if sku, ok := r.text(sc, "sku"); ok {
		p.SKU = strings.TrimSpace(sku)
		p.props["hs_sku"] = p.SKU
	}
	p.Name = r.requiredName(sc, "name", cmp.Or(p.SKU, r.erpID))
	p.props["name"] = p.Name
	if price, ok := r.decimal(sc, "price"); ok {
		p.Price, p.props["price"] = price, price
	}
	if d, ok := r.text(sc, "description"); ok {
		p.props["description"] = d
	}
	reserved := map[string]string{"name": "name", "hs_sku": "sku", "price": "price", "description": "description"}
	merge(p.props, r.passthrough(sc, reserved))
	return p
}

func (r *reader) order() *Order {
	sc := r.top()
	o := &Order{props: map[string]string{}}
	o.CustomerID = r.ref(sc, "customer_id")
	o.CompanyID = r.ref(sc, "company_id")
	o.Name = r.requiredName(sc, "name", r.erpID)
	o.props["dealname"] = o.Name
	o.Status, _ = r.text(sc, "status")
	o.Status = strings.TrimSpace(o.Status)
	if cur, ok := r.text(sc, "currency"); ok {
		cur = strings.ToUpper(strings.TrimSpace(cur))
		if cur != "" && !isCurrencyCode(cur) {
			r.fail("currency", cur, "is not an ISO 4217 currency code", `send three letters such as "THB"`, nil)
		} else {
			o.Currency, o.props["deal_currency_code"] = cur, cur
		}
	}
	r.createdAt(sc, o.props)
	if raw, ok := r.text(sc, "close_date"); ok {
		if strings.TrimSpace(raw) == "" {
			o.props["closedate"] = ""
		} else if d, err := normalize.ParseDate(raw); err != nil {
			r.fail("close_date", raw, reasonOf(err), "", err)
		} else {
			o.props["closedate"] = normalize.HubSpotDateTime(d)
		}
	}
	reserved := map[string]string{"dealname": "name", "deal_currency_code": "currency", "createdate": "created_at",
		"closedate": "close_date", "pipeline": "status", "dealstage": "status"}
	if v, ok := sc.get("items"); ok {
		o.HasItems = true
		reserved["amount"] = "items"
		r.items(o, v)
	}
	merge(o.props, r.passthrough(sc, reserved))
	return o
}

// items reads the order's items and computes the order amount.
func (r *reader) items(o *Order, v any) {
	arr, ok := v.([]any)
	if v == nil {
		return
	}
	if !ok {
		r.fail("items", "", fmt.Sprintf("is %s", jsonKind(v)), "send an array of items", nil)
		return
	}
	total, complete := new(big.Rat), true
	lineIDs := map[string]int{}
	for i, e := range arr {
		prefix := fmt.Sprintf("items[%d].", i)
		obj, isObj := e.(map[string]any)
		if !isObj {
			r.fail(strings.TrimSuffix(prefix, "."), "", fmt.Sprintf("is %s", jsonKind(e)), "send an object per item", nil)
			continue
		}
		sc := scope{obj: obj, seen: map[string]bool{}, prefix: prefix}
		it := Item{props: map[string]string{}}
		lineID, _ := r.text(sc, "line_id")
		it.LineID = strings.TrimSpace(lineID)
		switch j, dup := lineIDs[it.LineID]; {
		case it.LineID == "":
			r.fail(prefix+"line_id", "", "is missing", "send the item's id within the order, such as \"1\"", nil)
		case strings.Contains(it.LineID, "/"):
			r.fail(prefix+"line_id", it.LineID, "contains /", "line item keys are <order>/<line_id>; use an id without /", nil)
		case dup:
			r.fail(prefix+"line_id", it.LineID, fmt.Sprintf("is also the line_id of items[%d]", j), "give every item its own line_id", nil)
		default:
			lineIDs[it.LineID] = i
		}
		it.Key = LineItemKey(r.erpID, it.LineID)
		if sku, ok := r.text(sc, "sku"); ok {
			it.SKU = strings.TrimSpace(sku)
			it.props["hs_sku"] = it.SKU
		}
		if name, ok := r.text(sc, "name"); ok {
			it.Name = normalize.CleanName(name)
			it.props["name"] = it.Name
		}
		if q, ok := r.decimal(sc, "quantity"); ok {
			it.Quantity, it.props["quantity"] = q, q
		}
		if p, ok := r.decimal(sc, "unit_price"); ok {
			it.UnitPrice, it.props["price"] = p, p
		}
		if d, ok := r.decimal(sc, "discount"); ok {
			it.Discount, it.props["discount"] = d, d
		}
		if d, ok := r.text(sc, "description"); ok {
			it.props["description"] = d
		}
		r.unknownFields(obj, prefix, sc.seen)
		if it.Quantity == "" || it.UnitPrice == "" {
			complete = false
		} else {
			q, _ := normalize.DecimalRat(it.Quantity)
			p, _ := normalize.DecimalRat(it.UnitPrice)
			if it.Discount != "" {
				d, _ := normalize.DecimalRat(it.Discount)
				p.Sub(p, d)
			}
			total.Add(total, p.Mul(p, q))
		}
		o.Items = append(o.Items, it)
	}
	if complete {
		o.Amount = normalize.RatDecimal(total, 8)
		o.props["amount"] = o.Amount
	}
}

// LineItemKey is the ERP key of an order's line item in the ID map:
// "<order erp_id>/<line_id>".
func LineItemKey(orderERPID, lineID string) string { return orderERPID + "/" + lineID }

func (r *reader) ticket() *Ticket {
	sc := r.top()
	t := &Ticket{props: map[string]string{}}
	t.CustomerID = r.ref(sc, "customer_id")
	t.CompanyID = r.ref(sc, "company_id")
	t.OrderID = r.ref(sc, "order_id")
	t.Subject = r.requiredName(sc, "subject", r.erpID)
	t.props["subject"] = t.Subject
	if d, ok := r.text(sc, "description"); ok {
		t.props["content"] = d
	}
	t.Status, _ = r.text(sc, "status")
	t.Status = strings.TrimSpace(t.Status)
	if p, ok := r.text(sc, "priority"); ok {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "CRITICAL" {
			p = "URGENT" // HubSpot's highest priority
		}
		switch p {
		case "", "LOW", "MEDIUM", "HIGH", "URGENT":
			t.Priority, t.props["hs_ticket_priority"] = p, p
		default:
			r.fail("priority", p, "is not a ticket priority", "send LOW, MEDIUM, HIGH or URGENT (or CRITICAL for URGENT)", nil)
		}
	}
	r.createdAt(sc, t.props)
	reserved := map[string]string{"subject": "subject", "content": "description", "hs_ticket_priority": "priority",
		"createdate": "created_at", "hs_pipeline": "status", "hs_pipeline_stage": "status"}
	merge(t.props, r.passthrough(sc, reserved))
	return t
}

// requiredName reads key as a name HubSpot requires (a product's, a
// deal's, a ticket's subject): cleaned, or fallback when the payload sends
// none or a blank one.
func (r *reader) requiredName(sc scope, key, fallback string) string {
	if s, ok := r.text(sc, key); ok && strings.TrimSpace(s) != "" {
		return normalize.CleanName(s)
	}
	return fallback
}

// createdAt normalises created_at, when sent, into props["createdate"].
func (r *reader) createdAt(sc scope, props map[string]string) {
	raw, ok := r.text(sc, "created_at")
	if !ok || strings.TrimSpace(raw) == "" {
		return // createdate cannot be cleared; an empty value leaves it alone
	}
	t, err := normalize.ParseDateTime(raw, r.opts.Location)
	if err != nil {
		r.fail("created_at", raw, reasonOf(err), "", err)
		return
	}
	props["createdate"] = normalize.HubSpotDateTime(t)
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
