package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// backfillOut is what the tests read of `syncd backfill --json`; the
// whole object is the one docs/backfill.md shows (TestBackfillCSVJSON).
type backfillOut struct {
	Source struct {
		Kind string `json:"kind"`
	} `json:"source"`
	DryRun   bool `json:"dry_run"`
	Written  bool `json:"written"`
	Inserted int  `json:"inserted"`
	Present  int  `json:"already_present"`
	Bad      int  `json:"bad"`
}

// backfillDoc is the JSON example of docs/backfill.md's section on the
// output: TestBackfillCSVJSON's first run, with its own time taken.
func backfillDoc(t *testing.T) map[string]any {
	t.Helper()
	var j map[string]any
	if err := json.Unmarshal([]byte(codeBlock(t, docSection(t, "backfill.md", "## 5. Output"), "json")), &j); err != nil {
		t.Fatalf("docs/backfill.md's JSON: %v", err)
	}
	return j
}

// decodeBackfill decodes the stdout of `syncd backfill --json`, failing
// the test unless it is one object with the keys of the documented one.
func decodeBackfill(t *testing.T, stdout string) (backfillOut, map[string]any) {
	t.Helper()
	var j backfillOut
	var all map[string]any
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatalf("stdout is not the backfill JSON: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &all); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, map[string][]string{"backfill": slices.Sorted(maps.Keys(backfillDoc(t)))}, map[string]any{"backfill": all})
	return j, all
}

const companiesCSV = "รหัส;ชื่อบริษัท;เลขผู้เสียภาษี;เว็บไซต์\r\n" +
	"CO-1;บริษัท ตัวอย่าง จำกัด (มหาชน);0-1055-36112-01-4;https://www.example.co.th/\r\n" +
	"CO-2;บริษัท สยามกาแฟ จำกัด;0107544000109;\r\n" + // a wrong check digit
	"CO-3;\"ห้างหุ้นส่วน\r\nสองบรรทัด\";;example.com\r\n"

func TestBackfillCSVJSON(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	raw, err := charmap.Windows874.NewEncoder().String(companiesCSV)
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "companies.csv", raw)
	args := []string{"backfill", "--entity", "company", "--csv", path, "--json",
		"--map", "รหัส=erp_id", "--map", "ชื่อบริษัท=name", "--map", "เลขผู้เสียภาษี=tax_id", "--map", "เว็บไซต์=website",
		"--set", "properties.industry=FOOD_BEVERAGES"}
	r := a.run(t, args...)
	if r.code != cli.ExitRowsFailed {
		t.Fatalf("exit %d, want 3 (a bad line left out)\nstderr: %s", r.code, r.stderr)
	}
	// The output is the documented one but for what changes from run to
	// run: the file's directory, the time taken. The docs cut the reason
	// short.
	_, got := decodeBackfill(t, r.stdout)
	want := backfillDoc(t)
	if src, ok := got["source"].(map[string]any); ok {
		src["file"] = filepath.Base(fmt.Sprint(src["file"]))
	}
	for _, k := range []string{"seconds", "rows_per_second"} {
		if v, _ := got[k].(float64); v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, got[k])
		}
		got[k] = want[k]
	}
	if bad, _ := got["bad_lines"].([]any); len(bad) == 1 {
		b, _ := bad[0].(map[string]any)
		reason := fmt.Sprint(b["reason"])
		if !strings.Contains(reason, `company CO-2: field "tax_id": "0107544000109" is not valid`) {
			t.Errorf("bad line's reason %q", reason)
		}
		short := want["bad_lines"].([]any)[0].(map[string]any)["reason"].(string)
		if strings.HasPrefix(reason, strings.TrimSuffix(short, "…")) {
			b["reason"] = short
		}
	}
	g, _ := json.Marshal(got) // marshalled, a map's keys are sorted
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("backfill --json is not what docs/backfill.md shows:\n got %s\nwant %s", g, w)
	}
	if !strings.Contains(r.stderr, "1 bad line(s) were left out") {
		t.Errorf("stderr %q", r.stderr)
	}
	var payload string
	if err := a.Pool.QueryRow(context.Background(), `SELECT payload::text FROM outbox WHERE erp_id = 'CO-3'`).Scan(&payload); err != nil ||
		payload != `{"name": "ห้างหุ้นส่วน\nสองบรรทัด", "website": "example.com", "properties": {"industry": "FOOD_BEVERAGES"}}` {
		t.Errorf("CO-3 payload %s, %v", payload, err)
	}

	// Run again: nothing new, and the text summary says so.
	if j, _ := decodeBackfill(t, a.run(t, args...).stdout); j.Inserted != 0 || j.Present != 2 || j.Bad != 1 {
		t.Errorf("second run: %+v", j)
	}
	text := append(append([]string{}, args[:5]...), args[6:]...) // without --json
	r = a.run(t, text...)
	for _, want := range []string{"line 3: invalid: company CO-2:", "inserted         0", "already present  2", "bad              1 (invalid 1)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text summary lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := outboxtest.Count(t, a.DB, `SELECT count(*) FROM outbox`); n != 2 {
		t.Errorf("%d outbox rows after three runs, want 2", n)
	}
}

func TestBackfillStrictAndDryRun(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	path := writeTemp(t, "c.csv", "erp_id,email\nC-1,a@example.co.th\nC-2,broken@\n")
	r := a.run(t, "backfill", "--entity", "customer", "--csv", path, "--strict")
	if r.code != cli.ExitError || !strings.Contains(r.stderr, "with --strict nothing was written") || !strings.Contains(r.stdout, "line 3: invalid") {
		t.Errorf("strict: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	r = a.run(t, "backfill", "--entity", "customer", "--csv", path, "--dry-run", "--json")
	if j, _ := decodeBackfill(t, r.stdout); r.code != cli.ExitRowsFailed || !j.DryRun || j.Written || j.Inserted != 1 || j.Bad != 1 {
		t.Errorf("dry run: exit %d, %+v", r.code, j)
	}
	if n := outboxtest.Count(t, a.DB, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("strict and dry runs wrote %d rows", n)
	}
}

func TestBackfillUsage(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	csv := writeTemp(t, "c.csv", "code,mail\nC-1,a@example.co.th\n")
	mapping := writeTemp(t, "m.toml", "[columns]\ncode = \"erp_id\"\nmail = \"e_mail\"\n")
	badKey := writeTemp(t, "k.toml", "[column]\ncode = \"erp_id\"\n")
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"backfill", "--csv", csv}, "needs --entity"},
		{[]string{"backfill", "--entity", "widget", "--csv", csv}, `--entity "widget"`},
		{[]string{"backfill", "--entity", "customer"}, "one source"},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--from-sql", "SELECT 1"}, "one source"},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--source-url", "postgres://x"}, "--source-url is for --from-sql"},
		{[]string{"backfill", "--entity", "customer", "--csv", csv}, `column "code": is not a field of customer payloads`},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--mapping", mapping}, `column "mail": "e_mail" is not a field`},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--mapping", badKey}, `k.toml:1: unknown key "column"`},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--map", "nocolumn"}, "COLUMN=FIELD"},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--delimiter", "x"}, `delimiter "x"`},
		{[]string{"backfill", "--entity", "customer", "--csv", csv, "--strict", "--dry-run"}, "--strict and --dry-run"},
		{[]string{"backfill", "--entity", "customer", "--from-sql", "SELECT 1", "--source-url", "postgres://u:hunter2@[bad"}, "cannot parse the database URL"},
	} {
		r := a.run(t, tt.args...)
		if r.code != cli.ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.err) {
			t.Errorf("syncd %v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, r.code, r.stdout, r.stderr, tt.err)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("stderr reveals the password: %s", r.stderr)
		}
	}
	// The working mapping, from flags over the file.
	if r := a.run(t, "backfill", "--entity", "customer", "--csv", csv, "--mapping", mapping, "--map", "mail=email"); r.code != cli.ExitOK {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

func TestBackfillFromSQL(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	// The ERP's tables, in the same database as syncd's schema.
	if _, err := a.Pool.Exec(context.Background(), `
CREATE TABLE erp_customers (code text, mail text, company text);
INSERT INTO erp_customers VALUES ('C-1', 'a@example.co.th', 'CO-1'), ('C-2', 'b@example.co.th', NULL)`); err != nil {
		t.Fatal(err)
	}
	query := writeTemp(t, "q.sql", fmt.Sprintf("SELECT code AS erp_id, mail AS email, company AS company_id\nFROM %s.erp_customers ORDER BY code;\n", a.Schema))
	r := a.run(t, "backfill", "--entity", "customer", "--from-sql", "@"+query, "--json")
	j, _ := decodeBackfill(t, r.stdout)
	if r.code != cli.ExitOK || j.Source.Kind != "sql" || j.Inserted != 2 || j.Bad != 0 {
		t.Errorf("exit %d, %+v\n%s", r.code, j, r.stderr)
	}
	var payload string
	if err := a.Pool.QueryRow(context.Background(), `SELECT payload::text FROM outbox WHERE erp_id = 'C-2'`).Scan(&payload); err != nil ||
		payload != `{"email": "b@example.co.th"}` {
		t.Errorf("C-2 payload %s, %v", payload, err)
	}
}

// TestBackfillThenRunOnce is the path a new installation takes: Thai
// customers from a Windows-874 CSV file into the outbox, then one
// `syncd run --once` into the built-in emulator.
func TestBackfillThenRunOnce(t *testing.T) {
	t.Parallel()
	const n = 500
	a := newAdminDB(t, true)
	var b strings.Builder
	b.WriteString("รหัสลูกค้า,ชื่อ,นามสกุล,อีเมล,โทรศัพท์\r\n")
	for _, c := range shareddata.ThaiCustomers(t, n, 3) {
		fmt.Fprintf(&b, "%s,%s%s,%s,%s,%s\r\n", c.ERPID, c.Title, c.FirstName, c.LastName, c.Email, c.Phone)
	}
	raw, err := charmap.Windows874.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "customers.csv", raw)
	r := a.run(t, "backfill", "--entity", "customer", "--csv", path, "--json",
		"--map", "รหัสลูกค้า=erp_id", "--map", "ชื่อ=first_name", "--map", "นามสกุล=last_name", "--map", "อีเมล=email", "--map", "โทรศัพท์=phone")
	if j, _ := decodeBackfill(t, r.stdout); r.code != cli.ExitOK || j.Inserted != n {
		t.Fatalf("backfill: exit %d, %+v\n%s", r.code, j, r.stderr)
	}
	r = run(t, context.Background(), a.env, append(a.args, "run", "--once", "--json")...)
	var sum struct {
		Rows, Created, Failed, Dead int
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || r.code != cli.ExitOK || sum.Created != n || sum.Failed+sum.Dead != 0 {
		t.Fatalf("run --once: exit %d, %+v, %v\n%s", r.code, sum, err, r.stderr)
	}
	if got := outboxtest.Count(t, a.DB, `SELECT count(*) FROM id_map WHERE object_type = 'contact'`); got != n {
		t.Errorf("%d contacts in the ID map, want %d", got, n)
	}
	var first, last string
	if err := a.Pool.QueryRow(context.Background(), `SELECT synced_properties->>'firstname', synced_properties->>'phone' FROM id_map WHERE erp_id = 'C-000001'`).Scan(&first, &last); err != nil ||
		strings.HasPrefix(first, "นาย") || !strings.HasPrefix(last, "+668") {
		t.Errorf("C-000001 synced as firstname %q, phone %q (%v): want the title removed and an E.164 phone", first, last, err)
	}
}

// TestBackfillPlainProgress checks the progress lines stderr gets in a
// pipe: one per chunk when the clock moves 10 s per chunk, none on stdout.
func TestBackfillPlainProgress(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	path := writeTemp(t, "c.csv", "erp_id,email\nC-1,a@example.co.th\nC-2,b@example.co.th\nC-3,c@example.co.th\n")
	var out, errOut strings.Builder
	clock := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	f := testFactory(a.env, &out, &errOut)
	f.Now = func() time.Time { clock = clock.Add(10 * time.Second); return clock }
	code := cli.Main(context.Background(), f, append(a.args, "backfill", "--entity", "customer", "--csv", path, "--chunk-size", "1"))
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"backfill: 1 rows, ", "backfill: 2 rows, ", "backfill: 3 rows, ", "3 inserted, 0 already present, 0 bad"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if strings.Contains(out.String(), "backfill:") || !strings.Contains(out.String(), "inserted         3") {
		t.Errorf("stdout:\n%s", out.String())
	}
}
