package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// newDB starts a store test: it runs in parallel with the package's other
// tests, on a migrated schema of its own, and ctx ends with it.
func newDB(t *testing.T) (context.Context, *pgtest.DB) {
	t.Helper()
	t.Parallel()
	return t.Context(), pgtest.Migrated(t)
}

// newStore is newDB with a store on the schema whose clock is clk.
func newStore(t *testing.T) (context.Context, *pgtest.DB, *fakeclock.Clock, *store.Store) {
	t.Helper()
	ctx, db := newDB(t)
	clk := fakeclock.New(time.Now())
	return ctx, db, clk, store.New(db.Pool, store.Options{Offset: clk.Advanced})
}

func rowState(t *testing.T, db *pgtest.DB, id int64) (state string, attempts int, next time.Time, lastErr *string) {
	t.Helper()
	err := db.Pool.QueryRow(context.Background(),
		`SELECT state, attempts, next_attempt_at, last_error FROM outbox WHERE id = $1`, id).Scan(&state, &attempts, &next, &lastErr)
	if err != nil {
		t.Fatal(err)
	}
	return
}

var retry = store.Retry{MaxAttempts: 3, Base: 30 * time.Second, Max: time.Hour}

func TestClaimConcurrentClaimersNeverShareARow(t *testing.T) {
	ctx, db := newDB(t)
	const n = 300
	_, err := db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, payload)
SELECT 'customer', 'C-' || (g % 200), '{}'::jsonb FROM generate_series(1, $1) g`, n)
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(time.Now())
	var mu sync.Mutex
	seenRow := map[int64]string{}
	seenKey := map[store.Key]string{}
	var wg sync.WaitGroup
	for w := range 2 {
		// Each claimer has its own pool, as two processes would.
		pool, err := pgxpool.New(ctx, db.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		st := store.New(pool, store.Options{Offset: clk.Advanced})
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				rows, err := st.Claim(ctx, owner, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rows {
					if o, ok := seenRow[r.ID]; ok {
						t.Errorf("row %d claimed by %s and %s", r.ID, o, owner)
					}
					seenRow[r.ID] = owner
					if o, ok := seenKey[r.Key()]; ok && o != owner {
						t.Errorf("key %v claimed by %s and %s", r.Key(), o, owner)
					}
					seenKey[r.Key()] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seenRow) != n {
		t.Fatalf("claimed %d rows, want %d", len(seenRow), n)
	}
}

func TestClaimLeaseExpiryAndRelease(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	id := outboxtest.Insert(t, db, "customer", "C-1", `{}`)

	rows, err := st.Claim(ctx, "a", 10, time.Minute)
	if err != nil || len(rows) != 1 || rows[0].ID != id {
		t.Fatalf("claim a: %v %v", rows, err)
	}
	if rows, _ := st.Claim(ctx, "b", 10, time.Minute); len(rows) != 0 {
		t.Fatalf("b claimed a leased row: %v", rows)
	}
	// A newer row of a leased key waits for the lease too.
	outboxtest.Insert(t, db, "customer", "C-1", `{"v":2}`)
	if rows, _ := st.Claim(ctx, "b", 10, time.Minute); len(rows) != 0 {
		t.Fatalf("b claimed a row of a key leased by a: %v", rows)
	}
	clk.Advance(time.Minute + time.Second)
	rows, err = st.Claim(ctx, "b", 10, time.Minute)
	if err != nil || len(rows) != 2 {
		t.Fatalf("after expiry b claimed %v, %v; want both rows", rows, err)
	}
	// a lost its lease: what it records is ignored.
	rec, err := st.Record(ctx, "a", retry, store.Outcome{Done: []int64{id}})
	if err != nil || rec.Lost != 1 || rec.Done != 0 {
		t.Fatalf("record by a: %+v %v; want 1 lost", rec, err)
	}
	if err := st.ReleaseAll(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	rows, err = st.Claim(ctx, "c", 10, time.Minute)
	if err != nil || len(rows) != 2 {
		t.Fatalf("after release c claimed %v, %v", rows, err)
	}
}

// TestClaimAfterWaitingForAnother checks that a claim which waited for
// another process's claim compares leases with the database's time when it
// got its turn, not when it started: a lease that expired while it waited
// is expired to it.
func TestClaimAfterWaitingForAnother(t *testing.T) {
	ctx, db, _, st := newStore(t)
	outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	if rows, err := st.Claim(ctx, "a", 10, 3*time.Second); err != nil || len(rows) != 1 {
		t.Fatalf("claim a: %v %v", rows, err)
	}
	// Another claim in progress: its transaction holds the claims' lock.
	other, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Rollback(ctx) }()
	var holder int
	if err := other.QueryRow(ctx, `SELECT pg_backend_pid() FROM pg_advisory_xact_lock(hashtext('syncd.claim.' || current_schema()))`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan []store.Row, 1)
	go func() {
		rows, err := st.Claim(ctx, "b", 10, time.Minute)
		if err != nil {
			t.Error(err)
		}
		claimed <- rows
	}()
	// b waits for the lock while a's lease holds, and is still waiting
	// when the lease has run out.
	poll := func(what, sql string, args ...any) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			var ok bool
			if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within a minute", what)
			}
		}
	}
	poll("claim waiting for the lock", `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)))`, holder)
	var leased bool
	if err := db.Pool.QueryRow(ctx, `SELECT lease_expires_at > clock_timestamp() FROM outbox`).Scan(&leased); err != nil || !leased {
		t.Fatalf("a's lease ran out before b waited for the lock (%v): the test needs a longer lease", err)
	}
	poll("end of a's lease", `SELECT lease_expires_at <= clock_timestamp() FROM outbox`)
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case rows := <-claimed:
		if len(rows) != 1 {
			t.Errorf("b, after waiting past a's lease, claimed %v; want the row", rows)
		}
	case <-time.After(time.Minute):
		t.Fatal("b's claim did not end within a minute of the lock's release")
	}
}

func TestRecordCoalescesBacksOffAndDies(t *testing.T) {
	ctx, db := newDB(t)
	clk := fakeclock.New(time.Now())
	st := store.New(db.Pool, store.Options{Offset: clk.Advanced, Jitter: func() float64 { return 0 }})
	old := outboxtest.Insert(t, db, "company", "CO-1", `{"name":"a"}`)
	newest := outboxtest.Insert(t, db, "company", "CO-1", `{"name":"b"}`)
	other := outboxtest.Insert(t, db, "company", "CO-2", `{}`)

	rows, err := st.Claim(ctx, "a", 10, time.Minute)
	if err != nil || len(rows) != 3 {
		t.Fatalf("claim: %v %v", rows, err)
	}
	rec, err := st.Record(ctx, "a", retry, store.Outcome{
		Done:       []int64{newest},
		Superseded: []int64{old},
		Failed:     []store.Failure{{ID: other, Attempts: rows[2].Attempts, Error: "outbox row 3: company CO-2: bad"}},
		Keys: []store.KeyOutcome{{Rows: []int64{old, newest},
			Mappings: []store.Mapping{{PortalID: 1, ObjectType: "company", ERPID: "CO-1", HubSpotID: "77", Properties: map[string]string{"name": "b"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec != (store.Recorded{Done: 1, Superseded: 1, Failed: 1}) {
		t.Fatalf("recorded %+v", rec)
	}
	if s, _, _, _ := rowState(t, db, old); s != store.StateSuperseded {
		t.Fatalf("old row %s, want superseded", s)
	}
	m, err := st.Mappings(ctx, 1, "company", []string{"CO-1", "CO-9"})
	if err != nil || len(m) != 1 || m["CO-1"].HubSpotID != "77" || m["CO-1"].Properties["name"] != "b" {
		t.Fatalf("mappings %+v %v", m, err)
	}

	// Backoff: not claimable before next_attempt_at, claimable after.
	s, attempts, next, lastErr := rowState(t, db, other)
	if s != store.StateFailed || attempts != 1 || lastErr == nil {
		t.Fatalf("failed row: %s %d %v", s, attempts, lastErr)
	}
	if d := next.Sub(clk.Now()); d < 15*time.Second-time.Millisecond || d > 30*time.Second {
		t.Fatalf("first retry in %v, want 15s..30s", d)
	}
	if rows, _ := st.Claim(ctx, "a", 10, time.Minute); len(rows) != 0 {
		t.Fatalf("claimed a row in backoff: %v", rows)
	}
	for attempt := 2; attempt <= retry.MaxAttempts; attempt++ {
		clk.Advance(time.Hour)
		rows, err := st.Claim(ctx, "a", 10, time.Minute)
		if err != nil || len(rows) != 1 || rows[0].ID != other {
			t.Fatalf("attempt %d: claimed %v %v", attempt, rows, err)
		}
		rec, err := st.Record(ctx, "a", retry, store.Outcome{Failed: []store.Failure{{ID: other, Attempts: rows[0].Attempts, Error: "bad"}}})
		if err != nil {
			t.Fatal(err)
		}
		wantDead := attempt == retry.MaxAttempts
		if (rec.Dead == 1) != wantDead {
			t.Fatalf("attempt %d: %+v", attempt, rec)
		}
	}
	clk.Advance(24 * time.Hour)
	if rows, _ := st.Claim(ctx, "a", 10, time.Minute); len(rows) != 0 {
		t.Fatalf("claimed a dead row: %v", rows)
	}
	counts, err := st.StateCounts(ctx)
	if err != nil || counts[store.StateDead] != 1 || counts[store.StateDone] != 1 {
		t.Fatalf("counts %v %v", counts, err)
	}
}

func TestTransientFailureKeepsAttempts(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	id := outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	for range retry.MaxAttempts + 2 {
		rows, err := st.Claim(ctx, "a", 10, time.Minute)
		if err != nil || len(rows) != 1 {
			t.Fatalf("claim: %v %v", rows, err)
		}
		if _, err := st.Record(ctx, "a", retry, store.Outcome{Failed: []store.Failure{{ID: id, Error: "429", Transient: true}}}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Hour)
	}
	if s, attempts, _, _ := rowState(t, db, id); s != store.StateFailed || attempts != 0 {
		t.Fatalf("after transient failures: %s, %d attempts", s, attempts)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		attempts int
		j        float64
		want     time.Duration
	}{
		{1, 0, 15 * time.Second},
		{1, 0.999999, 30 * time.Second},
		{2, 0, 30 * time.Second},
		{3, 0.5, 90 * time.Second},
		{20, 0, 30 * time.Minute},
		{200, 1, time.Hour},
	} {
		got := store.Backoff(30*time.Second, time.Hour, c.attempts, c.j)
		if got.Round(time.Second) != c.want {
			t.Errorf("Backoff(30s, 1h, %d, %v) = %v, want %v", c.attempts, c.j, got, c.want)
		}
	}
}

func TestAssociationsAndRuns(t *testing.T) {
	ctx, db, _, st := newStore(t)
	a := store.Association{PortalID: 1, FromType: "contact", FromHubSpotID: "5", ToType: "company", ToHubSpotID: "9", TypeID: 1}
	b := a
	b.TypeID = 279
	if _, err := st.Record(ctx, "x", retry, store.Outcome{Associations: []store.Association{a}}); err != nil {
		t.Fatal(err)
	}
	known, err := st.KnownAssociations(ctx, []store.Association{a, b})
	if err != nil || !known[a] || known[b] {
		t.Fatalf("known %v %v", known, err)
	}
	from, err := st.AssociationsFrom(ctx, 1, "contact", []string{"5"}, "company")
	if err != nil || len(from) != 1 || from[0] != a {
		t.Fatalf("AssociationsFrom: %v %v", from, err)
	}
	if _, err := st.Record(ctx, "x", retry, store.Outcome{Unassociated: []store.Association{a}, Associations: []store.Association{b}}); err != nil {
		t.Fatal(err)
	}
	if from, _ := st.AssociationsFrom(ctx, 1, "contact", []string{"5"}, "company"); len(from) != 1 || from[0] != b {
		t.Fatalf("after removing a and adding b: %v", from)
	}
	id, err := st.StartRun(ctx, "host:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, map[string]int{"rows": 3}, nil); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.Pool.QueryRow(ctx, `SELECT (counts->>'rows')::int FROM runs WHERE id = $1 AND finished_at IS NOT NULL`, id).Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("run counts: %d %v", rows, err)
	}
}

func TestListenWakesOnInsert(t *testing.T) {
	ctx, db, _, st := newStore(t)
	ctx, cancel := context.WithCancel(ctx)
	woken := make(chan struct{}, 10)
	listening := make(chan error, 1)
	go func() { listening <- st.Listen(ctx, nil, func() { woken <- struct{}{} }) }()
	// LISTEN may not be in place yet when the first insert commits; keep
	// inserting until a wake-up arrives.
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-woken:
			done = true
		case <-tick.C:
			outboxtest.Insert(t, db, "customer", "C-1", `{}`)
		case <-deadline:
			t.Fatal("no wake-up within 10s of outbox inserts")
		}
	}
	cancel()
	if err := <-listening; !errors.Is(err, context.Canceled) {
		t.Fatalf("Listen returned %v, want context.Canceled", err)
	}
}

func TestExtendLease(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	id := outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	if rows, err := st.Claim(ctx, "a", 10, time.Minute); err != nil || len(rows) != 1 {
		t.Fatalf("claim: %v %v", rows, err)
	}
	clk.Advance(50 * time.Second)
	if n, err := st.ExtendLease(ctx, "a", []int64{id}, time.Minute); err != nil || n != 1 {
		t.Fatalf("extend: %d %v", n, err)
	}
	clk.Advance(50 * time.Second) // past the first lease, within the extended one
	if rows, _ := st.Claim(ctx, "b", 10, time.Minute); len(rows) != 0 {
		t.Fatalf("b claimed an extended lease: %v", rows)
	}
	if n, _ := st.ExtendLease(ctx, "b", []int64{id}, time.Minute); n != 0 {
		t.Fatal("b extended a lease it does not hold")
	}
}

// outboxLease returns a row's state and lease owner ("" when none).
func outboxLease(t *testing.T, db *pgtest.DB, id int64) (state, owner string) {
	t.Helper()
	var o *string
	if err := db.Pool.QueryRow(context.Background(), `SELECT state, lease_owner FROM outbox WHERE id = $1`, id).Scan(&state, &o); err != nil {
		t.Fatal(err)
	}
	if o != nil {
		owner = *o
	}
	return state, owner
}

// A process that lost its lease and wrote anyway records no synced values
// for the key; the newest row goes back to pending, so that the newest
// state is written again after the stale write. A lost key it did not
// write to, and a key it still holds, are recorded as usual.
func TestRecordLostKeyReopensNewestRow(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	mapping := func(erpID, hubspotID, name string) store.Mapping {
		return store.Mapping{PortalID: 1, ObjectType: "contact", ERPID: erpID, HubSpotID: hubspotID, Properties: map[string]string{"firstname": name}}
	}
	written := func(erpID string) []store.MapKey {
		return []store.MapKey{{PortalID: 1, ObjectType: "contact", ERPID: erpID}}
	}
	old1 := outboxtest.Insert(t, db, "customer", "C-1", `{"first_name":"Old"}`)
	old2 := outboxtest.Insert(t, db, "customer", "C-2", `{"first_name":"Old"}`)
	if rows, err := st.Claim(ctx, "a", 10, time.Minute); err != nil || len(rows) != 2 {
		t.Fatalf("claim a: %v %v", rows, err)
	}
	clk.Advance(time.Minute + time.Second)
	new1 := outboxtest.Insert(t, db, "customer", "C-1", `{"first_name":"New"}`)
	new2 := outboxtest.Insert(t, db, "customer", "C-2", `{"first_name":"New"}`)
	if rows, err := st.Claim(ctx, "b", 10, time.Minute); err != nil || len(rows) != 4 {
		t.Fatalf("claim b: %v %v", rows, err)
	}
	if _, err := st.Record(ctx, "b", retry, store.Outcome{
		Done:       []int64{new1, new2},
		Superseded: []int64{old1, old2},
		Keys: []store.KeyOutcome{
			{Rows: []int64{new1, old1}, Mappings: []store.Mapping{mapping("C-1", "7", "New")}, Written: written("C-1")},
			{Rows: []int64{new2, old2}, Mappings: []store.Mapping{mapping("C-2", "8", "New")}, Written: written("C-2")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	held := outboxtest.Insert(t, db, "customer", "C-3", `{}`)
	if rows, err := st.Claim(ctx, "a", 10, time.Minute); err != nil || len(rows) != 1 {
		t.Fatalf("claim a again: %v %v", rows, err)
	}

	// a's write to C-1 arrives after b's; a found C-2 unchanged.
	rec, err := st.Record(ctx, "a", retry, store.Outcome{
		Done: []int64{old1, old2, held},
		Keys: []store.KeyOutcome{
			{Rows: []int64{old1}, Mappings: []store.Mapping{mapping("C-1", "7", "Old")}, Written: written("C-1")},
			{Rows: []int64{old2}, Mappings: []store.Mapping{mapping("C-2", "8", "Old")}},
			{Rows: []int64{held}, Mappings: []store.Mapping{mapping("C-3", "9", "Held")}, Written: written("C-3")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec != (store.Recorded{Done: 1, Lost: 2, Reopened: 1}) {
		t.Fatalf("recorded %+v; want 1 done, 2 lost, 1 reopened", rec)
	}
	for _, c := range []struct {
		id    int64
		state string
	}{{old1, store.StateSuperseded}, {new1, store.StatePending}, {old2, store.StateSuperseded}, {new2, store.StateDone}, {held, store.StateDone}} {
		if s, o := outboxLease(t, db, c.id); s != c.state || o != "" {
			t.Errorf("row %d: %s leased by %q, want %s and no lease", c.id, s, o, c.state)
		}
	}
	m, err := st.Mappings(ctx, 1, "contact", []string{"C-1", "C-2", "C-3"})
	if err != nil {
		t.Fatal(err)
	}
	for erpID, want := range map[string]store.Mapping{"C-1": mapping("C-1", "7", ""), "C-2": mapping("C-2", "8", "New"), "C-3": mapping("C-3", "9", "Held")} {
		if got := m[erpID]; got.HubSpotID != want.HubSpotID || got.Properties["firstname"] != want.Properties["firstname"] {
			t.Errorf("id_map %s: %s %v, want %s %v", erpID, got.HubSpotID, got.Properties, want.HubSpotID, want.Properties)
		}
	}
	if len(m["C-1"].Properties) != 0 {
		t.Errorf("id_map C-1 keeps synced values %v after a stale write", m["C-1"].Properties)
	}
	rows, err := st.Claim(ctx, "c", 10, time.Minute)
	if err != nil || len(rows) != 1 || rows[0].ID != new1 {
		t.Fatalf("claim after the stale record: %v %v; want the newest C-1 row", rows, err)
	}
}

// A stale write recorded while another process still holds the key takes
// that process's lease, so that its own record, after its writes, reopens
// the key.
func TestRecordLostKeyWhileAnotherHoldsIt(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	key := []store.MapKey{{PortalID: 1, ObjectType: "contact", ERPID: "C-1"}}
	old := outboxtest.Insert(t, db, "customer", "C-1", `{"first_name":"Old"}`)
	if _, err := st.Claim(ctx, "a", 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute + time.Second)
	newer := outboxtest.Insert(t, db, "customer", "C-1", `{"first_name":"New"}`)
	if rows, err := st.Claim(ctx, "b", 10, time.Minute); err != nil || len(rows) != 2 {
		t.Fatalf("claim b: %v %v", rows, err)
	}
	rec, err := st.Record(ctx, "a", retry, store.Outcome{Done: []int64{old}, Keys: []store.KeyOutcome{{Rows: []int64{old}, Written: key,
		Mappings: []store.Mapping{{PortalID: 1, ObjectType: "contact", ERPID: "C-1", HubSpotID: "7", Properties: map[string]string{"firstname": "Old"}}}}}})
	if err != nil || rec != (store.Recorded{Lost: 1, Reopened: 1}) {
		t.Fatalf("record a: %+v %v", rec, err)
	}
	if s, o := outboxLease(t, db, newer); s != store.StatePending || o != "" {
		t.Fatalf("newest row: %s leased by %q; want pending, its lease taken", s, o)
	}
	rec, err = st.Record(ctx, "b", retry, store.Outcome{Done: []int64{newer}, Superseded: []int64{old}, Keys: []store.KeyOutcome{{Rows: []int64{newer, old}, Written: key,
		Mappings: []store.Mapping{{PortalID: 1, ObjectType: "contact", ERPID: "C-1", HubSpotID: "7", Properties: map[string]string{"firstname": "New"}}}}}})
	if err != nil || rec != (store.Recorded{Lost: 2, Reopened: 1}) {
		t.Fatalf("record b: %+v %v", rec, err)
	}
	m, err := st.Mappings(ctx, 1, "contact", []string{"C-1"})
	if err != nil || m["C-1"].HubSpotID != "7" || len(m["C-1"].Properties) != 0 {
		t.Fatalf("id_map after two stale records: %+v %v; want HubSpot ID 7 and no synced values", m, err)
	}
	if rows, err := st.Claim(ctx, "c", 10, time.Minute); err != nil || len(rows) != 2 {
		t.Fatalf("claim c: %v %v; want both rows open again", rows, err)
	}
}

// AddMappings inserts what the ID map lacks and replaces archived rows,
// but leaves a live row alone.
func TestAddMappingsKeepsLiveRows(t *testing.T) {
	ctx, _, _, st := newStore(t)
	now := time.Now()
	m := func(erpID, hubspotID, price string, archived *time.Time) store.Mapping {
		return store.Mapping{PortalID: 1, ObjectType: "product", ERPID: erpID, HubSpotID: hubspotID, Properties: map[string]string{"price": price}, ArchivedAt: archived}
	}
	if err := st.SaveMappings(ctx, []store.Mapping{m("LIVE", "1", "100", nil), m("GONE", "2", "100", &now)}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddMappings(ctx, []store.Mapping{m("LIVE", "11", "90", nil), m("GONE", "12", "90", nil), m("NEW", "13", "90", nil)}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Mappings(ctx, 1, "product", []string{"LIVE", "GONE", "NEW"})
	if err != nil {
		t.Fatal(err)
	}
	for erpID, want := range map[string]string{"LIVE": "1 100", "GONE": "12 90", "NEW": "13 90"} {
		g := got[erpID]
		if s := g.HubSpotID + " " + g.Properties["price"]; s != want || g.ArchivedAt != nil {
			t.Errorf("%s: %s archived %v, want %s live", erpID, s, g.ArchivedAt, want)
		}
	}
}

// TestPeekClaim checks that PeekClaim returns the rows a claim would take,
// references included, and leases none of them: a claim after it takes
// the same rows, and a leased key is skipped by both.
func TestPeekClaim(t *testing.T) {
	ctx, db, _, st := newStore(t)
	a := outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	b := outboxtest.Insert(t, db, "customer", "C-1", `{"v":2}`)
	c := outboxtest.Insert(t, db, "company", "CO-1", `{}`)
	held := outboxtest.Insert(t, db, "customer", "C-9", `{}`)
	if _, err := db.Pool.Exec(ctx, `UPDATE outbox SET lease_owner = 'other', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, held); err != nil {
		t.Fatal(err)
	}
	ids := func(rows []store.Row) []int64 {
		out := make([]int64, len(rows))
		for i, r := range rows {
			out[i] = r.ID
		}
		return out
	}
	for range 2 {
		peeked, err := st.PeekClaim(ctx, 10, nil)
		if err != nil || !slices.Equal(ids(peeked), []int64{a, b, c}) {
			t.Fatalf("peek = %v, %v; want %v", ids(peeked), err, []int64{a, b, c})
		}
	}
	if n := outboxtest.Count(t, db, `SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL AND id <> $1`, held); n != 0 {
		t.Fatalf("PeekClaim leased %d rows", n)
	}
	claimed, err := st.Claim(ctx, "a", 10, time.Minute)
	if err != nil || !slices.Equal(ids(claimed), []int64{a, b, c}) {
		t.Fatalf("claim after peek = %v, %v", ids(claimed), err)
	}
	if peeked, err := st.PeekClaim(ctx, 10, nil); err != nil || len(peeked) != 0 {
		t.Fatalf("peek of leased rows = %v, %v; want none", ids(peeked), err)
	}
}
