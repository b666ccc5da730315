// Package daemon is `syncd run` without its command line: sync cycles on a
// cron schedule, on outbox notifications and one right after another while
// a backlog lasts, never two at once, extra periodic jobs on the same
// scheduler, a graceful stop, and hooks through which a status server,
// metrics or an inbox poll hear of cycles, jobs, HubSpot calls and the rate
// budget without editing the daemon.
//
//	err := daemon.Run(ctx, daemon.Options{
//		Engine: eng, Store: st, HubSpot: hs, Governor: hs.Governor(),
//		Logger: log, Schedule: sched, Grace: 30 * time.Second,
//		Hooks: []daemon.Hooks{metrics.Hooks(), status.Hooks()},
//		Jobs:  []daemon.Job{{Name: "inbox", Schedule: every1m, RunAtStart: true, Run: in.Run}}, // internal/inbox
//	})
//
// Run returns when ctx ends (SIGINT, SIGTERM) and the running cycle and
// jobs have finished, or have been cancelled after the grace period.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// Options configures Run. Engine, Store and Schedule are required.
type Options struct {
	// Engine runs the sync cycles.
	Engine *engine.Engine
	// Store is the engine's store: Run listens on it for outbox
	// notifications and releases the engine's claims left when it stops.
	Store *store.Store
	// HubSpot, when set, reports every request to Hooks.CallMade; it is
	// the engine's client.
	HubSpot *hubspot.Client
	// Governor, when set, reports the rate budgets to Hooks.BudgetChanged;
	// it is the client's (HubSpot.Governor()).
	Governor *governor.Governor
	// Logger receives the daemon's lines; default: discard.
	Logger logrus.FieldLogger
	// Schedule says when sync cycles run, besides at once at start and
	// on outbox notifications (config.CronParser parses sync.schedule).
	Schedule cron.Schedule
	// Grace is how long a stop waits for the running cycle and jobs
	// before it cancels them; 0 cancels them at once.
	Grace time.Duration
	// Now stamps the events hooks get; default time.Now.
	Now func() time.Time
	// Hooks are the subscribers, called in order.
	Hooks []Hooks
	// Jobs are periodic work besides sync cycles, on the same scheduler
	// and under the same stop.
	Jobs []Job
}

// Job is periodic work the daemon runs besides sync cycles, such as an
// inbox poll of HubSpot's changes. A job never runs twice at once: a tick
// that finds it running is skipped. It runs concurrently with sync cycles
// and other jobs, and shares the HubSpot client's governor with them, so
// its calls are paced within the same budgets.
type Job struct {
	// Name names the job in log lines and hooks; unique and not empty.
	Name string
	// Schedule says when the job runs.
	Schedule cron.Schedule
	// RunAtStart also runs it at once when the daemon starts.
	RunAtStart bool
	// Run does the work. Its ctx ends when the grace period after a stop
	// runs out. Its error is logged and handed to Hooks.JobFinished; the
	// job runs again on the next tick.
	Run func(ctx context.Context) error
}

// Run syncs on the schedule until ctx ends: a cycle at once, then on every
// tick of o.Schedule, and at once when the ERP inserts outbox rows
// (LISTEN); jobs on their own schedules. A tick that finds the previous
// cycle still running is skipped. On ctx's end no new cycle or job starts
// and the running ones may finish for o.Grace; after that they are
// cancelled, and the engine's claims are released. Cycle errors are
// logged and reported to the hooks, and never end Run: it returns nil
// after a stop, or an error for Options it cannot run with.
func Run(ctx context.Context, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	o.defaults()
	d := &daemon{o: o, hooks: hookSet(o.Hooks), log: o.Logger.WithField("owner", o.Engine.Owner())}
	if o.HubSpot != nil && has(d.hooks, callMade) {
		defer o.HubSpot.Observe(func(c hubspot.Call) { each(d.hooks, callMade, c) })()
	}
	if o.Governor != nil && has(d.hooks, budgetChanged) {
		defer o.Governor.Observe(func(s governor.State) { each(d.hooks, budgetChanged, s) })()
	}

	syncTask := &task{name: "sync cycle", sched: o.Schedule, atStart: true, run: d.cycle}
	tasks := []*task{syncTask}
	info := Info{Owner: o.Engine.Owner(), At: o.Now()}
	for _, j := range o.Jobs {
		tasks = append(tasks, &task{name: "job " + j.Name, sched: j.Schedule, atStart: j.RunAtStart, run: d.job(j)})
		info.Jobs = append(info.Jobs, j.Name)
	}
	s := newScheduler(d.log, o.Grace, tasks...)
	d.more = func() { s.wake(syncTask, TriggerBacklog) }
	each(d.hooks, started, info)

	listening := make(chan struct{})
	go func() {
		defer close(listening)
		d.listen(ctx, func() { s.wake(syncTask, TriggerNotify) })
	}()
	s.run(ctx, func() { each(d.hooks, stopping, o.Now()) })
	<-listening
	// The engine releases a cancelled cycle's claims itself; this catches
	// any left behind, so that another instance takes the rows at once
	// instead of after the lease.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := o.Store.ReleaseAll(rctx, o.Engine.Owner()); err != nil {
		d.log.WithError(err).Warn("could not release outbox claims; they expire with their lease")
	}
	d.log.Info("syncd stopped")
	return nil
}

// discard is the logger of a daemon given none.
var discard = func() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}()

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func (o *Options) check() error {
	var errs []error
	if o.Engine == nil {
		errs = append(errs, errors.New("daemon: Options.Engine is nil"))
	}
	if o.Store == nil {
		errs = append(errs, errors.New("daemon: Options.Store is nil"))
	}
	if o.Schedule == nil {
		errs = append(errs, errors.New("daemon: Options.Schedule is nil"))
	}
	names := map[string]bool{}
	for i, j := range o.Jobs {
		switch {
		case j.Name == "":
			errs = append(errs, fmt.Errorf("daemon: job %d has no name", i))
		case names[j.Name]:
			errs = append(errs, fmt.Errorf("daemon: two jobs are named %q", j.Name))
		}
		names[j.Name] = true
		if j.Schedule == nil || j.Run == nil {
			errs = append(errs, fmt.Errorf("daemon: job %q needs a Schedule and a Run", j.Name))
		}
	}
	return errors.Join(errs...)
}

// daemon is one Run.
type daemon struct {
	o     Options
	hooks hookSet
	log   logrus.FieldLogger
	// more starts the next sync cycle at once; set by Run.
	more func()
}

// cycle runs one sync cycle and returns what reports its end.
func (d *daemon) cycle(ctx context.Context, trigger Trigger) func() {
	c := Cycle{Trigger: trigger, Started: d.o.Now()}
	each(d.hooks, cycleStarted, c)
	c.Summary, c.Err = d.o.Engine.RunCycle(ctx)
	c.Finished = d.o.Now()
	entry := d.log.WithFields(summaryFields(c.Summary))
	switch {
	case c.Err != nil:
		entry.WithError(c.Err).Error("sync cycle failed")
	case c.Summary.Rows > 0:
		entry.Info("sync cycle done")
	default:
		entry.Debug("sync cycle: nothing to do")
	}
	return func() {
		each(d.hooks, cycleFinished, c)
		// A backlog is worked off cycle after cycle, not one cycle per
		// tick: the next starts at once while claimable rows are left.
		if c.Err == nil && c.Summary.More() {
			d.more()
		}
	}
}

// job returns the task function that runs j.
func (d *daemon) job(j Job) func(context.Context, Trigger) func() {
	return func(ctx context.Context, trigger Trigger) func() {
		r := JobRun{Job: j.Name, Trigger: trigger, Started: d.o.Now()}
		each(d.hooks, jobStarted, r)
		r.Err = j.Run(ctx)
		r.Finished = d.o.Now()
		entry := d.log.WithFields(logrus.Fields{"job": j.Name, "took": r.Finished.Sub(r.Started).String()})
		if r.Err != nil {
			entry.WithError(r.Err).Error("job failed")
		} else {
			entry.Debug("job done")
		}
		return func() { each(d.hooks, jobFinished, r) }
	}
}

func summaryFields(s engine.Summary) logrus.Fields {
	return logrus.Fields{
		"rows": s.Rows, "created": s.Created, "updated": s.Updated, "unchanged": s.Unchanged,
		"deleted": s.Deleted, "failed": s.Failed, "dead": s.Dead, "superseded": s.Superseded,
		"waiting": s.Waiting, "warned": s.Warned, "hubspot_calls": s.Calls, "took": s.Duration.String(),
	}
}

// listen calls wake whenever the ERP inserts outbox rows into the store's
// schema, until ctx ends. A lost connection is retried every few seconds;
// the schedule goes on meanwhile, so notifications only ever make syncd
// faster.
func (d *daemon) listen(ctx context.Context, wake func()) {
	const retry = 5 * time.Second
	ready := func() {
		d.log.Debug("listening for outbox notifications")
		each(d.hooks, notifications, true)
	}
	for ctx.Err() == nil {
		err := d.o.Store.Listen(ctx, ready, wake)
		if ctx.Err() != nil {
			return
		}
		d.log.WithError(err).Warn("outbox notifications lost; retrying in " + retry.String() + " (the schedule goes on)")
		each(d.hooks, notifications, false)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}
