package engine

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// matcher finds never-seen records by a natural key.
type matcher struct {
	// property is the HubSpot property holding the key.
	property string
	// value returns the item's key, "" when it has none.
	value func(*item) string
	// byRead uses a batch read with idProperty (email, or a unique
	// property): it sees writes at once. Otherwise a search with IN, which
	// lags writes by seconds.
	byRead bool
	// accept, when set, rejects a record that shares the key but is not
	// the same party (a branch of the same tax ID, another person at the
	// same phone number).
	accept func(it *item, o hubspot.Object) bool
	// extra lists further properties accept reads.
	extra []string
}

// searchChunk is the number of values per IN filter and per search.
const searchChunk = 100

// resolve finds the HubSpot IDs of items: the ID map, then a batch read by
// the ERP-ID property, then the spec's natural keys (upserts only).
func (c *cycle) resolve(ctx context.Context, spec objectSpec, items []*item) error {
	if len(items) == 0 {
		return nil
	}
	erpProp := c.e.cfg.Sync.ERPIDProperty
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.row.ERPID
	}
	known, err := c.mapped(ctx, spec.t, ids)
	if err != nil {
		return err
	}
	var unmapped []*item
	for _, it := range items {
		if m, ok := known[it.row.ERPID]; ok {
			it.mapping = &m
			it.hubspotID = m.HubSpotID
			continue
		}
		unmapped = append(unmapped, it)
	}
	if len(unmapped) == 0 {
		return nil
	}
	props := readProps(erpProp, unmapped, spec.matchers)

	// Records syncd created but never recorded (a crash between write and
	// record, another process, a lost ID map) carry the ERP-ID property.
	byERP := map[string]*item{}
	for _, it := range unmapped {
		byERP[it.row.ERPID] = it
	}
	chunks := slices.Collect(slices.Chunk(unmapped, hubspot.MaxBatchInputs))
	err = c.fanOut(ctx, len(chunks), func(ctx context.Context, i int) error {
		chunk := chunks[i]
		keys := make([]string, len(chunk))
		for i, it := range chunk {
			keys[i] = it.row.ERPID
		}
		res, err := c.e.hs.BatchRead(ctx, spec.t.hubspot, hubspot.BatchReadRequest{IDs: keys, IDProperty: erpProp, Properties: props})
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			return c.callFailed(spec.t.hubspot, chunk, err)
		}
		for _, o := range res.Results {
			if it := byERP[o.Properties[erpProp]]; it != nil && it.hubspotID == "" {
				it.hubspotID, it.current = o.ID, o.Properties
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	taken := map[string]bool{}
	for _, it := range items {
		if it.hubspotID != "" {
			taken[it.hubspotID] = true
		}
	}
	for _, m := range spec.matchers {
		var todo []*item
		for _, it := range unmapped {
			if it.ok() && it.hubspotID == "" && it.rec.Op == outbox.OpUpsert && m.value(it) != "" {
				todo = append(todo, it)
			}
		}
		if len(todo) == 0 {
			continue
		}
		found, err := c.findBy(ctx, spec, m, todo, props)
		if err != nil {
			return err
		}
		// A record another ERP key already owns is not this one's: it
		// carries a different ERP ID, or the ID map gives it to another key.
		var cand []string
		for _, os := range found {
			for _, o := range os {
				cand = append(cand, o.ID)
			}
		}
		owned, err := c.e.st.MappingsByHubSpotID(ctx, c.portal, spec.t.idMap, cand)
		if err != nil {
			return err
		}
		for _, it := range todo {
			for _, o := range found[strings.ToLower(m.value(it))] {
				if taken[o.ID] {
					continue
				}
				if v := o.Properties[erpProp]; v != "" && v != it.row.ERPID {
					continue
				}
				if om, ok := owned[o.ID]; ok && om.ERPID != it.row.ERPID {
					continue
				}
				if m.accept != nil && !m.accept(it, o) {
					continue
				}
				taken[o.ID] = true
				it.hubspotID, it.current = o.ID, o.Properties
				c.log.WithField("outbox_id", it.row.ID).Debugf("matched %s %s to HubSpot record %s by %s", it.row.Entity, it.row.ERPID, o.ID, m.property)
				break
			}
		}
	}
	return nil
}

// findBy looks items up by one natural key and returns the records found,
// keyed by the lower-cased key value, oldest first when several share a
// value.
func (c *cycle) findBy(ctx context.Context, spec objectSpec, m matcher, items []*item, props []string) (map[string][]hubspot.Object, error) {
	found := map[string][]hubspot.Object{}
	ids := map[string]bool{}
	keep := func(o hubspot.Object) {
		k := strings.ToLower(o.Properties[m.property])
		if k == "" || ids[o.ID] {
			return
		}
		ids[o.ID] = true
		found[k] = append(found[k], o)
	}
	defer func() {
		for _, os := range found {
			sort.Slice(os, func(i, j int) bool { return olderThan(os[i], os[j]) })
		}
	}()
	seen := map[string]bool{}
	var values []string
	for _, it := range items {
		v := m.value(it)
		lv := strings.ToLower(v)
		if seen[lv] {
			continue
		}
		seen[lv] = true
		if m.byRead {
			values = append(values, v)
		} else {
			// HubSpot's IN filter matches string values lower-cased.
			values = append(values, lv)
		}
	}
	chunks := slices.Collect(slices.Chunk(values, searchChunk))
	err := c.fanOut(ctx, len(chunks), func(ctx context.Context, i int) error {
		chunk := chunks[i]
		if m.byRead {
			res, err := c.e.hs.BatchRead(ctx, spec.t.hubspot, hubspot.BatchReadRequest{IDs: chunk, IDProperty: m.property, Properties: props})
			c.mu.Lock()
			defer c.mu.Unlock()
			if err != nil {
				return c.callFailed(spec.t.hubspot, itemsWith(items, m, chunk), err)
			}
			for _, o := range res.Results {
				keep(o)
			}
			return nil
		}
		req := hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: m.property, Operator: "IN", Values: chunk}}}},
			Properties:   props,
			Limit:        searchChunk,
			Sorts:        []hubspot.Sort{{PropertyName: "hs_object_id", Direction: "ASCENDING"}},
		}
		// Pages follow one another; the chunks' searches go at once.
		for {
			res, err := c.e.hs.Search(ctx, spec.t.hubspot, req)
			c.mu.Lock()
			if err != nil {
				ferr := c.callFailed(spec.t.hubspot, itemsWith(items, m, chunk), err)
				c.mu.Unlock()
				return ferr
			}
			for _, o := range res.Results {
				keep(o)
			}
			c.mu.Unlock()
			if res.After == "" {
				return nil
			}
			req.After = res.After
		}
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

func olderThan(a, b hubspot.Object) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return len(a.ID) < len(b.ID) || (len(a.ID) == len(b.ID) && a.ID < b.ID)
}

func itemsWith(items []*item, m matcher, values []string) []*item {
	set := map[string]bool{}
	for _, v := range values {
		set[strings.ToLower(v)] = true
	}
	var out []*item
	for _, it := range items {
		if set[strings.ToLower(m.value(it))] {
			out = append(out, it)
		}
	}
	return out
}

// readProps lists the properties to read for matching and diffing: every
// property the items write, the ERP-ID property and the matchers' keys.
func readProps(erpProp string, items []*item, ms []matcher) []string {
	set := map[string]bool{erpProp: true}
	for _, it := range items {
		for k := range it.props {
			set[k] = true
		}
	}
	for _, m := range ms {
		set[m.property] = true
		for _, p := range m.extra {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
