package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// lineItemWrite is one line item write, tied to the order it belongs to.
// It is a batch input whose failures fail the order.
type lineItemWrite struct {
	order  *item
	dealID string
	key    string
	id     string            // HubSpot ID, for updates and archives
	props  map[string]string // properties to send
	all    map[string]string // the full desired state, recorded as synced
	last   map[string]string // for archives: what the ID map held
	// known is set when the ID map holds the line item.
	known bool
	// creating is set for creates; adopted when a create found the line
	// item existing (written by an earlier attempt never recorded).
	creating, adopted bool
	// gone is set when HubSpot no longer has the known line item.
	gone bool
}

func (w *lineItemWrite) traceID() string  { return w.key }
func (w *lineItemWrite) recordID() string { return w.id }
func (w *lineItemWrite) erpID() string    { return w.key }
func (w *lineItemWrite) mapped() bool     { return w.known }
func (w *lineItemWrite) markGone()        { w.gone = true }
func (w *lineItemWrite) ok() bool         { return w.order.ok() }

func (w *lineItemWrite) sends(names []string) bool {
	for _, n := range names {
		if _, ok := w.props[n]; ok {
			return true
		}
	}
	return false
}

func (w *lineItemWrite) takeOver(id string) bool {
	if !w.creating {
		return false
	}
	w.id, w.props, w.adopted = id, w.all, true
	return true
}

func (w *lineItemWrite) fail(format string, args ...any) {
	w.order.fail("line item %s: %s", w.key, fmt.Sprintf(format, args...))
}

func (w *lineItemWrite) retryLater(format string, args ...any) {
	w.order.retryLater("line item %s: %s", w.key, fmt.Sprintf(format, args...))
}

// syncLineItems reconciles the line items of the cycle's orders with their
// items: creates new ones with their deal association (type 20) in the same
// call, updates changed ones with the changed properties only, archives the
// ones the order dropped. For deleted orders it archives all their line
// items. Each order's line item rows go into its extraMappings, so that
// they are recorded with the order's row; an order any of whose line item
// writes failed fails as a whole and is retried, and the retry finds what
// was already written by the ERP-ID property. Writes go through batched, so
// a batch HubSpot refuses as a whole fails only the orders of its bad
// lines. A known line item a user deleted in HubSpot is created again (its
// ID map row then names the new record); one the order dropped that HubSpot
// no longer has is archived already.
func (c *cycle) syncLineItems(ctx context.Context, orders []*item, products map[string]string) error {
	erpProp := c.e.cfg.Sync.ERPIDProperty
	knownOf, err := c.knownLineItems(ctx, orders)
	if err != nil {
		return err
	}
	var creates, updates, archives []*lineItemWrite
	for _, it := range orders {
		if !it.ok() || it.hubspotID == "" {
			continue
		}
		if it.rec.Op == outbox.OpDelete {
			if it.outcome != deleted {
				continue
			}
			for _, k := range knownOf[it.row.ERPID] {
				archives = append(archives, &lineItemWrite{order: it, key: k.Key, id: k.HubSpotID, last: k.Last, known: true})
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
		ch := ReconcileLineItems(desired, knownOf[it.row.ERPID])
		for _, d := range ch.Create {
			creates = append(creates, &lineItemWrite{order: it, dealID: it.hubspotID, key: d.Key, props: d.Properties, all: d.Properties, creating: true})
		}
		for _, u := range ch.Update {
			updates = append(updates, &lineItemWrite{order: it, dealID: it.hubspotID, key: u.Key, id: u.HubSpotID, props: u.Properties, all: u.All, known: true})
		}
		for _, a := range ch.Archive {
			archives = append(archives, &lineItemWrite{order: it, key: a.Key, id: a.HubSpotID, last: a.Last, known: true})
		}
	}

	updates, err = c.keepLineItemChanges(ctx, updates, knownOf)
	if err != nil {
		return err
	}

	now := c.e.now().UTC()
	done := func(w *lineItemWrite, archived bool) {
		m := c.mapping(lineItemType, w.key, w.id, w.all)
		if archived {
			m = c.mapping(lineItemType, w.key, w.id, w.last)
			m.ArchivedAt = &now
		}
		w.order.extraMappings = append(w.order.extraMappings, m)
		if w.order.outcome == unchanged {
			w.order.outcome = updated
		}
	}

	// create creates line items with their deal association and returns
	// the ones HubSpot already had, taken over to be updated.
	toDeal := lineItemType.assocTypeIDs(dealType)
	inline := make([]hubspot.AssociationType, len(toDeal))
	for i, id := range toDeal {
		inline[i] = hubspot.AssociationType{Category: hubspot.HubSpotDefined, TypeID: id}
	}
	create := func(ws []*lineItemWrite) ([]*lineItemWrite, error) {
		err := batched(ctx, c, lineItemType.hubspot, ws, func(ctx context.Context, chunk []*lineItemWrite) (*hubspot.BatchResult, error) {
			in := make([]hubspot.CreateInput, len(chunk))
			for i, w := range chunk {
				in[i] = hubspot.CreateInput{
					Properties:   w.props,
					Associations: []hubspot.InlineAssociation{{ToID: w.dealID, Types: inline}},
					TraceID:      w.traceID(),
				}
			}
			return c.w.BatchCreate(ctx, lineItemType.hubspot, in)
		}, func(w *lineItemWrite, o hubspot.Object) {
			w.id = o.ID
			for _, id := range toDeal {
				w.order.associations = append(w.order.associations, store.Association{PortalID: c.portal,
					FromType: lineItemType.idMap, FromHubSpotID: o.ID, ToType: dealType.idMap, ToHubSpotID: w.dealID, TypeID: id})
			}
			done(w, false)
		})
		var adopted []*lineItemWrite
		for _, w := range ws {
			if w.adopted && w.order.ok() {
				adopted = append(adopted, w)
			}
		}
		return adopted, err
	}
	update := func(ws []*lineItemWrite) error {
		return batched(ctx, c, lineItemType.hubspot, ws, func(ctx context.Context, chunk []*lineItemWrite) (*hubspot.BatchResult, error) {
			in := make([]hubspot.UpdateInput, len(chunk))
			for i, w := range chunk {
				in[i] = hubspot.UpdateInput{ID: w.id, Properties: w.props, TraceID: w.traceID()}
			}
			return c.w.BatchUpdate(ctx, lineItemType.hubspot, in)
		}, func(w *lineItemWrite, _ hubspot.Object) { done(w, false) })
	}

	adopt, err := create(creates)
	if err != nil {
		return err
	}
	if err := update(slices.Concat(updates, adopt)); err != nil {
		return err
	}
	// Line items a user deleted in HubSpot are created again, with the full
	// desired state: the ERP says they exist. Their ID map rows then point
	// at the new records.
	var gone []*lineItemWrite
	for _, w := range updates {
		if w.gone && w.order.ok() {
			c.log.WithField("outbox_id", w.order.row.ID).Warnf("HubSpot line item %s of order %s no longer exists; creating it again", w.id, w.order.row.ERPID)
			w.gone, w.known, w.creating = false, false, true
			w.id, w.props = "", w.all
			gone = append(gone, w)
		}
	}
	again, err := create(gone)
	if err != nil {
		return err
	}
	if err := update(again); err != nil {
		return err
	}
	adopt = append(adopt, again...)
	// Adopted line items may lack their deal association.
	var reqs []assocRequest
	for _, w := range adopt {
		if w.order.ok() {
			reqs = append(reqs, assocRequest{it: w.order, fromID: w.id, toID: w.dealID})
		}
	}
	if err := c.associate(ctx, lineItemType, dealType, reqs); err != nil {
		return err
	}

	// A line item HubSpot no longer has needs no archive.
	err = batched(ctx, c, lineItemType.hubspot, archives, archiveCall[*lineItemWrite](c, lineItemType.hubspot), func(w *lineItemWrite, _ hubspot.Object) {
		done(w, true)
	})
	for _, w := range archives {
		if w.gone && w.order.ok() {
			done(w, true)
		}
	}
	return err
}

// knownLineItems returns the live line items the ID map holds for each
// order that may have some, in one query: a deal HubSpot just created has
// none yet.
func (c *cycle) knownLineItems(ctx context.Context, orders []*item) (map[string][]KnownLineItem, error) {
	var ids []string
	for _, it := range orders {
		if it.ok() && it.hubspotID != "" && it.outcome != created {
			ids = append(ids, it.row.ERPID)
		}
	}
	byOrder, err := c.e.st.LineItemsOfOrders(ctx, c.portal, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]KnownLineItem, len(byOrder))
	for order, ms := range byOrder {
		for _, m := range ms {
			if m.ArchivedAt == nil {
				out[order] = append(out[order], KnownLineItem{Key: m.ERPID, HubSpotID: m.HubSpotID, Last: m.Properties})
			}
		}
	}
	return out, nil
}

// keepLineItemChanges applies [conflicts.line_items] hubspot_wins to the
// updates of known line items (see checkConflicts) and returns the
// updates left to send. A line item all of whose changes HubSpot keeps is
// not written; its ID map row is recorded with the order, keeping the
// values syncd last wrote for the properties left out.
func (c *cycle) keepLineItemChanges(ctx context.Context, updates []*lineItemWrite, knownOf map[string][]KnownLineItem) ([]*lineItemWrite, error) {
	if len(c.e.cfg.HubSpotWins(lineItemType.hubspot)) == 0 || len(updates) == 0 {
		return updates, nil
	}
	checks := make([]*conflictCheck, 0, len(updates))
	for _, w := range updates {
		var last map[string]string
		for _, k := range knownOf[w.order.row.ERPID] {
			if k.Key == w.key {
				last = k.Last
				break
			}
		}
		w.all = cloneMap(w.all)
		checks = append(checks, &conflictCheck{it: w.order, what: "line item " + w.key + ": ", id: w.id, last: last, changes: w.props, synced: w.all})
	}
	if err := c.checkConflicts(ctx, lineItemType, checks, [2]string{}); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(updates, func(w *lineItemWrite) bool {
		if w.ok() && len(w.props) == 0 {
			w.order.extraMappings = append(w.order.extraMappings, c.mapping(lineItemType, w.key, w.id, w.all))
			return true
		}
		return false
	}), nil
}
