package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/backfill"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// customerFile writes n customers; changed, when set, alters one line's
// email.
func customerFile(t testing.TB, n int, changed int) string {
	var b strings.Builder
	b.WriteString("erp_id;name;email\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("c%d@example.co.th", i)
		if i == changed {
			email = "changed@example.co.th"
		}
		fmt.Fprintf(&b, "C-%05d;นายสมชาย ใจดี%d;%s\n", i, i, email)
	}
	return writeFile(t, "customers.csv", encode874(t, b.String()))
}

func TestInterruptedImportRunAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := customerFile(t, 5000, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	chunks := 0
	sum, err := e.importCSV(t, ctx, path, backfill.CSVOptions{}, customers(backfill.Options{ChunkSize: 500, OnChunk: func(backfill.Progress) {
		if chunks++; chunks == 4 {
			cancel() // halfway through the file, as a SIGINT would
		}
	}}), store.BackfillChunked)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v, want context.Canceled", err)
	}
	if sum.Inserted != 2000 {
		t.Errorf("interrupted import inserted %d, want the 4 chunks of 500 before the cancel", sum.Inserted)
	}
	if n := e.outboxCount(t); n != 2000 {
		t.Fatalf("%d rows after the interruption, want 2000", n)
	}
	// Some of the rows were synced meanwhile.
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE outbox SET state = 'done', processed_at = now() WHERE id <= 700`); err != nil {
		t.Fatal(err)
	}

	sum = e.importCustomers(t, path, backfill.Options{ChunkSize: 500}, store.BackfillChunked)
	if sum.Inserted != 3000 || sum.Present != 2000 || sum.Bad != 0 {
		t.Errorf("second run: inserted %d, present %d, bad %d; want 3000, 2000, 0", sum.Inserted, sum.Present, sum.Bad)
	}
	if n := e.outboxCount(t); n != 5000 {
		t.Errorf("%d rows, want 5000", n)
	}
	if n := outboxtest.Count(t, e.db, `SELECT count(*) FROM (SELECT erp_id FROM outbox GROUP BY erp_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d keys have more than one row", n)
	}
	// Rows go in in file order.
	if n := outboxtest.Count(t, e.db, `SELECT count(*) FROM (SELECT erp_id, lag(erp_id) OVER (ORDER BY id) AS prev FROM outbox) o WHERE prev > erp_id`); n != 0 {
		t.Errorf("%d rows out of file order", n)
	}

	// The same file with one customer changed: only that row goes in,
	// and the newer row supersedes the old one when synced.
	sum = e.importCustomers(t, customerFile(t, 5000, 4321), backfill.Options{}, store.BackfillChunked)
	if sum.Inserted != 1 || sum.Present != 4999 {
		t.Errorf("changed file: inserted %d, present %d; want 1, 4999", sum.Inserted, sum.Present)
	}
	if n := outboxtest.Count(t, e.db, `SELECT count(*) FROM outbox WHERE erp_id = 'C-04321'`); n != 2 {
		t.Errorf("C-04321 has %d rows, want the old and the changed one", n)
	}
}

// TestConcurrentImports runs the same import twice at once: chunk
// transactions take turns, so no key gets two rows.
func TestConcurrentImports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := customerFile(t, 3000, 0)
	var wg sync.WaitGroup
	sums := make([]*backfill.Summary, 2)
	errs := make([]error, 2)
	for i := range sums {
		wg.Go(func() {
			sums[i], errs[i] = e.importCSV(t, context.Background(), path, backfill.CSVOptions{}, customers(backfill.Options{ChunkSize: 250}), store.BackfillChunked)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := sums[0].Inserted + sums[1].Inserted; got != 3000 || sums[0].Present+sums[1].Present != 3000 {
		t.Errorf("inserted %d+%d, present %d+%d; want 3000 inserted and 3000 present in all",
			sums[0].Inserted, sums[1].Inserted, sums[0].Present, sums[1].Present)
	}
	if n := outboxtest.Count(t, e.db, `SELECT count(DISTINCT erp_id) FROM outbox`); n != 3000 || e.outboxCount(t) != 3000 {
		t.Errorf("%d keys; want 3000 keys with one row each", n)
	}
}

func TestStrictWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("erp_id,email\n")
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&b, "C-%d,c%d@example.co.th\n", i, i)
	}
	b.WriteString("C-3001,broken@\n") // the last line, after several chunks
	path := writeFile(t, "c.csv", []byte(b.String()))
	sum := e.importCustomers(t, path, backfill.Options{Strict: true, ChunkSize: 500}, store.BackfillAtomic)
	if sum.Written || sum.Inserted != 0 || sum.Bad != 1 || sum.Valid != 3000 || sum.BadLines[0].Line != 3002 {
		t.Errorf("strict summary %+v", sum)
	}
	if n := e.outboxCount(t); n != 0 {
		t.Errorf("strict import with a bad line left %d rows", n)
	}
	// Without the bad line the same strict import writes everything.
	good := writeFile(t, "good.csv", []byte(strings.TrimSuffix(b.String(), "C-3001,broken@\n")))
	if sum := e.importCustomers(t, good, backfill.Options{Strict: true, ChunkSize: 500}, store.BackfillAtomic); !sum.Written || sum.Inserted != 3000 {
		t.Errorf("strict import of a good file: %+v", sum)
	}
	if n := e.outboxCount(t); n != 3000 {
		t.Errorf("%d rows, want 3000", n)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	outboxtest.Insert(t, e.db, "customer", "C-00002", `{"name": "นายสมชาย ใจดี2", "email": "c2@example.co.th"}`)
	outboxtest.Insert(t, e.db, "customer", "C-00003", `{"name": "someone else"}`)
	path := customerFile(t, 10, 0)
	sum := e.importCustomers(t, path, backfill.Options{ChunkSize: 3}, store.BackfillDryRun)
	if sum.Inserted != 9 || sum.Present != 1 || sum.Records != 10 {
		t.Errorf("dry run: would insert %d, present %d, records %d; want 9, 1, 10", sum.Inserted, sum.Present, sum.Records)
	}
	if n := e.outboxCount(t); n != 2 {
		t.Errorf("dry run changed the outbox: %d rows", n)
	}
}

func TestMappingErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := writeFile(t, "c.csv", []byte("code,firstname,Email,tel,note\nC-1,a,b@c.co.th,0812345678,x\n"))
	tests := []struct {
		name string
		m    backfill.Mapping
		want []string
	}{
		{"by name only", backfill.Mapping{}, []string{
			`column "firstname": is not a field of customer payloads (erp_id, company_id, email, first_name, last_name, name, phone, properties)`,
			`no column maps to erp_id`}},
		{"unknown target", backfill.Mapping{Columns: map[string]string{"code": "erp_id", "firstname": "given_name", "tel": "phone", "note": "properties.Note"}}, []string{
			`column "firstname": "given_name" is not a field of customer payloads`,
			`column "note": "Note" is not a HubSpot property name`}},
		{"missing column", backfill.Mapping{IgnoreUnmapped: true, Columns: map[string]string{"code": "erp_id", "mobile": "phone"}}, []string{
			`[columns] "mobile": the source has no such column; its columns are "code", "firstname", "Email", "tel", "note"`}},
		{"two columns to one field", backfill.Mapping{IgnoreUnmapped: true, Columns: map[string]string{"code": "erp_id", "tel": "email"}}, []string{
			`columns "Email" and "tel" both map to email`}},
		{"constant clash", backfill.Mapping{IgnoreUnmapped: true, Columns: map[string]string{"code": "erp_id"}, Constants: map[string]any{"email": "x@y.co.th", "erp_id": "1"}}, []string{
			`[constants] "email": column "Email" maps to it too`, `[constants] erp_id: every row needs its own key`}},
		{"wrong entity", backfill.Mapping{Entity: "company"}, []string{`the mapping is for entity "company"`}},
	}
	for _, tt := range tests {
		_, err := e.importCSV(t, context.Background(), path, backfill.CSVOptions{}, customers(backfill.Options{Mapping: tt.m}), store.BackfillChunked)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v\nlacks %q", tt.name, err, w)
			}
		}
	}
	if n := e.outboxCount(t); n != 0 {
		t.Errorf("a refused mapping wrote %d rows", n)
	}
	// The right mapping imports the line.
	m := backfill.Mapping{Columns: map[string]string{"code": "erp_id", "firstname": "first_name", "tel": "phone", "note": ""},
		Constants: map[string]any{"properties.lifecyclestage": "customer"}}
	if sum := e.importCustomers(t, path, backfill.Options{Mapping: m}, store.BackfillChunked); sum.Inserted != 1 {
		t.Fatalf("good mapping: %+v", sum)
	}
	assertRows(t, e.rows(t), []outboxRow{{"customer", "C-1", "upsert", "pending", map[string]any{
		"first_name": "a", "email": "b@c.co.th", "phone": "0812345678", "properties": map[string]any{"lifecyclestage": "customer"}}}})
}
