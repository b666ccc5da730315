package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// productSpec matches never-seen products by hs_sku (a search: hs_sku is
// not unique in HubSpot, so it cannot be batch-read).
func productSpec() objectSpec {
	return objectSpec{
		t: productType,
		matchers: []matcher{
			{property: "hs_sku", value: func(it *item) string {
				if it.rec.Product == nil {
					return ""
				}
				// HubSpot's IN filter matches string values lower-cased.
				return strings.ToLower(it.rec.Product.SKU)
			}},
		},
	}
}

func syncProducts(ctx context.Context, c *cycle, items []*item) error {
	if err := c.adoptSKUProducts(ctx, items); err != nil {
		return err
	}
	if err := c.syncObjects(ctx, productSpec(), items); err != nil {
		return err
	}
	if err := c.archiveSKUMappings(ctx, items); err != nil {
		return err
	}
	var other []*item
	var skus []string
	for _, it := range items {
		if it.ok() && it.hubspotID != "" && it.rec.Product != nil && it.rec.Product.SKU != "" {
			c.skus[it.rec.Product.SKU] = it.hubspotID
			if it.rec.Product.SKU != it.row.ERPID {
				other = append(other, it)
				skus = append(skus, it.rec.Product.SKU)
			}
		}
	}
	if len(other) == 0 {
		return nil
	}
	// The ID map also learns the SKU of a product whose ERP key differs,
	// so that order items naming the SKU find it there in later cycles
	// rather than through a search, which lags writes.
	known, err := c.mapped(ctx, productType, skus)
	if err != nil {
		return err
	}
	for _, it := range other {
		sku := it.rec.Product.SKU
		if _, ok := known[sku]; ok {
			continue
		}
		it.extraMappings = append(it.extraMappings, c.mapping(productType, sku, it.hubspotID, nil))
	}
	return nil
}

// adoptSKUProducts handles a product row whose SKU differs from its ERP key
// when an order already made the product under its SKU (an order item
// names a product by SKU before the catalog row arrives): the row takes
// over that record instead of creating a second one. The ID map then holds
// both keys for the one record.
func (c *cycle) adoptSKUProducts(ctx context.Context, items []*item) error {
	var cand []*item
	var keys []string // the rows' own keys and their SKUs: both are product keys of the ID map
	for _, it := range items {
		p := it.rec.Product
		if it.ok() && it.rec.Op == outbox.OpUpsert && p != nil && p.SKU != "" && p.SKU != it.row.ERPID {
			cand = append(cand, it)
			keys = append(keys, it.row.ERPID, p.SKU)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	known, err := c.mapped(ctx, productType, keys)
	if err != nil {
		return err
	}
	var adopt []store.Mapping
	for _, it := range cand {
		if _, own := known[it.row.ERPID]; own {
			continue
		}
		if m, ok := known[it.rec.Product.SKU]; ok {
			adopt = append(adopt, c.mapping(productType, it.row.ERPID, m.HubSpotID, cloneMap(m.Properties)))
		}
	}
	if len(adopt) == 0 {
		return nil
	}
	return c.w.saveMappings(ctx, adopt)
}

// productRef is what an order item says about the product it needs.
type productRef struct {
	sku   string
	name  string
	price string
	users []*item // the orders that need it
}

// resolveProducts returns the HubSpot product IDs of the SKUs the order
// items name, keyed by SKU: this cycle's products, then the ID map (a
// product whose ERP key is the SKU), then a batch read by the ERP-ID
// property, then a search on hs_sku. A SKU none of those knows is created
// with the SKU as its ERP ID, only if absent: when HubSpot answers that
// the ERP-ID value exists (the catalog row synced by another process, a
// retry of a create whose answer was lost), the existing record is taken
// as it is, never overwritten with the order item's name and price. Orders
// whose product cannot be had are failed.
func (c *cycle) resolveProducts(ctx context.Context, refs map[string]*productRef) (map[string]string, error) {
	out := map[string]string{}
	var todo []string
	for sku := range refs {
		if h, ok := c.skus[sku]; ok {
			out[sku] = h
			continue
		}
		todo = append(todo, sku)
	}
	slices.Sort(todo)
	if len(todo) == 0 {
		return out, nil
	}
	users := func(skus []string) []*item {
		var its []*item
		for _, s := range skus {
			for _, it := range refs[s].users {
				if !slices.Contains(its, it) {
					its = append(its, it)
				}
			}
		}
		return its
	}
	found, err := c.resolveRefs(ctx, productType, todo)
	if err != nil {
		if ferr := c.refsFailed(productType, users(todo), err); ferr != nil {
			return nil, ferr
		}
		return out, nil
	}
	var search []string
	for _, sku := range todo {
		if h := found[sku]; h != "" {
			out[sku] = h
			continue
		}
		search = append(search, sku)
	}

	// Products made in HubSpot by hand, or by a catalog row under another
	// ERP key, carry the SKU in hs_sku.
	var learnt []store.Mapping
	erpProp := c.e.cfg.Sync.ERPIDProperty
	byLower := map[string]string{}
	for _, sku := range search {
		byLower[strings.ToLower(sku)] = sku
	}
	for chunk := range slices.Chunk(search, searchChunk) {
		// HubSpot's IN filter matches string values lower-cased.
		values := make([]string, len(chunk))
		for i, sku := range chunk {
			values[i] = strings.ToLower(sku)
		}
		req := hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "hs_sku", Operator: "IN", Values: values}}}},
			Properties:   []string{"hs_sku", erpProp},
			Limit:        searchChunk,
			Sorts:        []hubspot.Sort{{PropertyName: "hs_object_id", Direction: "ASCENDING"}},
		}
		for {
			res, err := c.e.hs.Search(ctx, productType.hubspot, req)
			if err != nil {
				if ferr := c.callFailed(productType.hubspot, users(chunk), err); ferr != nil {
					return nil, ferr
				}
				break
			}
			for _, o := range res.Results {
				sku, want := byLower[strings.ToLower(o.Properties["hs_sku"])]
				if !want || out[sku] != "" {
					continue // ascending IDs: the oldest record wins
				}
				out[sku] = o.ID
				learnt = append(learnt, c.mapping(productType, sku, o.ID, nil))
			}
			if res.After == "" {
				break
			}
			req.After = res.After
		}
	}

	// A product whose own row is open is on its way: the orders that name
	// it wait for that row rather than create the product from an item.
	var missing []unresolved
	for _, sku := range search {
		if out[sku] != "" {
			continue
		}
		for _, it := range refs[sku].users {
			missing = append(missing, unresolved{it: it, ref: store.Ref{Entity: string(productType.entity), ERPID: sku, BySKU: true}, field: "items", fail: func() {}})
		}
	}
	if err := c.waitOrFail(ctx, missing); err != nil {
		return nil, err
	}
	var create []*productRef
	for _, sku := range search {
		if out[sku] == "" && !failedAll(refs[sku].users) {
			create = append(create, refs[sku])
		}
	}
	// The product's own catalog row may be synced at the same time by
	// another process, with its own name and price: the record is created
	// only if absent, and a record that exists by now is taken as it is.
	var taken []string // SKUs HubSpot has by now, without saying as which record
	for chunk := range slices.Chunk(create, hubspot.MaxBatchInputs) {
		in := make([]hubspot.CreateInput, len(chunk))
		sent := map[string]map[string]string{}
		skus := make([]string, len(chunk))
		for i, r := range chunk {
			props := map[string]string{"name": r.name, "hs_sku": r.sku, erpProp: r.sku}
			if r.price != "" {
				props["price"] = r.price
			}
			sent[r.sku] = props
			skus[i] = r.sku
			in[i] = hubspot.CreateInput{Properties: props, TraceID: r.sku}
		}
		res, err := c.w.BatchCreate(ctx, productType.hubspot, in)
		if err != nil {
			var he *hubspot.Error
			if errors.As(err, &he) && he.IsConflict() {
				// Without partial success one existing product fails the
				// whole request, and nothing of it is written.
				if id, ok := he.ExistingID(); ok && len(chunk) == 1 {
					out[chunk[0].sku] = id
					learnt = append(learnt, c.mapping(productType, chunk[0].sku, id, nil))
				} else {
					taken = append(taken, skus...)
				}
				continue
			}
			if ferr := c.callFailed(productType.hubspot, users(skus), err); ferr != nil {
				return nil, ferr
			}
			continue
		}
		for _, o := range res.Results {
			sku := o.TraceID
			if refs[sku] == nil {
				sku = o.Properties[erpProp]
			}
			if refs[sku] == nil {
				continue
			}
			out[sku] = o.ID
			// What this create wrote is what HubSpot holds, unless the
			// catalog row's process writes in between; AddMappings then
			// leaves that row's values in place.
			learnt = append(learnt, c.mapping(productType, sku, o.ID, sent[sku]))
		}
		for _, ie := range res.Errors {
			for _, r := range chunk {
				if !slices.Contains(ie.TraceIDs, r.sku) && !slices.Contains(ie.IDs, r.sku) {
					continue
				}
				if id, ok := ie.ExistingID(); ok {
					// Created meanwhile by the catalog row, another order or
					// an earlier attempt whose answer was lost. Its values
					// are not known, so none are recorded as synced: the
					// catalog row then sends all of its own.
					out[r.sku] = id
					learnt = append(learnt, c.mapping(productType, r.sku, id, nil))
					continue
				}
				if ie.IsConflict() {
					taken = append(taken, r.sku)
					continue
				}
				for _, it := range r.users {
					if ie.Class() == hubspot.ClassData {
						it.fail("items: product %s could not be created in HubSpot: %v", r.sku, ie)
					} else {
						it.retryLater("items: product %s could not be created in HubSpot yet, will retry: %v", r.sku, ie)
					}
				}
			}
		}
	}
	if len(taken) > 0 {
		// A conflict that names no record: the ERP-ID property finds it.
		found, err := c.resolveRefs(ctx, productType, taken)
		if err != nil {
			if ferr := c.refsFailed(productType, users(taken), err); ferr != nil {
				return nil, ferr
			}
		}
		for _, sku := range taken {
			if h := found[sku]; h != "" {
				out[sku] = h
				learnt = append(learnt, c.mapping(productType, sku, h, nil))
				continue
			}
			if err == nil {
				// The other inputs of a request refused as a whole.
				for _, it := range refs[sku].users {
					it.retryLater("items: product %s could not be created in HubSpot yet, will retry", sku)
				}
			}
		}
	}
	if len(learnt) > 0 {
		// Recorded at once: the product exists in HubSpot whatever happens
		// to the orders that made it. A row the ID map holds already (the
		// catalog row's) is newer and stays.
		if err := c.w.addMappings(ctx, learnt); err != nil {
			return nil, err
		}
	}
	for sku, h := range out {
		c.skus[sku] = h
	}
	return out, nil
}

func failedAll(its []*item) bool {
	for _, it := range its {
		if it.ok() {
			return false
		}
	}
	return true
}

// productName is the name of a product an order item creates: the item's
// name, else its SKU.
func productName(it outbox.Item) string {
	if n := strings.TrimSpace(it.Name); n != "" {
		return n
	}
	return it.SKU
}

// archiveSKUMappings marks archived the SKU keys of deleted products, so
// that an order naming the SKU later does not point at an archived record.
func (c *cycle) archiveSKUMappings(ctx context.Context, items []*item) error {
	bySKU := map[string]*item{}
	var skus []string
	for _, it := range items {
		if it.outcome != deleted || it.mapping == nil {
			continue
		}
		if sku := it.mapping.Properties["hs_sku"]; sku != "" && sku != it.row.ERPID {
			bySKU[sku] = it
			skus = append(skus, sku)
		}
	}
	if len(skus) == 0 {
		return nil
	}
	known, err := c.mapped(ctx, productType, skus)
	if err != nil {
		return err
	}
	now := c.e.now().UTC()
	for sku, it := range bySKU {
		if m, ok := known[sku]; ok && m.HubSpotID == it.hubspotID {
			m.ArchivedAt = &now
			it.extraMappings = append(it.extraMappings, m)
		}
	}
	return nil
}
