package cli

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/inbox"
)

type runOptions struct {
	once   bool
	dryRun bool
	json   bool
	grace  time.Duration
	http   string
}

func newCmdRun(f *Factory) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Sync the outbox to HubSpot on a schedule",
		Long: `Sync the outbox to HubSpot: a cycle at once, then one on every tick of
sync.schedule (default "@every 10s"), until SIGINT or SIGTERM. A tick that
finds the previous cycle still running is skipped; a cycle that claimed rows
is followed at once by the next, so a backlog does not wait for ticks.
Between ticks, rows the ERP inserts start a cycle at once (LISTEN
syncd_outbox). On a stop signal no new cycle starts and the running one may
finish for --grace; after that it is cancelled and its claims are released.

With --once, run cycles until no claimable row is left, print a summary on
stdout and exit: 0 when every row synced, 3 when some rows failed or went
dead (their reason is in outbox.last_error). With inbox.enabled, one inbox
cycle follows: HubSpot's changes since the last one go to table inbox.

With inbox.enabled, run also polls HubSpot's changes into table inbox on
inbox.schedule (docs/inbox.md).

With --once --dry-run, print what the next cycle would do instead, writing
nothing: the same as "syncd plan".

With --http (or [http] addr), run also serves /healthz, /readyz, /metrics
and a status page on that address until it stops; beyond this machine they
need the access token (SYNCD_HTTP_TOKEN or http.token_file), the probes
excepted. --once serves nothing.

Without a HubSpot token, run syncs to the built-in emulator and says so.`,
		Example: `  syncd run
  syncd run --http 127.0.0.1:9464
  syncd run --once --json
  syncd run --once --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), f, o)
		},
	}
	cmd.Flags().BoolVar(&o.once, "once", false, "sync every pending row, print a summary and exit")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "with --once: print what the next cycle would do, write nothing (syncd plan)")
	cmd.Flags().BoolVar(&o.json, "json", false, "with --once: print the summary (or the plan) as JSON")
	cmd.Flags().DurationVar(&o.grace, "grace", 30*time.Second, "on stop, how long the running cycle may take to finish")
	cmd.Flags().StringVar(&o.http, "http", "", "serve the probes, /metrics and the status page on `host:port` (default http.addr)")
	return cmd
}

func runRun(ctx context.Context, f *Factory, o runOptions) error {
	if o.json && !o.once {
		return usageErrorf("--json needs --once")
	}
	if o.dryRun {
		if !o.once {
			return usageErrorf("--dry-run needs --once: a dry run plans one cycle (syncd plan)")
		}
		if o.http != "" {
			return usageErrorf("--http serves while syncd runs; --dry-run plans one cycle and exits")
		}
		return runPlan(ctx, f, o.json)
	}
	if o.http != "" && o.once {
		return usageErrorf("--http serves while syncd runs; --once exits when the outbox is drained")
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	addr := cmp.Or(o.http, cfg.HTTP.Addr)
	if o.http != "" {
		if err := config.ValidListenAddr("--http", o.http); err != nil {
			return usageErrorf("%v", err)
		}
	}
	sched, err := config.CronParser.Parse(cfg.Sync.Schedule)
	if err != nil {
		return fmt.Errorf("sync.schedule: %w", err)
	}
	log, err := f.Logger()
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	counts, err := st.StateCounts(ctx)
	if err != nil {
		return needMigrated(f, err)
	}
	eng, err := f.Engine(ctx)
	if err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"pending": counts["pending"], "failed": counts["failed"], "dead": counts["dead"]}).
		Info("outbox rows waiting")
	in, err := f.Inbox(ctx, eng)
	if err != nil {
		return err
	}
	if o.once {
		return runOnce(ctx, f, eng, in, o.json)
	}
	jobs, err := inboxJobs(cfg, in)
	if err != nil {
		return fmt.Errorf("inbox.schedule: %w", err)
	}
	hs, err := f.HubSpot(ctx)
	if err != nil {
		return err
	}
	var hooks []daemon.Hooks
	if addr != "" {
		ep, err := f.StartHTTP(ctx, addr, sched)
		if err != nil {
			return err
		}
		// The endpoint outlives the daemon's stop, so that the probes say
		// "stopping" until the last cycle has finished.
		defer func() {
			if err := ep.Stop(); err != nil {
				log.WithError(err).Warn("http: the endpoint stopped with an error")
			}
		}()
		hooks = ep.Hooks
	}
	log.WithFields(logrus.Fields{"owner": eng.Owner(), "schedule": cfg.Sync.Schedule}).
		Info("syncd running; stop with SIGINT or SIGTERM")
	return daemon.Run(ctx, daemon.Options{
		Engine: eng, Store: st, HubSpot: hs, Governor: hs.Governor(),
		Logger: log, Schedule: sched, Grace: o.grace, Now: f.Now, Hooks: hooks, Jobs: jobs,
	})
}

// runOnce drains the outbox and prints the summary on stdout; with the
// inbox on, one inbox cycle follows (its result is logged).
func runOnce(ctx context.Context, f *Factory, eng *engine.Engine, in *inbox.Inbox, asJSON bool) error {
	sum, err := eng.Drain(ctx)
	if err == nil && in != nil {
		err = in.Run(ctx)
	}
	if err == nil || sum.Rows > 0 {
		// After an error the summary still says what was done before it.
		if werr := writeSummary(f.IO.Out, sum, asJSON); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	return rowsFailed(sum)
}
