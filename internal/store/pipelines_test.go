package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// Pipelines kept by one store are read back whole by another on the same
// schema, per portal and object type; a read older than the one kept does
// not replace it, and a drop spares a read later than the one it names.
func TestPipelinesKeptPerPortalAndType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clk, st := newStore(t)
	sales := []hubspot.Pipeline{{ID: "default", Label: "Sales Pipeline", DisplayOrder: 0, Stages: []hubspot.PipelineStage{
		{ID: "appointmentscheduled", Label: "Appointment Scheduled", DisplayOrder: 0, Metadata: map[string]string{"isClosed": "false", "probability": "0.2"}},
		{ID: "closedwon", Label: "Closed Won", DisplayOrder: 1, Metadata: map[string]string{"isClosed": "true", "probability": "1.0"}},
	}}}
	if _, ok, err := st.Pipelines(ctx, 1, hubspot.Deals); ok || err != nil {
		t.Fatalf("pipelines before any save: %v, %v; want none", ok, err)
	}
	readAt := clk.Now().Add(123 * time.Nanosecond)
	kept, err := st.SavePipelines(ctx, 1, hubspot.Deals, sales, readAt)
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
	got, ok, err := other.Pipelines(ctx, 1, hubspot.Deals)
	if err != nil || !ok {
		t.Fatalf("pipelines from another store: %v, %v", ok, err)
	}
	if !got.ReadAt.Equal(kept.ReadAt) || !reflect.DeepEqual(got.Pipelines, sales) {
		t.Errorf("read back %+v at %v, want %+v at %v", got.Pipelines, got.ReadAt, sales, kept.ReadAt)
	}
	for _, k := range []struct {
		portal int64
		typ    string
	}{{2, hubspot.Deals}, {1, hubspot.Tickets}} {
		if _, ok, err := other.Pipelines(ctx, k.portal, k.typ); ok || err != nil {
			t.Errorf("pipelines of portal %d %s: %v, %v; want none", k.portal, k.typ, ok, err)
		}
	}

	// A process whose read started earlier saves after a later one: the
	// later read stays.
	renamed := []hubspot.Pipeline{{ID: "default", Label: "Old name"}}
	if _, err := other.SavePipelines(ctx, 1, hubspot.Deals, renamed, readAt.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.Pipelines(ctx, 1, hubspot.Deals); got.Pipelines[0].Label != "Sales Pipeline" {
		t.Errorf("an earlier read replaced the kept one: %+v", got.Pipelines)
	}

	// Dropping an earlier read than the one kept keeps it; dropping the
	// one kept deletes it.
	if dropped, err := st.DropPipelines(ctx, 1, hubspot.Deals, kept.ReadAt.Add(-time.Second)); dropped || err != nil {
		t.Errorf("drop of an earlier read: %v, %v; want nothing dropped", dropped, err)
	}
	if dropped, err := st.DropPipelines(ctx, 1, hubspot.Deals, kept.ReadAt); !dropped || err != nil {
		t.Errorf("drop of the kept read: %v, %v; want it dropped", dropped, err)
	}
	if _, ok, err := st.Pipelines(ctx, 1, hubspot.Deals); ok || err != nil {
		t.Errorf("pipelines after the drop: %v, %v; want none", ok, err)
	}
}

// A schema that lacks the table says which command adds it.
func TestPipelinesTableMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, clk, st := newStore(t)
	if _, err := db.Pool.Exec(ctx, `DROP TABLE pipelines`); err != nil {
		t.Fatal(err)
	}
	_, _, err := st.Pipelines(ctx, 1, hubspot.Deals)
	if err == nil || !strings.Contains(err.Error(), "syncd migrate up") {
		t.Errorf("read without the table: %v; want it to say to run syncd migrate up", err)
	}
	if _, err := st.SavePipelines(ctx, 1, hubspot.Deals, nil, clk.Now()); err == nil || !strings.Contains(err.Error(), "syncd migrate up") {
		t.Errorf("save without the table: %v; want it to say to run syncd migrate up", err)
	}
}
