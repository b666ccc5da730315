package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
)

// conflictCheck is one update of a record the ID map holds, as
// checkConflicts sees it: an item's own record, or a line item of an order.
type conflictCheck struct {
	// it is the outbox item the update belongs to; a conflict's warning
	// goes on its row, a failed read fails it.
	it *item
	// what names the record in the warning after the item's prefix: "" for
	// the item's own record, "line item SO-1/2: " for a line item.
	what string
	// id is the record's HubSpot ID.
	id string
	// last are the values syncd last wrote (the ID map's synced values).
	last map[string]string
	// changes is the update; checkConflicts deletes from it the properties
	// it must not write.
	changes map[string]string
	// synced are the values to record as last synced; checkConflicts sets
	// those of the properties it deletes from changes.
	synced map[string]string
	// kept are the properties HubSpot's value was kept for, with a warning.
	kept []string
}

// checkConflicts applies [conflicts] hubspot_wins to updates of records of
// t the ID map holds. For the updates whose changes touch a hubspot_wins
// property syncd has written before (one the ID map's synced values hold),
// it reads those properties from HubSpot, one batch read per 100 records,
// and where HubSpot's value is no longer the one syncd last wrote, a user
// (or another integration) changed it since: the property is left out of
// the update and the ERP's value is kept as a warning on the row. The
// ID map then keeps the value syncd last wrote for it, so that the next
// outbox row meets the same conflict rather than overwriting the HubSpot
// change, the inbox keeps reporting that change, and the ERP's value is
// written again once HubSpot returns to the value syncd wrote. Where
// HubSpot's value already is the ERP's, nothing needs writing and that
// value is recorded as synced, with no warning.
//
// pair, for a type with pipelines, names its pipeline and stage
// properties: a stage belongs to its pipeline, so when HubSpot keeps one
// of them the other is left out too (see keepTogether), and a
// hubspot_wins one of them is read whenever the other is in the change.
//
// It makes no call when t has no hubspot_wins property or no update
// touches one. A read that fails fails the items of its chunk as any call
// does (a retry, without spending attempts, when HubSpot is unavailable).
// An update whose record the read does not return goes ahead: its write
// finds out what happened to the record.
func (c *cycle) checkConflicts(ctx context.Context, t *objType, checks []*conflictCheck, pair [2]string) error {
	wins := c.e.cfg.HubSpotWins(t.hubspot)
	if len(wins) == 0 {
		return nil
	}
	// partner returns the other property of p's pair, or "".
	partner := func(p string) string {
		switch {
		case pair[0] == "":
			return ""
		case p == pair[0]:
			return pair[1]
		case p == pair[1]:
			return pair[0]
		}
		return ""
	}
	// reads reports whether ch's update needs HubSpot's value of p.
	reads := func(ch *conflictCheck, p string) bool {
		if _, known := ch.last[p]; !known {
			return false
		}
		_, sent := ch.changes[p]
		_, partnerSent := ch.changes[partner(p)]
		return sent || partner(p) != "" && partnerSent
	}
	var todo []*conflictCheck
	var props []string
	for _, ch := range checks {
		if !ch.it.ok() || ch.id == "" {
			continue
		}
		touched := false
		for _, p := range wins {
			if reads(ch, p) {
				touched = true
				if !slices.Contains(props, p) {
					props = append(props, p)
				}
			}
		}
		if touched {
			todo = append(todo, ch)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	slices.Sort(props)
	chunks := slices.Collect(slices.Chunk(todo, hubspot.MaxBatchInputs))
	return c.fanOut(ctx, len(chunks), func(ctx context.Context, i int) error {
		chunk := chunks[i]
		ids := make([]string, 0, len(chunk))
		for _, ch := range chunk {
			if !slices.Contains(ids, ch.id) {
				ids = append(ids, ch.id)
			}
		}
		res, err := c.e.hs.BatchRead(ctx, t.hubspot, hubspot.BatchReadRequest{IDs: ids, Properties: props})
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			var items []*item
			for _, ch := range chunk {
				if !slices.Contains(items, ch.it) {
					items = append(items, ch.it)
				}
			}
			return c.callFailed(t.hubspot, items, err)
		}
		byID := make(map[string]hubspot.Object, len(res.Results))
		for _, o := range res.Results {
			byID[o.ID] = o
		}
		for _, ch := range chunk {
			o, found := byID[ch.id]
			if !found || !ch.it.ok() {
				continue
			}
			for _, p := range wins {
				if !reads(ch, p) {
					continue
				}
				last := ch.last[p]
				have := o.Properties[p] // a property HubSpot holds no value of reads ""
				if sameValue(have, last) {
					continue // unchanged in HubSpot since syncd wrote it: the ERP's value is written
				}
				erp, sent := ch.changes[p]
				if !sent {
					// The ERP's value is still the one syncd wrote, and
					// HubSpot has another: its partner in the change must
					// not be written against it.
					ch.kept = append(ch.kept, p)
					continue
				}
				delete(ch.changes, p)
				if sameValue(have, erp) {
					ch.synced[p] = erp // HubSpot already holds the ERP's value
					continue
				}
				ch.synced[p] = last
				ch.kept = append(ch.kept, p)
				c.warn(ch, fmt.Sprintf("property %q: HubSpot has %q, changed there since syncd wrote %q; the ERP's %q was not written (conflicts.%s.%s = %q)",
					p, have, last, erp, t.hubspot, p, config.ConflictHubSpotWins))
			}
			if pair[0] != "" {
				c.keepTogether(t, ch, pair)
			}
		}
		return nil
	})
}

// warn keeps msg as a warning on ch's row. c.mu must be held.
func (c *cycle) warn(ch *conflictCheck, msg string) {
	w := ch.it.prefix() + ch.what + msg
	ch.it.warnings = append(ch.it.warnings, w)
	c.log.WithField("outbox_id", ch.it.row.ID).Warn(w)
}

// keepTogether leaves both properties of pair (a pipeline and its stage)
// out of ch's update when HubSpot's value was kept for one of them: the
// ERP's stage belongs to the ERP's pipeline, and HubSpot refuses a stage
// of another pipeline. The other's ERP value is kept as a warning too.
func (c *cycle) keepTogether(t *objType, ch *conflictCheck, pair [2]string) {
	for i, p := range pair {
		other := pair[1-i]
		erp, sent := ch.changes[other]
		if !slices.Contains(ch.kept, p) || !sent {
			continue
		}
		delete(ch.changes, other)
		if last, known := ch.last[other]; known {
			ch.synced[other] = last
		} else {
			delete(ch.synced, other)
		}
		ch.kept = append(ch.kept, other)
		c.warn(ch, fmt.Sprintf("property %q: the ERP's %q was not written, as HubSpot kept the record's %s (conflicts.%s.%s = %q)",
			other, erp, p, t.hubspot, p, config.ConflictHubSpotWins))
	}
}

// checkConflictTypes fails unless every object type a [conflicts] section
// may name is one of the table of object types.
func checkConflictTypes() error {
	for _, name := range config.ConflictObjectTypes {
		if !slices.ContainsFunc(objTypes, func(t *objType) bool { return t.hubspot == name }) {
			return fmt.Errorf("engine: [conflicts.%s] names no object type of the engine's table", name)
		}
	}
	return nil
}
