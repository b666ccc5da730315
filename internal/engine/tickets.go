package engine

import (
	"context"

	"github.com/syncd/syncd/internal/outbox"
)

func ticketField(it *item, f func(*outbox.Ticket) string) string {
	if it.rec == nil || it.rec.Ticket == nil {
		return ""
	}
	return f(it.rec.Ticket)
}

// syncTickets matches tickets by their ERP key only (the ERP-ID property):
// HubSpot tickets have no natural key an ERP shares.
func syncTickets(ctx context.Context, c *cycle, items []*item) error {
	links, err := c.resolveLinks(ctx, items,
		refCustomer(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.CustomerID }) }),
		refCompany(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.CompanyID }) }),
		refOrder(func(it *item) string { return ticketField(it, func(t *outbox.Ticket) string { return t.OrderID }) }))
	if err != nil {
		return err
	}
	stages, err := c.resolveStages(ctx, c.ticketStages, ticketType, items, func(it *item) string { return it.rec.Ticket.Status })
	if err != nil {
		return err
	}
	if err := c.syncStaged(ctx, ticketType, c.ticketStages, stages, items); err != nil {
		return err
	}
	return c.associateRefs(ctx, ticketType, items, links)
}
