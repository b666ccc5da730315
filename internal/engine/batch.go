package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
)

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
		if err := c.w.BatchArchive(ctx, objectType, ids); err != nil {
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

// sendsAny reports whether the item's props name one of names. That is
// what an upsert sends (a gone record's again too); an update sends only
// the part that changed, so an update that leaves such a property as it
// was is taken for one that sends it.
func sendsAny(it *item, names []string) bool {
	for _, n := range names {
		if _, ok := it.props[n]; ok {
			return true
		}
	}
	return false
}
