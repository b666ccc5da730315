package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// kind handles one outbox entity; see the package doc.
type kind struct {
	entity outbox.Entity
	// order is the write order: lower first.
	order int
	// sync writes the cycle's items of the entity and sets their outcomes.
	// An error stops the cycle.
	sync func(ctx context.Context, c *cycle, items []*item) error
}

// kinds are the registered kinds, appended by register from init functions.
var kinds []kind

// register adds a kind; each entity has at most one.
func register(k kind) {
	for _, o := range kinds {
		if o.entity == k.entity {
			panic("engine: entity registered twice: " + string(k.entity))
		}
	}
	kinds = append(kinds, k)
}

// outcome is what happened to an item.
type outcome int

const (
	pending outcome = iota
	created
	updated
	unchanged
	deleted
	failed
	// waiting: a record the item references has an open outbox row that
	// must be synced first (see waitFor).
	waiting
)

// item is one key of the cycle: the newest row and the older rows it
// supersedes.
type item struct {
	row   store.Row
	older []int64
	rec   *outbox.Record

	// props are the desired HubSpot properties, the ERP-ID property
	// included; set by syncObjects.
	props map[string]string
	// mapType is the ID map type of the item's record, set by syncObjects.
	mapType string
	// mapping is the ID map row, when there is a live one.
	mapping *store.Mapping
	// hubspotID is the record's ID once resolved or written.
	hubspotID string
	// current are the record's values in HubSpot when found by a read or
	// search (not for mapped records).
	current map[string]string
	// synced are the values to record as last synced.
	synced map[string]string

	outcome   outcome
	err       string
	transient bool
	// waitFor is the outbox row the item waits for when it is waiting.
	waitFor int64
	// warnings are kept on the row when it is done: fields its record is
	// written without (sync.invalid_field = "skip") and repaired values.
	warnings []string
	// gone marks a mapped record HubSpot no longer has.
	gone bool

	// extraMappings are further ID map rows recorded with this item (line
	// items of an order).
	extraMappings []store.Mapping
	// associations made for this item, recorded with it.
	associations []store.Association
	// unassociated are recorded associations removed for this item.
	unassociated []store.Association
}

// fail marks the item failed for a data reason; msg is stored as the
// row's last_error, prefixed with the row id, entity and key.
func (it *item) fail(format string, args ...any) {
	if it.outcome == failed || it.outcome == waiting {
		return
	}
	it.outcome = failed
	it.transient = false
	it.err = it.prefix() + fmt.Sprintf(format, args...)
}

// retryLater marks the item failed for a reason that is not its data.
func (it *item) retryLater(format string, args ...any) {
	if it.outcome == failed || it.outcome == waiting {
		return
	}
	it.outcome = failed
	it.transient = true
	it.err = it.prefix() + fmt.Sprintf(format, args...)
}

func (it *item) prefix() string {
	return fmt.Sprintf("outbox row %d: %s %s: ", it.row.ID, it.row.Entity, it.row.ERPID)
}

func (it *item) ok() bool { return it.outcome != failed && it.outcome != waiting }

// traceID is the objectWriteTraceId of the item's writes: its row id.
func (it *item) traceID() string { return strconv.FormatInt(it.row.ID, 10) }

// cycle is one pass over claimed rows.
type cycle struct {
	e      *Engine
	portal int64
	rows   []store.Row
	items  []*item
	byKind map[outbox.Entity][]*item
	// written maps "<id_map type>\x00<erp_id>" to the HubSpot ID of records
	// resolved or written in this cycle, for references.
	written map[string]string
	log     logrus.FieldLogger
	// leased is when the rows' leases were last set.
	leased time.Time

	// mu guards the items and refused while a step's HubSpot calls run
	// concurrently (see fanOut).
	mu sync.Mutex
	// refused holds the properties HubSpot's validation errors named.
	refused map[string]bool
}

func newCycle(e *Engine, portal int64, rows []store.Row) *cycle {
	return &cycle{e: e, portal: portal, rows: rows, byKind: map[outbox.Entity][]*item{},
		written: map[string]string{}, log: e.log, leased: e.now()}
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
		items := c.byKind[k.entity]
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
	held, err := c.e.st.ExtendLease(ctx, c.e.owner, ids, lease)
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
	rec, err := c.e.st.Record(ctx, c.e.owner, c.e.retry, out)
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
	if it.mapType == "" || it.outcome == unchanged || it.outcome == pending || it.outcome == waiting {
		return nil
	}
	out := []store.MapKey{{PortalID: c.portal, ObjectType: it.mapType, ERPID: it.row.ERPID}}
	for _, m := range it.extraMappings {
		out = append(out, store.MapKey{PortalID: m.PortalID, ObjectType: m.ObjectType, ERPID: m.ERPID})
	}
	return out
}

// setupErr turns err into a *SetupError when HubSpot says the setup is
// wrong, naming what to run.
func setupErr(objectType string, err error) error {
	var se *SetupError
	if errors.As(err, &se) {
		return err
	}
	if hubspot.IsDailyLimit(err) {
		// Not a setup problem: the rows wait, released, for the next day.
		return &DailyLimitError{Err: err}
	}
	return &SetupError{Msg: fmt.Sprintf("HubSpot refused syncd's %s requests: check the token's scopes and run `syncd setup` to create syncd's properties", objectType), Err: err}
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
