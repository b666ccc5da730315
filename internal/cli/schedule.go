package cli

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// scheduler runs sync cycles on a cron schedule, never two at once, and
// stops gracefully.
type scheduler struct {
	log   logrus.FieldLogger
	cycle func(ctx context.Context)
	// grace is how long a stop waits for the running cycle before it
	// cancels it.
	grace time.Duration

	running atomic.Bool
	skipped atomic.Int64
	wg      sync.WaitGroup

	mu       sync.Mutex // guards stopping against wg.Add during wg.Wait
	stopping bool

	// cycleCtx outlives the command's context, so that a stop signal lets
	// the running cycle finish; cancelCycles ends it after the grace period.
	cycleCtx     context.Context
	cancelCycles context.CancelFunc
}

func newScheduler(log logrus.FieldLogger, grace time.Duration, cycle func(ctx context.Context)) *scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	return &scheduler{log: log, cycle: cycle, grace: grace, cycleCtx: ctx, cancelCycles: cancel}
}

// tick runs one cycle unless one is still running, in which case the tick
// is skipped and logged: a slow cycle delays the next one rather than
// overlapping it.
func (s *scheduler) tick() {
	if !s.running.CompareAndSwap(false, true) {
		s.skipped.Add(1)
		s.log.Info("previous sync cycle still running; this tick is skipped")
		return
	}
	s.runCycle()
}

// wake starts a cycle early, on an outbox notification, unless one is
// running: that cycle, or the next tick, takes the new rows.
func (s *scheduler) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || !s.running.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runCycle()
	}()
}

// runCycle runs a cycle; the caller has set running.
func (s *scheduler) runCycle() {
	defer s.running.Store(false)
	if s.cycleCtx.Err() != nil {
		return
	}
	s.cycle(s.cycleCtx)
}

// run starts a cycle at once, then on every tick of sched until ctx ends;
// then it stops the schedule and waits for the running cycle, cancelling
// it when it outlasts the grace period.
func (s *scheduler) run(ctx context.Context, sched cron.Schedule) {
	c := cron.New(cron.WithLocation(time.UTC))
	c.Schedule(sched, cron.FuncJob(func() {
		s.wg.Add(1)
		defer s.wg.Done()
		s.tick()
	}))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.tick()
	}()
	c.Start()

	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	s.log.Info("stopping: no new cycles; waiting for the running one to finish")
	stopped := c.Stop() // done when no cron-started cycle is running

	done := make(chan struct{})
	go func() {
		<-stopped.Done()
		s.wg.Wait() // the first cycle, started outside cron
		close(done)
	}()
	timer := time.NewTimer(s.grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.WithField("grace", s.grace.String()).Warn("the running cycle outlasted the grace period; cancelling it (its claims are released or expire with their lease)")
		s.cancelCycles()
		<-done
	}
	s.cancelCycles()
}
