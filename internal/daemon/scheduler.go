package daemon

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// task is one kind of periodic work: the sync cycle, or a Job. A task
// never runs twice at once.
type task struct {
	// name says what runs, in log lines: "sync cycle", "job inbox".
	name    string
	sched   cron.Schedule
	atStart bool
	// run does the work and returns what reports it (nil for nothing),
	// which is called once the task may run again, so that a subscriber
	// hearing that a run finished can start the next at once.
	run func(ctx context.Context, trigger Trigger) (report func())

	running atomic.Bool
	skipped atomic.Int64
}

// scheduler runs tasks on their cron schedules, each never twice at once,
// and stops gracefully.
type scheduler struct {
	log   logrus.FieldLogger
	tasks []*task
	// grace is how long a stop waits for the running tasks before it
	// cancels them.
	grace time.Duration

	wg sync.WaitGroup

	mu       sync.Mutex // guards stopping against wg.Add during wg.Wait
	stopping bool

	// runCtx outlives the caller's context, so that a stop signal lets
	// the running tasks finish; cancelRuns ends them after the grace period.
	runCtx     context.Context
	cancelRuns context.CancelFunc
}

func newScheduler(log logrus.FieldLogger, grace time.Duration, tasks ...*task) *scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	return &scheduler{log: log, tasks: tasks, grace: grace, runCtx: ctx, cancelRuns: cancel}
}

// tick runs t unless it is still running, in which case the tick is
// skipped and logged: a slow cycle delays the next one rather than
// overlapping it.
func (s *scheduler) tick(t *task, trigger Trigger) {
	if !t.running.CompareAndSwap(false, true) {
		t.skipped.Add(1)
		s.log.Info("previous " + t.name + " still running; this tick is skipped")
		return
	}
	s.runTask(t, trigger)
}

// wake starts t early (on an outbox notification, or right after a cycle
// that left rows to claim) unless it is running: that run, or the next
// tick, takes the new work.
func (s *scheduler) wake(t *task, trigger Trigger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || !t.running.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runTask(t, trigger)
	}()
}

// runTask runs t, then reports it; the caller has set t.running.
func (s *scheduler) runTask(t *task, trigger Trigger) {
	var report func()
	if s.runCtx.Err() == nil {
		report = t.run(s.runCtx, trigger)
	}
	t.running.Store(false)
	if report != nil {
		report()
	}
}

// run starts the tasks that run at start, then each on every tick of its
// schedule until ctx ends; then it calls stopping, stops the schedules and
// waits for the running tasks, cancelling them when they outlast the grace
// period.
func (s *scheduler) run(ctx context.Context, stopping func()) {
	c := cron.New(cron.WithLocation(time.UTC))
	for _, t := range s.tasks {
		c.Schedule(t.sched, cron.FuncJob(func() {
			s.wg.Add(1)
			defer s.wg.Done()
			s.tick(t, TriggerSchedule)
		}))
		if t.atStart {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.tick(t, TriggerStart)
			}()
		}
	}
	c.Start()

	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.log.Info("stopping: no new cycles; waiting for the running one to finish")
	if stopping != nil {
		stopping()
	}
	stopped := c.Stop() // done when no cron-started task is running

	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		s.wg.Wait() // the tasks started outside cron
		close(done)
	}()
	timer := time.NewTimer(s.grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.WithField("grace", s.grace.String()).Warn("the running cycle outlasted the grace period; cancelling it (its claims are released or expire with their lease)")
		s.cancelRuns()
		<-done
	}
	s.cancelRuns()
}
