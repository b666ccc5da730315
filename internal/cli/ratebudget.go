package cli

import (
	"context"

	"github.com/syncd/syncd/internal/governor"
)

// rateLedger returns the HubSpot rate budget shared through database.schema
// by every syncd process that uses it, or nil when no database is
// configured or its store cannot be opened; with nil the governor counts
// only this process's calls.
func (f *Factory) rateLedger(ctx context.Context) governor.Ledger {
	cfg, err := f.Config()
	if err != nil || cfg.Database.URL == "" {
		return nil
	}
	st, err := f.Store(ctx)
	if err != nil {
		if log, lerr := f.Logger(); lerr == nil {
			log.WithField("error", err.Error()).Warn("cannot open the database for the shared hubspot rate budget; this process counts only its own calls")
		}
		return nil
	}
	return st.RateLedger()
}
