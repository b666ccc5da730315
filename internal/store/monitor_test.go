package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

// TestBacklog checks the counts by entity and state, the rows in progress,
// waiting and warned, and the oldest pending row per entity, against rows
// seeded in every state.
func TestBacklog(t *testing.T) {
	ctx, db, _, st := newStore(t)
	now := time.Now()

	old := seedRow(t, db, "customer", "C-1", store.StatePending, 0, "", 3*time.Hour)
	seedRow(t, db, "customer", "C-2", store.StatePending, 0, "", time.Hour)
	held := seedRow(t, db, "customer", "C-3", store.StateFailed, 1, "outbox row 3: bad phone", time.Hour)
	lease(t, db, held, "host:1", now.Add(time.Minute))
	seedRow(t, db, "customer", "C-4", store.StateDead, 10, "outbox row 4: bad email", time.Hour)
	warned := seedRow(t, db, "company", "CO-1", store.StateDone, 0, "", time.Hour)
	seedRow(t, db, "company", "CO-2", store.StateDone, 0, "", time.Hour)
	waiting := seedRow(t, db, "order", "SO-1", store.StatePending, 0, "", 2*time.Hour)
	seedRow(t, db, "order", "SO-0", store.StateSuperseded, 0, "", 5*time.Hour)
	if _, err := db.Pool.Exec(ctx, `UPDATE outbox SET warnings = '{"phone skipped"}' WHERE id = $1`, warned); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE outbox SET waiting_for = $2 WHERE id = $1`, waiting, old); err != nil {
		t.Fatal(err)
	}

	b, err := st.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.BacklogCount{
		{Entity: "company", State: "done", Rows: 2, Warned: 1},
		{Entity: "customer", State: "dead", Rows: 1},
		{Entity: "customer", State: "failed", Rows: 1, InProgress: 1},
		{Entity: "customer", State: "pending", Rows: 2},
		{Entity: "order", State: "pending", Rows: 1, Waiting: 1},
		{Entity: "order", State: "superseded", Rows: 1},
	}
	if len(b.Counts) != len(want) {
		t.Fatalf("Backlog counts = %+v\nwant %+v", b.Counts, want)
	}
	for i := range want {
		if b.Counts[i] != want[i] {
			t.Errorf("count %d = %+v, want %+v", i, b.Counts[i], want[i])
		}
	}
	if len(b.OldestPending) != 2 {
		t.Errorf("oldest pending of %d entities, want customer and order: %v", len(b.OldestPending), b.OldestPending)
	}
	if b.Now.Sub(now).Abs() > time.Minute {
		t.Errorf("Backlog.Now = %s, the wall clock says %s", b.Now, now)
	}
	if age := b.Now.Sub(b.OldestPending["customer"]); age < 3*time.Hour-time.Minute || age > 3*time.Hour+time.Minute {
		t.Errorf("oldest pending customer is %s old, want 3h", age)
	}
	if age := b.Now.Sub(b.OldestPending["order"]); age < 2*time.Hour-time.Minute || age > 2*time.Hour+time.Minute {
		t.Errorf("oldest pending order is %s old, want 2h", age)
	}
}

// TestSchemaLevel checks the migration level of a migrated schema, of an
// empty one (no version table) and of one a migration behind, and that
// reading it creates nothing.
func TestSchemaLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	latest := store.LatestMigration()
	if latest < 5 {
		t.Fatalf("LatestMigration = %d; the binary embeds at least 00005", latest)
	}

	db := pgtest.Migrated(t)
	lvl, err := store.New(db.Pool, store.Options{}).SchemaLevel(ctx)
	if err != nil || lvl.Current != latest || lvl.Latest != latest || !lvl.Migrated() {
		t.Errorf("migrated schema: %+v, %v; want %d of %d", lvl, err, latest, latest)
	}
	if _, err := store.Migrate(ctx, db.BaseURL, db.Schema, "down"); err != nil {
		t.Fatal(err)
	}
	lvl, err = store.New(db.Pool, store.Options{}).SchemaLevel(ctx)
	if err != nil || lvl.Current != latest-1 || lvl.Migrated() {
		t.Errorf("a migration behind: %+v, %v; want %d of %d", lvl, err, latest-1, latest)
	}

	empty := pgtest.New(t)
	lvl, err = store.New(empty.Pool, store.Options{}).SchemaLevel(ctx)
	if err != nil || lvl.Current != 0 || lvl.Migrated() {
		t.Errorf("empty schema: %+v, %v; want 0 of %d", lvl, err, latest)
	}
	var tables int
	if err := empty.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, empty.Schema).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("reading the level left %d tables in the empty schema (%v)", tables, err)
	}
	if _, err := store.New(empty.Pool, store.Options{}).Backlog(ctx); !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("Backlog on an empty schema: %v, want ErrNotMigrated", err)
	}
}

// TestLookupKey finds an ERP key in the id_map with its HubSpot link, an
// order's line items with its deal, and the key's newest outbox row.
func TestLookupKey(t *testing.T) {
	ctx, db, _, st := newStore(t)
	if err := st.SaveMappings(ctx, []store.Mapping{
		{PortalID: 42, ObjectType: "contact", ERPID: "C-1", HubSpotID: "101"},
		{PortalID: 42, ObjectType: "deal", ERPID: "SO-1", HubSpotID: "301"},
		{PortalID: 42, ObjectType: "line_item", ERPID: "SO-1/1", HubSpotID: "401"},
		{PortalID: 42, ObjectType: "line_item", ERPID: "SO-10/1", HubSpotID: "402"},
		{PortalID: 42, ObjectType: "company", ERPID: "C-1", HubSpotID: "201"},
	}); err != nil {
		t.Fatal(err)
	}
	seedRow(t, db, "customer", "C-1", store.StateDone, 0, "", time.Hour)
	newest := seedRow(t, db, "customer", "C-1", store.StateFailed, 1, "outbox row 2: customer C-1: field \"email\": missing", time.Minute)

	got, err := st.LookupKey(ctx, "C-1", []store.ObjectType{"contact"}, []string{"customer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 1 || got.Records[0].HubSpotID != "101" || got.Records[0].ObjectTypeID != "0-1" ||
		got.Records[0].URL != "https://app.hubspot.com/contacts/42/record/0-1/101" {
		t.Errorf("C-1 as a contact: %+v", got.Records)
	}
	if len(got.Rows) != 1 || got.Rows[0].ID != newest || got.Rows[0].LastError == "" {
		t.Errorf("C-1's newest row: %+v, want row %d with its error", got.Rows, newest)
	}

	all, err := st.LookupKey(ctx, "C-1", nil, nil)
	if err != nil || len(all.Records) != 2 || all.Records[0].ObjectType != "company" || all.Records[1].ObjectType != "contact" {
		t.Errorf("C-1 in every type: %+v, %v", all, err)
	}
	order, err := st.LookupKey(ctx, "SO-1", []store.ObjectType{"deal"}, []string{"order"})
	if err != nil || len(order.Records) != 2 || order.Records[0].HubSpotID != "301" || order.Records[1].HubSpotID != "401" || len(order.Rows) != 0 {
		t.Errorf("SO-1: %+v, %v; want the deal and its one line item, no outbox row", order, err)
	}
	if none, err := st.LookupKey(ctx, "nobody", nil, []string{"customer"}); err != nil || len(none.Records)+len(none.Rows) != 0 {
		t.Errorf("an unknown key: %+v, %v", none, err)
	}
	if _, err := st.LookupKey(ctx, " ", nil, nil); err == nil {
		t.Error("an empty key was looked up")
	}
}
