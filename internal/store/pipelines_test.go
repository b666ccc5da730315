package store_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/store"
)

// Pipelines kept by one store are read back whole by another on the same
// schema, per portal and object type; a read older than the one kept does
// not replace it, and a drop spares a read later than the one it names.
func TestPipelinesKeptPerPortalAndType(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	sales := []byte(`[{"id": "default", "label": "Sales Pipeline", "stages": [{"id": "closedwon", "label": "Closed Won"}]}]`)
	if _, ok, err := st.Pipelines(ctx, 1, "deals"); ok || err != nil {
		t.Fatalf("pipelines before any save: %v, %v; want none", ok, err)
	}
	readAt := clk.Now().Add(123 * time.Nanosecond)
	kept, err := st.SavePipelines(ctx, 1, "deals", sales, readAt)
	if err != nil {
		t.Fatal(err)
	}
	if !kept.ReadAt.Equal(readAt.Truncate(time.Microsecond)) {
		t.Errorf("kept read at %v, want %v to the microsecond", kept.ReadAt, readAt)
	}

	// Another process: its own pool on the schema.
	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	other := store.New(pool, store.Options{})
	got, ok, err := other.Pipelines(ctx, 1, "deals")
	if err != nil || !ok {
		t.Fatalf("pipelines from another store: %v, %v", ok, err)
	}
	if !got.ReadAt.Equal(kept.ReadAt) || !sameJSON(t, got.JSON, sales) {
		t.Errorf("read back %s at %v, want %s at %v", got.JSON, got.ReadAt, sales, kept.ReadAt)
	}
	for _, k := range []struct {
		portal int64
		typ    string
	}{{2, "deals"}, {1, "tickets"}} {
		if _, ok, err := other.Pipelines(ctx, k.portal, k.typ); ok || err != nil {
			t.Errorf("pipelines of portal %d %s: %v, %v; want none", k.portal, k.typ, ok, err)
		}
	}

	// A process whose read started earlier saves after a later one: the
	// later read stays.
	renamed := []byte(`[{"id": "default", "label": "Old name"}]`)
	if _, err := other.SavePipelines(ctx, 1, "deals", renamed, readAt.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.Pipelines(ctx, 1, "deals"); !sameJSON(t, got.JSON, sales) {
		t.Errorf("an earlier read replaced the kept one: %s", got.JSON)
	}

	// Dropping an earlier read than the one kept keeps it; dropping the
	// one kept deletes it.
	if dropped, err := st.DropPipelines(ctx, 1, "deals", kept.ReadAt.Add(-time.Second)); dropped || err != nil {
		t.Errorf("drop of an earlier read: %v, %v; want nothing dropped", dropped, err)
	}
	if dropped, err := st.DropPipelines(ctx, 1, "deals", kept.ReadAt); !dropped || err != nil {
		t.Errorf("drop of the kept read: %v, %v; want it dropped", dropped, err)
	}
	if _, ok, err := st.Pipelines(ctx, 1, "deals"); ok || err != nil {
		t.Errorf("pipelines after the drop: %v, %v; want none", ok, err)
	}
}

// sameJSON reports whether a and b hold the same JSON value (jsonb does
// not keep the text as written).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// A schema that lacks the table is reported as not migrated.
func TestPipelinesTableMissing(t *testing.T) {
	ctx, db, clk, st := newStore(t)
	if _, err := db.Pool.Exec(ctx, `DROP TABLE pipelines`); err != nil {
		t.Fatal(err)
	}
	_, _, err := st.Pipelines(ctx, 1, "deals")
	if !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("read without the table: %v; want ErrNotMigrated", err)
	}
	if _, err := st.SavePipelines(ctx, 1, "deals", []byte(`[]`), clk.Now()); !errors.Is(err, store.ErrNotMigrated) {
		t.Errorf("save without the table: %v; want ErrNotMigrated", err)
	}
}
