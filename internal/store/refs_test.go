package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// refsOf names a row's references as the engine does.
func refsOf(r store.Row) []store.Ref {
	var out []store.Ref
	for _, ref := range outbox.References(r.Entity, r.Op, r.Payload) {
		out = append(out, store.Ref{Entity: string(ref.Entity), ERPID: ref.ERPID, BySKU: ref.BySKU})
	}
	return out
}

// backOff leaves row id failed after attempts, due again at next, as a
// failed attempt's backoff does.
func backOff(t *testing.T, db *pgtest.DB, id int64, attempts int, next time.Time) {
	t.Helper()
	if _, err := db.Pool.Exec(context.Background(), `UPDATE outbox SET state = 'failed', attempts = $2, next_attempt_at = $3 WHERE id = $1`, id, attempts, next); err != nil {
		t.Fatal(err)
	}
}

func keysOf(rows []store.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Entity+" "+r.ERPID)
	}
	slices.Sort(out)
	return out
}

// A claim takes the rows of the records its rows reference, and theirs,
// however far back in the backlog they are: a ticket brings its order, the
// order its customer, company and products (by ERP key or SKU), the
// customer its company.
func TestClaimTakesReferencedRows(t *testing.T) {
	ctx, db, _, st := newStore(t)
	outboxtest.Insert(t, db, "ticket", "T-1", `{"order_id":"SO-1","customer_id":"C-2"}`)
	for i := range 50 {
		outboxtest.Insert(t, db, "company", "FILL-"+string(rune('A'+i%26))+string(rune('a'+i/26)), `{}`)
	}
	outboxtest.Insert(t, db, "order", "SO-1", `{"customer_id":"C-1","company_id":"CO-1","items":[{"line_id":"1","sku":"SKU-1"},{"line_id":"2","sku":"P-2"},{"line_id":"3","sku":"NEW"}]}`)
	outboxtest.Insert(t, db, "customer", "C-1", `{"company_id":"CO-2"}`)
	outboxtest.Insert(t, db, "customer", "C-2", `{}`)
	outboxtest.Insert(t, db, "company", "CO-1", `{}`)
	outboxtest.Insert(t, db, "company", "CO-2", `{}`)
	outboxtest.Insert(t, db, "company", "CO-2", `{"name":"newer"}`)
	outboxtest.Insert(t, db, "product", "P-1", `{"sku":" SKU-1 "}`)
	outboxtest.Insert(t, db, "product", "P-2", `{"sku":"OTHER"}`)
	outboxtest.Insert(t, db, "product", "P-3", `{"sku":"SKU-3"}`)

	rows, err := st.ClaimWithRefs(ctx, "a", 1, time.Minute, refsOf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"company CO-1", "company CO-2", "company CO-2", "customer C-1", "customer C-2", "order SO-1", "product P-1", "product P-2", "ticket T-1"}
	if got := keysOf(rows); !slices.Equal(got, want) {
		t.Errorf("claimed %v, want %v", got, want)
	}
	if !slices.IsSortedFunc(rows, func(a, b store.Row) int { return int(a.ID - b.ID) }) {
		t.Errorf("rows not in id order: %v", rows)
	}
	// Plain Claim takes only the key it picked.
	if rows, err := st.Claim(ctx, "b", 1, time.Minute); err != nil || len(rows) != 1 || rows[0].ERPID != "FILL-Aa" {
		t.Errorf("Claim: %v %v; want the first filler only", keysOf(rows), err)
	}
}

// A referenced record whose row another process holds, or whose rows wait
// for their retry, is left where it is: OpenRows then tells the engine what
// to wait for.
func TestClaimLeavesHeldAndBackedOffReferences(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	c1 := outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	if rows, err := st.Claim(ctx, "b", 1, time.Minute); err != nil || len(rows) != 1 {
		t.Fatalf("b: %v %v", rows, err)
	}
	c2 := outboxtest.Insert(t, db, "customer", "C-2", `{}`)
	backOff(t, db, c2, 1, clk.Now().Add(time.Hour))
	p := outboxtest.Insert(t, db, "product", "P-1", `{"sku":"SKU-1"}`)
	outboxtest.Insert(t, db, "order", "SO-1", `{"customer_id":"C-1","items":[{"line_id":"1","sku":"SKU-1"}]}`)
	outboxtest.Insert(t, db, "ticket", "T-1", `{"customer_id":"C-2"}`)

	rows, err := st.ClaimWithRefs(ctx, "a", 10, time.Minute, refsOf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(rows), []string{"order SO-1", "product P-1", "ticket T-1"}; !slices.Equal(got, want) {
		t.Errorf("a claimed %v, want %v", got, want)
	}
	open, err := st.OpenRows(ctx, []store.Ref{
		{Entity: "customer", ERPID: "C-1"}, {Entity: "customer", ERPID: "C-2"},
		{Entity: "product", ERPID: "SKU-1", BySKU: true}, {Entity: "product", ERPID: "SKU-1"}, {Entity: "customer", ERPID: "C-9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := open[store.Ref{Entity: "customer", ERPID: "C-1"}]; o.ID != c1 || !o.Leased || o.LeaseOwner != "b" {
		t.Errorf("C-1: %+v, want row %d leased by b", o, c1)
	}
	if o := open[store.Ref{Entity: "customer", ERPID: "C-2"}]; o.ID != c2 || o.Leased || o.State != "failed" || !o.Later {
		t.Errorf("C-2: %+v, want row %d failed in backoff", o, c2)
	}
	if o := open[store.Ref{Entity: "product", ERPID: "SKU-1", BySKU: true}]; o.ID != p || o.ERPID != "P-1" {
		t.Errorf("SKU-1 by SKU: %+v, want product P-1's row %d", o, p)
	}
	if _, ok := open[store.Ref{Entity: "product", ERPID: "SKU-1"}]; ok {
		t.Error("SKU-1 as an ERP key found a row; no product has that key")
	}
	if _, ok := open[store.Ref{Entity: "customer", ERPID: "C-9"}]; ok {
		t.Error("C-9 found an open row; none was written")
	}
	if rows, err := st.ClaimWithRefs(ctx, "c", 10, time.Minute, refsOf); err != nil || len(rows) != 0 {
		t.Errorf("c claimed %v, %v; everything is held or backing off", keysOf(rows), err)
	}
}

// claimOrderOfHeldCustomer inserts customer C-1, which b claims, and order
// SO-1, which references it and which a claims with its references: the
// order alone, since its customer's row is b's.
func claimOrderOfHeldCustomer(ctx context.Context, t *testing.T, db *pgtest.DB, st *store.Store, lease time.Duration) (c1, so int64) {
	t.Helper()
	c1 = outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	if _, err := st.Claim(ctx, "b", 1, lease); err != nil {
		t.Fatal(err)
	}
	so = outboxtest.Insert(t, db, "order", "SO-1", `{"customer_id":"C-1"}`)
	rows, err := st.ClaimWithRefs(ctx, "a", 10, lease, refsOf)
	if err != nil || len(rows) != 1 || rows[0].ID != so {
		t.Fatalf("a claimed %v, %v; want SO-1 alone", rows, err)
	}
	return c1, so
}

// A row that waits for another goes back to pending without spending an
// attempt, names the row it waits for, and comes due when that row is
// recorded (done, or failed: then with its retry), or released.
func TestWaitingRowsComeDueWithTheirRow(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	lease := 5 * time.Minute
	c1, so := claimOrderOfHeldCustomer(ctx, t, db, st, lease)
	rec, err := st.Record(ctx, "a", retry, store.Outcome{Waiting: []store.Wait{{ID: so, For: c1}}, Keys: []store.KeyOutcome{{Rows: []int64{so}}}})
	if err != nil || rec.Waiting != 1 || rec.WaitingDue != 0 || rec.Lost != 0 {
		t.Fatalf("record a: %+v %v", rec, err)
	}
	state, attempts, next, _ := rowState(t, db, so)
	if state != store.StatePending || attempts != 0 || next.Sub(clk.Now()) < lease-time.Second {
		t.Errorf("waiting row: %s, %d attempts, due in %v; want pending, 0, at b's lease expiry", state, attempts, next.Sub(clk.Now()))
	}
	s, err := st.Status(ctx, store.StatusQuery{Limit: 10})
	if err != nil || s.Waiting != 1 || len(s.WaitingRows) != 1 || s.WaitingRows[0].WaitingFor == nil ||
		*s.WaitingRows[0].WaitingFor != (store.WaitedRow{ID: c1, Entity: "customer", ERPID: "C-1", State: "pending"}) {
		t.Errorf("status: %+v %v", s, err)
	}
	if rows, _ := st.Claim(ctx, "a", 10, lease); len(rows) != 0 {
		t.Errorf("a waiting row was claimed before its row was recorded: %v", rows)
	}

	// b fails C-1: the order comes due with C-1's retry.
	if _, err := st.Record(ctx, "b", retry, store.Outcome{Failed: []store.Failure{{ID: c1, Error: "bad", Transient: true}}}); err != nil {
		t.Fatal(err)
	}
	_, _, cNext, _ := rowState(t, db, c1)
	if _, _, next, _ := rowState(t, db, so); !next.Equal(cNext) {
		t.Errorf("waiting row due at %v, want with C-1's retry at %v", next, cNext)
	}
	// Both come due together, next to each other in the claim order.
	clk.Advance(time.Hour)
	rows, err := st.ClaimWithRefs(ctx, "a", 2, lease, refsOf)
	if err != nil || !slices.Equal(keysOf(rows), []string{"customer C-1", "order SO-1"}) {
		t.Fatalf("claim after the retry time: %v %v", keysOf(rows), err)
	}
	// C-1 done: the order's waiting_for is cleared when it is done.
	if _, err := st.Record(ctx, "a", retry, store.Outcome{Done: []int64{c1, so}}); err != nil {
		t.Fatal(err)
	}
	var waitingFor *int64
	if err := db.Pool.QueryRow(ctx, `SELECT waiting_for FROM outbox WHERE id = $1`, so).Scan(&waitingFor); err != nil || waitingFor != nil {
		t.Errorf("done row waiting_for = %v, %v; want NULL", waitingFor, err)
	}

	// A row waiting for a row that is done by the time it records is due
	// at once; one waiting for a released row comes due on the release.
	c2 := outboxtest.Insert(t, db, "customer", "C-2", `{}`)
	c3 := outboxtest.Insert(t, db, "customer", "C-3", `{}`)
	if rows, err := st.Claim(ctx, "b", 2, lease); err != nil || len(rows) != 2 {
		t.Fatalf("b: %v %v", rows, err)
	}
	o2 := outboxtest.Insert(t, db, "order", "SO-2", `{"customer_id":"C-2"}`)
	o3 := outboxtest.Insert(t, db, "order", "SO-3", `{"customer_id":"C-3"}`)
	if rows, err := st.ClaimWithRefs(ctx, "a", 10, lease, refsOf); err != nil || len(rows) != 2 {
		t.Fatalf("a: %v %v", rows, err)
	}
	if _, err := st.Record(ctx, "b", retry, store.Outcome{Done: []int64{c2}}); err != nil {
		t.Fatal(err)
	}
	rec, err = st.Record(ctx, "a", retry, store.Outcome{Waiting: []store.Wait{{ID: o2, For: c2}, {ID: o3, For: c3}}})
	if err != nil || rec.Waiting != 2 || rec.WaitingDue != 1 {
		t.Fatalf("record a: %+v %v; want 2 waiting, 1 due at once", rec, err)
	}
	if err := st.Release(ctx, "b", []int64{c3}); err != nil {
		t.Fatal(err)
	}
	rows, err = st.ClaimWithRefs(ctx, "a", 10, lease, refsOf)
	if err != nil || !slices.Equal(keysOf(rows), []string{"customer C-3", "order SO-2", "order SO-3"}) {
		t.Errorf("claim after C-2 done and C-3 released: %v %v", keysOf(rows), err)
	}
	for _, id := range []int64{so, o2, o3} {
		if _, attempts, _, _ := rowState(t, db, id); attempts != 0 {
			t.Errorf("row %d spent %d attempts waiting", id, attempts)
		}
	}
}

// A wake missed because the waiting row was locked elsewhere when its row
// was recorded (a claim of another process looking at it) is made up by
// the next claim: the row does not wait for the lease it read.
func TestClaimWakesWaitingRowsAWakeMissed(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	lease := 5 * time.Minute
	c1, so := claimOrderOfHeldCustomer(ctx, t, db, st, lease)
	if _, err := st.Record(ctx, "a", retry, store.Outcome{Waiting: []store.Wait{{ID: so, For: c1}}}); err != nil {
		t.Fatal(err)
	}
	// b records C-1 done while another transaction holds the order's row.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM outbox WHERE id = $1 FOR UPDATE`, so); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, "b", retry, store.Outcome{Done: []int64{c1}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, next, _ := rowState(t, db, so); next.Sub(clk.Now()) < lease-time.Minute {
		t.Fatalf("the order came due at %v although the wake was skipped; the test no longer misses a wake", next)
	}
	rows, err := st.ClaimWithRefs(ctx, "a", 10, lease, refsOf)
	if err != nil || !slices.Equal(keysOf(rows), []string{"order SO-1"}) {
		t.Errorf("claim after C-1 done: %v %v; want the waiting order", keysOf(rows), err)
	}
}

// A row waiting for a row that goes dead is due at once, to fail as it
// would without that row.
func TestWaitingForADeadRow(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	c1 := outboxtest.Insert(t, db, "customer", "C-1", `{}`)
	backOff(t, db, c1, 2, clk.Now().Add(time.Minute))
	so := outboxtest.Insert(t, db, "order", "SO-1", `{"customer_id":"C-1"}`)
	if rows, err := st.ClaimWithRefs(ctx, "a", 10, time.Minute, refsOf); err != nil || len(rows) != 1 {
		t.Fatalf("a: %v %v", rows, err)
	}
	if _, err := st.Record(ctx, "a", retry, store.Outcome{Waiting: []store.Wait{{ID: so, For: c1}}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	rows, err := st.ClaimWithRefs(ctx, "a", 2, time.Minute, refsOf)
	if err != nil || len(rows) != 2 {
		t.Fatalf("claim at the retry: %v %v", keysOf(rows), err)
	}
	rec, err := st.Record(ctx, "a", retry, store.Outcome{Failed: []store.Failure{{ID: c1, Attempts: 2, Error: "bad"}}, Waiting: []store.Wait{{ID: so, For: c1}}})
	if err != nil || rec.Dead != 1 || rec.WaitingDue != 1 {
		t.Fatalf("record: %+v %v; want C-1 dead and the order due at once", rec, err)
	}
	if rows, err := st.ClaimWithRefs(ctx, "a", 10, time.Minute, refsOf); err != nil || !slices.Equal(keysOf(rows), []string{"order SO-1"}) {
		t.Errorf("claim after C-1 went dead: %v %v", keysOf(rows), err)
	}
}
