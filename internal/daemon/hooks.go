package daemon

import (
	"time"

	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
)

// Trigger says what started a sync cycle or a job run.
type Trigger string

const (
	// TriggerStart is the run at once when the daemon starts.
	TriggerStart Trigger = "start"
	// TriggerSchedule is a tick of the schedule.
	TriggerSchedule Trigger = "schedule"
	// TriggerNotify is an outbox notification: the ERP inserted rows.
	TriggerNotify Trigger = "notify"
	// TriggerBacklog is a cycle started right after the previous one,
	// which left claimable rows (a first load, a burst of changes).
	TriggerBacklog Trigger = "backlog"
)

// Info describes a daemon that has started.
type Info struct {
	// Owner is the engine's lease owner, "host:pid".
	Owner string
	// At is when the daemon started, on Options.Now.
	At time.Time
	// Jobs are the names of Options.Jobs, in order.
	Jobs []string
}

// Cycle is one sync cycle. CycleStarted gets it with Trigger and Started
// set; CycleFinished with every field.
type Cycle struct {
	Trigger  Trigger
	Started  time.Time // on Options.Now
	Finished time.Time
	// Summary counts what the cycle did (rows by outcome, HubSpot calls,
	// its duration); after an error, what it did before the error.
	Summary engine.Summary
	// Err is set when the cycle failed as a whole: a setup problem that
	// stops syncing, the database or HubSpot out of reach, a cancelled
	// cycle. Rows that failed on their own are counted in Summary and are
	// no error.
	Err error
}

// JobRun is one run of a Job. JobStarted gets it with Job, Trigger and
// Started set; JobFinished with every field.
type JobRun struct {
	Job      string // Job.Name
	Trigger  Trigger
	Started  time.Time // on Options.Now
	Finished time.Time
	Err      error // what Job.Run returned
}

// Hooks are what a subscriber (a status server, metrics, an inbox cycle)
// wants to hear of the daemon; any field may be nil. Every func is called
// synchronously in the goroutine where the event happens, and several run
// at once (HubSpot calls run Concurrency at a time, next to cycles and
// jobs): a hook must be quick, must not block, and must be safe for
// concurrent use. Prometheus collectors are; a hook with slow work hands
// it to its own goroutine.
type Hooks struct {
	// Started is called once the schedules run, before the first cycle.
	Started func(Info)
	// CycleStarted and CycleFinished bracket every sync cycle;
	// CycleFinished is called once the next cycle may start.
	CycleStarted  func(Cycle)
	CycleFinished func(Cycle)
	// JobStarted and JobFinished bracket every run of an Options.Jobs job;
	// JobFinished is called once the job may run again.
	JobStarted  func(JobRun)
	JobFinished func(JobRun)
	// CallMade is called after every HTTP request to HubSpot, retries
	// included (Options.HubSpot).
	CallMade func(hubspot.Call)
	// BudgetChanged is called with the rate budgets after every HubSpot
	// answer and every call refused for the daily limit
	// (Options.Governor).
	BudgetChanged func(governor.State)
	// Notifications is called with true when the daemon listens for
	// outbox notifications, and with false when the connection is lost
	// (it listens again a few seconds later; the schedule goes on).
	Notifications func(listening bool)
	// Stopping is called when the stop signal arrives: no cycle or job
	// starts after it; the running ones get the grace period.
	Stopping func(at time.Time)
}

// hookSet calls every subscriber's hook, in the order of Options.Hooks.
type hookSet []Hooks

// each calls the hook pick selects, of every subscriber that set it, with v.
func each[T any](hs hookSet, pick func(Hooks) func(T), v T) {
	for _, h := range hs {
		if fn := pick(h); fn != nil {
			fn(v)
		}
	}
}

// has reports whether some subscriber set the hook pick selects.
func has[T any](hs hookSet, pick func(Hooks) func(T)) bool {
	for _, h := range hs {
		if pick(h) != nil {
			return true
		}
	}
	return false
}

func started(h Hooks) func(Info)                 { return h.Started }
func cycleStarted(h Hooks) func(Cycle)           { return h.CycleStarted }
func cycleFinished(h Hooks) func(Cycle)          { return h.CycleFinished }
func jobStarted(h Hooks) func(JobRun)            { return h.JobStarted }
func jobFinished(h Hooks) func(JobRun)           { return h.JobFinished }
func callMade(h Hooks) func(hubspot.Call)        { return h.CallMade }
func budgetChanged(h Hooks) func(governor.State) { return h.BudgetChanged }
func notifications(h Hooks) func(bool)           { return h.Notifications }
func stopping(h Hooks) func(time.Time)           { return h.Stopping }
