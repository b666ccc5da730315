package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

// seedRow inserts an outbox row in state with attempts and last error, as
// syncd would have left it, written age ago by the database clock.
func seedRow(t *testing.T, db *pgtest.DB, entity, erpID, state string, attempts int, lastErr string, age time.Duration) int64 {
	t.Helper()
	var id int64
	var msg *string
	if lastErr != "" {
		msg = &lastErr
	}
	err := db.Pool.QueryRow(context.Background(), `
INSERT INTO outbox (entity, erp_id, payload, state, attempts, last_error, created_at, next_attempt_at, processed_at)
VALUES ($1, $2, '{}', $3, $4, $5, now() - $6::interval, now() + interval '1 hour',
        CASE WHEN $3 IN ('done', 'dead', 'superseded') THEN now() END)
RETURNING id`, entity, erpID, state, attempts, msg, age.String()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func lease(t *testing.T, db *pgtest.DB, id int64, owner string, until time.Time) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(),
		`UPDATE outbox SET lease_owner = $2, lease_expires_at = $3 WHERE id = $1`, id, owner, until); err != nil {
		t.Fatal(err)
	}
}

// dbNow reads the database's clock, the store's.
func dbNow(t *testing.T, db *pgtest.DB) time.Time {
	t.Helper()
	var now time.Time
	if err := db.Pool.QueryRow(context.Background(), `SELECT clock_timestamp()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

func ids(rows []store.OutboxRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestStatus(t *testing.T) {
	ctx, db, _, st := newStore(t)
	now := time.Now()

	p1 := seedRow(t, db, "customer", "C-1", store.StatePending, 0, "", 2*time.Hour)
	p2 := seedRow(t, db, "company", "CO-1", store.StatePending, 0, "", 3*time.Hour)
	lease(t, db, p1, "host:1", now.Add(time.Minute))
	// Written last but not first: the oldest is by time, not by id.
	seedRow(t, db, "customer", "C-9", store.StatePending, 0, "", time.Minute)
	f1 := seedRow(t, db, "customer", "C-2", store.StateFailed, 2, `field "phone": masked`, time.Hour)
	lease(t, db, f1, "host:1", now.Add(-time.Minute)) // expired: not in progress
	d1 := seedRow(t, db, "company", "CO-2", store.StateDead, 10, `field "tax_id": check digit`, time.Hour)
	seedRow(t, db, "customer", "C-3", store.StateDone, 0, "", time.Hour)
	seedRow(t, db, "customer", "C-3", store.StateDone, 0, "", time.Hour)
	seedRow(t, db, "customer", "C-4", store.StateSuperseded, 1, "old", time.Hour)
	f2 := seedRow(t, db, "customer", "C-5", store.StateFailed, 1, "HubSpot 503", time.Minute)
	if _, err := db.Pool.Exec(ctx, `
INSERT INTO runs (owner, started_at, finished_at, counts, error) VALUES
 ('host:1', $1::timestamptz - interval '20 s', $1::timestamptz - interval '19 s', '{"rows": 4, "failed": 1}', NULL),
 ('host:1', $1::timestamptz - interval '10 s', NULL, '{}', 'HubSpot unreachable'),
 ('host:1', $1::timestamptz - interval '30 s', $1::timestamptz - interval '29 s', '{"rows": 1}', NULL)`, now); err != nil {
		t.Fatal(err)
	}

	s, err := st.Status(ctx, store.StatusQuery{Limit: 10, Runs: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"pending": 3, "failed": 2, "dead": 1, "done": 2, "superseded": 1}
	for k, n := range want {
		if s.Counts[k] != n {
			t.Errorf("count %s = %d, want %d (all: %v)", k, s.Counts[k], n, s.Counts)
		}
	}
	if s.InProgress != 1 {
		t.Errorf("in progress = %d, want 1", s.InProgress)
	}
	if s.OldestPending == nil || s.OldestPending.ID != p2 {
		t.Errorf("oldest pending = %+v, want row %d", s.OldestPending, p2)
	}
	if got, want := ids(s.Rows), []int64{f2, d1, f1}; !slices.Equal(got, want) {
		t.Errorf("rows = %v, want %v (failed and dead, newest first)", got, want)
	}
	if r := s.Rows[2]; r.Attempts != 2 || r.LastError != `field "phone": masked` || r.State != store.StateFailed || r.ERPID != "C-2" {
		t.Errorf("row %d = %+v", f1, r)
	}
	if len(s.Runs) != 2 || s.Runs[0].Error != "HubSpot unreachable" || s.Runs[0].FinishedAt != nil ||
		string(s.Runs[1].Counts) != `{"rows": 4, "failed": 1}` || s.Runs[1].FinishedAt == nil {
		t.Errorf("runs = %+v", s.Runs)
	}

	// An entity narrows counts and rows; states pick the rows listed.
	s, err = st.Status(ctx, store.StatusQuery{Entity: "company", States: []string{store.StatePending, store.StateDead}, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.Counts["pending"] != 1 || s.Counts["failed"] != 0 || s.Counts["dead"] != 1 || s.InProgress != 0 {
		t.Errorf("company counts = %v, in progress %d", s.Counts, s.InProgress)
	}
	if got := ids(s.Rows); !slices.Equal(got, []int64{d1}) {
		t.Errorf("company rows = %v, want [%d] (limit 1, newest first)", got, d1)
	}
	if len(s.Runs) != 0 {
		t.Errorf("runs listed without asking: %v", s.Runs)
	}

	if _, err := st.Status(ctx, store.StatusQuery{States: []string{"stuck"}}); err == nil {
		t.Error("unknown state accepted")
	}
}

func TestStatusEmpty(t *testing.T) {
	ctx, _, _, st := newStore(t)
	s, err := st.Status(ctx, store.StatusQuery{Limit: 5, Runs: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Counts) != len(store.States) || s.OldestPending != nil || len(s.Rows) != 0 || len(s.Runs) != 0 {
		t.Errorf("empty outbox: %+v", s)
	}
}

func TestRequeue(t *testing.T) {
	t.Parallel()
	type seeded struct {
		failed, dead, deadOther, replaced, newer, superseded, leased, done int64
	}
	tests := []struct {
		name string
		sel  func(s seeded) store.RequeueSelector
		// requeued, replaced and in-progress rows Requeue reports
		requeued, replaced, inProgress func(s seeded) []int64
	}{
		{
			name:     "by id",
			sel:      func(s seeded) store.RequeueSelector { return store.RequeueSelector{IDs: []int64{s.dead, s.done}} },
			requeued: func(s seeded) []int64 { return []int64{s.dead} },
		},
		{
			name:     "by entity",
			sel:      func(s seeded) store.RequeueSelector { return store.RequeueSelector{Entity: "company"} },
			requeued: func(s seeded) []int64 { return []int64{s.deadOther} },
		},
		{
			name:     "by erp id",
			sel:      func(s seeded) store.RequeueSelector { return store.RequeueSelector{ERPID: "C-1"} },
			requeued: func(s seeded) []int64 { return []int64{s.failed} },
		},
		{
			name: "by erp id and state",
			sel: func(s seeded) store.RequeueSelector {
				return store.RequeueSelector{ERPID: "C-1", States: []string{"dead"}}
			},
			requeued: func(s seeded) []int64 { return nil },
		},
		{
			name: "all dead",
			sel: func(s seeded) store.RequeueSelector {
				return store.RequeueSelector{All: true, States: []string{store.StateDead}}
			},
			requeued: func(s seeded) []int64 { return []int64{s.dead, s.deadOther} },
			replaced: func(s seeded) []int64 { return []int64{s.replaced} },
		},
		{
			name:       "all failed and dead",
			sel:        func(s seeded) store.RequeueSelector { return store.RequeueSelector{All: true} },
			requeued:   func(s seeded) []int64 { return []int64{s.failed, s.dead, s.deadOther, s.newer} },
			replaced:   func(s seeded) []int64 { return []int64{s.replaced} },
			inProgress: func(s seeded) []int64 { return []int64{s.leased} },
		},
		{
			name: "superseded by id",
			sel: func(s seeded) store.RequeueSelector {
				return store.RequeueSelector{IDs: []int64{s.superseded, s.replaced}}
			},
			replaced: func(s seeded) []int64 { return []int64{s.replaced} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, db, _, st := newStore(t)
			now := time.Now().Add(time.Minute)
			var s seeded
			s.failed = seedRow(t, db, "customer", "C-1", store.StateFailed, 3, "bad phone", time.Hour)
			s.dead = seedRow(t, db, "customer", "C-2", store.StateDead, 10, "bad email", time.Hour)
			s.deadOther = seedRow(t, db, "company", "CO-1", store.StateDead, 10, "bad tax id", time.Hour)
			// A dead row whose key has a newer (failed) row.
			s.replaced = seedRow(t, db, "customer", "C-3", store.StateDead, 10, "old", time.Hour)
			s.newer = seedRow(t, db, "customer", "C-3", store.StateFailed, 1, "newer", time.Hour)
			s.superseded = seedRow(t, db, "customer", "C-4", store.StateSuperseded, 2, "older", time.Hour)
			s.leased = seedRow(t, db, "customer", "C-5", store.StateFailed, 1, "retrying", time.Hour)
			lease(t, db, s.leased, "host:1", now.Add(time.Minute))
			s.done = seedRow(t, db, "customer", "C-6", store.StateDone, 0, "", time.Hour)

			before := snapshot(t, db)
			from := dbNow(t, db)
			res, err := st.Requeue(ctx, tt.sel(s))
			to := dbNow(t, db)
			if err != nil {
				t.Fatal(err)
			}
			orNil := func(f func(seeded) []int64) []int64 {
				if f == nil {
					return nil
				}
				return f(s)
			}
			check := func(what string, got []store.OutboxRow, want []int64) {
				t.Helper()
				if g := ids(got); !slices.Equal(g, append([]int64{}, want...)) {
					t.Errorf("%s = %v, want %v", what, g, want)
				}
			}
			check("requeued", res.Rows, orNil(tt.requeued))
			check("replaced", res.Replaced, orNil(tt.replaced))
			check("in progress", res.InProgress, orNil(tt.inProgress))

			after := snapshot(t, db)
			for id, b := range before {
				a := after[id]
				if slices.Contains(orNil(tt.requeued), id) {
					if a.state != store.StatePending || a.attempts != 0 || a.next.Before(from) || a.next.After(to) ||
						a.processed || a.lastErr != b.lastErr || a.leased {
						t.Errorf("row %d after requeue = %+v (before %+v)", id, a, b)
					}
				} else if a != b {
					t.Errorf("row %d changed though not requeued: %+v → %+v", id, b, a)
				}
			}

			// The requeued rows are claimable at once.
			claimed, err := st.Claim(ctx, "host:2", 100, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			// Nothing else is due: the other open rows wait for their
			// next attempt or are leased.
			if got, want := ids(toOutboxRows(claimed)), orNil(tt.requeued); !slices.Equal(got, append([]int64{}, want...)) {
				t.Errorf("claimed %v after requeue, want %v", got, want)
			}
		})
	}
}

func toOutboxRows(rows []store.Row) []store.OutboxRow {
	out := []store.OutboxRow{}
	for _, r := range rows {
		out = append(out, store.OutboxRow{ID: r.ID})
	}
	return out
}

// rowSnap is what Requeue may change on an outbox row.
type rowSnap struct {
	state     string
	attempts  int
	next      time.Time
	processed bool
	lastErr   string
	leased    bool
}

func snapshot(t *testing.T, db *pgtest.DB) map[int64]rowSnap {
	t.Helper()
	r, err := db.Pool.Query(context.Background(), `
SELECT id, state, attempts, next_attempt_at, processed_at IS NOT NULL, coalesce(last_error, ''), lease_owner IS NOT NULL
FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]rowSnap{}
	var id int64
	var s rowSnap
	if _, err := pgx.ForEachRow(r, []any{&id, &s.state, &s.attempts, &s.next, &s.processed, &s.lastErr, &s.leased}, func() error {
		out[id] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRequeueDryRunChangesNothing(t *testing.T) {
	ctx, db, _, st := newStore(t)
	dead := seedRow(t, db, "customer", "C-1", store.StateDead, 10, "bad email", time.Hour)
	failed := seedRow(t, db, "customer", "C-2", store.StateFailed, 2, "bad phone", time.Hour)
	before := snapshot(t, db)
	res, err := st.Requeue(ctx, store.RequeueSelector{All: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Rows); !slices.Equal(got, []int64{dead, failed}) {
		t.Errorf("dry run reports %v, want [%d %d]", got, dead, failed)
	}
	if res.Rows[0].State != store.StateDead || res.Rows[0].Attempts != 10 {
		t.Errorf("dry run row = %+v, want the row as it is", res.Rows[0])
	}
	after := snapshot(t, db)
	for id, b := range before {
		if after[id] != b {
			t.Errorf("dry run changed row %d: %+v → %+v", id, b, after[id])
		}
	}
}

func TestRequeueRefusesWithoutSelector(t *testing.T) {
	ctx, db, _, st := newStore(t)
	id := seedRow(t, db, "customer", "C-1", store.StateDead, 10, "bad", time.Hour)
	before := snapshot(t, db)
	if _, err := st.Requeue(ctx, store.RequeueSelector{States: []string{store.StateDead}}); !errors.Is(err, store.ErrNoSelector) {
		t.Errorf("requeue without selector: err %v, want ErrNoSelector", err)
	}
	if _, err := st.Requeue(ctx, store.RequeueSelector{IDs: []int64{id}, States: []string{store.StateDone}}); err == nil {
		t.Error("requeue of done rows accepted")
	}
	if after := snapshot(t, db); after[id] != before[id] {
		t.Errorf("row changed: %+v → %+v", before[id], after[id])
	}
}

// TestRequeueWakesRun checks that a requeue notifies the channel `syncd
// run` listens on, with the schema as payload, so the rows go at once.
func TestRequeueWakesRun(t *testing.T) {
	ctx, db, _, st := newStore(t)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	id := seedRow(t, db, "customer", "C-1", store.StateDead, 10, "bad", time.Hour)
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN syncd_outbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Requeue(ctx, store.RequeueSelector{IDs: []int64{id}}); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("no notification for schema %s: %v", db.Schema, err)
		}
		if n.Payload == db.Schema {
			return
		}
	}
}
