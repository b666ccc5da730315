package engine

import (
	"context"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/outbox"
)

// Tickets are written last: they point at contacts, companies and deals.
func init() {
	register(kind{entity: outbox.EntityTicket, order: 50, sync: syncTickets})
}

func ticketField(it *item, f func(*outbox.Ticket) string) string {
	if it.rec == nil || it.rec.Ticket == nil {
		return ""
	}
	return f(it.rec.Ticket)
}

// syncTickets matches tickets by their ERP key only (the ERP-ID property):
// HubSpot tickets have no natural key an ERP shares.
func syncTickets(ctx context.Context, c *cycle, items []*item) error {
	contacts, err := c.resolveReference(ctx, items, refCustomer(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.CustomerID }) }))
	if err != nil {
		return err
	}
	companies, err := c.resolveReference(ctx, items, refCompany(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.CompanyID }) }))
	if err != nil {
		return err
	}
	deals, err := c.resolveReference(ctx, items, refOrder(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.OrderID }) }))
	if err != nil {
		return err
	}
	stages, err := c.resolveStages(ctx, c.e.ticketStages, "ticket", items, func(it *item) string { return it.rec.Ticket.Status })
	if err != nil {
		return err
	}
	spec := objectSpec{
		objectType: hubspot.Tickets,
		mapType:    "ticket",
		extra: func(it *item, props map[string]string) {
			if ps, ok := stages[it]; ok {
				props["hs_pipeline"], props["hs_pipeline_stage"] = ps.pipeline, ps.stage
			}
		},
	}
	if err := c.syncObjects(ctx, spec, items); err != nil {
		return err
	}
	c.checkStages(ctx, c.e.ticketStages)

	var toContact, toCompany, toDeal []assocRequest
	for _, it := range items {
		if !it.ok() || it.rec.Op != outbox.OpUpsert || it.hubspotID == "" {
			continue
		}
		t := it.rec.Ticket
		if h := contacts[t.CustomerID]; h != "" {
			toContact = append(toContact, assocRequest{it: it, fromID: it.hubspotID, toID: h, typeIDs: []int{assocTicketToContact}})
		}
		if h := companies[t.CompanyID]; h != "" {
			toCompany = append(toCompany, assocRequest{it: it, fromID: it.hubspotID, toID: h, typeIDs: []int{assocTicketToPrimaryCompany, assocTicketToCompany}})
		}
		if h := deals[t.OrderID]; h != "" {
			toDeal = append(toDeal, assocRequest{it: it, fromID: it.hubspotID, toID: h, typeIDs: []int{assocTicketToDeal}})
		}
	}
	if err := c.associate(ctx, hubspot.Tickets, hubspot.Contacts, "ticket", "contact", toContact); err != nil {
		return err
	}
	if err := c.associate(ctx, hubspot.Tickets, hubspot.Companies, "ticket", "company", toCompany); err != nil {
		return err
	}
	return c.associate(ctx, hubspot.Tickets, hubspot.Deals, "ticket", "deal", toDeal)
}
