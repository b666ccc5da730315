package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// assocRequest asks for the association of an item's record with another.
type assocRequest struct {
	it     *item
	fromID string
	toID   string
	// typeIDs are the HUBSPOT_DEFINED association type IDs still to make;
	// associate starts from those the table of object types gives.
	typeIDs []int
}

// associate creates the associations from records of from to records of
// to that the associations table does not hold yet, with the type IDs the
// table of object types gives. Made associations are added to their items,
// to be recorded with them; failures fail the item (transient ones retry
// later). It returns an error only to stop the cycle.
func (c *cycle) associate(ctx context.Context, from, to *objType, reqs []assocRequest) error {
	fromType, toType, fromMap, toMap := from.hubspot, to.hubspot, from.idMap, to.idMap
	ids := from.assocTypeIDs(to)
	reqs = slices.Clone(reqs)
	for i := range reqs {
		reqs[i].typeIDs = ids
	}
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
		ies, err := c.w.CreateAssociations(ctx, fromType, toType, in)
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
// keeps from each request's record to records of to: associations
// syncd made earlier to other records (the ERP moved a customer to another
// company) are removed from HubSpot first, then the requested ones are
// created as associate does. Associations syncd did not make are left
// alone.
func (c *cycle) replaceAssociations(ctx context.Context, from, to *objType, reqs []assocRequest) error {
	fromType, toType := from.hubspot, to.hubspot
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
	recorded, err := c.e.st.AssociationsFrom(ctx, c.portal, from.idMap, fromIDs, to.idMap)
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
		if err := c.w.ArchiveAssociations(ctx, fromType, toType, chunk); err != nil {
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
	return c.associate(ctx, from, to, reqs)
}
