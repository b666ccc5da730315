package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
)

// fillBacklog writes open rows as a first load does: per 20 rows, 2
// companies, 6 customers of a company, 1 product, 9 orders of a customer
// with 1 to 4 items naming products by SKU, and 2 tickets about an order,
// keys spread over the whole backlog; and as many done rows again.
func fillBacklog(b *testing.B, db *pgtest.DB, open int) {
	b.Helper()
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `
INSERT INTO outbox (entity, erp_id, payload, state)
SELECT CASE WHEN k < 2 THEN 'company' WHEN k < 8 THEN 'customer' WHEN k < 9 THEN 'product' WHEN k < 18 THEN 'order' ELSE 'ticket' END,
       CASE WHEN k < 2 THEN 'CO-' WHEN k < 8 THEN 'C-' WHEN k < 9 THEN 'P-' WHEN k < 18 THEN 'SO-' ELSE 'T-' END || g,
       CASE WHEN k < 2 THEN jsonb_build_object('name', 'Company ' || g)
            WHEN k < 8 THEN jsonb_build_object('email', 'c' || g || '@example.co.th', 'company_id', 'CO-' || ((g * 7) % $1 / 20 * 20))
            WHEN k < 9 THEN jsonb_build_object('sku', 'SKU-' || g, 'name', 'Product ' || g)
            WHEN k < 18 THEN jsonb_build_object('customer_id', 'C-' || ((g * 13) % $1 / 20 * 20 + 2),
                 'items', (SELECT jsonb_agg(jsonb_build_object('line_id', i, 'sku', 'SKU-' || ((g * 31 + i * 97) % $1 / 20 * 20 + 8), 'quantity', 1))
                           FROM generate_series(1, 1 + g % 4) i))
            ELSE jsonb_build_object('order_id', 'SO-' || ((g * 17) % $1 / 20 * 20 + 9), 'customer_id', 'C-' || ((g * 13) % $1 / 20 * 20 + 2)) END,
       CASE WHEN g > $1 THEN 'done' ELSE 'pending' END
FROM generate_series(1, 2 * $1) g, LATERAL (SELECT g % 20 AS k) kk`, open); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `VACUUM ANALYZE outbox`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaim measures one claim of 1,000 keys (the default batch_size)
// with the rows of the records they reference, from a backlog of 10,000,
// 100,000 and 1,000,000 open rows (and as many done ones). The claim reads
// the index in its order and the referenced keys by index: its cost must
// not grow with the backlog. SYNCD_BENCH_EXPLAIN=file appends the query
// plans (EXPLAIN ANALYZE, BUFFERS) of its three statements to file.
func BenchmarkClaim(b *testing.B) {
	for _, open := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			ctx := context.Background()
			db := pgtest.Migrated(b)
			start := time.Now()
			fillBacklog(b, db, open)
			b.Logf("%d open rows written in %v", open, time.Since(start).Round(time.Millisecond))
			st := store.New(db.Pool, store.Options{})
			var rows int
			for i := 0; b.Loop(); i++ {
				owner := fmt.Sprint("w", i)
				got, err := st.ClaimWithRefs(ctx, owner, 1000, time.Minute, refsOf)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := st.ReleaseAll(ctx, owner); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rows += len(got)
			}
			b.ReportMetric(float64(rows)/float64(b.N), "rows/claim")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/claim")
			if path := os.Getenv("SYNCD_BENCH_EXPLAIN"); path != "" {
				explainClaim(b, db, st, path, open)
			}
		})
	}
}

// explainClaim appends to path the plans of a claim's three statements,
// run in a transaction that is rolled back.
func explainClaim(b *testing.B, db *pgtest.DB, st *store.Store, path string, open int) {
	b.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	// The references of the rows the first statement claims, as the
	// engine names them.
	rows, err := st.ClaimWithRefs(ctx, "explain", 1000, time.Minute, nil)
	if err != nil {
		b.Fatal(err)
	}
	var entities, erpIDs []string
	var bySKU []bool
	for _, r := range rows {
		for _, ref := range refsOf(r) {
			entities, erpIDs, bySKU = append(entities, ref.Entity), append(erpIDs, ref.ERPID), append(bySKU, ref.BySKU)
		}
	}
	if err := st.ReleaseAll(ctx, "explain"); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil { // as the claim does
		b.Fatal(err)
	}
	show := func(name, sql string, args ...any) {
		b.Helper()
		r, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
		if err != nil {
			b.Fatal(err)
		}
		lines, err := pgx.CollectRows(r, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(f, "== %d open rows: %s\n%s\n\n", open, name, strings.Join(lines, "\n"))
	}
	show("wake waiting rows", store.SQLWakeWaiting, now)
	show("claim", store.SQLClaim, now, 1000, "explain", now.Add(time.Minute))
	show(fmt.Sprintf("referenced rows (%d references of %d rows)", len(entities), len(rows)), store.SQLClaimRefs, now, "explain", now.Add(time.Minute), entities, erpIDs, bySKU)
}
