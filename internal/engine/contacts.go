package engine

import (
	"context"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// contactSpec matches never-seen contacts by email (a batch read: email is
// unique and reads see writes at once), then by phone (search).
func contactSpec() objectSpec {
	return objectSpec{
		t: contactType,
		matchers: []matcher{
			{property: "email", byRead: true, value: func(it *item) string { return it.rec.Customer.Email }},
			// People share phone numbers (an office line): a record with
			// another email is another person.
			{property: "phone", value: func(it *item) string { return it.rec.Customer.Phone }, extra: []string{"email"},
				accept: func(it *item, o hubspot.Object) bool {
					e := o.Properties["email"]
					return e == "" || it.rec.Customer.Email == "" || strings.EqualFold(e, it.rec.Customer.Email)
				}},
		},
	}
}

func syncContacts(ctx context.Context, c *cycle, items []*item) error {
	// A contact's company must be in HubSpot before the contact is written
	// with it; the contact waits for a company whose row is open, and one
	// nobody has sent fails the contact, to be retried once the company
	// arrives.
	var refs []string
	for _, it := range items {
		if it.rec.Customer != nil && it.rec.Customer.CompanyID != "" {
			refs = append(refs, it.rec.Customer.CompanyID)
		}
	}
	companies, err := c.resolveRefs(ctx, companyType, refs)
	if err != nil {
		var withRef []*item
		for _, it := range items {
			if it.rec.Customer != nil && it.rec.Customer.CompanyID != "" {
				withRef = append(withRef, it)
			}
		}
		if ferr := c.refsFailed(companyType, withRef, err); ferr != nil {
			return ferr
		}
	}
	var missing []unresolved
	for _, it := range items {
		if cu := it.rec.Customer; it.ok() && cu != nil && cu.CompanyID != "" && companies[cu.CompanyID] == "" {
			missing = append(missing, unresolved{it: it, ref: store.Ref{Entity: string(companyType.entity), ERPID: cu.CompanyID}, field: "company_id", fail: func() {
				it.fail("field \"company_id\": company %s is not in HubSpot: write an outbox row for company %s (syncd retries this customer later)", cu.CompanyID, cu.CompanyID)
			}})
		}
	}
	if err := c.waitOrFail(ctx, missing); err != nil {
		return err
	}
	if err := c.syncObjects(ctx, contactSpec(), items); err != nil {
		return err
	}
	var reqs []assocRequest
	for _, it := range items {
		cu := it.rec.Customer
		if !it.ok() || cu == nil || cu.CompanyID == "" || it.hubspotID == "" {
			continue
		}
		reqs = append(reqs, assocRequest{it: it, fromID: it.hubspotID, toID: companies[cu.CompanyID]})
	}
	// A customer has one company in the ERP: when it moves, the
	// associations syncd made to the old company go.
	return c.replaceAssociations(ctx, contactType, companyType, reqs)
}
