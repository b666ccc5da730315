package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// Orders become deals after companies, contacts and products exist; their
// items become line items in the same step, and tickets come after.
func init() {
	register(kind{entity: outbox.EntityOrder, order: 40, sync: syncDeals})
}

// pipelineStage is a resolved pipeline and stage for one record.
type pipelineStage struct{ pipeline, stage string }

// resolveStages maps the items' ERP statuses to pipeline stages, reading
// the pipelines once for the cycle. A record with an unmapped status fails
// (data); a configured pipeline or stage missing in HubSpot leaves the
// items to retry later with a message saying to run `syncd setup`. An item
// without a status keeps its stage when it has a record already; a new
// record needs one.
func (c *cycle) resolveStages(ctx context.Context, m *StageMapper, mapType string, items []*item, status func(*item) string) (map[*item]pipelineStage, error) {
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
	known, err := c.e.st.Mappings(ctx, c.portal, mapType, ids)
	if err != nil {
		return nil, err
	}
	for _, it := range upserts {
		st := status(it)
		if st == "" {
			if mm, ok := known[it.row.ERPID]; ok && mm.ArchivedAt == nil {
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

func syncDeals(ctx context.Context, c *cycle, items []*item) error {
	order := func(it *item) *outbox.Order { return it.rec.Order }
	contacts, err := c.resolveReference(ctx, items, refCustomer(func(it *item) string { return orderField(it, func(o *outbox.Order) string { return o.CustomerID }) }))
	if err != nil {
		return err
	}
	companies, err := c.resolveReference(ctx, items, refCompany(func(it *item) string { return orderField(it, func(o *outbox.Order) string { return o.CompanyID }) }))
	if err != nil {
		return err
	}
	stages, err := c.resolveStages(ctx, c.e.dealStages, "deal", items, func(it *item) string { return order(it).Status })
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

	spec := objectSpec{
		objectType: hubspot.Deals,
		mapType:    "deal",
		extra: func(it *item, props map[string]string) {
			if ps, ok := stages[it]; ok {
				props["pipeline"], props["dealstage"] = ps.pipeline, ps.stage
			}
		},
	}
	if err := c.syncObjects(ctx, spec, items); err != nil {
		return err
	}
	c.checkStages(ctx, c.e.dealStages)
	if err := c.syncLineItems(ctx, items, products); err != nil {
		return err
	}

	var toContact, toCompany []assocRequest
	for _, it := range items {
		if !it.ok() || it.rec.Op != outbox.OpUpsert || it.hubspotID == "" {
			continue
		}
		if h := contacts[order(it).CustomerID]; h != "" {
			toContact = append(toContact, assocRequest{it: it, fromID: it.hubspotID, toID: h, typeIDs: []int{assocDealToContact}})
		}
		if h := companies[order(it).CompanyID]; h != "" {
			toCompany = append(toCompany, assocRequest{it: it, fromID: it.hubspotID, toID: h, typeIDs: []int{assocDealToPrimaryCompany, assocDealToCompany}})
		}
	}
	if err := c.associate(ctx, hubspot.Deals, hubspot.Contacts, "deal", "contact", toContact); err != nil {
		return err
	}
	return c.associate(ctx, hubspot.Deals, hubspot.Companies, "deal", "company", toCompany)
}

// orderField reads a field of an upsert's order, "" for deletes.
func orderField(it *item, f func(*outbox.Order) string) string {
	if it.rec == nil || it.rec.Order == nil {
		return ""
	}
	return f(it.rec.Order)
}
