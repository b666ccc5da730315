package engine

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/syncd/syncd/internal/hubspot"
)

// fanOut runs part(ctx, i) for i in [0, n): independent HubSpot calls of
// one step (the chunks of one batch write, one entity's reads), as many at
// once as the client has requests in flight, so that HubSpot's latency
// rather than its rate limits does not set the pace; the governor keeps
// every call within the limits. It returns the first error, after every
// part has returned; that error cancels the ctx of the parts still
// running or waiting.
//
// Parts run concurrently: what they change in the cycle's items they
// change holding c.mu, and the calls they make read only their own inputs.
func (c *cycle) fanOut(ctx context.Context, n int, part func(ctx context.Context, i int) error) error {
	if n == 1 {
		return part(ctx, 0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, c.e.hs.Concurrency()))
	for i := range n {
		g.Go(func() error { return part(gctx, i) })
	}
	return g.Wait()
}

// noteRefused remembers the properties a HubSpot validation error names,
// so that a refused pipeline or stage makes the stage mapper read the
// pipelines again. c.mu must be held.
func (c *cycle) noteRefused(details []hubspot.ErrorDetail) {
	for _, d := range details {
		for _, n := range d.Context["propertyName"] {
			if c.refused == nil {
				c.refused = map[string]bool{}
			}
			c.refused[n] = true
		}
	}
}

// checkStages drops m's pipelines when HubSpot refused the pipeline or the
// stage of a record this cycle: they changed in HubSpot since m read them.
func (c *cycle) checkStages(ctx context.Context, m *StageMapper) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Refuses(c.refused) {
		c.log.WithField("object_type", m.objectType).Info("HubSpot refused a pipeline or stage read earlier; reading the pipelines again next cycle")
		if err := m.Invalidate(ctx); err != nil {
			c.log.WithError(err).Warn("could not drop the pipelines kept in the database; other processes read them again after sync.pipeline_refresh")
		}
	}
}
