package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
)

func TestSchemaIsolatedAndDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var schema string
	t.Run("inner", func(t *testing.T) {
		db := pgtest.Migrated(t)
		schema = db.Schema
		// URL reaches the same schema with its own connection.
		conn, err := pgx.Connect(ctx, db.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var cur string
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil || cur != db.Schema {
			t.Fatalf("URL's schema %q (%v), want %q", cur, err, db.Schema)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO outbox (entity, erp_id) VALUES ('customer', 'C-1')`); err != nil {
			t.Fatal(err)
		}
		other := pgtest.New(t)
		var n int
		if err := other.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, other.Schema).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a fresh schema has %d tables (%v)", n, err)
		}
	})
	admin := pgtest.New(t)
	var exists bool
	if err := admin.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil || exists {
		t.Fatalf("schema %s still exists after its test (%v)", schema, err)
	}
}
