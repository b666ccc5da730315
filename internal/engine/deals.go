package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/syncd/syncd/internal/outbox"
)

// pipelineStage is a resolved pipeline and stage for one record.
type pipelineStage struct{ pipeline, stage string }

// resolveStages maps the items' ERP statuses to pipeline stages, reading
// the pipelines once for the cycle. A record with an unmapped status fails
// (data); a configured pipeline or stage missing in HubSpot leaves the
// items to retry later with a message saying to run `syncd setup`. An item
// without a status keeps its stage when it has a record already; a new
// record needs one.
func (c *cycle) resolveStages(ctx context.Context, m *StageMapper, t *objType, items []*item, status func(*item) string) (map[*item]pipelineStage, error) {
	out := map[*item]pipelineStage{}
	var upserts []*item
	var ids []string
	for _, it := range items {
		if it.ok() && it.rec.Op == outbox.OpUpsert {
			upserts = append(upserts, it)
			ids = append(ids, it.row.ERPID)
		}
	}
	if len(upserts) == 0 {
		return out, nil
	}
	known, err := c.mapped(ctx, t, ids)
	if err != nil {
		return nil, err
	}
	for _, it := range upserts {
		st := status(it)
		if st == "" {
			if _, ok := known[it.row.ERPID]; ok {
				continue
			}
			it.fail("field \"status\": is missing; a new %s needs an ERP status to choose its pipeline stage (see [%s.stages] in the config)", it.row.Entity, m.section)
			continue
		}
		pipe, stage, err := m.Resolve(ctx, c.e.hs, it.row.ERPID, st)
		var fe *outbox.FieldError
		var se *StageSetupError
		var pe *pipelineStoreError
		switch {
		case err == nil:
			out[it] = pipelineStage{pipe, stage}
		case errors.As(err, &pe):
			return nil, pe.err
		case errors.As(err, &fe):
			it.fail("%s", strings.TrimPrefix(fe.Error(), fe.Entity+" "+fe.ERPID+": "))
		case errors.As(err, &se):
			// Not this row's fault, and nothing of the type can sync
			// until the admin acts: keep retrying without using attempts.
			it.retryLater("%v", se)
		default:
			if ferr := c.callFailed(m.objectType, []*item{it}, err); ferr != nil {
				return nil, ferr
			}
		}
	}
	return out, nil
}

// syncStaged writes items of t, a type with pipelines, as syncObjects
// does, with the pipeline and stage resolveStages gave each, and then lets
// m read the pipelines again next cycle when HubSpot refused one.
func (c *cycle) syncStaged(ctx context.Context, t *objType, m *StageMapper, stages map[*item]pipelineStage, items []*item) error {
	spec := objectSpec{
		t:     t,
		stage: m.props,
		extra: func(it *item, props map[string]string) {
			if ps, ok := stages[it]; ok {
				props[m.props[0]], props[m.props[1]] = ps.pipeline, ps.stage
			}
		},
	}
	if err := c.syncObjects(ctx, spec, items); err != nil {
		return err
	}
	c.checkStages(ctx, m)
	return nil
}

func syncDeals(ctx context.Context, c *cycle, items []*item) error {
	order := func(it *item) *outbox.Order { return it.rec.Order }
	links, err := c.resolveLinks(ctx, items,
		refCustomer(func(it *item) string { return orderField(it, func(o *outbox.Order) string { return o.CustomerID }) }),
		refCompany(func(it *item) string { return orderField(it, func(o *outbox.Order) string { return o.CompanyID }) }))
	if err != nil {
		return err
	}
	stages, err := c.resolveStages(ctx, c.dealStages, dealType, items, func(it *item) string { return order(it).Status })
	if err != nil {
		return err
	}

	// Products first: a line item points at its product by hs_product_id.
	refs := map[string]*productRef{}
	for _, it := range items {
		if !it.ok() || it.rec.Op != outbox.OpUpsert {
			continue
		}
		for _, li := range order(it).Items {
			if li.SKU == "" {
				continue
			}
			r := refs[li.SKU]
			if r == nil {
				r = &productRef{sku: li.SKU, name: productName(li), price: li.UnitPrice}
				refs[li.SKU] = r
			}
			r.users = append(r.users, it)
		}
	}
	products, err := c.resolveProducts(ctx, refs)
	if err != nil {
		return err
	}
	for _, it := range items {
		if !it.ok() || it.rec.Op != outbox.OpUpsert {
			continue
		}
		for i, li := range order(it).Items {
			if li.SKU != "" && products[li.SKU] == "" {
				it.fail("field \"items[%d].sku\": product %s is not in HubSpot and could not be created; syncd retries this order later", i, li.SKU)
				break
			}
		}
	}

	if err := c.syncStaged(ctx, dealType, c.dealStages, stages, items); err != nil {
		return err
	}
	if err := c.syncLineItems(ctx, items, products); err != nil {
		return err
	}
	return c.associateRefs(ctx, dealType, items, links)
}

// orderField reads a field of an upsert's order, "" for deletes.
func orderField(it *item, f func(*outbox.Order) string) string {
	if it.rec == nil || it.rec.Order == nil {
		return ""
	}
	return f(it.rec.Order)
}
