package engine

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// resolveRefs returns the HubSpot IDs of records of t with the given ERP
// IDs, keyed by ERP ID: records resolved or
// written in this cycle, then the ID map, then a batch read by the ERP-ID
// property (which sees another process's writes at once). ERP IDs nobody
// has sent are absent. A failed read is returned as an error for the
// caller to hand to refsFailed: a failed HubSpot read delays the items
// that need the references, a failed ID-map read stops the cycle.
func (c *cycle) resolveRefs(ctx context.Context, t *objType, erpIDs []string) (map[string]string, error) {
	out := map[string]string{}
	var todo []string
	for _, id := range erpIDs {
		if id == "" {
			continue
		}
		if h, ok := c.written[mapKey{t.idMap, id}]; ok {
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
	known, err := c.mapped(ctx, t, todo)
	if err != nil {
		return nil, &dbError{err: err}
	}
	var read []string
	for _, id := range todo {
		if m, ok := known[id]; ok {
			out[id] = m.HubSpotID
			c.written[mapKey{t.idMap, id}] = m.HubSpotID
			continue
		}
		read = append(read, id)
	}
	erpProp := c.e.cfg.Sync.ERPIDProperty
	for chunk := range slices.Chunk(read, hubspot.MaxBatchInputs) {
		res, err := c.e.hs.BatchRead(ctx, t.hubspot, hubspot.BatchReadRequest{IDs: chunk, IDProperty: erpProp, Properties: []string{erpProp}})
		if err != nil {
			return out, err
		}
		for _, o := range res.Results {
			if v := o.Properties[erpProp]; v != "" {
				out[v] = o.ID
				c.written[mapKey{t.idMap, v}] = o.ID
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
func (c *cycle) refsFailed(t *objType, items []*item, err error) error {
	var dbe *dbError
	if errors.As(err, &dbe) {
		return dbe.err
	}
	return c.callFailed(t.hubspot, items, err)
}

// reference is one kind of record a customer, order or ticket points at.
type reference struct {
	t     *objType
	field string // the payload field naming it
	key   func(*item) string
}

func refCustomer(key func(*item) string) reference {
	return reference{t: contactType, field: "customer_id", key: key}
}

func refCompany(key func(*item) string) reference {
	return reference{t: companyType, field: "company_id", key: key}
}

func refOrder(key func(*item) string) reference {
	return reference{t: dealType, field: "order_id", key: key}
}

// resolveReference finds the HubSpot IDs of the records items point at
// through ref (kinds earlier in the write order have already written this
// cycle's ones). An item pointing at a record that is not in HubSpot but
// has an open outbox row waits for that row (see waitOrFail). An item
// pointing at an ERP key nobody has sent fails with a message that names
// the field and the missing record; it is retried later, when that record
// may have arrived. Upserts only.
func (c *cycle) resolveReference(ctx context.Context, items []*item, ref reference) (map[string]string, error) {
	var keys []string
	var with []*item
	for _, it := range items {
		if !it.ok() || it.rec == nil || it.rec.Op != "upsert" {
			continue
		}
		if k := ref.key(it); k != "" {
			keys = append(keys, k)
			with = append(with, it)
		}
	}
	if len(keys) == 0 {
		return map[string]string{}, nil
	}
	ids, err := c.resolveRefs(ctx, ref.t, keys)
	if err != nil {
		if ferr := c.refsFailed(ref.t, with, err); ferr != nil {
			return nil, ferr
		}
		return map[string]string{}, nil
	}
	var missing []unresolved
	for _, it := range with {
		k := ref.key(it)
		if it.ok() && ids[k] == "" {
			ent := ref.t.entity
			missing = append(missing, unresolved{it: it, ref: store.Ref{Entity: string(ent), ERPID: k}, field: ref.field, fail: func() {
				it.fail("field %q: %s %s is not in HubSpot: write an outbox row for %s %s (syncd retries this %s later)",
					ref.field, ent, k, ent, k, it.row.Entity)
			}})
		}
	}
	if err := c.waitOrFail(ctx, missing); err != nil {
		return nil, err
	}
	return ids, nil
}

// link is a reference resolved for a cycle's items: ids are the HubSpot
// IDs of the records referenced, by ERP key.
type link struct {
	ref reference
	ids map[string]string
}

// resolveLinks resolves each of refs for items, in order, as
// resolveReference does.
func (c *cycle) resolveLinks(ctx context.Context, items []*item, refs ...reference) ([]link, error) {
	links := make([]link, len(refs))
	for i, ref := range refs {
		ids, err := c.resolveReference(ctx, items, ref)
		if err != nil {
			return nil, err
		}
		links[i] = link{ref: ref, ids: ids}
	}
	return links, nil
}

// associateRefs associates the records the upserts among items wrote with
// the records they reference through each link (see resolveLinks), in
// turn.
func (c *cycle) associateRefs(ctx context.Context, from *objType, items []*item, links []link) error {
	for _, l := range links {
		var reqs []assocRequest
		for _, it := range items {
			if !it.ok() || it.rec.Op != outbox.OpUpsert || it.hubspotID == "" {
				continue
			}
			if h := l.ids[l.ref.key(it)]; h != "" {
				reqs = append(reqs, assocRequest{it: it, fromID: it.hubspotID, toID: h})
			}
		}
		if err := c.associate(ctx, from, l.ref.t, reqs); err != nil {
			return err
		}
	}
	return nil
}

// mapped returns the live (not archived) ID map rows of t for erpIDs, by
// ERP key: an archived row names a record HubSpot no longer has for the key.
func (c *cycle) mapped(ctx context.Context, t *objType, erpIDs []string) (map[string]store.Mapping, error) {
	ms, err := c.e.st.Mappings(ctx, c.portal, t.idMap, erpIDs)
	if err != nil {
		return nil, err
	}
	if c.dry != nil {
		c.dry.overlay(c.portal, t.idMap, erpIDs, ms)
	}
	maps.DeleteFunc(ms, func(_ string, m store.Mapping) bool { return m.ArchivedAt != nil })
	return ms, nil
}

// mapping is an ID map row of t in the cycle's portal; nil props record
// no synced values.
func (c *cycle) mapping(t *objType, erpID, hubspotID string, props map[string]string) store.Mapping {
	if props == nil {
		props = map[string]string{}
	}
	return store.Mapping{PortalID: c.portal, ObjectType: t.idMap, ERPID: erpID, HubSpotID: hubspotID, Properties: props}
}
