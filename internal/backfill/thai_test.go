package backfill_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/syncd/syncd/internal/backfill"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// thaiCustomerMapping maps the columns of thaiCustomerCSV, as a Thai
// accounting program names them.
var thaiCustomerMapping = backfill.Mapping{Columns: map[string]string{
	"รหัสลูกค้า": "erp_id", "ชื่อ": "first_name", "นามสกุล": "last_name",
	"อีเมล": "email", "โทรศัพท์": "phone", "จังหวัด": "properties.state",
}}

// thaiCustomerCSV writes n made-up Thai customers as a Windows-874 CSV file
// with CRLF line ends, the title glued to the given name as Thai exports
// write it, and returns its path.
func thaiCustomerCSV(tb testing.TB, n int) string {
	tb.Helper()
	enc := charmap.Windows874.NewEncoder()
	var b strings.Builder
	b.WriteString("รหัสลูกค้า,ชื่อ,นามสกุล,อีเมล,โทรศัพท์,จังหวัด\r\n")
	for _, c := range shareddata.ThaiCustomers(tb, n, 11) {
		fmt.Fprintf(&b, "%s,%s%s,%s,%s,%s,%s\r\n", c.ERPID, c.Title, c.FirstName, c.LastName, c.Email, c.Phone, c.Province)
	}
	raw, err := enc.String(b.String())
	if err != nil {
		tb.Fatal(err)
	}
	return writeFile(tb, "thai-customers.csv", []byte(raw))
}

// BenchmarkBackfillCSV imports 100,000 Thai customers from a Windows-874
// CSV file into an empty outbox and reports rows per second.
func BenchmarkBackfillCSV(b *testing.B) {
	const n = 100_000
	path := thaiCustomerCSV(b, n)
	e := newEnv(b)
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		if _, err := e.db.Pool.Exec(ctx, `TRUNCATE outbox`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		sum, err := e.importCSV(b, ctx, path, backfill.CSVOptions{}, backfill.Options{Entity: outbox.EntityCustomer, Mapping: thaiCustomerMapping}, store.BackfillChunked)
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Inserted != n || sum.Bad != 0 {
			b.Fatalf("inserted %d, bad %d: %v", sum.Inserted, sum.Bad, sum.BadLines[:min(3, len(sum.BadLines))])
		}
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
}

// TestThaiCustomersCSV checks the benchmark's file: every made-up
// customer is a good line and decodes as the engine will read it.
func TestThaiCustomersCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sum, err := e.importCSV(t, context.Background(), thaiCustomerCSV(t, 2000), backfill.CSVOptions{},
		backfill.Options{Entity: outbox.EntityCustomer, Mapping: thaiCustomerMapping}, store.BackfillChunked)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 2000 || sum.Bad != 0 {
		t.Fatalf("inserted %d, bad %v", sum.Inserted, sum.BadLines)
	}
	for _, r := range e.rows(t)[:50] {
		if first := r.Payload["first_name"].(string); strings.ContainsAny(first, "abcdefghijklmnopqrstuvwxyz") || first == "" {
			t.Errorf("%s: first_name %q", r.ERPID, first)
		}
	}
}
