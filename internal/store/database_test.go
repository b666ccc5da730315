package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

// TestEnsureDatabase checks that an existing database is left as it is and
// that a server that does not answer is ErrUnreachable, without the URL's
// password in the error.
func TestEnsureDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	if err := store.EnsureDatabase(ctx, db.BaseURL); err != nil {
		t.Errorf("EnsureDatabase on the test database: %v", err)
	}
	err := store.EnsureDatabase(ctx, "postgres://postgres:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=5")
	if !errors.Is(err, store.ErrUnreachable) || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("EnsureDatabase on a closed port: %v; want ErrUnreachable without the password", err)
	}
}

// TestInsertOutboxAndIDMapReads writes rows as an ERP does, checks that a
// bad one writes none, and reads the ID map back through the views the
// demo reports from; then drops the schema and migrates it afresh.
func TestInsertOutboxAndIDMapReads(t *testing.T) {
	ctx, db, _, st := newStore(t)
	rows := []store.NewOutboxRow{
		{Entity: "company", ERPID: "CO-1", Op: "upsert", Payload: map[string]any{"name": "บริษัท หนึ่ง จำกัด"}},
		{Entity: "customer", ERPID: "C-1", Op: "upsert", Payload: map[string]any{"name": "คุณมานพ", "company_id": "CO-1"}},
	}
	if err := st.InsertOutbox(ctx, rows); err != nil {
		t.Fatal(err)
	}
	bad := []store.NewOutboxRow{{Entity: "company", ERPID: "CO-2", Op: "upsert", Payload: map[string]any{}}, {Entity: "company", ERPID: "CO-3", Op: "merge"}}
	if err := st.InsertOutbox(ctx, bad); err == nil || !strings.Contains(err.Error(), "CO-3") {
		t.Errorf("InsertOutbox with an unknown op: %v; want an error naming CO-3", err)
	}
	var n int
	var first string
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), min(erp_id) FILTER (WHERE id = (SELECT min(id) FROM outbox)) FROM outbox`).Scan(&n, &first); err != nil {
		t.Fatal(err)
	}
	if n != 2 || first != "CO-1" {
		t.Errorf("outbox holds %d rows, the first %s; want 2, CO-1 (and nothing of the failed insert)", n, first)
	}

	ms := []store.Mapping{
		{PortalID: 1, ObjectType: "company", ERPID: "CO-1", HubSpotID: "101", Properties: map[string]string{"name": "บริษัท หนึ่ง จำกัด"}},
		{PortalID: 1, ObjectType: "company", ERPID: "CO-2", HubSpotID: "102", Properties: map[string]string{}},
		{PortalID: 1, ObjectType: "company", ERPID: "CO-3", HubSpotID: "103", Properties: map[string]string{}},
		{PortalID: 1, ObjectType: "contact", ERPID: "C-1", HubSpotID: "201", Properties: map[string]string{"firstname": "มานพ"}},
	}
	if err := st.SaveMappings(ctx, ms); err != nil {
		t.Fatal(err)
	}
	links, err := st.IDMapLinks(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range links {
		got = append(got, l.ObjectType+" "+l.ERPID+" "+l.URL)
	}
	want := []string{
		"company CO-1 https://app.hubspot.com/contacts/1/record/0-2/101",
		"company CO-2 https://app.hubspot.com/contacts/1/record/0-2/102",
		"contact C-1 https://app.hubspot.com/contacts/1/record/0-1/201",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("IDMapLinks(2) =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	counts, err := st.IDMapCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts["company"] != 3 || counts["contact"] != 1 {
		t.Errorf("IDMapCounts = %v, want 3 companies and 1 contact", counts)
	}
	of, err := st.MappingsOf(ctx, "contact", []string{"C-1", "CO-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(of) != 1 || of[0].Properties["firstname"] != "มานพ" {
		t.Errorf("MappingsOf(contact) = %+v, want C-1 with its synced firstname", of)
	}

	if err := store.DropSchema(ctx, db.BaseURL, db.Schema); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IDMapCounts(ctx); !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("IDMapCounts after DropSchema: %v, want ErrNotMigrated", err)
	}
	if _, err := store.Migrate(ctx, db.BaseURL, db.Schema, "up"); err != nil {
		t.Fatal(err)
	}
	if counts, err := st.IDMapCounts(ctx); err != nil || len(counts) != 0 {
		t.Errorf("IDMapCounts on the schema migrated afresh = %v, %v; want empty", counts, err)
	}
}
