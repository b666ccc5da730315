package engine

import (
	"context"
	"strings"

	"github.com/syncd/syncd/internal/hubspot"
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
	companies, err := c.resolveReference(ctx, items, refCompany(func(it *item) string {
		if cu := it.rec.Customer; cu != nil {
			return cu.CompanyID
		}
		return ""
	}))
	if err != nil {
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
