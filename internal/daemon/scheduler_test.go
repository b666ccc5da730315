package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/syncd/syncd/internal/testkit/daemontest"
)

// logged reports whether an entry hook holds a line containing text.
func logged(hook *logtest.Hook, text string) bool {
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func TestTickSkipsWhileRunning(t *testing.T) {
	t.Parallel()
	log, hook := logtest.NewNullLogger()
	started, release := make(chan struct{}), make(chan struct{})
	var cycles int
	c := &task{name: "sync cycle", sched: daemontest.Never{}, run: func(ctx context.Context, _ Trigger) func() {
		cycles++
		close(started)
		<-release
		return nil
	}}
	s := newScheduler(log, time.Minute, c)
	done := make(chan struct{})
	go func() { s.tick(c, TriggerSchedule); close(done) }()
	<-started
	s.tick(c, TriggerSchedule) // returns at once: the first cycle still runs
	close(release)
	<-done
	if cycles != 1 || c.skipped.Load() != 1 {
		t.Errorf("cycles = %d, skipped = %d; want 1 and 1", cycles, c.skipped.Load())
	}
	if !logged(hook, "tick is skipped") {
		t.Errorf("no skip logged: %v", hook.AllEntries())
	}
}

// runUntilStopped starts a scheduler whose only task is cycle, run at
// start, waits for started to close, and stops the scheduler. It returns
// a channel closed when the scheduler's run returns, and the log's entries.
func runUntilStopped(t *testing.T, grace time.Duration, started <-chan struct{}, cycle func(ctx context.Context)) (<-chan struct{}, *logtest.Hook) {
	t.Helper()
	log, hook := logtest.NewNullLogger()
	s := newScheduler(log, grace, &task{name: "sync cycle", sched: daemontest.Never{}, atStart: true, run: func(ctx context.Context, _ Trigger) func() {
		cycle(ctx)
		return nil
	}})
	ctx, stop := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { s.run(ctx, nil); close(returned) }()
	<-started
	stop()
	return returned, hook
}

func TestStopLetsRunningCycleFinish(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	var cycleErr error
	returned, _ := runUntilStopped(t, time.Hour, started, func(ctx context.Context) {
		close(started)
		<-release
		cycleErr = ctx.Err()
	})
	select {
	case <-returned:
		t.Fatal("run returned while its cycle was still running")
	default:
	}
	close(release)
	<-returned
	if cycleErr != nil {
		t.Errorf("the cycle's context was cancelled (%v) although it finished within the grace period", cycleErr)
	}
}

func TestStopCancelsCycleAfterGrace(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	returned, hook := runUntilStopped(t, time.Millisecond, started, func(ctx context.Context) {
		close(started)
		<-ctx.Done() // a cycle that only ends when cancelled
	})
	<-returned
	if !logged(hook, "outlasted the grace period") {
		t.Errorf("no cancellation logged: %v", hook.AllEntries())
	}
}
