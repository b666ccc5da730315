package engine

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
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

// objectSpec describes a plain HubSpot object type for syncObjects.
type objectSpec struct {
	objectType string // HubSpot object type: contacts, companies, ...
	mapType    string // ID map object_type: contact, company, ...
	// matchers are tried in order for records neither the ID map nor the
	// ERP-ID property knows.
	matchers []matcher
	// extra, when set, adds the properties the engine computes (a deal's
	// pipeline and stage) to an upsert's desired properties.
	extra func(it *item, props map[string]string)
}

// searchChunk is the number of values per IN filter and per search.
const searchChunk = 100

// syncObjects resolves, diffs and writes items of one plain object type
// and sets their outcome, hubspotID and mapping. Deletes archive the
// record when the configuration says so. It returns an error only for
// problems that stop the cycle.
func (c *cycle) syncObjects(ctx context.Context, spec objectSpec, items []*item) error {
	erpProp := c.e.cfg.Sync.ERPIDProperty
	live := slices.DeleteFunc(slices.Clone(items), func(it *item) bool { return !it.ok() })
	for _, it := range live {
		it.mapType = spec.mapType
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
	var creates, updates []*item
	var archives []*item
	for _, it := range live {
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
				it.current = ch // the properties to send
				updates = append(updates, it)
			} else {
				it.outcome = unchanged
			}
		case it.hubspotID != "":
			it.synced = cloneMap(it.props)
			if ch := diffProps(it.current, it.props, true); len(ch) > 0 {
				it.current = ch
				updates = append(updates, it)
			} else {
				it.outcome = unchanged
			}
		default:
			it.synced = cloneMap(it.props)
			creates = append(creates, it)
		}
	}

	// New records: upsert on the ERP-ID property, so that a retry, or a
	// second process after a crash, updates what the first one created.
	upsert := func(ctx context.Context, chunk []*item) (*hubspot.BatchResult, error) {
		in := make([]hubspot.UpsertInput, len(chunk))
		for i, it := range chunk {
			in[i] = hubspot.UpsertInput{ID: it.row.ERPID, IDProperty: erpProp, Properties: it.props, TraceID: it.traceID()}
		}
		return c.e.hs.BatchUpsert(ctx, spec.objectType, in)
	}
	upserted := func(it *item, o hubspot.Object) {
		it.hubspotID = o.ID
		// Neither the ID map nor a read by the ERP-ID property knew the
		// record, so it is new to syncd. The answer's "new" flag cannot
		// say so: when an answer is lost and the client sends the upsert
		// again, the second answer finds the record the first one made.
		it.outcome = created
	}
	err := batched(ctx, c, spec.objectType, creates, upsert, upserted)
	if err != nil {
		return err
	}
	err = batched(ctx, c, spec.objectType, updates, func(ctx context.Context, chunk []*item) (*hubspot.BatchResult, error) {
		in := make([]hubspot.UpdateInput, len(chunk))
		for i, it := range chunk {
			in[i] = hubspot.UpdateInput{ID: it.hubspotID, Properties: it.current, TraceID: it.traceID()}
		}
		return c.e.hs.BatchUpdate(ctx, spec.objectType, in)
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
			c.log.WithField("outbox_id", it.row.ID).Warnf("HubSpot %s %s of %s %s no longer exists; creating it again", spec.objectType, it.hubspotID, it.row.Entity, it.row.ERPID)
			it.gone, it.mapping, it.hubspotID = false, nil, ""
			it.synced = cloneMap(it.props)
			gone = append(gone, it)
		}
	}
	if err := batched(ctx, c, spec.objectType, gone, upsert, upserted); err != nil {
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
		m := store.Mapping{PortalID: c.portal, ObjectType: spec.mapType, ERPID: it.row.ERPID, HubSpotID: it.hubspotID, Properties: it.synced}
		if it.rec.Op == outbox.OpDelete {
			if it.outcome != deleted {
				continue
			}
			if it.mapping != nil {
				m.Properties = it.mapping.Properties
			}
			m.ArchivedAt = &now
		} else {
			c.written[refKey(spec.mapType, it.row.ERPID)] = it.hubspotID
		}
		it.mapping = &m
	}
	return nil
}

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
	known, err := c.e.st.Mappings(ctx, c.portal, spec.mapType, ids)
	if err != nil {
		return err
	}
	var unmapped []*item
	for _, it := range items {
		if m, ok := known[it.row.ERPID]; ok && m.ArchivedAt == nil {
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
		res, err := c.e.hs.BatchRead(ctx, spec.objectType, hubspot.BatchReadRequest{IDs: keys, IDProperty: erpProp, Properties: props})
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			return c.callFailed(spec.objectType, chunk, err)
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
		owned, err := c.e.st.MappingsByHubSpotID(ctx, c.portal, spec.mapType, cand)
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
			res, err := c.e.hs.BatchRead(ctx, spec.objectType, hubspot.BatchReadRequest{IDs: chunk, IDProperty: m.property, Properties: props})
			c.mu.Lock()
			defer c.mu.Unlock()
			if err != nil {
				return c.callFailed(spec.objectType, itemsWith(items, m, chunk), err)
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
			res, err := c.e.hs.Search(ctx, spec.objectType, req)
			c.mu.Lock()
			if err != nil {
				ferr := c.callFailed(spec.objectType, itemsWith(items, m, chunk), err)
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

// archive archives the items' records; an archived or missing record is
// fine (HubSpot's archive is idempotent, and a record HubSpot no longer has
// needs no archive).
func (c *cycle) archive(ctx context.Context, spec objectSpec, items []*item) error {
	err := batched(ctx, c, spec.objectType, items, archiveCall[*item](c, spec.objectType), func(it *item, _ hubspot.Object) {
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

// mergeProps returns base updated with over.
func mergeProps(base, over map[string]string) map[string]string {
	out := cloneMap(base)
	for k, v := range over {
		out[k] = v
	}
	return out
}

// callFailed handles an error of a call made for items that is not about
// one input: retryable errors mark the items for a later retry; setup
// errors stop the cycle; data errors fail the items. Cancellation stops
// the cycle.
func (c *cycle) callFailed(objectType string, items []*item, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch hubspot.Classify(err) {
	case hubspot.ClassSetup:
		if names := hubspot.MissingProperties(err); len(names) > 0 && !c.ownProps(names) {
			for _, it := range items {
				it.fail("%v; remove the property from the payload or create it in HubSpot", err)
			}
			return nil
		}
		return setupErr(objectType, err)
	case hubspot.ClassData:
		for _, it := range items {
			it.fail("HubSpot refused the record: %v", err)
		}
	default:
		for _, it := range items {
			it.retryLater("HubSpot is unavailable, will retry: %v", err)
		}
	}
	return nil
}

// ownProps reports whether names include a property syncd itself needs
// (then a missing one is a setup problem, not the row's).
func (c *cycle) ownProps(names []string) bool {
	for _, n := range names {
		switch n {
		case c.e.cfg.Sync.ERPIDProperty, c.e.cfg.Sync.TaxIDProperty, outbox.DefaultBranchProperty:
			return true
		}
	}
	return false
}

// batchInput is one input of a batch write as batched sees it: an item's
// own record, or a line item of an order item. fail, retryLater and ok act
// on the outbox item the input belongs to.
type batchInput interface {
	comparable
	traceID() string
	// recordID is the HubSpot ID the input writes to, "" for a create.
	recordID() string
	// erpID is the input's value of the ERP-ID property.
	erpID() string
	// sends reports whether the input sends one of the properties.
	sends(names []string) bool
	// mapped reports whether the ID map holds the record: HubSpot's
	// OBJECT_NOT_FOUND then means a user deleted it, and the input is
	// marked gone instead of failed.
	mapped() bool
	markGone()
	// takeOver is given the ID of the record HubSpot says already holds
	// the input's unique value (a 409); it reports whether the input takes
	// that record over instead of failing.
	takeOver(id string) bool
	fail(format string, args ...any)
	retryLater(format string, args ...any)
	ok() bool
}

// batched runs call over ins in chunks of MaxBatchInputs. Results are
// matched to inputs by trace ID (then by record ID, then by ERP-ID
// property) and passed to ok; failed inputs fail alone. A chunk HubSpot
// refuses as a whole for a data reason is split in halves until the bad
// inputs are found, so the others still sync. Inputs of mapped records
// HubSpot no longer has are marked gone, for the caller to handle.
//
// The chunks are sent concurrently (see fanOut); call must read only the
// inputs of its chunk, and ok runs holding c.mu.
func batched[T batchInput](ctx context.Context, c *cycle, objectType string, ins []T,
	call func(context.Context, []T) (*hubspot.BatchResult, error), ok func(T, hubspot.Object)) error {
	chunks := slices.Collect(slices.Chunk(ins, hubspot.MaxBatchInputs))
	return c.fanOut(ctx, len(chunks), func(ctx context.Context, i int) error {
		return batchOnce(ctx, c, objectType, chunks[i], call, ok)
	})
}

func batchOnce[T batchInput](ctx context.Context, c *cycle, objectType string, chunk []T,
	call func(context.Context, []T) (*hubspot.BatchResult, error), ok func(T, hubspot.Object)) error {
	if len(chunk) == 0 {
		return nil
	}
	res, err := call(ctx, chunk)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		again, ferr := batchRefused(c, objectType, chunk, err)
		if ferr != nil {
			return ferr
		}
		// The parts of a refused chunk go one after the other: splitting
		// is rare, and their order keeps the search for bad inputs short.
		for _, part := range again {
			if err := batchOnce(ctx, c, objectType, part, call, ok); err != nil {
				return err
			}
		}
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	erpProp := c.e.cfg.Sync.ERPIDProperty
	byTrace := map[string]T{}
	byID := map[string]T{}
	byERP := map[string]T{}
	for _, in := range chunk {
		byTrace[in.traceID()] = in
		if id := in.recordID(); id != "" {
			byID[id] = in
		}
		byERP[in.erpID()] = in
	}
	find := func(trace, id, erp string) (T, bool) {
		if in, ok := byTrace[trace]; trace != "" && ok {
			return in, true
		}
		if in, ok := byID[id]; id != "" && ok {
			return in, true
		}
		if in, ok := byERP[erp]; erp != "" && ok {
			return in, true
		}
		var none T
		return none, false
	}
	// answered holds the inputs HubSpot answered for, by a result or an
	// error.
	answered := map[T]bool{}
	for _, ie := range res.Errors {
		var hit []T
		for _, t := range ie.TraceIDs {
			if in, found := find(t, "", ""); found {
				hit = append(hit, in)
			}
		}
		if len(hit) == 0 {
			for _, id := range ie.IDs {
				if in, found := find("", id, id); found {
					hit = append(hit, in)
				}
			}
		}
		for _, in := range hit {
			answered[in] = true
			inputFailed(c, objectType, in, ie)
		}
		if len(hit) == 0 {
			c.log.WithField("object_type", objectType).Warnf("HubSpot reported an error for no input it could be matched to: %v", ie)
		}
	}
	for _, o := range res.Results {
		in, found := find(o.TraceID, o.ID, o.Properties[erpProp])
		if !found || !in.ok() {
			continue
		}
		answered[in] = true
		ok(in, o)
	}
	for _, in := range chunk {
		if in.ok() && !answered[in] {
			in.retryLater("HubSpot returned no result for this record; will retry")
		}
	}
	return nil
}

// batchRefused handles a batch call HubSpot refused as a whole with err:
// it marks the inputs it can decide on and returns the parts of chunk to
// send again (the inputs not at fault, or halves when the error names no
// input), or an error that stops the cycle.
func batchRefused[T batchInput](c *cycle, objectType string, chunk []T, err error) ([][]T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cls := hubspot.Classify(err)
	names := hubspot.MissingProperties(err)
	if cls == hubspot.ClassSetup && (len(names) == 0 || c.ownProps(names)) {
		return nil, setupErr(objectType, err)
	}
	if cls == hubspot.ClassRetry {
		for _, in := range chunk {
			in.retryLater("HubSpot is unavailable, will retry: %v", err)
		}
		return nil, nil
	}
	var he *hubspot.Error
	isHS := errors.As(err, &he)
	if isHS {
		c.noteRefused(he.Details)
	}
	// A data error for the whole request. When it names properties,
	// the inputs that send them are the bad ones.
	if len(names) > 0 {
		var bad, rest []T
		for _, in := range chunk {
			if in.sends(names) {
				bad = append(bad, in)
			} else {
				rest = append(rest, in)
			}
		}
		if len(bad) > 0 {
			for _, in := range bad {
				in.fail("HubSpot has no property %s: remove it from the payload's properties, or create it in HubSpot (%v)", strings.Join(names, ", "), err)
			}
			return [][]T{rest}, nil
		}
	}
	if len(chunk) == 1 {
		if isHS {
			if he.IsNotFound() && chunk[0].mapped() {
				chunk[0].markGone()
				return nil, nil
			}
			if id, found := he.ExistingID(); found && chunk[0].takeOver(id) {
				return nil, nil
			}
		}
		chunk[0].fail("HubSpot refused the record: %v", err)
		return nil, nil
	}
	half := len(chunk) / 2
	return [][]T{chunk[:half], chunk[half:]}, nil
}

// inputFailed applies one failed input's error to its input. c.mu must be
// held.
func inputFailed[T batchInput](c *cycle, objectType string, in T, ie hubspot.ItemError) {
	c.noteRefused(ie.Details)
	switch ie.Class() {
	case hubspot.ClassRetry:
		in.retryLater("HubSpot is unavailable, will retry: %v", ie)
	case hubspot.ClassSetup:
		names := ie.MissingProperties()
		if len(names) > 0 && !c.ownProps(names) {
			in.fail("HubSpot has no property %s: remove it from the payload's properties, or create it in HubSpot (%v)", strings.Join(names, ", "), ie)
			return
		}
		// The row cannot succeed before the setup is fixed; say so on the
		// row, and keep retrying without using up its attempts.
		in.retryLater("HubSpot's setup refuses the %s record: %v; run `syncd setup`", objectType, ie)
	default:
		if ie.IsNotFound() && in.mapped() {
			// Deleted or merged away in HubSpot since syncd mapped it.
			in.markGone()
			return
		}
		if id, ok := ie.ExistingID(); ok {
			if in.takeOver(id) {
				return
			}
			in.fail("HubSpot already has this record as %s (a unique value such as the email is taken by another record): %v", id, ie)
			return
		}
		in.fail("HubSpot refused the record: %v", ie)
	}
}

// archiveCall returns a batch call that archives the inputs' records. A
// batch archive answers with no body, so every input of a call HubSpot
// accepts gets a result carrying its ID.
func archiveCall[T batchInput](c *cycle, objectType string) func(context.Context, []T) (*hubspot.BatchResult, error) {
	return func(ctx context.Context, chunk []T) (*hubspot.BatchResult, error) {
		ids := make([]string, len(chunk))
		for i, in := range chunk {
			ids[i] = in.recordID()
		}
		if err := c.e.hs.BatchArchive(ctx, objectType, ids); err != nil {
			return nil, err
		}
		res := &hubspot.BatchResult{Results: make([]hubspot.Object, len(chunk))}
		for i, in := range chunk {
			res.Results[i] = hubspot.Object{ID: ids[i], TraceID: in.traceID()}
		}
		return res, nil
	}
}

// An item is a batch input for its own record.
func (it *item) recordID() string          { return it.hubspotID }
func (it *item) erpID() string             { return it.row.ERPID }
func (it *item) sends(names []string) bool { return sendsAny(it, names) }
func (it *item) mapped() bool              { return it.mapping != nil }
func (it *item) markGone()                 { it.gone = true }
func (it *item) takeOver(string) bool      { return false }

func sendsAny(it *item, names []string) bool {
	for _, n := range names {
		if _, ok := it.props[n]; ok {
			return true
		}
		if _, ok := it.current[n]; ok && it.mapping != nil {
			return true
		}
	}
	return false
}

func refKey(mapType, erpID string) string { return mapType + "\x00" + erpID }
