package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// writer is every write a cycle makes, to HubSpot and to the database: the
// one gate between a real cycle and a dry run. A real cycle's writer
// (live) sends them; a dry run's (dryRun) records the HubSpot writes it
// would send and answers for them as HubSpot would, and makes no database
// write at all, so that the cycle's own code runs on and plans what a real
// cycle would do (see Engine.Plan). Reads (batch reads, searches, the ID
// map, the pipelines) are not behind the gate: a dry run makes them for
// real.
type writer interface {
	// claim takes the cycle's rows.
	claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.Row, error)
	startRun(ctx context.Context, owner string) (int64, error)
	finishRun(ctx context.Context, id int64, sum Summary, err error) error
	release(ctx context.Context, owner string, ids []int64) error
	extendLease(ctx context.Context, owner string, ids []int64, lease time.Duration) (int, error)
	record(ctx context.Context, owner string, retry store.Retry, out store.Outcome) (store.Recorded, error)
	saveMappings(ctx context.Context, ms []store.Mapping) error
	addMappings(ctx context.Context, ms []store.Mapping) error
	pipelineKeeper

	BatchCreate(ctx context.Context, objectType string, in []hubspot.CreateInput) (*hubspot.BatchResult, error)
	BatchUpdate(ctx context.Context, objectType string, in []hubspot.UpdateInput) (*hubspot.BatchResult, error)
	BatchUpsert(ctx context.Context, objectType string, in []hubspot.UpsertInput) (*hubspot.BatchResult, error)
	BatchArchive(ctx context.Context, objectType string, ids []string) error
	CreateAssociations(ctx context.Context, from, to string, in []hubspot.AssociationInput) ([]hubspot.ItemError, error)
	ArchiveAssociations(ctx context.Context, from, to string, pairs []hubspot.AssociationPair) error
}

// pipelineKeeper keeps the pipelines read from HubSpot (store.Store).
type pipelineKeeper interface {
	Pipelines(ctx context.Context, portal int64, objectType string) (store.PipelinesRead, bool, error)
	SavePipelines(ctx context.Context, portal int64, objectType string, pipelines []byte, readAt time.Time) (store.PipelinesRead, error)
	DropPipelines(ctx context.Context, portal int64, objectType string, readAt time.Time) (bool, error)
}

// live is the writer of real cycles: HubSpot and the store.
type live struct {
	*hubspot.Client
	*store.Store
}

func (l live) claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.Row, error) {
	return l.ClaimWithRefs(ctx, owner, limit, lease, claimRefs)
}

func (l live) startRun(ctx context.Context, owner string) (int64, error) {
	return l.StartRun(ctx, owner)
}

func (l live) finishRun(ctx context.Context, id int64, sum Summary, err error) error {
	return l.FinishRun(ctx, id, sum, err)
}

func (l live) release(ctx context.Context, owner string, ids []int64) error {
	return l.Release(ctx, owner, ids)
}

func (l live) extendLease(ctx context.Context, owner string, ids []int64, lease time.Duration) (int, error) {
	return l.ExtendLease(ctx, owner, ids, lease)
}

func (l live) record(ctx context.Context, owner string, retry store.Retry, out store.Outcome) (store.Recorded, error) {
	return l.Record(ctx, owner, retry, out)
}

func (l live) saveMappings(ctx context.Context, ms []store.Mapping) error {
	return l.SaveMappings(ctx, ms)
}

func (l live) addMappings(ctx context.Context, ms []store.Mapping) error {
	return l.AddMappings(ctx, ms)
}

// dryRun is the writer of a dry run. It claims nothing (store.PeekClaim),
// writes nothing to the database, and counts each HubSpot write it is given
// as the call a real cycle would send, answering with what HubSpot would
// answer to a write it accepts: a result per input, new records with an ID
// of the form "new:<object type>:<ERP ID or n>". ID map rows the cycle
// would save before recording (products adopted by SKU) are kept in
// memory and read back by the cycle as the ID map's.
type dryRun struct {
	st   *store.Store
	mu   sync.Mutex
	n    int
	hits map[string]int // operation → calls
	// mapped are the ID map rows saved during the dry cycle.
	mapped map[store.MapKey]store.Mapping
}

func newDryRun(st *store.Store) *dryRun {
	return &dryRun{st: st, hits: map[string]int{}, mapped: map[store.MapKey]store.Mapping{}}
}

// calls returns the HubSpot writes the dry cycle would have sent, by
// operation.
func (d *dryRun) calls() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.hits))
	for k, v := range d.hits {
		out[k] = v
	}
	return out
}

func (d *dryRun) count(op string) {
	d.mu.Lock()
	d.hits[op]++
	d.mu.Unlock()
}

func (d *dryRun) newID(objectType, key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if key == "" {
		d.n++
		key = fmt.Sprint(d.n)
	}
	return "new:" + objectType + ":" + key
}

func (d *dryRun) claim(ctx context.Context, _ string, limit int, _ time.Duration) ([]store.Row, error) {
	return d.st.PeekClaim(ctx, limit, claimRefs)
}

func (d *dryRun) startRun(context.Context, string) (int64, error) { return 0, nil }

func (d *dryRun) finishRun(context.Context, int64, Summary, error) error { return nil }

func (d *dryRun) release(context.Context, string, []int64) error { return nil }

func (d *dryRun) extendLease(_ context.Context, _ string, ids []int64, _ time.Duration) (int, error) {
	return len(ids), nil
}

// record counts what store.Record would: the rows done, superseded, failed
// (dead at the attempt limit) and waiting.
func (d *dryRun) record(_ context.Context, _ string, retry store.Retry, out store.Outcome) (store.Recorded, error) {
	rec := store.Recorded{Done: len(out.Done), Superseded: len(out.Superseded), Waiting: len(out.Waiting)}
	for _, f := range out.Failed {
		if retry.Dead(f) {
			rec.Dead++
		} else {
			rec.Failed++
		}
	}
	return rec, nil
}

func (d *dryRun) saveMappings(_ context.Context, ms []store.Mapping) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range ms {
		d.mapped[store.MapKey{PortalID: m.PortalID, ObjectType: m.ObjectType, ERPID: m.ERPID}] = m
	}
	return nil
}

// addMappings keeps the rows store.AddMappings would insert: those whose
// key the ID map, with the rows this dry cycle saved, holds only archived
// or not at all. One ID-map read per portal and object type.
func (d *dryRun) addMappings(ctx context.Context, ms []store.Mapping) error {
	type group struct {
		portal int64
		t      store.ObjectType
	}
	keys := map[group][]string{}
	for _, m := range ms {
		g := group{m.PortalID, m.ObjectType}
		keys[g] = append(keys[g], m.ERPID)
	}
	live := map[store.MapKey]bool{}
	for g, erpIDs := range keys {
		have, err := d.st.Mappings(ctx, g.portal, g.t, erpIDs)
		if err != nil {
			return err
		}
		d.overlay(g.portal, g.t, erpIDs, have)
		for id, m := range have {
			if m.ArchivedAt == nil {
				live[store.MapKey{PortalID: g.portal, ObjectType: g.t, ERPID: id}] = true
			}
		}
	}
	var add []store.Mapping
	for _, m := range ms {
		if !live[store.MapKey{PortalID: m.PortalID, ObjectType: m.ObjectType, ERPID: m.ERPID}] {
			add = append(add, m)
		}
	}
	return d.saveMappings(ctx, add)
}

// overlay adds the ID map rows saved during the dry cycle to ms, rows of
// t in portal read from the ID map for erpIDs.
func (d *dryRun) overlay(portal int64, t store.ObjectType, erpIDs []string, ms map[string]store.Mapping) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range erpIDs {
		if m, ok := d.mapped[store.MapKey{PortalID: portal, ObjectType: t, ERPID: id}]; ok {
			ms[id] = m
		}
	}
}

func (d *dryRun) Pipelines(ctx context.Context, portal int64, objectType string) (store.PipelinesRead, bool, error) {
	return d.st.Pipelines(ctx, portal, objectType)
}

// SavePipelines keeps nothing: the real cycle reads HubSpot's pipelines as
// the dry one did.
func (d *dryRun) SavePipelines(_ context.Context, _ int64, _ string, pipelines []byte, readAt time.Time) (store.PipelinesRead, error) {
	return store.PipelinesRead{JSON: pipelines, ReadAt: readAt.Truncate(time.Microsecond)}, nil
}

func (d *dryRun) DropPipelines(context.Context, int64, string, time.Time) (bool, error) {
	return false, nil
}

// The operations a dry run counts, as hubspot.Stats names them; Plan puts
// the API version in for {v}.
const (
	opBatchCreate         = "POST /crm/objects/{v}/{objectType}/batch/create"
	opBatchUpdate         = "POST /crm/objects/{v}/{objectType}/batch/update"
	opBatchUpsert         = "POST /crm/objects/{v}/{objectType}/batch/upsert"
	opBatchArchive        = "POST /crm/objects/{v}/{objectType}/batch/archive"
	opCreateAssociations  = "POST /crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/create"
	opArchiveAssociations = "POST /crm/associations/{v}/{fromObjectType}/{toObjectType}/batch/archive"
)

func (d *dryRun) BatchCreate(_ context.Context, objectType string, in []hubspot.CreateInput) (*hubspot.BatchResult, error) {
	return dryWrite(d, opBatchCreate, in, func(x hubspot.CreateInput) hubspot.Object {
		return hubspot.Object{ID: d.newID(objectType, ""), Properties: x.Properties, TraceID: x.TraceID}
	})
}

func (d *dryRun) BatchUpdate(_ context.Context, _ string, in []hubspot.UpdateInput) (*hubspot.BatchResult, error) {
	return dryWrite(d, opBatchUpdate, in, func(x hubspot.UpdateInput) hubspot.Object {
		return hubspot.Object{ID: x.ID, Properties: x.Properties, TraceID: x.TraceID}
	})
}

func (d *dryRun) BatchUpsert(_ context.Context, objectType string, in []hubspot.UpsertInput) (*hubspot.BatchResult, error) {
	return dryWrite(d, opBatchUpsert, in, func(x hubspot.UpsertInput) hubspot.Object {
		return hubspot.Object{ID: d.newID(objectType, x.ID), Properties: x.Properties, TraceID: x.TraceID}
	})
}

// dryWrite counts a batch write of op, as the client would send it, and
// answers it with one record per input, made by result.
func dryWrite[In any](d *dryRun, op string, in []In, result func(In) hubspot.Object) (*hubspot.BatchResult, error) {
	if err := d.send(op, len(in)); err != nil || len(in) == 0 {
		return &hubspot.BatchResult{}, err
	}
	res := &hubspot.BatchResult{Results: make([]hubspot.Object, len(in))}
	for i, x := range in {
		res.Results[i] = result(x)
	}
	return res, nil
}

func (d *dryRun) BatchArchive(_ context.Context, _ string, ids []string) error {
	return d.send(opBatchArchive, len(ids))
}

func (d *dryRun) CreateAssociations(_ context.Context, _, _ string, in []hubspot.AssociationInput) ([]hubspot.ItemError, error) {
	return nil, d.send(opCreateAssociations, len(in))
}

func (d *dryRun) ArchiveAssociations(_ context.Context, _, _ string, pairs []hubspot.AssociationPair) error {
	return d.send(opArchiveAssociations, len(pairs))
}

// send counts a call of op with a batch of n inputs where the client would
// send one: it sends none for no inputs, and refuses more than
// MaxBatchInputs as the client does.
func (d *dryRun) send(op string, n int) error {
	if err := hubspot.CheckInputs(n); err != nil {
		return err
	}
	if n > 0 {
		d.count(op)
	}
	return nil
}
