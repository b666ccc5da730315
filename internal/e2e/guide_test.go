package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

// guide is the partner integration guide's flow, written as the guide
// says, with syncd's real client: for every record, search HubSpot by a
// unique field, update the record when found or create it, keep its ID,
// then associate it, one call per step. Writes go through the batch
// endpoints with a single input each, which is what the guide's
// single-record calls cost. It is the baseline syncd is measured against,
// not part of syncd.
type guide struct {
	hs *hubspot.Client
	// companies, contacts and deals are the IDs the guide keeps to
	// associate later records with.
	companies, contacts, deals map[string]string
	catalog                    map[string]dsProduct
}

func newGuide(hs *hubspot.Client) *guide {
	return &guide{hs: hs, companies: map[string]string{}, contacts: map[string]string{}, deals: map[string]string{}}
}

func eq(prop, value string) hubspot.FilterGroup {
	return hubspot.FilterGroup{Filters: []hubspot.Filter{{PropertyName: prop, Operator: "EQ", Value: value}}}
}

// find searches objectType; groups are ORed. It returns the first match's
// ID, or "".
func (g *guide) find(ctx context.Context, objectType string, groups ...hubspot.FilterGroup) (string, error) {
	res, err := g.hs.Search(ctx, objectType, hubspot.SearchRequest{FilterGroups: groups, Properties: []string{"hs_object_id"}, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("search %s: %w", objectType, err)
	}
	if len(res.Results) == 0 {
		return "", nil
	}
	return res.Results[0].ID, nil
}

// save updates record id, or creates one when id is "", and returns its ID.
func (g *guide) save(ctx context.Context, objectType, id string, props map[string]string) (string, error) {
	if id != "" {
		res, err := g.hs.BatchUpdate(ctx, objectType, []hubspot.UpdateInput{{ID: id, Properties: props}})
		if err != nil {
			return "", fmt.Errorf("update %s %s: %w", objectType, id, err)
		}
		if len(res.Errors) > 0 {
			return "", fmt.Errorf("update %s %s: %v", objectType, id, res.Errors[0])
		}
		return id, nil
	}
	res, err := g.hs.BatchCreate(ctx, objectType, []hubspot.CreateInput{{Properties: props}})
	if err != nil {
		return "", fmt.Errorf("create %s: %w", objectType, err)
	}
	if len(res.Errors) > 0 || len(res.Results) != 1 {
		return "", fmt.Errorf("create %s: %d results, errors %v", objectType, len(res.Results), res.Errors)
	}
	return res.Results[0].ID, nil
}

// associate links two records with their default association type.
func (g *guide) associate(ctx context.Context, from, fromID, to, toID string) error {
	errs, err := g.hs.CreateDefaultAssociations(ctx, from, to, []hubspot.AssociationPair{{FromID: fromID, ToID: toID}})
	if err == nil && len(errs) > 0 {
		err = errs[0]
	}
	if err != nil {
		return fmt.Errorf("associate %s %s with %s %s: %w", from, fromID, to, toID, err)
	}
	return nil
}

// run pushes d through the guide's steps: companies, customers, orders
// (with products and line items), tickets.
func (g *guide) run(ctx context.Context, d *dataset) error {
	g.catalog = map[string]dsProduct{}
	for _, p := range d.products {
		g.catalog[p.sku] = p
	}
	for _, c := range d.companies {
		id, err := g.find(ctx, hubspot.Companies, eq("domain", c.domain), eq(erpProp, c.erpID))
		if err != nil {
			return err
		}
		if g.companies[c.erpID], err = g.save(ctx, hubspot.Companies, id,
			map[string]string{"name": c.name, "domain": c.domain, erpProp: c.erpID}); err != nil {
			return err
		}
	}
	for _, c := range d.customers {
		id, err := g.find(ctx, hubspot.Contacts, eq("email", c.email), eq(erpProp, c.erpID))
		if err != nil {
			return err
		}
		if id, err = g.save(ctx, hubspot.Contacts, id,
			map[string]string{"email": c.email, "firstname": c.first, "lastname": c.last, erpProp: c.erpID}); err != nil {
			return err
		}
		g.contacts[c.erpID] = id
		if err := g.associate(ctx, hubspot.Contacts, id, hubspot.Companies, g.companies[c.companyID]); err != nil {
			return err
		}
	}
	for _, o := range d.orders {
		if err := g.order(ctx, o); err != nil {
			return err
		}
	}
	for _, tk := range d.tickets {
		id, err := g.find(ctx, hubspot.Tickets, eq(erpProp, tk.erpID))
		if err != nil {
			return err
		}
		if id, err = g.save(ctx, hubspot.Tickets, id, map[string]string{
			"subject": tk.subject, "content": tk.description, "hs_pipeline": "0",
			"hs_pipeline_stage": ticketStages[tk.status], "hs_ticket_priority": tk.priority, erpProp: tk.erpID}); err != nil {
			return err
		}
		if err := g.associate(ctx, hubspot.Tickets, id, hubspot.Contacts, g.contacts[tk.customerID]); err != nil {
			return err
		}
		if err := g.associate(ctx, hubspot.Tickets, id, hubspot.Companies, g.companies[tk.companyID]); err != nil {
			return err
		}
		if tk.orderID != "" {
			if err := g.associate(ctx, hubspot.Tickets, id, hubspot.Deals, g.deals[tk.orderID]); err != nil {
				return err
			}
		}
	}
	return nil
}

// order is the guide's deal step: the deal by order ID, then per item the
// product by SKU (created when missing), the line item and its link to
// the deal, then the deal's links to the contact and the company.
func (g *guide) order(ctx context.Context, o dsOrder) error {
	id, err := g.find(ctx, hubspot.Deals, eq(erpProp, o.erpID))
	if err != nil {
		return err
	}
	deal, err := g.save(ctx, hubspot.Deals, id, map[string]string{
		"dealname": o.name, "pipeline": "default", "dealstage": dealStages[o.status], "amount": o.amount().FloatString(2),
		"closedate": o.closeDate, "deal_currency_code": o.currency, erpProp: o.erpID})
	if err != nil {
		return err
	}
	g.deals[o.erpID] = deal
	for _, it := range o.items {
		product, err := g.find(ctx, hubspot.Products, eq("hs_sku", it.sku))
		if err != nil {
			return err
		}
		if product == "" {
			p := g.catalog[it.sku]
			if product, err = g.save(ctx, hubspot.Products, "", map[string]string{
				"name": p.name, "hs_sku": p.sku, "price": p.price}); err != nil {
				return err
			}
		}
		li, err := g.save(ctx, hubspot.LineItems, "", map[string]string{
			"hs_product_id": product, "name": it.name, "quantity": it.quantity, "price": it.unitPrice, "discount": it.discount})
		if err != nil {
			return err
		}
		if err := g.associate(ctx, hubspot.LineItems, li, hubspot.Deals, deal); err != nil {
			return err
		}
	}
	if err := g.associate(ctx, hubspot.Deals, deal, hubspot.Contacts, g.contacts[o.customerID]); err != nil {
		return err
	}
	return g.associate(ctx, hubspot.Deals, deal, hubspot.Companies, g.companies[o.companyID])
}

// guideCalls is the number of calls the guide makes for d on an empty
// portal: one per step.
func guideCalls(d *dataset) int {
	n := 2*len(d.companies) + 3*len(d.customers)
	created := map[string]bool{}
	for _, o := range d.orders {
		n += 2 + 2 // search and create the deal; link it to contact and company
		for _, it := range o.items {
			n += 3 // search the product, create the line item, link it to the deal
			if !created[it.sku] {
				created[it.sku] = true
				n++
			}
		}
	}
	for _, tk := range d.tickets {
		n += 4
		if tk.orderID != "" {
			n++
		}
	}
	return n
}

// The guide's flow puts the data set into HubSpot as expected, with
// exactly one call per step.
func TestGuideFlow(t *testing.T) {
	t.Parallel()
	d := synthetic(8, 24, 12, 20, 10)
	e := newEnv(t, envOptions{noDB: true})
	hs := e.client()
	if err := newGuide(hs).run(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	checkHubSpot(t, d, e.emu.Dump())
	st := hs.Stats()
	if want := guideCalls(d); st.Total != want || st.Retries != 0 {
		t.Errorf("guide made %d calls (%d retries), want %d: one per step\n%v", st.Total, st.Retries, want, st)
	}
	t.Logf("guide: %d records, %d calls (%d writes)", d.records(), st.Total, st.Writes)
}

// The guide's search-then-create duplicates products when HubSpot's search
// index lags behind its writes; syncd, on the same data and lag, does not.
func TestSearchLagDuplicatesGuideNotSyncd(t *testing.T) {
	t.Parallel()
	// Two orders of one product, one item each.
	d := synthetic(2, 2, 1, 2, 0)
	for i := range d.orders {
		d.orders[i].items = d.orders[i].items[:1]
	}
	lag := 5 * time.Second

	ge := newEnv(t, envOptions{noDB: true, searchLag: lag})
	if err := newGuide(ge.client()).run(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if n := len(live(ge.emu.Dump(), hubspot.Products)); n != 2 {
		t.Errorf("guide under search lag: %d products with SKU %s, want the duplicate this test documents (2)", n, d.products[0].sku)
	}

	se := newEnv(t, envOptions{searchLag: lag})
	se.insert(d.rows())
	se.drainUntilDone(se.engine(se.st, "syncd-a"), 3)
	se.checkIDMap(checkHubSpot(t, d, se.emu.Dump()))
}

// On the first 100 Northwind orders both flows leave HubSpot holding the
// same records, and syncd gets there with a small fraction of the guide's
// calls.
func TestNorthwindGuideAndSyncdAgree(t *testing.T) {
	t.Parallel()
	d, ok := northwind(t, 100, 20)
	if !ok {
		t.Skip("shared test data (../shared/testdata/northwind beside the repository) is absent")
	}
	ctx := context.Background()
	ge := newEnv(t, envOptions{noDB: true})
	hs := ge.client()
	if err := newGuide(hs).run(ctx, d); err != nil {
		t.Fatal(err)
	}
	checkHubSpot(t, d, ge.emu.Dump())

	se := newEnv(t, envOptions{})
	se.insert(d.rows())
	sum := se.drainUntilDone(se.engine(se.st, "syncd-a"), 1)
	se.checkIDMap(checkHubSpot(t, d, se.emu.Dump()))

	guideCalls := hs.Stats().Total
	t.Logf("%d orders, %d records: guide %d calls, syncd %d calls (%d writes)", len(d.orders), d.records(), guideCalls, sum.Calls, sum.WriteCalls)
	if sum.Failed != 0 || sum.Calls*20 > int64(guideCalls) {
		t.Errorf("syncd: %+v; want no failure and under a twentieth of the guide's %d calls", sum, guideCalls)
	}
}

// The governor keeps even the guide's call-per-step flow inside HubSpot's
// burst and search limits as the emulator enforces them: no call is
// answered 429.
func TestGuideFlowWithinRateLimits(t *testing.T) {
	t.Parallel()
	d := synthetic(10, 60, 20, 60, 10)
	for _, tier := range []string{"starter", "enterprise"} {
		t.Run(tier, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{noDB: true, rateLimits: true})
			cfg := e.emu.Config()
			cfg.Tier = tier
			if err := e.emu.SetConfig(cfg); err != nil {
				t.Fatal(err)
			}
			gov, err := governor.New(governor.Options{Tier: tier, Now: e.clk.Now, Sleep: e.clk.Sleep, DailyReserve: -1})
			if err != nil {
				t.Fatal(err)
			}
			hs, err := hubspot.New(hubspot.Options{BaseURL: e.srv.URL, Token: hubspottest.Token, Governor: gov})
			if err != nil {
				t.Fatal(err)
			}
			start := e.clk.Now()
			if err := newGuide(hs).run(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			checkHubSpot(t, d, e.emu.Dump())
			st := e.emu.Stats()
			t.Logf("%s: %d calls in %v of HubSpot time, %d answered 429", tier, hs.Stats().Total, e.clk.Now().Sub(start).Round(time.Second), st.RateLimited)
			if st.RateLimited != 0 || hs.Stats().Retries != 0 {
				t.Errorf("%d calls answered 429 and %d retried: the governor let calls past HubSpot's limits", st.RateLimited, hs.Stats().Retries)
			}
		})
	}
}
