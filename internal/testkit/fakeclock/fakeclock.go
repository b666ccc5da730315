// Package fakeclock is the clock syncd's tests run on instead of the real
// one: the governor, the HubSpot client, the engine, the emulator and the
// store take its Now and Sleep, so that waits cost no wall time and tests
// never sleep.
//
// A Clock's Sleep does one of three things, chosen when it is made:
//
//   - New: Sleep moves the clock forward at once (a governor's pacing and
//     backoff, a sync under test);
//   - NewManual: Sleep blocks until the test moves the clock past its end
//     with Advance, and reports each Sleep on Slept (a test that holds a
//     request in flight);
//   - NewShared: Sleep blocks until every one of a known number of workers
//     sleeps or is done, and the clock then jumps to the earliest wake-up
//     (several goroutines that must see one timeline, such as processes
//     sharing a rate budget).
//
// Every Clock records the waits asked of it (Waits) and how far it has
// moved since it was made (Advanced). It imports nothing of syncd, so that
// any package's tests may use it.
package fakeclock

import (
	"context"
	"slices"
	"sync"
	"time"
)

type mode int

const (
	instant mode = iota
	manual
	shared
)

// Clock is a fake clock, safe for concurrent use.
type Clock struct {
	mode mode

	mu      sync.Mutex
	start   time.Time
	now     time.Time
	waits   []time.Duration
	waiters []waiter
	// running counts the workers of a shared clock that are not asleep.
	running int
	// slept receives each Sleep's duration as it starts, on a manual clock.
	slept chan time.Duration
}

type waiter struct {
	until time.Time
	done  chan struct{}
}

// New returns a clock at start whose Sleep moves it forward at once.
func New(start time.Time) *Clock {
	return &Clock{mode: instant, start: start, now: start}
}

// NewManual returns a clock at start whose Sleep blocks until Advance moves
// the clock past the sleep's end. Slept reports every Sleep as it starts;
// up to 16 may go unread.
func NewManual(start time.Time) *Clock {
	return &Clock{mode: manual, start: start, now: start, slept: make(chan time.Duration, 16)}
}

// NewShared returns a clock at start shared by workers goroutines: a Sleep
// blocks until every worker sleeps (or has called Done), and the clock then
// moves to the earliest wake-up and wakes the sleepers due by then. Time
// therefore moves only while no worker runs, and every worker sees the
// same timeline.
func NewShared(start time.Time, workers int) *Clock {
	return &Clock{mode: shared, start: start, now: start, running: workers}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advanced returns how far the clock has moved since it was made.
func (c *Clock) Advanced() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Sub(c.start)
}

// Waits returns the durations of every Sleep so far, in order.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// Slept reports each Sleep of a manual clock as it starts; nil for the
// other kinds.
func (c *Clock) Slept() <-chan time.Duration { return c.slept }

// Advance moves the clock forward by d and wakes the sleepers due by then.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.wake()
}

// Sleep waits for d on the clock, as its kind says (see the package doc),
// or returns ctx's error when ctx is done first.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.waits = append(c.waits, d)
	if c.mode == instant {
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return nil
	}
	if d <= 0 {
		c.mu.Unlock()
		return nil
	}
	w := waiter{until: c.now.Add(d), done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	if c.mode == shared {
		c.running--
		c.jump()
	}
	c.mu.Unlock()
	if c.mode == manual {
		c.slept <- d
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done tells a shared clock that a worker has finished for good, so that
// time no longer waits for it.
func (c *Clock) Done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
	c.jump()
}

// jump moves a shared clock to the earliest wake-up once no worker runs.
// c.mu must be held.
func (c *Clock) jump() {
	if c.running > 0 || len(c.waiters) == 0 {
		return
	}
	next := c.waiters[0].until
	for _, w := range c.waiters {
		if w.until.Before(next) {
			next = w.until
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	c.wake()
}

// wake closes the waiters due by now. c.mu must be held.
func (c *Clock) wake() {
	c.waiters = slices.DeleteFunc(c.waiters, func(w waiter) bool {
		if w.until.After(c.now) {
			return false
		}
		close(w.done)
		if c.mode == shared {
			c.running++
		}
		return true
	})
}
