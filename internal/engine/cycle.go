package engine

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// cycle is one pass over claimed rows.
type cycle struct {
	e *Engine
	// w is where the cycle's writes go: HubSpot and the store, or a dry
	// run (see writer); dry is the dry run, nil in a real cycle.
	w   writer
	dry *dryRun
	// dealStages and ticketStages are the cycle's stage mappers.
	dealStages, ticketStages *StageMapper
	portal                   int64
	rows                     []store.Row
	items                    []*item
	byKind                   map[outbox.Entity][]*item
	// written holds the HubSpot IDs of records resolved or written in this
	// cycle, for references; skus those of products by SKU.
	written map[mapKey]string
	skus    map[string]string
	log     logrus.FieldLogger
	// leased is when the rows' leases were last set.
	leased time.Time

	// mu guards the items and refused while a step's HubSpot calls run
	// concurrently (see fanOut).
	mu sync.Mutex
	// refused holds the properties HubSpot's validation errors named.
	refused map[string]bool
}

func newCycle(e *Engine, g gate, portal int64, rows []store.Row) *cycle {
	dry, _ := g.w.(*dryRun)
	return &cycle{e: e, w: g.w, dry: dry, dealStages: g.deals, ticketStages: g.tickets,
		portal: portal, rows: rows, byKind: map[outbox.Entity][]*item{},
		written: map[mapKey]string{}, skus: map[string]string{}, log: e.log, leased: e.now()}
}

// coalesce groups rows by key; the newest row of a key wins.
func coalesce(rows []store.Row) []*item {
	byKey := map[store.Key]*item{}
	var out []*item
	for _, r := range rows {
		it, ok := byKey[r.Key()]
		if !ok {
			it = &item{row: r}
			byKey[r.Key()] = it
			out = append(out, it)
			continue
		}
		if r.ID > it.row.ID {
			it.older = append(it.older, it.row.ID)
			it.row = r
		} else {
			it.older = append(it.older, r.ID)
		}
	}
	return out
}

func (c *cycle) run(ctx context.Context) (Summary, error) {
	c.items = coalesce(c.rows)
	for _, it := range c.items {
		rec, err := outbox.Decode(it.row.Entity, it.row.ERPID, it.row.Op, it.row.Payload, c.e.opts)
		if err != nil {
			it.outcome = failed
			it.err = fmt.Sprintf("outbox row %d: %v; fix the data in the ERP and write a new outbox row for it", it.row.ID, err)
			continue
		}
		for _, fe := range rec.Skipped {
			it.warnings = append(it.warnings, fmt.Sprintf("outbox row %d: %v; not synced (sync.invalid_field = \"skip\")", it.row.ID, fe))
		}
		for _, w := range rec.Warnings {
			it.warnings = append(it.warnings, fmt.Sprintf("outbox row %d: %s", it.row.ID, w))
		}
		for _, w := range it.warnings {
			c.log.WithField("outbox_id", it.row.ID).Warn(w)
		}
		// New checked that every entity Decode accepts has a kind.
		it.rec = rec
		c.byKind[rec.Entity] = append(c.byKind[rec.Entity], it)
	}
	for _, k := range c.e.kinds {
		items := c.byKind[k.t.entity]
		if len(items) == 0 {
			continue
		}
		if err := c.keepLease(ctx); err != nil {
			return Summary{}, err
		}
		if err := k.sync(ctx, c, items); err != nil {
			return Summary{}, err
		}
	}
	if err := c.keepLease(ctx); err != nil {
		return Summary{}, err
	}
	return c.record(ctx)
}

// keepLease extends the cycle's leases once half the lease has passed, so
// that a slow cycle (rate limits, a large batch) keeps its rows.
func (c *cycle) keepLease(ctx context.Context) error {
	lease := c.e.cfg.Sync.Lease.Duration
	now := c.e.now()
	if now.Sub(c.leased) < lease/2 {
		return nil
	}
	ids := make([]int64, len(c.rows))
	for i, r := range c.rows {
		ids[i] = r.ID
	}
	held, err := c.w.extendLease(ctx, c.e.owner, ids, lease)
	if err != nil {
		return err
	}
	if held < len(ids) {
		c.log.WithField("rows", len(ids)-held).Warn("outbox rows were claimed by another process after their lease expired")
	}
	c.leased = now
	return nil
}

// record writes the outcome in one transaction and counts it. Each key
// goes with the ID map rows it produced and those of the records it may
// have written, so that Record can tell a key whose lease was lost after
// its writes (see store.Record).
func (c *cycle) record(ctx context.Context) (Summary, error) {
	out := store.Outcome{Warnings: map[int64][]string{}}
	sum := Summary{keys: len(c.items)}
	for _, it := range c.items {
		out.Superseded = append(out.Superseded, it.older...)
		k := store.KeyOutcome{Rows: append([]int64{it.row.ID}, it.older...), Written: c.writtenKeys(it)}
		if it.outcome == waiting {
			out.Keys = append(out.Keys, k)
			out.Waiting = append(out.Waiting, store.Wait{ID: it.row.ID, For: it.waitFor})
			c.log.WithFields(logrus.Fields{"outbox_id": it.row.ID, "entity": it.row.Entity, "erp_id": it.row.ERPID, "waiting_for": it.waitFor}).Info(it.err)
			continue
		}
		if it.outcome == failed {
			out.Keys = append(out.Keys, k)
			out.Failed = append(out.Failed, store.Failure{ID: it.row.ID, Attempts: it.row.Attempts, Error: it.err, Transient: it.transient})
			c.log.WithFields(logrus.Fields{"outbox_id": it.row.ID, "entity": it.row.Entity, "erp_id": it.row.ERPID, "transient": it.transient}).Warn(it.err)
			continue
		}
		switch it.outcome {
		case created:
			sum.Created++
		case updated:
			sum.Updated++
		case unchanged:
			sum.Unchanged++
		case deleted:
			sum.Deleted++
		case pending:
			// A kind that left an item untouched did nothing wrong with
			// it; it is done.
		}
		out.Done = append(out.Done, it.row.ID)
		if len(it.warnings) > 0 {
			out.Warnings[it.row.ID] = it.warnings
			sum.Warned++
		}
		if it.mapping != nil && it.hubspotID != "" {
			k.Mappings = append(k.Mappings, *it.mapping)
		}
		k.Mappings = append(k.Mappings, it.extraMappings...)
		out.Keys = append(out.Keys, k)
		out.Associations = append(out.Associations, it.associations...)
		out.Unassociated = append(out.Unassociated, it.unassociated...)
	}
	rec, err := c.w.record(ctx, c.e.owner, c.e.retry, out)
	if err != nil {
		return sum, err
	}
	if rec.Lost > 0 {
		c.log.WithField("rows", rec.Lost).Warn("lost the lease on outbox rows before recording them; another process has them")
	}
	if rec.Reopened > 0 {
		c.log.WithField("keys", rec.Reopened).Warn("wrote to HubSpot after losing the lease; the newest rows of those keys are pending again, to be written in full")
	}
	sum.Failed, sum.Dead, sum.Superseded, sum.Waiting = rec.Failed, rec.Dead, rec.Superseded, rec.Waiting
	sum.waitingDue = rec.WaitingDue
	return sum, nil
}

// writtenKeys names the ID map rows of the records the cycle wrote, or may
// have written, for it: none when it failed before its kind wrote anything
// or had nothing to change.
func (c *cycle) writtenKeys(it *item) []store.MapKey {
	if it.t == nil || it.outcome == unchanged || it.outcome == pending || it.outcome == waiting {
		return nil
	}
	out := []store.MapKey{{PortalID: c.portal, ObjectType: it.t.idMap, ERPID: it.row.ERPID}}
	for _, m := range it.extraMappings {
		out = append(out, store.MapKey{PortalID: m.PortalID, ObjectType: m.ObjectType, ERPID: m.ERPID})
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

// mapKey names a record by its ID map type and ERP key, within a cycle.
type mapKey struct {
	t     store.ObjectType
	erpID string
}
