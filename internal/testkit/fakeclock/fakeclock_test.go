package fakeclock_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

var start = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func TestInstantSleepMovesAtOnce(t *testing.T) {
	t.Parallel()
	c := fakeclock.New(start)
	if err := c.Sleep(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Second)
	if err := c.Sleep(context.Background(), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Now(); !got.Equal(start.Add(6 * time.Second)) {
		t.Errorf("Now = %v, want start + 6s", got)
	}
	if got := c.Advanced(); got != 6*time.Second {
		t.Errorf("Advanced = %v, want 6s", got)
	}
	if got := c.Waits(); !slices.Equal(got, []time.Duration{time.Second, 3 * time.Second}) {
		t.Errorf("Waits = %v, want [1s 3s]", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if got := c.Advanced(); got != 6*time.Second {
		t.Errorf("a cancelled Sleep moved the clock to %v", got)
	}
}

func TestManualSleepWaitsForAdvance(t *testing.T) {
	t.Parallel()
	c := fakeclock.NewManual(start)
	done := make(chan error, 1)
	go func() { done <- c.Sleep(context.Background(), 150*time.Millisecond) }()
	if d := <-c.Slept(); d != 150*time.Millisecond {
		t.Fatalf("Slept reported %v, want 150ms", d)
	}
	c.Advance(149 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Sleep returned (%v) before the clock reached its end", err)
	default:
	}
	c.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- c.Sleep(ctx, time.Second) }()
	<-c.Slept()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Sleep = %v after cancel, want context.Canceled", err)
	}
}

func TestSharedClockMovesWhenEveryWorkerSleeps(t *testing.T) {
	t.Parallel()
	const workers = 3
	c := fakeclock.NewShared(start, workers)
	var mu sync.Mutex
	woke := map[int]time.Time{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer c.Done()
			if err := c.Sleep(context.Background(), time.Duration(w+1)*time.Second); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			woke[w] = c.Now()
			mu.Unlock()
		})
	}
	wg.Wait()
	for w := range workers {
		if want := start.Add(time.Duration(w+1) * time.Second); !woke[w].Equal(want) {
			t.Errorf("worker %d woke at %v, want %v", w, woke[w], want)
		}
	}
	if got := c.Advanced(); got != workers*time.Second {
		t.Errorf("Advanced = %v, want %v: time moved further than the last wake-up", got, workers*time.Second)
	}
}
