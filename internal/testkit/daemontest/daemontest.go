// Package daemontest has what tests that run the daemon share: schedules
// that fire only when a test wants, and a bounded wait for the hooks'
// events.
package daemontest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// far is when Never and a spent Once fire: later than any test runs.
const far = 100 // years

// Never is a schedule that does not fire: only the cycle at start and
// outbox notifications run cycles.
type Never struct{}

// Next implements cron.Schedule.
func (Never) Next(t time.Time) time.Time { return t.AddDate(far, 0, 0) }

// Once fires at the first instant the scheduler asks for, then never.
type Once struct{ asked atomic.Bool }

// Next implements cron.Schedule.
func (o *Once) Next(t time.Time) time.Time {
	if o.asked.CompareAndSwap(false, true) {
		return t
	}
	return t.AddDate(far, 0, 0)
}

var (
	_ cron.Schedule = Never{}
	_ cron.Schedule = (*Once)(nil)
)

// Recv waits for the next value on ch, failing the test after a minute:
// what the test waits for names the event in the failure.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s within a minute", what)
		panic("unreachable")
	}
}
