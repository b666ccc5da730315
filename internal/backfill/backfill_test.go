package backfill_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/syncd/syncd/internal/backfill"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// env is a migrated schema and its store.
type env struct {
	db *pgtest.DB
	st *store.Store
}

func newEnv(t testing.TB) env {
	t.Helper()
	db := pgtest.Migrated(t)
	return env{db: db, st: store.New(db.Pool, store.Options{})}
}

// importCSV runs a CSV import of the file at path.
func (e env) importCSV(t testing.TB, ctx context.Context, path string, csvOpts backfill.CSVOptions, o backfill.Options, mode store.BackfillMode) (*backfill.Summary, error) {
	t.Helper()
	src, err := backfill.OpenCSV(path, nil, csvOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w, err := e.st.BeginBackfill(context.Background(), string(o.Entity), mode)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return backfill.Run(ctx, src, w, o)
}

// importCustomers runs a customer import of the CSV file at path, with the
// CSV options detected, and fails the test if the import fails.
func (e env) importCustomers(t testing.TB, path string, o backfill.Options, mode store.BackfillMode) *backfill.Summary {
	t.Helper()
	sum, err := e.importCSV(t, context.Background(), path, backfill.CSVOptions{}, customers(o), mode)
	if err != nil {
		t.Fatalf("importing %s: %v", filepath.Base(path), err)
	}
	return sum
}

// outboxRow is an outbox row as a backfill leaves it.
type outboxRow struct {
	Entity, ERPID, Op, State string
	Payload                  map[string]any
}

// rows returns the outbox rows in id order.
func (e env) rows(t testing.TB) []outboxRow {
	t.Helper()
	r, err := e.db.Pool.Query(context.Background(), `SELECT entity, erp_id, op, state, payload FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(r, pgx.RowToStructByPos[outboxRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// outboxCount returns how many rows the outbox holds.
func (e env) outboxCount(t testing.TB) int {
	t.Helper()
	return outboxtest.Count(t, e.db, `SELECT count(*) FROM outbox`)
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func encode874(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows874.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b)
}

func customers(o backfill.Options) backfill.Options {
	o.Entity = outbox.EntityCustomer
	return o
}

// thaiCustomers is a CSV of three Thai customers with a quoted multi-line
// address, a Thai-digit phone and an Excel-wrapped one; sep is the
// delimiter, nl the line end.
func thaiCustomers(sep, nl string) string {
	rows := [][]string{
		{"รหัส", "ชื่อ", "อีเมล", "โทร", "ที่อยู่"},
		{"C-1001", "นายสมชาย ใจดี", "somchai@example.co.th", "๐๘๑-๒๓๔-๕๖๗๘", "\"99/1 ถ.สุขุมวิท" + nl + "กรุงเทพฯ 10110\""},
		{"C-1002", "นางสาวกนกวรรณ ศรีสุข", "kanok@example.co.th", `"=""0898765432"""`, "เชียงใหม่"},
		{"C-1003", "ดร.ประยุทธ์ ณ อยุธยา", "", "02-123-4567", "\"ขอนแก่น; ภาคอีสาน, ไทย\""},
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, sep) + nl)
	}
	return b.String()
}

var thaiMapping = backfill.Mapping{Columns: map[string]string{
	"รหัส": "erp_id", "ชื่อ": "name", "อีเมล": "email", "โทร": "phone", "ที่อยู่": "properties.address",
}}

// wantThai is what every encoding of thaiCustomers must give.
func wantThai(nl string) []outboxRow {
	return []outboxRow{
		{"customer", "C-1001", "upsert", "pending", map[string]any{"name": "นายสมชาย ใจดี", "email": "somchai@example.co.th", "phone": "๐๘๑-๒๓๔-๕๖๗๘",
			"properties": map[string]any{"address": "99/1 ถ.สุขุมวิท" + nl + "กรุงเทพฯ 10110"}}},
		{"customer", "C-1002", "upsert", "pending", map[string]any{"name": "นางสาวกนกวรรณ ศรีสุข", "email": "kanok@example.co.th", "phone": `="0898765432"`,
			"properties": map[string]any{"address": "เชียงใหม่"}}},
		// The empty email is left out: HubSpot keeps what it has.
		{"customer", "C-1003", "upsert", "pending", map[string]any{"name": "ดร.ประยุทธ์ ณ อยุธยา", "phone": "02-123-4567",
			"properties": map[string]any{"address": "ขอนแก่น; ภาคอีสาน, ไทย"}}},
	}
}

func TestEncodingsAndDelimiters(t *testing.T) {
	t.Parallel()
	utf16le := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(s)
		return []byte(b)
	}
	utf16be := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(s)
		return []byte(b)
	}
	tests := []struct {
		name      string
		file      func(t *testing.T) []byte
		encoding  string
		delimiter string
		nl        string
	}{
		{"windows-874 comma CRLF", func(t *testing.T) []byte { return encode874(t, thaiCustomers(",", "\r\n")) }, "windows-874", ",", "\n"},
		{"utf-8 BOM semicolon", func(t *testing.T) []byte { return append([]byte("\xEF\xBB\xBF"), thaiCustomers(";", "\n")...) }, "utf-8", ";", "\n"},
		{"utf-8 tab", func(t *testing.T) []byte { return []byte(thaiCustomers("\t", "\n")) }, "utf-8", "tab", "\n"},
		// Excel's "Unicode Text": UTF-16LE with a BOM, tab-delimited, CRLF.
		{"utf-16le Excel unicode text", func(t *testing.T) []byte { return utf16le(thaiCustomers("\t", "\r\n")) }, "utf-16le", "tab", "\n"},
		{"utf-16be semicolon", func(t *testing.T) []byte { return utf16be(thaiCustomers(";", "\n")) }, "utf-16be", ";", "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			path := writeFile(t, "customers.csv", tt.file(t))
			src, err := backfill.OpenCSV(path, nil, backfill.CSVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			enc, delim := src.Describe()
			src.Close()
			if enc != tt.encoding || delim != tt.delimiter {
				t.Errorf("detected %s / %q, want %s / %q", enc, delim, tt.encoding, tt.delimiter)
			}
			sum := e.importCustomers(t, path, backfill.Options{Mapping: thaiMapping}, store.BackfillChunked)
			if sum.Records != 3 || sum.Inserted != 3 || sum.Bad != 0 {
				t.Errorf("summary %+v; want 3 records inserted, no bad line: %v", sum, sum.BadLines)
			}
			assertRows(t, e.rows(t), wantThai(tt.nl))
		})
	}
}

func assertRows(t *testing.T, got, want []outboxRow) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Errorf("outbox rows:\n got %s\nwant %s", g, w)
	}
}

func TestEncodingFlagOverridesDetection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Three bytes of Windows-874 that happen to be valid UTF-8 ("ร" "ก"
	// is C3 A1, "á" in UTF-8): only the flag reads the file right.
	path := writeFile(t, "c.csv", encode874(t, "erp_id,name\nC-1,รก\n"))
	for _, tt := range []struct{ enc, want string }{{"", "á"}, {"tis-620", "รก"}} {
		src, err := backfill.OpenCSV(path, nil, backfill.CSVOptions{Encoding: tt.enc})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := src.Next()
		src.Close()
		if err != nil || rec.Values[1] != tt.want {
			t.Errorf("--encoding %q: %v %v; want name %q", tt.enc, rec.Values, err, tt.want)
		}
	}
	if _, err := backfill.OpenCSV(path, nil, backfill.CSVOptions{Encoding: "latin-9"}); err == nil || !strings.Contains(err.Error(), "windows-874") {
		t.Errorf("unknown encoding: %v", err)
	}
	_ = e
}

// TestSharedTIS620 reads the real TIS-620 fixture through the CSV path:
// each of its lines becomes a company name, and the outbox receives the
// same text normalize.DecodeText gives for the whole file.
func TestSharedTIS620(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(shareddata.Path(t, "encoding/tis620.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := charmap.Windows874.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	var csv []byte
	csv = append(csv, "erp_id|name\n"...)
	for i, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		csv = fmt.Appendf(csv, "CO-%d|%s\n", i+1, line)
	}
	wantNames := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
	e := newEnv(t)
	path := writeFile(t, "tis620.csv", csv)
	src, err := backfill.OpenCSV(path, nil, backfill.CSVOptions{Delimiter: "|"})
	if err != nil {
		t.Fatal(err)
	}
	if enc, _ := src.Describe(); enc != "windows-874" {
		t.Errorf("detected %s, want windows-874", enc)
	}
	src.Close()
	sum, err := e.importCSV(t, context.Background(), path, backfill.CSVOptions{Delimiter: "|"},
		backfill.Options{Entity: outbox.EntityCompany, Mapping: backfill.Mapping{Empty: backfill.EmptyClear}}, store.BackfillChunked)
	if err != nil {
		t.Fatal(err)
	}
	rows := e.rows(t)
	if sum.Bad != 0 || len(rows) != len(wantNames) {
		t.Fatalf("%d rows, bad lines %v; want %d rows", len(rows), sum.BadLines, len(wantNames))
	}
	thai := 0
	for i, r := range rows {
		name := r.Payload["name"].(string)
		if name != strings.TrimRight(wantNames[i], "\r") && !(strings.TrimSpace(wantNames[i]) == "" && name == "") {
			t.Errorf("line %d: name %q, want %q", i+2, name, wantNames[i])
		}
		for _, c := range name {
			if c >= 0x0E01 && c <= 0x0E5B {
				thai++
			}
		}
	}
	// The fixture has 281 bytes above 0x7F, each one Thai character.
	if thai != 281 {
		t.Errorf("%d Thai characters in the outbox, want 281", thai)
	}
}

// badFile writes 1,000 customer lines, 10 of them bad in each way a line
// can be, and returns the path and the bad line numbers with a word each
// reason must hold.
func badFile(t testing.TB) (string, map[int64]string) {
	var b strings.Builder
	b.WriteString("erp_id,first_name,last_name,email,phone\r\n")
	bad := map[int64]string{}
	line := int64(1)
	for i := 1; i <= 1000; i++ {
		line++
		key := fmt.Sprintf("C-%04d", i)
		row := fmt.Sprintf("%s,สมชาย%d,ใจดี,c%d@example.co.th,081234%04d", key, i, i, i)
		switch i {
		case 100:
			row, bad[line] = key+",สมชาย,ใจดี,c@example.co.th", "has 4 columns, the header has 5"
		case 200:
			row, bad[line] = key+",สมชาย,ใจดี,c@example.co.th,0812345678,extra", "has 6 columns"
		case 300:
			row, bad[line] = ",สมชาย,ใจดี,c300@example.co.th,0812345678", `column "erp_id" (erp_id) is empty`
		case 400:
			row, bad[line] = "C-0399,สมชาย,ใจดี,dup@example.co.th,0812345678", `"C-0399" is also the key of line 400`
		case 500:
			row, bad[line] = key+",สมชาย,ใจดี,not-an-email,0812345678", `customer C-0500: field "email": "not-an-email" is not valid`
		case 600:
			row, bad[line] = key+",สมชาย,ใจดี,c600@example.co.th,08x-xxx-5678", `field "phone": "08x-xxx-5678" is a masked number`
		case 700:
			row, bad[line] = key+",สม\"ชาย,ใจดี,c700@example.co.th,0812345678", "a quote inside an unquoted cell"
		case 800:
			row, bad[line] = key+",สม"+undefined874+"ชาย,ใจดี,c800@example.co.th,0812345678", `column "first_name": has bytes that are not text in the file's encoding at character 3 (after "สม")`
		case 900:
			// A quoted cell over two lines whose row is one column short:
			// reported at the line where it starts.
			row, bad[line] = key+",\"สมชาย\r\nบรรทัดสอง\",c900@example.co.th,0812345678", "has 4 columns"
			line++
		case 1000:
			row, bad[line] = key+",สมชาย,ใจดี,c1000@example.co.th,+66 0", `field "phone"`
		}
		b.WriteString(row + "\r\n")
	}
	// 0xFC and 0xFD have no character in Windows-874: they go in after
	// encoding, in place of the marker.
	raw := strings.ReplaceAll(string(encode874(t, b.String())), undefined874, "\xFC\xFD")
	return writeFile(t, "bad.csv", []byte(raw)), bad
}

const undefined874 = "<undefined>"

func TestBadLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path, want := badFile(t)
	sum := e.importCustomers(t, path, backfill.Options{ChunkSize: 128}, store.BackfillChunked)
	if sum.Records != 1000 || sum.Valid != 990 || sum.Inserted != 990 || sum.Bad != 10 || len(sum.BadLines) != 10 {
		t.Errorf("records %d, valid %d, inserted %d, bad %d; want 1000, 990, 990, 10", sum.Records, sum.Valid, sum.Inserted, sum.Bad)
	}
	for _, b := range sum.BadLines {
		w, ok := want[b.Line]
		if !ok {
			t.Errorf("line %d reported bad: %s: %s", b.Line, b.Kind, b.Reason)
			continue
		}
		if !strings.Contains(b.Reason, w) {
			t.Errorf("line %d: reason %q lacks %q", b.Line, b.Reason, w)
		}
		delete(want, b.Line)
	}
	for l, w := range want {
		t.Errorf("line %d (%s) not reported", l, w)
	}
	wantKinds := map[string]int{backfill.KindColumns: 3, backfill.KindMissingKey: 1, backfill.KindDuplicate: 1,
		backfill.KindInvalid: 3, backfill.KindSyntax: 1, backfill.KindUndecodable: 1}
	if fmt.Sprint(sum.BadByKind) != fmt.Sprint(wantKinds) {
		t.Errorf("bad by kind %v, want %v", sum.BadByKind, wantKinds)
	}
	if n := outboxtest.Count(t, e.db, `SELECT count(DISTINCT erp_id) FROM outbox WHERE state = 'pending'`); n != 990 {
		t.Errorf("%d keys in the outbox, want 990", n)
	}
	if n := outboxtest.Count(t, e.db, `SELECT count(*) FROM outbox WHERE erp_id IN ('C-0500', 'C-0600', 'C-0100', 'C-0399')
		AND payload->>'email' IN ('not-an-email', 'dup@example.co.th')`); n != 0 {
		t.Errorf("%d bad lines reached the outbox", n)
	}
}
