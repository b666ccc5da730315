package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// resolveRefs returns the HubSpot IDs of records of mapType (HubSpot
// objectType) with the given ERP IDs, keyed by ERP ID: records resolved or
// written in this cycle, then the ID map, then a batch read by the ERP-ID
// property (which sees another process's writes at once). ERP IDs nobody
// has sent are absent. A failed read is returned as an error for the
// caller to hand to refsFailed: a failed HubSpot read delays the items
// that need the references, a failed ID-map read stops the cycle.
func (c *cycle) resolveRefs(ctx context.Context, objectType, mapType string, erpIDs []string) (map[string]string, error) {
	out := map[string]string{}
	var todo []string
	for _, id := range erpIDs {
		if id == "" {
			continue
		}
		if h, ok := c.written[refKey(mapType, id)]; ok {
			out[id] = h
			continue
		}
		if !slices.Contains(todo, id) {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		return out, nil
	}
	known, err := c.e.st.Mappings(ctx, c.portal, mapType, todo)
	if err != nil {
		return nil, &dbError{err: err}
	}
	var read []string
	for _, id := range todo {
		if m, ok := known[id]; ok && m.ArchivedAt == nil {
			out[id] = m.HubSpotID
			c.written[refKey(mapType, id)] = m.HubSpotID
			continue
		}
		read = append(read, id)
	}
	erpProp := c.e.cfg.Sync.ERPIDProperty
	for chunk := range slices.Chunk(read, hubspot.MaxBatchInputs) {
		res, err := c.e.hs.BatchRead(ctx, objectType, hubspot.BatchReadRequest{IDs: chunk, IDProperty: erpProp, Properties: []string{erpProp}})
		if err != nil {
			return out, err
		}
		for _, o := range res.Results {
			if v := o.Properties[erpProp]; v != "" {
				out[v] = o.ID
				c.written[refKey(mapType, v)] = o.ID
			}
		}
	}
	return out, nil
}

// dbError is a database error met while resolving references. It is no
// HubSpot outage: it stops the cycle, and the claimed rows are released.
type dbError struct{ err error }

func (e *dbError) Error() string { return e.err.Error() }
func (e *dbError) Unwrap() error { return e.err }

// refsFailed handles an error of resolveRefs made for items: a database
// error stops the cycle; a HubSpot error goes to callFailed.
func (c *cycle) refsFailed(objectType string, items []*item, err error) error {
	var dbe *dbError
	if errors.As(err, &dbe) {
		return dbe.err
	}
	return c.callFailed(objectType, items, err)
}

// assocRequest asks for the association of an item's record with another.
type assocRequest struct {
	it      *item
	fromID  string
	toID    string
	typeIDs []int // HUBSPOT_DEFINED association type IDs
}

// associate creates the associations that the associations table does not
// hold yet, from objectType to toType (HubSpot names; fromMap and toMap are
// the ID map names stored with them). Made associations are added to their
// items, to be recorded with them; failures fail the item (transient ones
// retry later). It returns an error only to stop the cycle.
func (c *cycle) associate(ctx context.Context, fromType, toType, fromMap, toMap string, reqs []assocRequest) error {
	var want []store.Association
	for _, r := range reqs {
		for _, t := range r.typeIDs {
			want = append(want, store.Association{PortalID: c.portal, FromType: fromMap, FromHubSpotID: r.fromID, ToType: toMap, ToHubSpotID: r.toID, TypeID: t})
		}
	}
	known, err := c.e.st.KnownAssociations(ctx, want)
	if err != nil {
		return err
	}
	var todo []assocRequest
	for _, r := range reqs {
		if !r.it.ok() {
			continue
		}
		var missing []int
		for _, t := range r.typeIDs {
			a := store.Association{PortalID: c.portal, FromType: fromMap, FromHubSpotID: r.fromID, ToType: toMap, ToHubSpotID: r.toID, TypeID: t}
			if !known[a] {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			r.typeIDs = missing
			todo = append(todo, r)
		}
	}
	chunks := slices.Collect(slices.Chunk(todo, hubspot.MaxBatchInputs))
	return c.fanOut(ctx, len(chunks), func(ctx context.Context, i int) error {
		chunk := chunks[i]
		in := make([]hubspot.AssociationInput, len(chunk))
		for i, r := range chunk {
			types := make([]hubspot.AssociationType, len(r.typeIDs))
			for j, t := range r.typeIDs {
				types[j] = hubspot.AssociationType{Category: hubspot.HubSpotDefined, TypeID: t}
			}
			in[i] = hubspot.AssociationInput{FromID: r.fromID, ToID: r.toID, Types: types}
		}
		items := make([]*item, len(chunk))
		for i, r := range chunk {
			items[i] = r.it
		}
		ies, err := c.e.hs.CreateAssociations(ctx, fromType, toType, in)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			return c.callFailed(fromType+"→"+toType+" association", items, err)
		}
		bad := map[*item]bool{}
		for _, ie := range ies {
			var hit bool
			for _, r := range chunk {
				if slices.Contains(ie.IDs, r.fromID) || slices.Contains(ie.IDs, r.toID) {
					hit = true
					bad[r.it] = true
					c.assocFailed(r, toType, ie)
				}
			}
			if !hit {
				// Unattributable: retry the whole chunk later rather than
				// record associations that may not exist.
				for _, r := range chunk {
					bad[r.it] = true
					r.it.retryLater("HubSpot refused an association of this batch: %v", ie)
				}
			}
		}
		for _, r := range chunk {
			if bad[r.it] {
				continue
			}
			for _, t := range r.typeIDs {
				r.it.associations = append(r.it.associations, store.Association{PortalID: c.portal, FromType: fromMap, FromHubSpotID: r.fromID, ToType: toMap, ToHubSpotID: r.toID, TypeID: t})
			}
		}
		return nil
	})
}

func (c *cycle) assocFailed(r assocRequest, toType string, ie hubspot.ItemError) {
	msg := fmt.Sprintf("HubSpot refused the association with %s %s: %v", toType, r.toID, ie)
	if ie.Class() == hubspot.ClassData {
		r.it.fail("%s", msg)
		return
	}
	r.it.retryLater("%s", msg)
}

// replaceAssociations makes the associations of reqs the only ones syncd
// keeps from each request's record to records of toType: associations
// syncd made earlier to other records (the ERP moved a customer to another
// company) are removed from HubSpot first, then the requested ones are
// created as associate does. Associations syncd did not make are left
// alone.
func (c *cycle) replaceAssociations(ctx context.Context, fromType, toType, fromMap, toMap string, reqs []assocRequest) error {
	want := map[string]map[string]bool{}
	byFrom := map[string]*item{}
	var fromIDs []string
	for _, r := range reqs {
		if !r.it.ok() || r.fromID == "" {
			continue
		}
		if want[r.fromID] == nil {
			want[r.fromID] = map[string]bool{}
			fromIDs = append(fromIDs, r.fromID)
		}
		want[r.fromID][r.toID] = true
		byFrom[r.fromID] = r.it
	}
	recorded, err := c.e.st.AssociationsFrom(ctx, c.portal, fromMap, fromIDs, toMap)
	if err != nil {
		return err
	}
	stale := map[hubspot.AssociationPair][]store.Association{}
	var pairs []hubspot.AssociationPair
	for _, a := range recorded {
		if want[a.FromHubSpotID][a.ToHubSpotID] {
			continue
		}
		p := hubspot.AssociationPair{FromID: a.FromHubSpotID, ToID: a.ToHubSpotID}
		if _, ok := stale[p]; !ok {
			pairs = append(pairs, p)
		}
		stale[p] = append(stale[p], a)
	}
	for chunk := range slices.Chunk(pairs, hubspot.MaxBatchInputs) {
		var items []*item
		for _, p := range chunk {
			items = append(items, byFrom[p.FromID])
		}
		if err := c.e.hs.ArchiveAssociations(ctx, fromType, toType, chunk); err != nil {
			if ferr := c.callFailed(fromType+"→"+toType+" association", items, err); ferr != nil {
				return ferr
			}
			continue
		}
		for _, p := range chunk {
			it := byFrom[p.FromID]
			it.unassociated = append(it.unassociated, stale[p]...)
		}
	}
	return c.associate(ctx, fromType, toType, fromMap, toMap, reqs)
}
