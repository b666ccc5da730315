package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(w *syncBuffer) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(w)
	l.SetFormatter(&logrus.JSONFormatter{})
	return l
}

// never is a schedule that does not fire, so that only the scheduler's
// first cycle runs.
type never struct{}

func (never) Next(t time.Time) time.Time { return t.AddDate(100, 0, 0) }

var _ cron.Schedule = never{}

func TestTickSkipsWhileRunning(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	started, release := make(chan struct{}), make(chan struct{})
	var cycles int
	s := newScheduler(testLogger(&logs), time.Minute, func(ctx context.Context) {
		cycles++
		close(started)
		<-release
	})
	done := make(chan struct{})
	go func() { s.tick(); close(done) }()
	<-started
	s.tick() // returns at once: the first cycle still runs
	close(release)
	<-done
	if cycles != 1 || s.skipped.Load() != 1 {
		t.Errorf("cycles = %d, skipped = %d; want 1 and 1", cycles, s.skipped.Load())
	}
	if !strings.Contains(logs.String(), "tick is skipped") {
		t.Errorf("no skip logged: %s", logs.String())
	}
}

func TestStopLetsRunningCycleFinish(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	started, release := make(chan struct{}), make(chan struct{})
	var cycleErr error
	s := newScheduler(testLogger(&logs), time.Hour, func(ctx context.Context) {
		close(started)
		<-release
		cycleErr = ctx.Err()
	})
	ctx, stop := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { s.run(ctx, never{}); close(returned) }()
	<-started
	stop()
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
	var logs syncBuffer
	started := make(chan struct{})
	s := newScheduler(testLogger(&logs), time.Millisecond, func(ctx context.Context) {
		close(started)
		<-ctx.Done() // a cycle that only ends when cancelled
	})
	ctx, stop := context.WithCancel(context.Background())
	returned := make(chan struct{})
	go func() { s.run(ctx, never{}); close(returned) }()
	<-started
	stop()
	<-returned
	if !strings.Contains(logs.String(), "outlasted the grace period") {
		t.Errorf("no cancellation logged: %s", logs.String())
	}
}
