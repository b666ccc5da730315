package store_test

import (
	"testing"
	"time"

	"github.com/syncd/syncd/internal/store"
)

// A change recorded twice is one row; a state older than the one kept
// does not replace it; the watermark never moves back; the backlog counts
// unconsumed rows per object type.
func TestRecordInbox(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	at := clk.Now().UTC().Truncate(time.Millisecond)
	stage := "closedwon"
	row := store.InboxRow{ObjectType: "deal", HubSpotID: "30000001", ERPID: "SO-1", Kind: store.InboxChanged, ModifiedAt: at, UpdatedBy: "7001",
		Changes: map[string]store.InboxChange{"dealstage": {Old: nil, New: &stage}}}
	state := store.InboxState{HubSpotID: "30000001", Properties: map[string]string{"dealstage": stage}, ModifiedAt: at}
	b := store.InboxBatch{ObjectType: "deal", Rows: []store.InboxRow{row}, States: []store.InboxState{state}, ModifiedUntil: at}
	for i, want := range []int{1, 0} {
		n, err := st.RecordInbox(ctx, 7, b)
		if err != nil || n != want {
			t.Fatalf("record %d: %d rows, %v; want %d", i+1, n, err, want)
		}
	}
	// An older version and an older watermark change nothing.
	old := store.InboxBatch{ObjectType: "deal", ModifiedUntil: at.Add(-time.Hour), States: []store.InboxState{{HubSpotID: "30000001",
		Properties: map[string]string{"dealstage": "appointmentscheduled"}, ModifiedAt: at.Add(-time.Hour)}}}
	if _, err := st.RecordInbox(ctx, 7, old); err != nil {
		t.Fatal(err)
	}
	states, err := st.InboxStates(ctx, 7, "deal", []string{"30000001", "30000002"})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states["30000001"].Properties["dealstage"] != stage || !states["30000001"].ModifiedAt.Equal(at) {
		t.Errorf("states = %+v, want the newer version of 30000001 only", states)
	}
	wm, err := st.InboxWatermark(ctx, 7, "deal")
	if err != nil || !wm.ModifiedUntil.Equal(at) {
		t.Errorf("watermark %+v, %v; want modified until %v", wm, err, at)
	}
	var changes, erpID, by string
	if err := db.Pool.QueryRow(ctx, `SELECT changes::text, erp_id, updated_by_user_id FROM inbox`).Scan(&changes, &erpID, &by); err != nil {
		t.Fatal(err)
	}
	if changes != `{"dealstage": {"new": "closedwon", "old": null}}` || erpID != "SO-1" || by != "7001" {
		t.Errorf("row: %s %s %s", changes, erpID, by)
	}

	// Before a complete read the backlog has no age; after, it has.
	bs, err := st.InboxBacklogs(ctx)
	if err != nil || len(bs) != 1 || bs[0].Unconsumed != 1 || bs[0].CheckedAt != nil {
		t.Fatalf("backlog %+v, %v; want deal: 1 unconsumed, never checked", bs, err)
	}
	now, err := st.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InboxChecked(ctx, 7, "deal", now); err != nil {
		t.Fatal(err)
	}
	if err := st.InboxChecked(ctx, 7, "deal", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Second)
	bs, err = st.InboxBacklogs(ctx)
	if err != nil || len(bs) != 1 || bs[0].CheckedAt == nil || bs[0].WatermarkAge < 90*time.Second || bs[0].WatermarkAge > 100*time.Second {
		t.Errorf("backlog %+v, %v; want checked about 90s ago", bs, err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE inbox SET consumed_at = now()`); err != nil {
		t.Fatal(err)
	}
	if bs, err = st.InboxBacklogs(ctx); err != nil || len(bs) != 1 || bs[0].Unconsumed != 0 {
		t.Errorf("after consuming: %+v, %v", bs, err)
	}
}
