package cli

import (
	"context"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
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

// dailyUsage asks HubSpot how much of the daily allowance the account has
// used today, for a command whose calls' answers did not say: used and
// limit as HubSpot counts them, and the part syncd leaves to other
// integrations (hubspot.daily_reserve); ok is false when HubSpot does not
// tell.
func dailyUsage(ctx context.Context, hs *hubspot.Client, cfg *config.Config) (used, limit, reserve int, ok bool) {
	u, ok, err := hs.DailyUsage(ctx)
	if err != nil || !ok || u.Limit <= 0 {
		return 0, 0, 0, false
	}
	return u.Used, u.Limit, governor.DailyReserve(u.Limit, cfg.HubSpot.DailyReserve), true
}
