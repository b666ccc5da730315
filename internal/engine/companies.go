package engine

import (
	"context"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// companySpec matches never-seen companies by tax ID, then by domain; both
// through search, which lags writes, so a company syncd created is found
// by its ERP-ID property instead.
func (c *cycle) companySpec() objectSpec {
	taxProp := c.e.cfg.Sync.TaxIDProperty
	branchProp := outbox.DefaultBranchProperty
	// Branches of one business share its tax ID (and often its domain):
	// a record whose branch or tax ID is known and different is another
	// company.
	differs := func(a, b string) bool { return a != "" && b != "" && a != b }
	sameParty := func(it *item, o hubspot.Object) bool {
		co := it.rec.Company
		return !differs(co.Branch, o.Properties[branchProp]) && !differs(co.TaxID, o.Properties[taxProp])
	}
	return objectSpec{
		t: companyType,
		matchers: []matcher{
			{property: taxProp, value: func(it *item) string { return it.rec.Company.TaxID }, accept: sameParty, extra: []string{branchProp}},
			{property: "domain", value: func(it *item) string { return it.rec.Company.Domain }, accept: sameParty, extra: []string{branchProp, taxProp}},
		},
	}
}

func syncCompanies(ctx context.Context, c *cycle, items []*item) error {
	return c.syncObjects(ctx, c.companySpec(), items)
}
