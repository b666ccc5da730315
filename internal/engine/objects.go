package engine

import (
	"context"
	"slices"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// objectSpec describes a plain HubSpot object type for syncObjects.
type objectSpec struct {
	t *objType
	// matchers are tried in order for records neither the ID map nor the
	// ERP-ID property knows.
	matchers []matcher
	// extra, when set, adds the properties the engine computes (a deal's
	// pipeline and stage) to an upsert's desired properties.
	extra func(it *item, props map[string]string)
	// stage, when set, names the pipeline and stage properties of a type
	// with pipelines: a stage belongs to its pipeline, so a conflict
	// HubSpot wins for one of them keeps the other too.
	stage [2]string
}

// syncObjects resolves, diffs and writes items of one plain object type
// and sets their outcome, hubspotID and mapping. Deletes archive the
// record when the configuration says so. It returns an error only for
// problems that stop the cycle.
func (c *cycle) syncObjects(ctx context.Context, spec objectSpec, items []*item) error {
	erpProp := c.e.cfg.Sync.ERPIDProperty
	live := slices.DeleteFunc(slices.Clone(items), func(it *item) bool { return !it.ok() })
	for _, it := range live {
		it.t = spec.t
		if it.rec.Op == outbox.OpUpsert {
			it.props = it.rec.Properties()
			if it.props == nil {
				it.props = map[string]string{}
			}
			it.props[erpProp] = it.row.ERPID
			if spec.extra != nil {
				spec.extra(it, it.props)
			}
		}
	}
	if err := c.resolve(ctx, spec, live); err != nil {
		return err
	}
	creates, updates, archives := c.plan(live)

	// New records: upsert on the ERP-ID property, so that a retry, or a
	// second process after a crash, updates what the first one created.
	upsert := func(ctx context.Context, chunk []*item) (*hubspot.BatchResult, error) {
		in := make([]hubspot.UpsertInput, len(chunk))
		for i, it := range chunk {
			in[i] = hubspot.UpsertInput{ID: it.row.ERPID, IDProperty: erpProp, Properties: it.props, TraceID: it.traceID()}
		}
		return c.w.BatchUpsert(ctx, spec.t.hubspot, in)
	}
	upserted := func(it *item, o hubspot.Object) {
		it.hubspotID = o.ID
		// Neither the ID map nor a read by the ERP-ID property knew the
		// record, so it is new to syncd. The answer's "new" flag cannot
		// say so: when an answer is lost and the client sends the upsert
		// again, the second answer finds the record the first one made.
		it.outcome = created
	}
	err := batched(ctx, c, spec.t.hubspot, creates, upsert, upserted)
	if err != nil {
		return err
	}
	updates, err = c.keepHubSpotChanges(ctx, spec, updates)
	if err != nil {
		return err
	}
	err = batched(ctx, c, spec.t.hubspot, updates, func(ctx context.Context, chunk []*item) (*hubspot.BatchResult, error) {
		in := make([]hubspot.UpdateInput, len(chunk))
		for i, it := range chunk {
			in[i] = hubspot.UpdateInput{ID: it.hubspotID, Properties: it.changes, TraceID: it.traceID()}
		}
		return c.w.BatchUpdate(ctx, spec.t.hubspot, in)
	}, func(it *item, o hubspot.Object) {
		it.outcome = updated
	})
	if err != nil {
		return err
	}
	// Mapped records that no longer exist in HubSpot (deleted or merged
	// away by a user) are written again as new ones: the ERP says they
	// exist.
	var gone []*item
	for _, it := range updates {
		if it.gone && it.ok() {
			c.log.WithField("outbox_id", it.row.ID).Warnf("HubSpot %s %s of %s %s no longer exists; creating it again", spec.t.hubspot, it.hubspotID, it.row.Entity, it.row.ERPID)
			it.gone, it.mapping, it.hubspotID = false, nil, ""
			it.synced = cloneMap(it.props)
			gone = append(gone, it)
		}
	}
	if err := batched(ctx, c, spec.t.hubspot, gone, upsert, upserted); err != nil {
		return err
	}
	if err := c.archive(ctx, spec, archives); err != nil {
		return err
	}
	now := c.e.now().UTC()
	for _, it := range live {
		if !it.ok() || it.hubspotID == "" {
			continue
		}
		m := c.mapping(spec.t, it.row.ERPID, it.hubspotID, it.synced)
		if it.rec.Op == outbox.OpDelete {
			if it.outcome != deleted {
				continue
			}
			if it.mapping != nil {
				m.Properties = it.mapping.Properties
			}
			m.ArchivedAt = &now
		} else {
			c.written[mapKey{spec.t.idMap, it.row.ERPID}] = it.hubspotID
		}
		it.mapping = &m
	}
	return nil
}

// plan decides what each resolved item needs, diffing its desired
// properties with the last synced values (a mapped record) or with what
// HubSpot holds (a record found by a read or search): a create, an update
// of the changed properties (it.changes), an archive, or nothing. It sets
// the values to record as synced.
func (c *cycle) plan(items []*item) (creates, updates, archives []*item) {
	for _, it := range items {
		if !it.ok() {
			continue
		}
		if it.rec.Op == outbox.OpDelete {
			switch {
			case it.hubspotID == "" || c.e.cfg.Sync.OnDelete == "ignore":
				it.outcome = unchanged
			default:
				archives = append(archives, it)
			}
			continue
		}
		switch {
		case it.mapping != nil:
			it.synced = mergeProps(it.mapping.Properties, it.props)
			if ch := diffProps(it.mapping.Properties, it.props, false); len(ch) > 0 {
				it.changes, it.before = ch, pick(it.mapping.Properties, ch)
				updates = append(updates, it)
			} else {
				it.outcome = unchanged
			}
		case it.hubspotID != "":
			it.synced = cloneMap(it.props)
			if ch := diffProps(it.current, it.props, true); len(ch) > 0 {
				it.changes, it.before = ch, pick(it.current, ch)
				updates = append(updates, it)
			} else {
				it.outcome = unchanged
			}
		default:
			it.synced = cloneMap(it.props)
			creates = append(creates, it)
		}
	}
	return creates, updates, archives
}

// keepHubSpotChanges applies [conflicts] hubspot_wins to the updates of
// mapped records (see checkConflicts) and returns the updates left to
// send: an update all of whose changes HubSpot keeps sends nothing, and
// its item is unchanged. A record found by a read or search, not through
// the ID map, has no last write of syncd's to compare with: its update
// was planned against what HubSpot holds, and goes as planned.
func (c *cycle) keepHubSpotChanges(ctx context.Context, spec objectSpec, updates []*item) ([]*item, error) {
	var checks []*conflictCheck
	for _, it := range updates {
		if it.mapping != nil {
			checks = append(checks, &conflictCheck{it: it, id: it.hubspotID, last: it.mapping.Properties, changes: it.changes, synced: it.synced})
		}
	}
	if err := c.checkConflicts(ctx, spec.t, checks, spec.stage); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(updates, func(it *item) bool {
		if it.ok() && len(it.changes) == 0 {
			it.outcome = unchanged
			return true
		}
		return false
	}), nil
}

// archive archives the items' records; an archived or missing record is
// fine (HubSpot's archive is idempotent, and a record HubSpot no longer has
// needs no archive).
func (c *cycle) archive(ctx context.Context, spec objectSpec, items []*item) error {
	err := batched(ctx, c, spec.t.hubspot, items, archiveCall[*item](c, spec.t.hubspot), func(it *item, _ hubspot.Object) {
		it.outcome = deleted
	})
	for _, it := range items {
		if it.gone && it.ok() {
			it.gone, it.outcome = false, deleted
		}
	}
	return err
}

// diffProps returns the properties of want whose value differs from have.
// A property want does not name is left alone: the outbox contract says an
// absent field does not change HubSpot. A clear ("") of a property have
// does not hold is sent only when complete is false: when have is what
// HubSpot holds (complete), HubSpot has no value to clear; when have is what
// syncd last wrote, a user may have set the property in HubSpot since, and
// the ERP's clear must reach it.
func diffProps(have, want map[string]string, complete bool) map[string]string {
	var out map[string]string
	for k, v := range want {
		old, ok := have[k]
		if ok && sameValue(old, v) || !ok && v == "" && complete {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// pick returns the values in have of the properties changes names ("" for
// those have lacks).
func pick(have, changes map[string]string) map[string]string {
	out := make(map[string]string, len(changes))
	for k := range changes {
		out[k] = have[k]
	}
	return out
}

// mergeProps returns base updated with over.
func mergeProps(base, over map[string]string) map[string]string {
	out := cloneMap(base)
	for k, v := range over {
		out[k] = v
	}
	return out
}
