package engine

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/store"
)

// Plan is what the next cycle would do (Engine.Plan): `syncd plan` and
// `syncd run --once --dry-run` print it, and its JSON is a documented
// contract (docs/operations.md).
type Plan struct {
	// Summary counts what the cycle would do as a real cycle's Summary
	// does: rows claimed, records created, updated, unchanged, archived,
	// rows failed, dead, superseded, waiting; Calls and WriteCalls are the
	// HubSpot calls the real cycle would make (Calls below).
	Summary Summary `json:"summary"`
	// Creates, Updates and Archives are the records to write, in write
	// order; Unchanged those already up to date (no call).
	Creates   []PlannedRecord `json:"creates"`
	Updates   []PlannedRecord `json:"updates"`
	Archives  []PlannedRecord `json:"archives"`
	Unchanged []PlannedRecord `json:"unchanged"`
	// Associations are those to add; AssociationsRemoved those syncd made
	// earlier that the ERP no longer asks for.
	Associations        []PlannedAssociation `json:"associations"`
	AssociationsRemoved []PlannedAssociation `json:"associations_removed"`
	// Failures are rows that would fail, with the reason they would keep.
	Failures []PlannedFailure `json:"failures"`
	// Waiting are rows that would wait for another row.
	Waiting []PlannedWait `json:"waiting"`
	// Superseded are rows a newer row of the same key replaces.
	Superseded []int64 `json:"superseded"`
	// Calls are the HubSpot calls the cycle would cost.
	Calls PlannedCalls `json:"calls"`
	// DailyBlockedUntil is set when HubSpot's daily allowance is spent: a
	// cycle now would do nothing until then.
	DailyBlockedUntil *time.Time `json:"daily_blocked_until,omitempty"`
}

// PlannedRecord is one record the cycle would write, or leave as it is.
type PlannedRecord struct {
	OutboxID int64  `json:"outbox_id"`
	Entity   string `json:"entity"`
	ERPID    string `json:"erp_id"`
	// ObjectType is HubSpot's name of the record's type (contacts, deals).
	ObjectType string `json:"object_type"`
	// HubSpotID is the record's ID; "" for a record to create.
	HubSpotID string `json:"hubspot_id,omitempty"`
	// Properties are the properties a create sends.
	Properties map[string]string `json:"properties,omitempty"`
	// Changes are the properties an update sends, old → new.
	Changes []Change `json:"changes,omitempty"`
	// Warnings are the row's warnings (fields skipped or repaired).
	Warnings []string `json:"warnings,omitempty"`
}

// Change is one property an update sends. Old is the value syncd last
// synced (the ID map's synced_properties) for a record it knows, or the
// value HubSpot holds for one it found by a read or search; "" when there
// is none.
type Change struct {
	Property string `json:"property"`
	Old      string `json:"old"`
	New      string `json:"new"`
}

// PlannedAssociation is one association between two records. An ID of a
// record the cycle would create reads "new:<object type>:<ERP ID>", or
// "new:line_items:<n>" for a line item (see dryRun).
type PlannedAssociation struct {
	OutboxID int64  `json:"outbox_id"`
	FromType string `json:"from_type"`
	FromID   string `json:"from_id"`
	ToType   string `json:"to_type"`
	ToID     string `json:"to_id"`
	TypeID   int    `json:"type_id"`
}

// PlannedFailure is a row that would fail.
type PlannedFailure struct {
	OutboxID int64  `json:"outbox_id"`
	Entity   string `json:"entity"`
	ERPID    string `json:"erp_id"`
	Error    string `json:"error"`
	// Transient failures are not the row's data (HubSpot's setup, an
	// outage): they spend no attempt.
	Transient bool `json:"transient"`
	// Dead says the failure would be the row's last attempt.
	Dead bool `json:"dead"`
}

// PlannedWait is a row that would wait for another row.
type PlannedWait struct {
	OutboxID   int64  `json:"outbox_id"`
	Entity     string `json:"entity"`
	ERPID      string `json:"erp_id"`
	WaitingFor int64  `json:"waiting_for"`
	Reason     string `json:"reason"`
}

// PlannedCalls are the HubSpot calls of the planned cycle and what the
// rate limits make of them.
type PlannedCalls struct {
	// Total is the calls the real cycle would make: the reads the plan
	// made (the same a real cycle makes) and the writes it did not send.
	Total int `json:"total"`
	// Reads were made while planning; Writes would be sent.
	Reads  int `json:"reads"`
	Writes int `json:"writes"`
	// ByOperation counts them by operation, as hubspot.Stats names them.
	ByOperation map[string]int `json:"by_operation"`
	// DailyLimit is HubSpot's daily allowance; DailyUsed how much of it the
	// account has used today as HubSpot last said (-1 when unknown), the
	// plan's reads included; DailyReserve the part syncd leaves to other
	// integrations.
	DailyLimit   int `json:"daily_limit"`
	DailyUsed    int `json:"daily_used"`
	DailyReserve int `json:"daily_reserve"`
	// WindowLimit is the calls syncd allows itself per burst window of
	// WindowSeconds; MinSeconds is the least time the calls take at that
	// rate (Total × window ÷ limit), whatever HubSpot's latency.
	WindowLimit   int     `json:"window_limit"`
	WindowSeconds float64 `json:"window_seconds"`
	MinSeconds    float64 `json:"min_seconds"`
}

// Plan runs the next cycle dry: the cycle's own code, with every write
// behind the dry-run gate (see writer). It claims nothing (the rows are
// those a claim would take now, store.PeekClaim), sends no write to
// HubSpot and writes nothing to the database; the reads a cycle makes to
// match records (batch reads, searches, pipelines) are made for real and
// cost calls, as they would. What a HubSpot write would refuse (a value
// HubSpot's validation rejects, a unique value another record holds) is
// not known without sending it: such rows are planned as written.
//
// The only database write of a plan is the shared rate budget's
// accounting of the calls it makes (rate_ledger), when one is used.
func (e *Engine) Plan(ctx context.Context) (*Plan, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	before := e.hs.Stats()
	dry := newDryRun(e.st)
	refresh := e.cfg.Sync.PipelineRefresh.Duration
	g := gate{w: dry,
		deals:   newDealStages(e.cfg, refresh, e.now, dry),
		tickets: newTicketStages(e.cfg, refresh, e.now, dry),
	}
	start := e.now()
	sum, c, err := e.runCycle(ctx, func(*Summary) {}, g)
	if err != nil {
		return nil, err
	}
	p := &Plan{Creates: []PlannedRecord{}, Updates: []PlannedRecord{}, Archives: []PlannedRecord{}, Unchanged: []PlannedRecord{},
		Associations: []PlannedAssociation{}, AssociationsRemoved: []PlannedAssociation{}, Failures: []PlannedFailure{},
		Waiting: []PlannedWait{}, Superseded: []int64{}}
	if until := e.hs.DailyBlockedUntil(); !until.IsZero() {
		p.DailyBlockedUntil = &until
	}
	if c != nil {
		p.describe(c)
	}
	after := e.hs.Stats()
	p.Calls.ByOperation = map[string]int{}
	for op, n := range after.Calls {
		if d := n - before.Calls[op]; d > 0 {
			p.Calls.ByOperation[op] += d
			p.Calls.Reads += d
		}
	}
	writes := dry.calls()
	for op, n := range writes {
		p.Calls.ByOperation[strings.ReplaceAll(op, "{v}", e.hs.Version())] += n
		p.Calls.Writes += n
	}
	p.Calls.Total = p.Calls.Reads + p.Calls.Writes
	st := e.hs.Governor().State()
	p.Calls.DailyLimit, p.Calls.DailyUsed, p.Calls.DailyReserve = st.DailyLimit, st.DailyUsed, st.DailyReserve
	p.Calls.WindowLimit, p.Calls.WindowSeconds = st.WindowLimit, st.Window.Seconds()
	if st.WindowLimit > 0 {
		p.Calls.MinSeconds = math.Round(float64(p.Calls.Total)*st.Window.Seconds()/float64(st.WindowLimit)*10) / 10
	}
	sum.Calls = int64(p.Calls.Total)
	sum.WriteCalls = int64(p.Calls.Writes)
	sum.Duration = e.now().Sub(start)
	p.Summary = sum
	return p, nil
}

// describe fills the plan's lists from the dry cycle's items.
func (p *Plan) describe(c *cycle) {
	for _, it := range c.items {
		p.Superseded = append(p.Superseded, it.older...)
		objectType := ""
		if it.t != nil {
			objectType = it.t.hubspot
		}
		rec := PlannedRecord{OutboxID: it.row.ID, Entity: it.row.Entity, ERPID: it.row.ERPID, ObjectType: objectType, Warnings: it.warnings}
		switch it.outcome {
		case created:
			rec.Properties = it.props
			p.Creates = append(p.Creates, rec)
		case updated:
			rec.HubSpotID = it.hubspotID
			for k, v := range it.changes {
				rec.Changes = append(rec.Changes, Change{Property: k, Old: it.before[k], New: v})
			}
			slices.SortFunc(rec.Changes, func(a, b Change) int { return strings.Compare(a.Property, b.Property) })
			p.Updates = append(p.Updates, rec)
		case deleted:
			rec.HubSpotID = it.hubspotID
			p.Archives = append(p.Archives, rec)
		case unchanged, pending:
			rec.HubSpotID = it.hubspotID
			p.Unchanged = append(p.Unchanged, rec)
		case failed:
			f := store.Failure{Attempts: it.row.Attempts, Transient: it.transient}
			p.Failures = append(p.Failures, PlannedFailure{OutboxID: it.row.ID, Entity: it.row.Entity, ERPID: it.row.ERPID,
				Error: it.err, Transient: it.transient, Dead: c.e.retry.Dead(f)})
		case waiting:
			p.Waiting = append(p.Waiting, PlannedWait{OutboxID: it.row.ID, Entity: it.row.Entity, ERPID: it.row.ERPID, WaitingFor: it.waitFor, Reason: it.err})
		}
		if !it.ok() {
			continue
		}
		for _, a := range it.associations {
			p.Associations = append(p.Associations, plannedAssoc(it.row.ID, a))
		}
		for _, a := range it.unassociated {
			p.AssociationsRemoved = append(p.AssociationsRemoved, plannedAssoc(it.row.ID, a))
		}
	}
	slices.Sort(p.Superseded)
}

func plannedAssoc(row int64, a store.Association) PlannedAssociation {
	return PlannedAssociation{OutboxID: row, FromType: hubspotName(a.FromType), FromID: a.FromHubSpotID,
		ToType: hubspotName(a.ToType), ToID: a.ToHubSpotID, TypeID: a.TypeID}
}

// hubspotName returns HubSpot's name of the ID map's object type t.
func hubspotName(t store.ObjectType) string {
	for _, o := range objTypes {
		if o.idMap == t {
			return o.hubspot
		}
	}
	return string(t)
}
