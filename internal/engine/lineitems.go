package engine

import (
	"context"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// lineItemWrite is one line item write, tied to the order it belongs to.
type lineItemWrite struct {
	order  *item
	dealID string
	key    string
	id     string            // HubSpot ID, for updates and archives
	props  map[string]string // properties to send
	all    map[string]string // the full desired state, recorded as synced
	last   map[string]string // for archives: what the ID map held
}

// syncLineItems reconciles the line items of the cycle's orders with their
// items: creates new ones with their deal association (type 20) in the same
// call, updates changed ones with the changed properties only, archives the
// ones the order dropped. For deleted orders it archives all their line
// items. Each order's line item rows go into its extraMappings, so that
// they are recorded with the order's row; an order any of whose line item
// writes failed fails as a whole and is retried, and the retry finds what
// was already written by the ERP-ID property.
func (c *cycle) syncLineItems(ctx context.Context, orders []*item, products map[string]string) error {
	erpProp := c.e.cfg.Sync.ERPIDProperty
	var creates, updates, archives []*lineItemWrite
	for _, it := range orders {
		if !it.ok() || it.hubspotID == "" {
			continue
		}
		if it.rec.Op == outbox.OpDelete {
			if it.outcome != deleted {
				continue
			}
			known, err := c.knownLineItems(ctx, it.row.ERPID)
			if err != nil {
				return err
			}
			for _, k := range known {
				archives = append(archives, &lineItemWrite{order: it, key: k.Key, id: k.HubSpotID, last: k.Last})
			}
			continue
		}
		o := it.rec.Order
		if o == nil || !o.HasItems {
			continue
		}
		desired := make([]DesiredLineItem, 0, len(o.Items))
		for _, li := range o.Items {
			props := li.Properties()
			props[erpProp] = li.Key
			if li.SKU != "" {
				props["hs_product_id"] = products[li.SKU]
			}
			if props["name"] == "" {
				// HubSpot shows line items by name; without one the
				// product's name would be copied once and never updated.
				props["name"] = productName(li)
				if props["name"] == "" {
					props["name"] = li.Key
				}
			}
			desired = append(desired, DesiredLineItem{Key: li.Key, Properties: props})
		}
		var known []KnownLineItem
		if it.outcome != created {
			// A deal HubSpot just created has no line items yet.
			var err error
			if known, err = c.knownLineItems(ctx, it.row.ERPID); err != nil {
				return err
			}
		}
		ch := ReconcileLineItems(desired, known)
		for _, d := range ch.Create {
			creates = append(creates, &lineItemWrite{order: it, dealID: it.hubspotID, key: d.Key, props: d.Properties, all: d.Properties})
		}
		for _, u := range ch.Update {
			updates = append(updates, &lineItemWrite{order: it, dealID: it.hubspotID, key: u.Key, id: u.HubSpotID, props: u.Properties, all: u.All})
		}
		for _, a := range ch.Archive {
			archives = append(archives, &lineItemWrite{order: it, key: a.Key, id: a.HubSpotID, last: a.Last})
		}
	}

	now := c.e.now().UTC()
	done := func(w *lineItemWrite, archived bool) {
		m := store.Mapping{PortalID: c.portal, ObjectType: "line_item", ERPID: w.key, HubSpotID: w.id, Properties: w.all}
		if archived {
			m.Properties = w.last
			m.ArchivedAt = &now
		}
		if m.Properties == nil {
			m.Properties = map[string]string{}
		}
		w.order.extraMappings = append(w.order.extraMappings, m)
		if w.order.outcome == unchanged {
			w.order.outcome = updated
		}
	}

	var adopt []*lineItemWrite
	for chunk := range slices.Chunk(creates, hubspot.MaxBatchInputs) {
		in := make([]hubspot.CreateInput, len(chunk))
		for i, w := range chunk {
			in[i] = hubspot.CreateInput{
				Properties: w.props,
				Associations: []hubspot.InlineAssociation{{ToID: w.dealID, Types: []hubspot.AssociationType{
					{Category: "HUBSPOT_DEFINED", TypeID: assocLineItemToDeal}}}},
				TraceID: w.key,
			}
		}
		res, err := c.e.hs.BatchCreate(ctx, hubspot.LineItems, in)
		if err != nil {
			if ferr := c.callFailed(hubspot.LineItems, ordersOf(chunk), err); ferr != nil {
				return ferr
			}
			continue
		}
		byKey := map[string]*lineItemWrite{}
		for _, w := range chunk {
			byKey[w.key] = w
		}
		for _, o := range res.Results {
			w := byKey[o.TraceID]
			if w == nil {
				w = byKey[o.Properties[erpProp]]
			}
			if w == nil {
				continue
			}
			w.id = o.ID
			w.order.associations = append(w.order.associations, store.Association{PortalID: c.portal,
				FromType: "line_item", FromHubSpotID: o.ID, ToType: "deal", ToHubSpotID: w.dealID, TypeID: assocLineItemToDeal})
			done(w, false)
		}
		for _, ie := range res.Errors {
			for _, w := range writesOf(chunk, ie) {
				if id, ok := ie.ExistingID(); ok {
					// Written by an earlier attempt that was never
					// recorded: take it over.
					w.id = id
					w.props = w.all
					adopt = append(adopt, w)
					continue
				}
				c.lineItemFailed(w, ie)
			}
		}
		for _, w := range chunk {
			if w.id == "" && w.order.ok() {
				w.order.retryLater("HubSpot returned no result for line item %s; will retry", w.key)
			}
		}
	}

	updates = append(updates, adopt...)
	for chunk := range slices.Chunk(updates, hubspot.MaxBatchInputs) {
		in := make([]hubspot.UpdateInput, len(chunk))
		for i, w := range chunk {
			in[i] = hubspot.UpdateInput{ID: w.id, Properties: w.props, TraceID: w.key}
		}
		res, err := c.e.hs.BatchUpdate(ctx, hubspot.LineItems, in)
		if err != nil {
			if ferr := c.callFailed(hubspot.LineItems, ordersOf(chunk), err); ferr != nil {
				return ferr
			}
			continue
		}
		failedW := map[*lineItemWrite]bool{}
		for _, ie := range res.Errors {
			for _, w := range writesOf(chunk, ie) {
				failedW[w] = true
				c.lineItemFailed(w, ie)
			}
		}
		answered := map[string]bool{}
		for _, o := range res.Results {
			answered[o.ID] = true
			if o.TraceID != "" {
				answered[o.TraceID] = true
			}
		}
		for _, w := range chunk {
			switch {
			case failedW[w]:
			case !answered[w.id] && !answered[w.key]:
				// Not known to be written: retry rather than record values
				// HubSpot may not hold.
				w.order.retryLater("HubSpot returned no result for line item %s; will retry", w.key)
			default:
				done(w, false)
			}
		}
	}
	// Adopted line items may lack their deal association.
	var reqs []assocRequest
	for _, w := range adopt {
		if w.order.ok() {
			reqs = append(reqs, assocRequest{it: w.order, fromID: w.id, toID: w.dealID, typeIDs: []int{assocLineItemToDeal}})
		}
	}
	if err := c.associate(ctx, hubspot.LineItems, hubspot.Deals, "line_item", "deal", reqs); err != nil {
		return err
	}

	for chunk := range slices.Chunk(archives, hubspot.MaxBatchInputs) {
		ids := make([]string, len(chunk))
		for i, w := range chunk {
			ids[i] = w.id
		}
		if err := c.e.hs.BatchArchive(ctx, hubspot.LineItems, ids); err != nil {
			if ferr := c.callFailed(hubspot.LineItems, ordersOf(chunk), err); ferr != nil {
				return ferr
			}
			continue
		}
		for _, w := range chunk {
			done(w, true)
		}
	}
	return nil
}

// knownLineItems returns the live line items the ID map holds for an order.
func (c *cycle) knownLineItems(ctx context.Context, orderERPID string) ([]KnownLineItem, error) {
	ms, err := c.e.st.MappingsWithPrefix(ctx, c.portal, "line_item", orderERPID+"/")
	if err != nil {
		return nil, err
	}
	var out []KnownLineItem
	for _, m := range ms {
		if m.ArchivedAt == nil {
			out = append(out, KnownLineItem{Key: m.ERPID, HubSpotID: m.HubSpotID, Last: m.Properties})
		}
	}
	return out, nil
}

func (c *cycle) lineItemFailed(w *lineItemWrite, ie hubspot.ItemError) {
	switch ie.Class() {
	case hubspot.ClassRetry, hubspot.ClassSetup:
		w.order.retryLater("line item %s: HubSpot refused it, will retry: %v", w.key, ie)
	default:
		w.order.fail("line item %s: HubSpot refused it: %v", w.key, ie)
	}
}

// writesOf returns the writes of chunk that a batch error names, by trace
// ID (the line item key) or record ID; all of them when it names none, so
// that no write is recorded as done that may not be.
func writesOf(chunk []*lineItemWrite, ie hubspot.ItemError) []*lineItemWrite {
	var out []*lineItemWrite
	for _, w := range chunk {
		if slices.Contains(ie.TraceIDs, w.key) || (w.id != "" && slices.Contains(ie.IDs, w.id)) || slices.Contains(ie.IDs, w.key) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return chunk
	}
	return out
}

func ordersOf(ws []*lineItemWrite) []*item {
	var out []*item
	for _, w := range ws {
		if !slices.Contains(out, w.order) {
			out = append(out, w.order)
		}
	}
	return out
}
