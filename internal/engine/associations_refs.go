package engine

import (
	"context"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// HubSpot-defined association type IDs syncd uses for orders and tickets
// (hubspot/relations.md §2.5). Contact → company (1 + 279) is contacts.go's.
const (
	assocDealToContact          = 3
	assocDealToPrimaryCompany   = 5
	assocDealToCompany          = 341
	assocLineItemToDeal         = 20
	assocTicketToContact        = 16
	assocTicketToPrimaryCompany = 26
	assocTicketToCompany        = 339
	assocTicketToDeal           = 28
)

// reference is one kind of record an order or ticket points at.
type reference struct {
	objectType string // HubSpot object type
	mapType    string // ID map type
	entity     string // the outbox entity that sends it
	field      string // the payload field naming it
	key        func(*item) string
}

var (
	refCustomer = func(key func(*item) string) reference {
		return reference{objectType: hubspot.Contacts, mapType: "contact", entity: "customer", field: "customer_id", key: key}
	}
	refCompany = func(key func(*item) string) reference {
		return reference{objectType: hubspot.Companies, mapType: "company", entity: "company", field: "company_id", key: key}
	}
	refOrder = func(key func(*item) string) reference {
		return reference{objectType: hubspot.Deals, mapType: "deal", entity: "order", field: "order_id", key: key}
	}
)

// resolveReference finds the HubSpot IDs of the records items point at
// through ref (kinds earlier in the write order have already written this
// cycle's ones). An item pointing at a record that is not in HubSpot but
// has an open outbox row waits for that row (see waitOrFail). An item
// pointing at an ERP key nobody has sent fails with a message that names
// the field and the missing record; it is retried later, when that record
// may have arrived. Upserts only.
func (c *cycle) resolveReference(ctx context.Context, items []*item, ref reference) (map[string]string, error) {
	var keys []string
	var with []*item
	for _, it := range items {
		if !it.ok() || it.rec == nil || it.rec.Op != "upsert" {
			continue
		}
		if k := ref.key(it); k != "" {
			keys = append(keys, k)
			with = append(with, it)
		}
	}
	if len(keys) == 0 {
		return map[string]string{}, nil
	}
	ids, err := c.resolveRefs(ctx, ref.objectType, ref.mapType, keys)
	if err != nil {
		if ferr := c.refsFailed(ref.objectType, with, err); ferr != nil {
			return nil, ferr
		}
		return map[string]string{}, nil
	}
	var missing []unresolved
	for _, it := range with {
		k := ref.key(it)
		if it.ok() && ids[k] == "" {
			missing = append(missing, unresolved{it: it, ref: store.Ref{Entity: ref.entity, ERPID: k}, field: ref.field, fail: func() {
				it.fail("field %q: %s %s is not in HubSpot: write an outbox row for %s %s (syncd retries this %s later)",
					ref.field, ref.entity, k, ref.entity, k, it.row.Entity)
			}})
		}
	}
	if err := c.waitOrFail(ctx, missing); err != nil {
		return nil, err
	}
	return ids, nil
}
