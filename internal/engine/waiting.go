package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// claimRefs names the records a claimed row references, so that the claim
// takes their open rows too and the cycle writes them first (see
// store.ClaimWithRefs).
func claimRefs(r store.Row) []store.Ref {
	refs := outbox.References(r.Entity, r.Op, r.Payload)
	out := make([]store.Ref, len(refs))
	for i, ref := range refs {
		out[i] = store.Ref{Entity: string(ref.Entity), ERPID: ref.ERPID, BySKU: ref.BySKU}
	}
	return out
}

// unresolved is a reference of an item that neither this cycle, the ID
// map nor HubSpot resolved.
type unresolved struct {
	it    *item
	ref   store.Ref
	field string // the payload field naming the record
	// fail fails the item when no open outbox row has the record either.
	fail func()
}

// waitOrFail makes each item whose unresolved reference names a record
// with an open outbox row wait for that row: the record is on its way
// (another process holds its row, the row waits for its retry, or it failed
// in this cycle), and the item goes back to pending without spending an
// attempt (store.Wait). The other items fail as u.fail says. A database
// error stops the cycle.
func (c *cycle) waitOrFail(ctx context.Context, us []unresolved) error {
	var refs []store.Ref
	for _, u := range us {
		if u.it.ok() {
			refs = append(refs, u.ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	open, err := c.e.st.OpenRows(ctx, refs)
	if err != nil {
		return err
	}
	for _, u := range us {
		if !u.it.ok() {
			continue
		}
		if o, ok := open[u.ref]; ok {
			u.it.wait(o, u.field, c.e.owner)
			continue
		}
		u.fail()
	}
	return nil
}

// wait makes the item wait for the open outbox row o of a record it
// references through field.
func (it *item) wait(o store.OpenRow, field, owner string) {
	var why string
	switch {
	case o.Leased && o.LeaseOwner != owner:
		why = "another process (" + o.LeaseOwner + ") is syncing it"
	case o.Leased:
		why = "it did not reach HubSpot in this cycle"
	case o.Later:
		why = "it waits for its retry at " + o.NextAttemptAt.UTC().Format(time.RFC3339)
	default:
		why = "it was not claimed with this row"
	}
	it.outcome = waiting
	it.waitFor = o.ID
	it.err = it.prefix() + fmt.Sprintf("field %q: %s %s is not in HubSpot yet: waiting for its outbox row %d, because %s",
		field, o.Entity, o.ERPID, o.ID, why)
}
