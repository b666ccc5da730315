// Package inbox is the way back from HubSpot to the ERP: it polls HubSpot's
// CRM search for records modified since the last poll and writes each
// change people (or other integrations) made to table inbox, with the old
// value syncd knew, the new one and the record's ERP key. The ERP reads the
// rows and sets consumed_at (docs/inbox.md).
//
// A cycle reads each configured object type from its watermark less the
// overlap (HubSpot's search lags its writes), sorted by the last-modified
// property, and restarts the search from the last modification time it
// read after every page, so that HubSpot's 10,000-result cap never stops it
// and records modified while it pages cannot shift an unread record out of
// view. What it has read is kept per record (inbox_state): a change read
// again is not reported again, and the next change's old value is right.
// Values syncd itself wrote (the ID map's synced values) are echoes and not
// reported. Archived records of the ID map are found by listing HubSpot's
// archived records; merged ones by hs_merged_object_ids.
//
// Every call goes through the HubSpot client, so the governor paces the
// searches within the search budget shared with the sync cycles.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// PageSize is the search page the inbox asks for, HubSpot's largest.
const PageSize = 200

// maxResults is HubSpot's cap on the results one search query reaches.
const maxResults = 10000

// pendingFor is how long a record that carries an ERP key but has no ID
// map row yet is taken to be a write of a sync cycle that has not recorded
// its IDs: the watermark waits for it. Longer than a cycle's lease.
const pendingFor = 15 * time.Minute

// Properties the inbox reads of every record besides the watched ones.
const (
	propUpdatedBy = "hs_updated_by_user_id"
	propSource    = "hs_object_source"
	propMerged    = "hs_merged_object_ids"
)

// objectType is one object type the inbox can poll.
type objectType struct {
	name    string           // HubSpot's: deals
	mapType store.ObjectType // the ID map's: deal
	lastMod string           // the last-modified property
	entity  string           // the outbox entity syncd writes it from (docs/outbox.md)
}

var objectTypes = map[string]objectType{
	hubspot.Contacts:  {hubspot.Contacts, "contact", "lastmodifieddate", "customer"},
	hubspot.Companies: {hubspot.Companies, "company", "hs_lastmodifieddate", "company"},
	hubspot.Deals:     {hubspot.Deals, "deal", "hs_lastmodifieddate", "order"},
	hubspot.Tickets:   {hubspot.Tickets, "ticket", "hs_lastmodifieddate", "ticket"},
}

// MapType returns the ID map's object type for a HubSpot object type the
// inbox polls (deals → deal), and false for one it cannot poll.
func MapType(name string) (store.ObjectType, bool) {
	t, ok := objectTypes[name]
	return t.mapType, ok
}

// Options are what an Inbox needs.
type Options struct {
	Store   *store.Store
	HubSpot *hubspot.Client
	// Config is the [inbox] section; ERPIDProperty is sync.erp_id_property.
	Config        config.Inbox
	ERPIDProperty string
	// Portal returns the HubSpot account ID (the engine's PortalID).
	Portal func(context.Context) (int64, error)
	Logger logrus.FieldLogger
	// Now is HubSpot's clock as syncd sees it; time.Now when nil.
	Now func() time.Time
}

// Inbox runs inbox cycles. It is safe for one cycle at a time.
type Inbox struct {
	o     Options
	types []objectType

	// defs are the property types read per object type, kept for
	// defsFresh: definitions change rarely, and reading them every poll
	// would cost a call per type a minute.
	defsMu sync.Mutex
	defs   map[string]propertyDefs
}

// propertyDefs are an object type's property types by name, as read at
// readAt.
type propertyDefs struct {
	types  map[string]string
	readAt time.Time
}

// defsFresh is how long property definitions are used before they are
// read again.
const defsFresh = 10 * time.Minute

// New checks o and returns an Inbox.
func New(o Options) (*Inbox, error) {
	if o.Store == nil || o.HubSpot == nil || o.Portal == nil || o.Logger == nil {
		return nil, errors.New("inbox: Store, HubSpot, Portal and Logger are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in := &Inbox{o: o}
	for _, name := range o.Config.Objects {
		t, ok := objectTypes[name]
		if !ok {
			return nil, fmt.Errorf("inbox: inbox.objects: %q is not one of %s", name, strings.Join(config.InboxObjects, ", "))
		}
		if len(in.properties(name)) == 0 {
			return nil, fmt.Errorf("inbox: inbox.properties.%s names no property", name)
		}
		in.types = append(in.types, t)
	}
	return in, nil
}

// properties returns the watched properties of an object type.
func (in *Inbox) properties(name string) []string { return in.o.Config.Watched(name) }

// TypeResult is what a cycle did for one object type.
type TypeResult struct {
	ObjectType string `json:"object_type"`
	// Searches and Lists are the HubSpot calls made.
	Searches int `json:"searches"`
	Lists    int `json:"lists"`
	// Read is the records search returned; Rows the inbox rows written.
	Read int `json:"read"`
	Rows int `json:"rows"`
	// Echoes are the records read whose changes were all syncd's own.
	Echoes int `json:"echoes"`
	// Pending are records written by a sync cycle that has not yet
	// recorded their IDs: the watermark waits for them.
	Pending int `json:"pending"`
	// Skipped says another syncd process was polling the type: this cycle
	// left it to that one.
	Skipped bool `json:"skipped,omitempty"`
}

// Result is what one cycle did.
type Result struct {
	Types []TypeResult `json:"types"`
	// Deleted are consumed rows deleted for inbox.retention.
	Deleted  int64         `json:"deleted"`
	Duration time.Duration `json:"duration"`
}

// Rows returns the inbox rows the cycle wrote.
func (r Result) Rows() int {
	n := 0
	for _, t := range r.Types {
		n += t.Rows
	}
	return n
}

// Run runs one cycle and logs its result, for daemon.Job.Run.
func (in *Inbox) Run(ctx context.Context) error {
	res, err := in.Cycle(ctx)
	log := in.o.Logger.WithFields(logrus.Fields{"rows": res.Rows(), "deleted": res.Deleted, "duration": res.Duration.Round(time.Millisecond).String()})
	for _, t := range res.Types {
		if t.Skipped {
			log = log.WithField(t.ObjectType, "polled by another process")
			continue
		}
		log = log.WithField(t.ObjectType, fmt.Sprintf("%d read, %d rows, %d searches", t.Read, t.Rows, t.Searches))
	}
	if err != nil {
		// The daemon logs the error; this line keeps what the cycle did.
		log.WithError(err).Warn("inbox cycle failed")
		return err
	}
	log.Info("inbox cycle finished")
	return nil
}

// Cycle reads each configured object type's changes since its watermark
// into the inbox, then deletes consumed rows older than inbox.retention.
// An object type that fails does not stop the others; the errors are
// joined.
func (in *Inbox) Cycle(ctx context.Context) (Result, error) {
	start := time.Now()
	var res Result
	portal, err := in.o.Portal(ctx)
	if err != nil {
		return res, fmt.Errorf("inbox: %w", err)
	}
	var errs []error
	for _, t := range in.types {
		tr, err := in.pollTypeAlone(ctx, portal, t)
		res.Types = append(res.Types, tr)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			errs = append(errs, fmt.Errorf("inbox: %s: %w", t.name, err))
		}
	}
	if n, err := in.o.Store.DeleteConsumedInbox(ctx, in.o.Config.Retention.Duration); err != nil {
		errs = append(errs, err)
	} else {
		res.Deleted = n
	}
	res.Duration = time.Since(start)
	return res, errors.Join(errs...)
}

// pollTypeAlone polls one object type unless another process is polling
// it now: the changes are the same for every process, and HubSpot's search
// budget is not.
func (in *Inbox) pollTypeAlone(ctx context.Context, portal int64, t objectType) (TypeResult, error) {
	release, ok, err := in.o.Store.LockInboxType(ctx, portal, t.mapType)
	if err != nil {
		return TypeResult{ObjectType: t.name}, err
	}
	if !ok {
		return TypeResult{ObjectType: t.name, Skipped: true}, nil
	}
	defer release()
	return in.pollType(ctx, portal, t)
}

// pollType reads one object type: the changes since its watermark, then
// its archived records. Cycle names the type in its errors.
func (in *Inbox) pollType(ctx context.Context, portal int64, t objectType) (TypeResult, error) {
	tr := TypeResult{ObjectType: t.name}
	started, err := in.o.Store.Now(ctx)
	if err != nil {
		return tr, err
	}
	wm, err := in.o.Store.InboxWatermark(ctx, portal, t.mapType)
	if err != nil {
		return tr, err
	}
	from, anchor := in.startFrom(wm)
	types := in.propertyTypes(ctx, t)
	if err := in.search(ctx, portal, t, from, types, &tr); err != nil {
		return tr, err
	}
	if !anchor.IsZero() {
		// The watermark keeps the later of this and what the search found.
		if _, err := in.o.Store.RecordInbox(ctx, portal, store.InboxBatch{ObjectType: t.mapType, ModifiedUntil: anchor}); err != nil {
			return tr, err
		}
	}
	if err := in.archived(ctx, portal, t, &tr); err != nil {
		return tr, fmt.Errorf("archived records: %w", err)
	}
	if err := in.o.Store.InboxChecked(ctx, portal, t.mapType, started); err != nil {
		return tr, err
	}
	return tr, nil
}

// startFrom returns the modification time a poll searches from: the
// watermark less the overlap, or, before the type's first poll, where
// inbox.start_from says: the zero time for the whole history, the start
// time, or now on HubSpot's clock. In the last two cases it also returns
// that time as the anchor the poll sets the watermark to when it finds no
// record, so that the next poll goes on from there.
func (in *Inbox) startFrom(wm store.Watermark) (from, anchor time.Time) {
	if !wm.ModifiedUntil.IsZero() {
		return wm.ModifiedUntil.Add(-in.o.Config.Overlap.Duration), time.Time{}
	}
	if at, ok := in.o.Config.StartTime(); ok {
		return at, at
	}
	if in.o.Config.StartFrom == config.InboxStartNow {
		now := in.o.Now().UTC().Truncate(time.Millisecond)
		return now, now
	}
	return time.Time{}, time.Time{}
}

// search reads the records modified at or after from, oldest first. After
// each page it searches again from the last modification time read (GTE),
// skipping (after) the records of that time it has read: the search never
// pages far into a query, so HubSpot's cap of 10,000 results a query does
// not stop it, and a record changed while it pages (which moves to the
// end) cannot shift an unread one out of view. Records read twice are not
// processed twice (inbox_state).
func (in *Inbox) search(ctx context.Context, portal int64, t objectType, from time.Time, types map[string]string, tr *TypeResult) error {
	props := in.readProperties(t)
	anchor, after := from, 0
	// hold is set once a record was found that a sync cycle has yet to
	// record: the watermark stays before it for this cycle.
	hold := false
	for {
		req := hubspot.SearchRequest{
			FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{
				PropertyName: t.lastMod, Operator: "GTE", Value: strconv.FormatInt(max(anchor.UnixMilli(), 0), 10),
			}}}},
			Sorts:      []hubspot.Sort{{PropertyName: t.lastMod, Direction: "ASCENDING"}},
			Properties: props,
			Limit:      PageSize,
			After:      strconv.Itoa(after),
		}
		page, err := in.o.HubSpot.Search(ctx, t.name, req)
		tr.Searches++
		if err != nil {
			since := "the beginning"
			if !anchor.IsZero() {
				since = anchor.Format(time.RFC3339Nano)
			}
			return fmt.Errorf("search of %s modified since %s: %w", t.name, since, err)
		}
		tr.Read += len(page.Results)
		if len(page.Results) == 0 {
			return nil
		}
		last := modifiedAt(page.Results[len(page.Results)-1], t)
		b, pending, err := in.process(ctx, portal, t, page.Results, types, tr)
		if err != nil {
			return err
		}
		hold = hold || pending
		if !hold {
			b.ModifiedUntil = last
		}
		in.sources(ctx, t, b.Rows)
		n, err := in.o.Store.RecordInbox(ctx, portal, b)
		if err != nil {
			return err
		}
		tr.Rows += n
		// The end: a short page, or the last one of all the query found.
		// (A query that reached HubSpot's cap has no next page either,
		// but more results: the next query starts after the last read.)
		if len(page.Results) < PageSize || (page.After == "" && after+len(page.Results) >= page.Total) {
			return nil
		}
		if last.After(anchor) {
			// The next query starts at the last time read, past the
			// records of that time this page held: HubSpot orders records
			// of one time the same way in both queries (by ID). Were it
			// not to, a record skipped here is read again by the next
			// cycle's overlap.
			anchor, after = last, 0
			for i := len(page.Results) - 1; i >= 0 && modifiedAt(page.Results[i], t).Equal(last); i-- {
				after++
			}
			continue
		}
		// A full page of one modification time: page on within it.
		after += len(page.Results)
		if after >= maxResults {
			// Every later poll comes back to them; only moving the
			// watermark past them and the overlap lets it go on.
			past := anchor.Add(in.o.Config.Overlap.Duration + time.Millisecond)
			return fmt.Errorf("more than %d records share the modification time %s; HubSpot's search cannot page beyond them, so every poll of %s stops here. "+
				"To go on past them, not reporting those beyond the first %d, run in syncd's schema: UPDATE inbox_watermarks SET modified_until = '%s' WHERE portal_id = %d AND object_type = '%s'",
				maxResults, anchor.Format(time.RFC3339Nano), t.name, maxResults, past.Format(time.RFC3339Nano), portal, t.mapType)
		}
	}
}

// propertyTypes returns the HubSpot type of each property of t (number,
// date, datetime, string, enumeration, …), by name, so that values are
// compared as HubSpot means them. Without them (HubSpot did not answer)
// values are compared as text.
func (in *Inbox) propertyTypes(ctx context.Context, t objectType) map[string]string {
	in.defsMu.Lock()
	kept, ok := in.defs[t.name]
	in.defsMu.Unlock()
	if ok && in.o.Now().Sub(kept.readAt) < defsFresh {
		return kept.types
	}
	props, err := in.o.HubSpot.ListProperties(ctx, t.name)
	if err != nil {
		in.o.Logger.WithError(err).WithField("object_type", t.name).Warn("inbox: cannot read the property definitions; values are compared as text")
		return map[string]string{}
	}
	out := make(map[string]string, len(props))
	for _, p := range props {
		out[p.Name] = p.Type
	}
	in.defsMu.Lock()
	if in.defs == nil {
		in.defs = map[string]propertyDefs{}
	}
	in.defs[t.name] = propertyDefs{types: out, readAt: in.o.Now()}
	in.defsMu.Unlock()
	return out
}

// readProperties are the properties a search asks for.
func (in *Inbox) readProperties(t objectType) []string {
	ps := slices.Clone(in.properties(t.name))
	for _, p := range []string{t.lastMod, propUpdatedBy, propSource, propMerged, in.o.ERPIDProperty} {
		if p != "" && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// modifiedAt is a record's modification time: its last-modified property,
// else updatedAt.
func modifiedAt(o hubspot.Object, t objectType) time.Time {
	v := o.Properties[t.lastMod]
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return ts.UTC()
	}
	return o.UpdatedAt
}

// process turns one page of records into inbox rows and states. pending
// says the page holds a record a sync cycle wrote without having recorded
// its ID yet: it is left unprocessed, for the next cycle.
func (in *Inbox) process(ctx context.Context, portal int64, t objectType, recs []hubspot.Object, types map[string]string, tr *TypeResult) (store.InboxBatch, bool, error) {
	b := store.InboxBatch{ObjectType: t.mapType}
	ids := make([]string, 0, len(recs))
	var merged, keys []string
	for _, r := range recs {
		ids = append(ids, r.ID)
		merged = append(merged, splitIDs(r.Properties[propMerged])...)
		if k := r.Properties[in.o.ERPIDProperty]; k != "" && in.o.ERPIDProperty != "" {
			keys = append(keys, k)
		}
	}
	// The leases first, the ID map after: a cycle that wrote a record
	// holds its row's lease until the transaction that records the
	// record's ID and values, so a record not leased any more is read
	// from the ID map as that transaction left it.
	leased, err := in.o.Store.LeasedKeys(ctx, t.entity, keys)
	if err != nil {
		return b, false, err
	}
	maps, err := in.o.Store.MappingsByHubSpotID(ctx, portal, t.mapType, append(slices.Clone(ids), merged...))
	if err != nil {
		return b, false, err
	}
	states, err := in.o.Store.InboxStates(ctx, portal, t.mapType, ids)
	if err != nil {
		return b, false, err
	}
	watched := in.properties(t.name)
	pending := false
	now := in.o.Now()
	for i := range recs {
		r := recs[i]
		mod := modifiedAt(r, t)
		st, seen := states[r.ID]
		if seen && !st.ModifiedAt.Before(mod) {
			continue // read before: in the overlap, or a restarted search
		}
		m, mapped := maps[r.ID]
		mergedIDs := splitIDs(r.Properties[propMerged])
		newMerge := len(mergedIDs) > 0 && !sameIDs(mergedIDs, st.MergedIDs)
		if !mapped && newMerge {
			for _, id := range mergedIDs {
				if mm, ok := maps[id]; ok {
					m, mapped = mm, true
					break
				}
			}
		}
		key := ""
		if in.o.ERPIDProperty != "" {
			key = r.Properties[in.o.ERPIDProperty]
		}
		// A sync cycle's write it has not recorded yet: its row is
		// leased, or (a cycle that died before recording) the record
		// has syncd's key but no ID map row and is young.
		if leased[key] || (!mapped && !seen && key != "" && now.Sub(mod) < pendingFor) {
			tr.Pending++
			pending = true
			continue
		}
		erpID := key
		if mapped {
			erpID = m.ERPID
		}
		row := store.InboxRow{
			ObjectType: t.mapType, HubSpotID: r.ID, ERPID: erpID, ModifiedAt: mod,
			UpdatedBy: r.Properties[propUpdatedBy], Changes: map[string]store.InboxChange{},
		}
		next := store.InboxState{HubSpotID: r.ID, Properties: map[string]string{}, Synced: map[string]string{},
			MergedIDs: mergedIDs, ModifiedAt: mod, ArchivedAt: st.ArchivedAt}
		echoes := 0
		for _, p := range watched {
			nv, has := r.Properties[p]
			if has && nv != "" {
				next.Properties[p] = nv
			}
			synced, hasSynced := "", false
			if mapped {
				synced, hasSynced = m.Properties[p]
				if hasSynced {
					next.Synced[p] = synced
				}
			}
			// syncd's value of p changed since the inbox last read the
			// record (or the inbox never read it): what syncd wrote is
			// what it knows.
			prev, hadPrev := st.Synced[p]
			syncedChanged := hasSynced && (!seen || !hadPrev || prev != synced)
			// An echo: HubSpot holds what syncd wrote, and syncd has
			// written since the last read (a write of an unchanged value
			// shows in the ID map's time only).
			if hasSynced && sameValue(types[p], synced, nv) && (syncedChanged || m.LastSyncedAt.After(st.ObservedAt)) {
				if !seen || st.Properties[p] != nv {
					echoes++
				}
				continue
			}
			old, hasOld := "", false
			switch {
			case syncedChanged:
				old, hasOld = synced, true
			case seen:
				old, hasOld = st.Properties[p]
			}
			if sameValue(types[p], old, nv) || (!hasOld && nv == "") {
				continue
			}
			row.Changes[p] = store.InboxChange{Old: value(old, hasOld), New: value(nv, nv != "")}
		}
		b.States = append(b.States, next)
		switch {
		case newMerge:
			row.Kind, row.MergedIDs, row.Source = store.InboxMerged, mergedIDs, r.Properties[propSource]
		case !mapped && !seen:
			row.Kind, row.Source = store.InboxCreated, r.Properties[propSource]
		case len(row.Changes) > 0:
			row.Kind = store.InboxChanged
		default:
			if echoes > 0 {
				tr.Echoes++
			}
			continue
		}
		b.Rows = append(b.Rows, row)
	}
	return b, pending, nil
}

// sources fills in the source (and the user, when search gave none) of
// changed rows from HubSpot's property history: the newest version of the
// changed properties says where it came from (CRM_UI, INTEGRATION,
// WORKFLOW, IMPORT, …). A failed read leaves them empty: they are for
// information, and the change is recorded without them.
func (in *Inbox) sources(ctx context.Context, t objectType, rows []store.InboxRow) {
	var idx []int
	props := map[string]bool{}
	for i, r := range rows {
		if r.Kind == store.InboxChanged && len(r.Changes) > 0 {
			idx = append(idx, i)
			for p := range r.Changes {
				props[p] = true
			}
		}
	}
	hist := slices.Sorted(maps.Keys(props))
	for start := 0; start < len(idx); start += hubspot.MaxHistoryInputs {
		chunk := idx[start:min(start+hubspot.MaxHistoryInputs, len(idx))]
		ids := make([]string, len(chunk))
		for j, i := range chunk {
			ids[j] = rows[i].HubSpotID
		}
		res, err := in.o.HubSpot.BatchRead(ctx, t.name, hubspot.BatchReadRequest{IDs: ids, Properties: []string{}, PropertiesWithHistory: hist})
		if err != nil {
			in.o.Logger.WithError(err).WithField("object_type", t.name).Warn("inbox: cannot read the property history; the changes are recorded without their source")
			return
		}
		byID := make(map[string]hubspot.Object, len(res.Results))
		for _, o := range res.Results {
			byID[o.ID] = o
		}
		for _, i := range chunk {
			o, ok := byID[rows[i].HubSpotID]
			if !ok {
				continue
			}
			var newest *hubspot.PropertyVersion
			for p := range rows[i].Changes {
				if vs := o.History[p]; len(vs) > 0 && (newest == nil || vs[0].Timestamp.After(newest.Timestamp)) {
					newest = &vs[0]
				}
			}
			if newest == nil {
				continue
			}
			rows[i].Source = newest.SourceType
			if rows[i].UpdatedBy == "" {
				rows[i].UpdatedBy = newest.UpdatedByUserID
			}
		}
	}
}

// archived lists the object type's archived records and reports those of
// the ID map that syncd did not archive itself, once each.
func (in *Inbox) archived(ctx context.Context, portal int64, t objectType, tr *TypeResult) error {
	// Only who archived it is read: the watched values are not reported
	// for an archived record.
	props := []string{propUpdatedBy}
	after := ""
	for {
		page, err := in.o.HubSpot.List(ctx, t.name, hubspot.ListRequest{Properties: props, Archived: true, After: after})
		tr.Lists++
		if err != nil {
			return err
		}
		ids := make([]string, len(page.Results))
		for i, r := range page.Results {
			ids[i] = r.ID
		}
		maps, err := in.o.Store.MappingsByHubSpotID(ctx, portal, t.mapType, ids)
		if err != nil {
			return err
		}
		states, err := in.o.Store.InboxStates(ctx, portal, t.mapType, ids)
		if err != nil {
			return err
		}
		b := store.InboxBatch{ObjectType: t.mapType}
		for _, r := range page.Results {
			m, mapped := maps[r.ID]
			st, seen := states[r.ID]
			if !mapped || m.ArchivedAt != nil || (seen && st.ArchivedAt != nil) {
				continue // not the ERP's, archived by syncd, or reported
			}
			at := r.ArchivedAt
			if at.IsZero() {
				at = r.UpdatedAt
			}
			b.Rows = append(b.Rows, store.InboxRow{ObjectType: t.mapType, HubSpotID: r.ID, ERPID: m.ERPID,
				Kind: store.InboxArchived, ModifiedAt: at, UpdatedBy: r.Properties[propUpdatedBy]})
			next := store.InboxState{HubSpotID: r.ID, Properties: map[string]string{}, Synced: map[string]string{},
				ModifiedAt: at, ArchivedAt: &at}
			if seen {
				next.Properties, next.Synced, next.MergedIDs = st.Properties, st.Synced, st.MergedIDs
				if st.ModifiedAt.After(at) {
					next.ModifiedAt = st.ModifiedAt
				}
			}
			b.States = append(b.States, next)
		}
		if len(b.Rows) > 0 {
			n, err := in.o.Store.RecordInbox(ctx, portal, b)
			if err != nil {
				return err
			}
			tr.Rows += n
		}
		if page.After == "" {
			return nil
		}
		after = page.After
	}
}

func value(v string, ok bool) store.InboxValue {
	if !ok {
		return nil
	}
	return &v
}

func splitIDs(s string) []string {
	var out []string
	for _, id := range strings.Split(s, ";") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
