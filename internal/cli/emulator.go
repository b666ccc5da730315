package cli

import (
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
)

type emulatorOptions struct {
	addr       string
	tier       string
	searchLag  time.Duration
	latency    time.Duration
	tokens     []string
	portalID   int64
	noLimits   bool
	allowWider bool
}

func newCmdEmulator(f *Factory) *cobra.Command {
	var o emulatorOptions
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve the built-in HubSpot emulator",
		Long: `Serve an in-memory HubSpot on --addr until interrupted, and print its base
URL on stdout. Point syncd at it with SYNCD_HUBSPOT_BASE_URL=<url>.

It binds the loopback interface unless --addr names another host and
--allow-non-loopback is given: the emulator has no real authentication.
Control endpoints live under /_emulator/ (reset, stats, config, faults).`,
		Example: `  syncd emulator --addr 127.0.0.1:8089 --tier starter --search-lag 2s
  SYNCD_HUBSPOT_BASE_URL=http://127.0.0.1:8089 syncd run --once`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return emulatorRun(cmd, f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address; port 0 picks a free port")
	fl.StringVar(&o.tier, "tier", "professional", "rate-limit tier: free, starter, professional, enterprise, limit_pack")
	fl.DurationVar(&o.searchLag, "search-lag", 0, "how long a write stays invisible to search, e.g. 2s")
	fl.DurationVar(&o.latency, "latency", 0, "time added to every HubSpot answer, e.g. 150ms (HubSpot's own is 100-300ms)")
	fl.StringArrayVar(&o.tokens, "token", nil, "accept only this bearer token (repeatable); default: any token")
	fl.Int64Var(&o.portalID, "portal-id", emulator.DefaultPortalID, "HubSpot account ID the emulator reports")
	fl.BoolVar(&o.noLimits, "no-rate-limits", false, "turn off burst, search and daily limits")
	fl.BoolVar(&o.allowWider, "allow-non-loopback", false, "allow --addr on an interface other than loopback")
	return cmd
}

func emulatorRun(cmd *cobra.Command, f *Factory, o emulatorOptions) error {
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usageErrorf("--addr %q: %v", o.addr, err)
	}
	if !o.allowWider && !config.IsLoopback(host) {
		return usageErrorf("--addr %q is not a loopback address; add --allow-non-loopback to expose the emulator", o.addr)
	}
	if !slices.Contains(config.Tiers, o.tier) {
		return usageErrorf("--tier %q is not one of free, starter, professional, enterprise, limit_pack", o.tier)
	}
	if o.searchLag < 0 {
		return usageErrorf("--search-lag must not be negative")
	}
	if o.latency < 0 {
		return usageErrorf("--latency must not be negative")
	}
	log, err := f.Logger()
	if err != nil {
		return err
	}
	opts := emulator.Options{
		Tier:              o.tier,
		SearchLag:         o.searchLag,
		Latency:           o.latency,
		Tokens:            o.tokens,
		PortalID:          o.portalID,
		Now:               f.Now,
		DisableRateLimits: o.noLimits,
	}
	return emulator.ListenAndServe(cmd.Context(), o.addr, opts, func(url string) {
		fmt.Fprintln(f.IO.Out, url)
		log.WithFields(map[string]any{"url": url, "tier": o.tier, "search_lag": o.searchLag.String()}).
			Info("HubSpot emulator listening; stop with Ctrl-C")
	})
}
