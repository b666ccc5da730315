package engine

import (
	"fmt"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// objType is one HubSpot object type syncd writes: a row of the table
// below. Everything the cycle needs to know about a type by name is here;
// its kind (the file that writes it) adds the behaviour.
type objType struct {
	// entity is the outbox entity whose rows become records of the type;
	// "" for line items, which come inside orders.
	entity outbox.Entity
	// hubspot is the object type as HubSpot's API paths name it.
	hubspot string
	// idMap is the ID map's object_type of its records.
	idMap store.ObjectType
	// order is when its entity's kind writes in a cycle, lower first: a
	// type comes after the types its records point at.
	order int
	// assoc are the HUBSPOT_DEFINED association type IDs syncd makes from
	// a record of the type to a record of another (hubspot/relations.md
	// §2.5).
	assoc map[*objType][]int
}

// The object types.
var (
	// Companies come first: contacts, deals and tickets point at them.
	companyType = &objType{entity: outbox.EntityCompany, hubspot: hubspot.Companies, idMap: "company", order: 10}
	// A contact's company: 1 makes it the contact's primary company, 279
	// is the plain association HubSpot's UI and reports list.
	contactType = &objType{entity: outbox.EntityCustomer, hubspot: hubspot.Contacts, idMap: "contact", order: 20,
		assoc: map[*objType][]int{companyType: {1, 279}}}
	// Products come before deals, whose line items point at them through
	// hs_product_id.
	productType = &objType{entity: outbox.EntityProduct, hubspot: hubspot.Products, idMap: "product", order: 30}
	// A deal's company: 5 primary, 341 plain.
	dealType = &objType{entity: outbox.EntityOrder, hubspot: hubspot.Deals, idMap: "deal", order: 40,
		assoc: map[*objType][]int{contactType: {3}, companyType: {5, 341}}}
	// Line items are written by the orders' kind, with their deal.
	lineItemType = &objType{hubspot: hubspot.LineItems, idMap: store.LineItems,
		assoc: map[*objType][]int{dealType: {20}}}
	// Tickets come last: they point at contacts, companies and deals. A
	// ticket's company: 26 primary, 339 plain.
	ticketType = &objType{entity: outbox.EntityTicket, hubspot: hubspot.Tickets, idMap: "ticket", order: 50,
		assoc: map[*objType][]int{contactType: {16}, companyType: {26, 339}, dealType: {28}}}
)

// objTypes is the table of object types.
var objTypes = []*objType{companyType, contactType, productType, dealType, lineItemType, ticketType}

// assocTypeIDs returns the association type IDs syncd makes from records
// of t to records of to.
func (t *objType) assocTypeIDs(to *objType) []int {
	ids, ok := t.assoc[to]
	if !ok {
		panic(fmt.Sprintf("engine: no association type from %s to %s in the table of object types", t.hubspot, to.hubspot))
	}
	return ids
}

// IDMapType returns the ID map's object_type of the records an outbox
// entity becomes (an order's deal; its line items are store.LineItems),
// from the table of object types, for what looks records up by their ERP
// key (the status page).
func IDMapType(e outbox.Entity) (store.ObjectType, bool) {
	for _, t := range objTypes {
		if t.entity == e && e != "" {
			return t.idMap, true
		}
	}
	return "", false
}
