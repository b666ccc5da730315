package cli

import (
	"context"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/inbox"
)

// Inbox builds the inbox over the store, the HubSpot client (and so its
// governor) and the engine's HubSpot account; nil when inbox.enabled is
// off.
func (f *Factory) Inbox(ctx context.Context, eng *engine.Engine) (*inbox.Inbox, error) {
	cfg, log, err := f.configLogger()
	if err != nil || !cfg.Inbox.Enabled {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	hs, err := f.HubSpot(ctx)
	if err != nil {
		return nil, err
	}
	return inbox.New(inbox.Options{
		Store: st, HubSpot: hs, Config: cfg.Inbox, ERPIDProperty: cfg.Sync.ERPIDProperty,
		Portal: eng.PortalID, Logger: log.WithField("job", "inbox"), Now: f.Now,
	})
}

// inboxJobs returns the daemon job of the inbox, none when it is off.
func inboxJobs(cfg *config.Config, in *inbox.Inbox) ([]daemon.Job, error) {
	if in == nil {
		return nil, nil
	}
	sched, err := config.CronParser.Parse(cfg.Inbox.Schedule)
	if err != nil {
		return nil, err
	}
	return []daemon.Job{{Name: "inbox", Schedule: sched, RunAtStart: true, Run: in.Run}}, nil
}
