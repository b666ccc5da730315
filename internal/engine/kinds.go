package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/outbox"
)

// syncFunc writes the cycle's items of one entity and sets their outcomes.
// An error stops the cycle.
type syncFunc func(ctx context.Context, c *cycle, items []*item) error

// syncs are the kinds: the function that writes each object type's entity,
// in the type's own file. Line items are the orders' kind's.
var syncs = map[*objType]syncFunc{
	companyType: syncCompanies, // companies.go
	contactType: syncContacts,  // contacts.go
	productType: syncProducts,  // products.go
	dealType:    syncDeals,     // deals.go, lineitems.go
	ticketType:  syncTickets,   // tickets.go
}

// kind is an object type with the function that writes its entity's items.
type kind struct {
	t    *objType
	sync syncFunc
}

// writeOrder returns the kinds in write order. It fails unless every
// entity outbox.Decode accepts has exactly one row and a registered kind,
// so that a decoded record always has somewhere to go.
func writeOrder() ([]kind, error) {
	var out []kind
	for _, t := range objTypes {
		if t.entity == "" {
			continue
		}
		if !slices.Contains(outbox.Entities, t.entity) {
			return nil, fmt.Errorf("engine: object type %s names outbox entity %q, which the outbox does not know", t.hubspot, t.entity)
		}
		if slices.ContainsFunc(out, func(k kind) bool { return k.t.entity == t.entity }) {
			return nil, fmt.Errorf("engine: outbox entity %q has two object types", t.entity)
		}
		sync := syncs[t]
		if sync == nil {
			return nil, fmt.Errorf("engine: no kind registered for outbox entity %q", t.entity)
		}
		out = append(out, kind{t: t, sync: sync})
	}
	for _, ent := range outbox.Entities {
		if !slices.ContainsFunc(out, func(k kind) bool { return k.t.entity == ent }) {
			return nil, fmt.Errorf("engine: no object type for outbox entity %q", ent)
		}
	}
	slices.SortStableFunc(out, func(a, b kind) int { return a.t.order - b.t.order })
	return out, nil
}
