package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/backfill"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// docOrder returns the order example of docs/outbox.md §6, the documented
// payload shape of an order with items.
func docOrder(t *testing.T) (erpID string, payload []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "outbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)VALUES \('order', '([^']+)', 'upsert', '(\{.*?\})'\);`).FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/outbox.md has no order upsert example")
	}
	return string(m[1]), m[2]
}

// importSQL runs an SQL import of query on the test schema.
func (e env) importSQL(t *testing.T, query string, o backfill.Options) (*backfill.Summary, error) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	src, err := backfill.OpenSQL(ctx, conn, query)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	w, err := e.st.BeginBackfill(ctx, string(o.Entity), store.BackfillChunked)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return backfill.Run(ctx, src, w, o)
}

// TestSQLOrdersWithItemsMatchDocs builds the documented order in ERP
// tables (an order header and its lines, typed as an ERP types them),
// backfills it with one query using json_agg, and compares the outbox row
// with the documented payload: the same fields and item fields, and the
// same record once decoded (every property, every line item).
func TestSQLOrdersWithItemsMatchDocs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	erpID, docPayload := docOrder(t)
	if _, err := e.db.Pool.Exec(context.Background(), `
CREATE TABLE erp_orders (no text PRIMARY KEY, customer_code text, company_code text, title text,
    status text, currency char(3), ordered_at timestamptz, due date);
CREATE TABLE erp_order_lines (order_no text REFERENCES erp_orders, line_no int, sku text, name text,
    qty numeric(10,2), unit_price numeric(12,2), discount numeric(12,2));
INSERT INTO erp_orders VALUES ('SO-2026-0042', 'C-1001', 'CO-1031', 'SO-2026-0042 กาแฟ', 'confirmed', 'THB',
    '2026-11-27T14:05:00+07:00', '2026-11-30'),
    ('SO-2026-0043', 'C-1002', NULL, NULL, 'open', 'THB', '2026-11-28 10:00+07', NULL);
INSERT INTO erp_order_lines VALUES
    ('SO-2026-0042', 2, 'GRN-01', 'เครื่องบดกาแฟ', 1, 1234.50, NULL),
    ('SO-2026-0042', 1, 'COF-ARA-250', 'กาแฟอาราบิก้า 250 กรัม', 2, 450.00, 50);`); err != nil {
		t.Fatal(err)
	}
	const query = `
SELECT o.no AS erp_id, o.customer_code AS customer_id, o.company_code AS company_id, o.title AS name,
       o.status, o.currency, o.ordered_at AS created_at, o.due AS close_date,
       (SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
                   'line_id', l.line_no, 'sku', l.sku, 'name', l.name,
                   'quantity', l.qty, 'unit_price', l.unit_price, 'discount', l.discount)) ORDER BY l.line_no), '[]')
        FROM erp_order_lines l WHERE l.order_no = o.no) AS items
FROM erp_orders o
ORDER BY o.no;`
	sum, err := e.importSQL(t, query, backfill.Options{Entity: outbox.EntityOrder})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 2 || sum.Inserted != 2 || sum.Bad != 0 {
		t.Fatalf("summary %+v, bad lines %v", sum, sum.BadLines)
	}
	rows := e.rows(t)
	got := rows[0]
	if got.Entity != "order" || got.ERPID != erpID || got.Op != "upsert" || got.State != "pending" {
		t.Errorf("row = %s %s %s %s; want order %s upsert pending", got.Entity, got.ERPID, got.Op, got.State, erpID)
	}
	var doc map[string]any
	if err := json.Unmarshal(docPayload, &doc); err != nil {
		t.Fatal(err)
	}
	if g, w := keys(got.Payload), keys(doc); !slices.Equal(g, w) {
		t.Errorf("payload fields %v, the docs have %v", g, w)
	}
	for i, it := range doc["items"].([]any) {
		if g, w := keys(got.Payload["items"].([]any)[i].(map[string]any)), keys(it.(map[string]any)); !slices.Equal(g, w) {
			t.Errorf("items[%d] fields %v, the docs have %v", i, g, w)
		}
	}
	gotJSON, _ := json.Marshal(got.Payload)
	want, err := outbox.Decode("order", erpID, "upsert", docPayload, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	have, err := outbox.Decode("order", erpID, "upsert", gotJSON, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(have.Properties(), want.Properties()) {
		t.Errorf("deal properties\n got %v\nwant %v", have.Properties(), want.Properties())
	}
	if have.Order.CustomerID != want.Order.CustomerID || have.Order.CompanyID != want.Order.CompanyID ||
		have.Order.Status != want.Order.Status || have.Order.Amount != "2034.5" || len(have.Order.Items) != len(want.Order.Items) {
		t.Errorf("order %+v\nwant %+v", have.Order, want.Order)
	}
	for i := range want.Order.Items {
		h, w := have.Order.Items[i], want.Order.Items[i]
		if h.Key != w.Key || h.SKU != w.SKU || !reflect.DeepEqual(h.Properties(), w.Properties()) {
			t.Errorf("line item %d\n got %s %s %v\nwant %s %s %v", i, h.Key, h.SKU, h.Properties(), w.Key, w.SKU, w.Properties())
		}
	}
	// The second order: NULL columns are left out, no lines is "items": [].
	second, _ := json.Marshal(rows[1].Payload)
	if g := keys(rows[1].Payload); !slices.Equal(g, []string{"created_at", "currency", "customer_id", "items", "status"}) ||
		!strings.Contains(string(second), `"items":[]`) {
		t.Errorf("second order payload %s", second)
	}
}

// keys returns m's keys in order.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestSQLSourceIsReadOnlyAndChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.db.Pool.Exec(context.Background(), `CREATE TABLE erp_customers (code int, email text, nick text)
		; INSERT INTO erp_customers VALUES (1, 'a@b.co.th', 'x'), (2, 'broken@', 'y'), (NULL, 'c@d.co.th', 'z')`); err != nil {
		t.Fatal(err)
	}
	// A query cannot write: it is a subquery, in a read-only transaction.
	if _, err := e.importSQL(t, `INSERT INTO erp_customers VALUES (9) RETURNING code AS erp_id`, backfill.Options{Entity: outbox.EntityCustomer}); err == nil {
		t.Error("an INSERT was accepted")
	}
	if _, err := e.db.Pool.Exec(context.Background(), `CREATE SEQUENCE erp_seq`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.importSQL(t, `SELECT nextval('erp_seq')::text AS erp_id`, backfill.Options{Entity: outbox.EntityCustomer}); err == nil ||
		!strings.Contains(err.Error(), "read-only transaction") {
		t.Errorf("a query that writes: %v", err)
	}
	// A second statement is not run.
	if _, err := e.importSQL(t, `SELECT code AS erp_id FROM erp_customers; DELETE FROM erp_customers`, backfill.Options{Entity: outbox.EntityCustomer}); err == nil {
		t.Error("two statements were accepted")
	}
	if n := countRows(t, e, `SELECT count(*) FROM erp_customers`); n != 3 {
		t.Errorf("the ERP table has %d rows, want 3", n)
	}
	// An unmapped column is refused before the query runs.
	_, err := e.importSQL(t, `SELECT code AS erp_id, email, nick FROM erp_customers`, backfill.Options{Entity: outbox.EntityCustomer})
	var me *backfill.MappingError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), `column "nick"`) {
		t.Errorf("unmapped column: %v", err)
	}
	// Integer keys become text; bad rows are reported by row number.
	sum, err := e.importSQL(t, `SELECT code AS erp_id, email, nick AS "properties.nickname" FROM erp_customers ORDER BY code NULLS LAST;`, backfill.Options{Entity: outbox.EntityCustomer})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Inserted != 1 || sum.Bad != 2 || sum.BadLines[0].Line != 2 || sum.BadLines[0].Kind != backfill.KindInvalid ||
		sum.BadLines[1].Line != 3 || sum.BadLines[1].Kind != backfill.KindMissingKey {
		t.Errorf("summary %+v", sum)
	}
	assertRows(t, e.rows(t), []outboxRow{{"customer", "1", "upsert", "pending", map[string]any{"email": "a@b.co.th", "properties": map[string]any{"nickname": "x"}}}})
}

func countRows(t *testing.T, e env, q string) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
