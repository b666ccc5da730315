package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/store"
)

type runOptions struct {
	once  bool
	json  bool
	grace time.Duration
}

func newCmdRun(f *Factory) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Sync the outbox to HubSpot on a schedule",
		Long: `Sync the outbox to HubSpot: a cycle at once, then one on every tick of
sync.schedule (default "@every 10s"), until SIGINT or SIGTERM. A tick that
finds the previous cycle still running is skipped. Between ticks, rows the
ERP inserts start a cycle at once (LISTEN syncd_outbox). On a stop signal no
new cycle starts and the running one may finish for --grace; after that it
is cancelled and its claims are released.

With --once, run cycles until no claimable row is left, print a summary on
stdout and exit: 0 when every row synced, 3 when some rows failed or went
dead (their reason is in outbox.last_error).

Without a HubSpot token, run syncs to the built-in emulator and says so.`,
		Example: `  syncd run
  syncd run --once --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), f, o)
		},
	}
	cmd.Flags().BoolVar(&o.once, "once", false, "sync every pending row, print a summary and exit")
	cmd.Flags().BoolVar(&o.json, "json", false, "with --once: print the summary as JSON")
	cmd.Flags().DurationVar(&o.grace, "grace", 30*time.Second, "on stop, how long the running cycle may take to finish")
	return cmd
}

func runRun(ctx context.Context, f *Factory, o runOptions) error {
	if o.json && !o.once {
		return usageErrorf("--json needs --once")
	}
	cfg, err := f.Config()
	if err != nil {
		return err
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
	if o.once {
		return runOnce(ctx, f, eng, o.json)
	}

	flog := log.WithField("owner", eng.Owner())
	s := newScheduler(flog, o.grace, func(ctx context.Context) {
		sum, err := eng.RunCycle(ctx)
		entry := flog.WithFields(summaryFields(sum))
		switch {
		case err != nil:
			entry.WithError(err).Error("sync cycle failed")
		case sum.Rows > 0:
			entry.Info("sync cycle done")
		default:
			entry.Debug("sync cycle: nothing to do")
		}
	})
	flog.WithField("schedule", cfg.Sync.Schedule).Info("syncd running; stop with SIGINT or SIGTERM")
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		listenOutbox(ctx, st, flog, s.wake)
	}()
	s.run(ctx, sched)
	<-listening
	// The engine releases a cancelled cycle's claims itself; this catches
	// any left behind, so that another instance takes the rows at once
	// instead of after the lease.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := st.ReleaseAll(rctx, eng.Owner()); err != nil {
		flog.WithError(err).Warn("could not release outbox claims; they expire with their lease")
	}
	flog.Info("syncd stopped")
	return nil
}

// runOnce drains the outbox and prints the summary on stdout.
func runOnce(ctx context.Context, f *Factory, eng *engine.Engine, asJSON bool) error {
	sum, err := eng.Drain(ctx)
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

func summaryFields(s engine.Summary) logrus.Fields {
	return logrus.Fields{
		"rows": s.Rows, "created": s.Created, "updated": s.Updated, "unchanged": s.Unchanged,
		"deleted": s.Deleted, "failed": s.Failed, "dead": s.Dead, "superseded": s.Superseded,
		"waiting": s.Waiting, "warned": s.Warned, "hubspot_calls": s.Calls, "took": s.Duration.String(),
	}
}

// listenOutbox calls wake whenever the ERP inserts outbox rows into the
// store's schema, until ctx ends. A lost connection is retried every few
// seconds; the schedule goes on meanwhile, so notifications only ever make
// syncd faster.
func listenOutbox(ctx context.Context, st *store.Store, log logrus.FieldLogger, wake func()) {
	const retry = 5 * time.Second
	ready := func() { log.Debug("listening for outbox notifications") }
	for ctx.Err() == nil {
		err := st.Listen(ctx, ready, wake)
		if ctx.Err() != nil {
			return
		}
		log.WithError(err).Warn("outbox notifications lost; retrying in " + retry.String() + " (the schedule goes on)")
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}
