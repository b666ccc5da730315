package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

func tableCount(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var n int
	err := db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename <> $2`, db.Schema, store.VersionTable).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrateUpDownToZeroUpStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)

	up, err := store.Migrate(ctx, db.BaseURL, db.Schema, "up")
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Steps) == 0 || up.Version == 0 {
		t.Fatalf("up applied nothing: %+v", up)
	}
	if n := tableCount(t, db); n != 9 {
		t.Fatalf("after up: %d tables, want 9 (outbox, id_map, associations, runs, rate_ledger, pipelines, inbox, inbox_watermarks, inbox_state)", n)
	}
	again, err := store.Migrate(ctx, db.BaseURL, db.Schema, "up")
	if err != nil || len(again.Steps) != 0 {
		t.Fatalf("second up: steps %v, err %v; want none", again.Steps, err)
	}

	down, err := store.Migrate(ctx, db.BaseURL, db.Schema, "down-to", "0")
	if err != nil {
		t.Fatal(err)
	}
	if down.Version != 0 || len(down.Steps) != len(up.Steps) {
		t.Fatalf("down-to 0: version %d, %d steps; want 0, %d", down.Version, len(down.Steps), len(up.Steps))
	}
	if n := tableCount(t, db); n != 0 {
		t.Fatalf("after down-to 0: %d tables remain", n)
	}

	if _, err := store.Migrate(ctx, db.BaseURL, db.Schema, "up"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Migrate(ctx, db.BaseURL, db.Schema, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Status {
		if !m.Applied {
			t.Errorf("status: %s not applied", m.Name)
		}
	}
	if len(st.Status) == 0 || st.Status[0].Name != "00001_outbox_id_map_runs.sql" || st.Status[0].AppliedAt.IsZero() {
		t.Errorf("status: %+v, want 00001_outbox_id_map_runs.sql first, with when it was applied", st.Status)
	}
	redo, err := store.Migrate(ctx, db.BaseURL, db.Schema, "redo")
	if err != nil {
		t.Fatal(err)
	}
	if len(redo.Steps) != 2 || redo.Steps[0].Direction != "down" || redo.Steps[1].Direction != "up" {
		t.Fatalf("redo steps: %+v", redo.Steps)
	}
	v, err := store.Migrate(ctx, db.BaseURL, db.Schema, "version")
	if err != nil || v.Version != up.Version {
		t.Fatalf("version: %v %v, want %d", v, err, up.Version)
	}
	if _, err := store.Migrate(ctx, db.BaseURL, db.Schema, "sideways"); err == nil {
		t.Fatal("unknown command accepted")
	}
	if _, err := store.Migrate(ctx, db.BaseURL, `x"; drop`, "up"); err == nil {
		t.Fatal("bad schema name accepted")
	}
}

func TestMigratedViewLinks(t *testing.T) {
	ctx, db := newDB(t)
	_, err := db.Pool.Exec(ctx, `INSERT INTO id_map (portal_id, object_type, erp_id, hubspot_id) VALUES (123, 'company', 'CO-1', '987')`)
	if err != nil {
		t.Fatal(err)
	}
	var link string
	if err := db.Pool.QueryRow(ctx, `SELECT hubspot_url FROM id_map_links WHERE erp_id = 'CO-1'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	if want := "https://app.hubspot.com/contacts/123/record/0-2/987"; link != want {
		t.Fatalf("link %q, want %q", link, want)
	}
}

func TestMigrateNothingToDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	for _, cmd := range []string{"status", "version", "down", "down-to"} {
		args := []string{}
		if cmd == "down-to" {
			args = []string{"0"}
		}
		res, err := store.Migrate(ctx, db.BaseURL, db.Schema, cmd, args...)
		if err != nil || res.Version != 0 || len(res.Steps) != 0 {
			t.Fatalf("%s on an empty schema: %+v, %v", cmd, res, err)
		}
	}
	if _, err := store.Migrate(ctx, db.BaseURL, db.Schema, "down-to"); err == nil {
		t.Fatal("down-to without a version accepted")
	}
}

// TestNotMigrated checks that what the commands read first says, as
// store.ErrNotMigrated, that the schema lacks syncd's tables, keeping the
// database's error in the chain; a migrated schema's errors are not that.
func TestNotMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(pgtest.New(t).Pool, store.Options{})
	_, countErr := st.StateCounts(ctx)
	_, statusErr := st.Status(ctx, store.StatusQuery{Limit: 1})
	_, requeueErr := st.Requeue(ctx, store.RequeueSelector{All: true})
	_, backfillErr := st.BeginBackfill(ctx, "customer", store.BackfillDryRun)
	for name, err := range map[string]error{"StateCounts": countErr, "Status": statusErr, "Requeue": requeueErr, "BeginBackfill": backfillErr} {
		var pe *pgconn.PgError
		if !errors.Is(err, store.ErrNotMigrated) || !errors.As(err, &pe) {
			t.Errorf("%s on an empty schema: %v; want store.ErrNotMigrated wrapping the database's error", name, err)
		}
	}
	migrated := store.New(pgtest.Migrated(t).Pool, store.Options{})
	if _, err := migrated.StateCounts(ctx); err != nil {
		t.Errorf("StateCounts on a migrated schema: %v", err)
	}
	_, err := migrated.Status(ctx, store.StatusQuery{States: []string{"stuck"}})
	if err == nil || errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("Status with an unknown state: %v; want an error that is not ErrNotMigrated", err)
	}
}
