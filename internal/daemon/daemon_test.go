package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/daemontest"
)

// send hands v to ch without blocking the daemon; a full channel drops it
// (the test reads only the first events of each kind).
func send[T any](ch chan<- T) func(T) {
	return func(v T) {
		select {
		case ch <- v:
		default:
		}
	}
}

// TestRunHooks runs the daemon over the CLI's wiring (PostgreSQL, the
// built-in emulator set up as `syncd run` without a token sets it up) and checks what two
// subscribers hear: the start, a cycle at start with its summary, the
// HubSpot calls it made and the budget after them, the cycle that follows
// a cycle that claimed rows at once, a cycle an outbox
// notification starts, a job's run and its error, and the stop; after Run
// returns, the hooks hear nothing more.
func TestRunHooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := newEnv(t, config.Default().Sync.BatchSize)
	eng, st, hs, gov, insert := env.eng, env.st, env.hs, env.gov, env.insert
	insert("CO-1", "บริษัท หนึ่ง จำกัด")

	var (
		startedC   = make(chan daemon.Info, 1)
		cycleStart = make(chan daemon.Cycle, 8)
		cycleEnd   = make(chan daemon.Cycle, 8)
		otherEnd   = make(chan daemon.Cycle, 8)
		jobEnd     = make(chan daemon.JobRun, 8)
		calls      = make(chan hubspot.Call, 256)
		budgets    = make(chan governor.State, 256)
		listening  = make(chan bool, 8)
		stoppingC  = make(chan time.Time, 1)
		afterStop  atomic.Int32
		stopped    atomic.Bool
	)
	errInbox := errors.New("inbox: nothing to poll")
	first := daemon.Hooks{
		Started:       send(startedC),
		CycleStarted:  send(cycleStart),
		CycleFinished: send(cycleEnd),
		JobFinished:   send(jobEnd),
		CallMade: func(c hubspot.Call) {
			if stopped.Load() {
				afterStop.Add(1)
			}
			send(calls)(c)
		},
		BudgetChanged: send(budgets),
		Notifications: send(listening),
		Stopping:      send(stoppingC),
	}
	second := daemon.Hooks{CycleFinished: send(otherEnd)}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	returned := make(chan error, 1)
	go func() {
		returned <- daemon.Run(runCtx, daemon.Options{
			Engine: eng, Store: st, HubSpot: hs, Governor: gov,
			Schedule: daemontest.Never{}, Grace: time.Minute,
			Hooks: []daemon.Hooks{first, second},
			Jobs: []daemon.Job{{Name: "inbox", Schedule: &daemontest.Once{}, Run: func(ctx context.Context) error {
				return errInbox
			}}},
		})
	}()

	if info := daemontest.Recv(t, startedC, "start"); info.Owner != eng.Owner() || len(info.Jobs) != 1 || info.Jobs[0] != "inbox" {
		t.Errorf("Started(%+v); want owner %s and job inbox", info, eng.Owner())
	}
	if c := daemontest.Recv(t, cycleStart, "cycle start"); c.Trigger != daemon.TriggerStart || c.Started.IsZero() {
		t.Errorf("first CycleStarted(%+v); want trigger start", c)
	}
	c := daemontest.Recv(t, cycleEnd, "cycle end")
	if c.Err != nil || c.Summary.Rows != 1 || c.Summary.Created != 1 || c.Summary.Calls == 0 || c.Finished.Before(c.Started) {
		t.Errorf("first CycleFinished(%+v); want 1 row created, some calls, no error", c)
	}
	if o := daemontest.Recv(t, otherEnd, "cycle end for the second subscriber"); o.Summary != c.Summary {
		t.Errorf("the second subscriber saw %+v, the first %+v", o.Summary, c.Summary)
	}
	// The calls of the cycle: among them the batch upsert that created
	// CO-1, answered 200 (the emulator answers 200 to an upsert that
	// creates).
	var upserted bool
	for range c.Summary.Calls {
		call := daemontest.Recv(t, calls, "HubSpot call")
		if call.Operation == "POST /crm/objects/2026-09/{objectType}/batch/upsert" && call.Status == 200 && call.Write && call.Duration > 0 {
			upserted = true
		}
	}
	if !upserted {
		t.Error("CallMade saw no successful batch upsert in the first cycle")
	}
	if s := daemontest.Recv(t, budgets, "budget"); s.WindowLimit <= 0 || s.WindowUsed <= 0 || s.DailyLimit <= 0 {
		t.Errorf("BudgetChanged(%+v); want a window limit, calls in the window and a daily allowance", s)
	}

	// A cycle that claimed rows is followed at once by another, which
	// here finds nothing left.
	if c := daemontest.Recv(t, cycleStart, "cycle start"); c.Trigger != daemon.TriggerBacklog {
		t.Errorf("second CycleStarted(%+v); want trigger backlog", c)
	}
	if c := daemontest.Recv(t, cycleEnd, "cycle end"); c.Err != nil || c.Summary.Rows != 0 {
		t.Errorf("second CycleFinished(%+v); want no rows", c)
	}

	if r := daemontest.Recv(t, jobEnd, "job run"); r.Job != "inbox" || r.Trigger != daemon.TriggerSchedule || !errors.Is(r.Err, errInbox) {
		t.Errorf("JobFinished(%+v); want job inbox on its schedule, with its error", r)
	}

	// Once the daemon listens, a row the ERP inserts starts a cycle.
	for !daemontest.Recv(t, listening, "LISTEN") {
	}
	insert("CO-2", "บริษัท สอง จำกัด")
	if c := daemontest.Recv(t, cycleStart, "cycle start"); c.Trigger != daemon.TriggerNotify {
		t.Errorf("third CycleStarted(%+v); want trigger notify", c)
	}
	if c := daemontest.Recv(t, cycleEnd, "cycle end"); c.Err != nil || c.Summary.Created != 1 {
		t.Errorf("third CycleFinished(%+v); want 1 row created", c)
	}

	stop()
	daemontest.Recv(t, stoppingC, "stop")
	if err := daemontest.Recv(t, returned, "return from Run"); err != nil {
		t.Fatalf("Run = %v", err)
	}
	stopped.Store(true)
	if _, err := hs.AccountDetails(ctx); err != nil {
		t.Fatal(err)
	}
	if n := afterStop.Load(); n != 0 {
		t.Errorf("CallMade heard %d calls after Run returned", n)
	}
}

// env is the daemon's collaborators over the CLI's wiring: PostgreSQL and
// the built-in emulator, set up as `syncd run` without a token sets them up.
type env struct {
	eng    *engine.Engine
	st     *store.Store
	hs     *hubspot.Client
	gov    *governor.Governor
	insert func(erpID, name string) // an outbox row for a company
}

func newEnv(t *testing.T, batchSize int) env {
	t.Helper()
	db := pgtest.Migrated(t)
	cfg := config.Default()
	cfg.Database.URL, cfg.Database.Schema = db.BaseURL, db.Schema
	cfg.Sync.BatchSize = batchSize
	parent := &cli.Factory{
		IO:        cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       time.Now,
	}
	f := parent.ForEmulator(&cfg)
	t.Cleanup(parent.Close)
	ctx := context.Background()
	eng, err := f.Engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The engine is built over the store and the client, which the
	// factory keeps: these return them without error.
	st, _ := f.Store(ctx)
	hs, _ := f.HubSpot(ctx)
	gov, _ := f.Governor(ctx)
	return env{eng: eng, st: st, hs: hs, gov: gov, insert: func(erpID, name string) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, payload) VALUES ('company', $1, jsonb_build_object('name', $2::text))`, erpID, name); err != nil {
			t.Fatal(err)
		}
	}}
}

// TestRunWorksOffABacklog checks that a backlog larger than a cycle's batch
// is synced cycle after cycle without waiting for the schedule, which here
// never fires, and that the daemon then goes quiet.
func TestRunWorksOffABacklog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2)
	for i := range 5 {
		e.insert(fmt.Sprintf("CO-%d", i), fmt.Sprintf("บริษัท %d จำกัด", i))
	}
	ends := make(chan daemon.Cycle, 16)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	returned := make(chan error, 1)
	go func() {
		returned <- daemon.Run(ctx, daemon.Options{Engine: e.eng, Store: e.st, Schedule: daemontest.Never{}, Grace: time.Minute,
			Hooks: []daemon.Hooks{{CycleFinished: send(ends)}}})
	}()
	created := 0
	var triggers []daemon.Trigger
	for created < 5 {
		c := daemontest.Recv(t, ends, "cycle end")
		if c.Err != nil {
			t.Fatalf("cycle %+v", c)
		}
		created += c.Summary.Created
		triggers = append(triggers, c.Trigger)
	}
	// 2 + 2 + 1 rows, then a cycle that finds none and starts no other.
	if c := daemontest.Recv(t, ends, "cycle end"); c.Summary.Rows != 0 {
		t.Errorf("cycle after the backlog: %+v; want no rows", c.Summary)
	}
	want := []daemon.Trigger{daemon.TriggerStart, daemon.TriggerBacklog, daemon.TriggerBacklog}
	if !slices.Equal(triggers, want) {
		t.Errorf("cycles started by %v; want %v", triggers, want)
	}
	stop()
	if err := daemontest.Recv(t, returned, "return from Run"); err != nil {
		t.Fatalf("Run = %v", err)
	}
	select {
	case c := <-ends:
		t.Errorf("a cycle ran after the empty one: %+v", c)
	default:
	}
}

// TestRunChecksOptions checks that Run refuses options it cannot run with,
// naming each problem, before it starts anything.
func TestRunChecksOptions(t *testing.T) {
	t.Parallel()
	run := func(ctx context.Context) error { return nil }
	err := daemon.Run(context.Background(), daemon.Options{Jobs: []daemon.Job{
		{Name: "inbox", Schedule: daemontest.Never{}, Run: run}, {Name: "inbox", Schedule: daemontest.Never{}, Run: run}, {Schedule: daemontest.Never{}},
	}})
	if err == nil {
		t.Fatal("Run with empty options returned nil")
	}
	for _, want := range []string{"Engine", "Store", "Schedule is nil", `two jobs are named "inbox"`, "job 2 has no name", "needs a Schedule and a Run"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run's error %q does not say %q", err, want)
		}
	}
}
