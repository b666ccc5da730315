package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/cli"
)

func TestStatusShowsCountsAndFailures(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	a.seed(t, "customer", "C-1", "pending", 0, "")
	a.seed(t, "customer", "C-2", "done", 0, "")
	a.seed(t, "customer", "C-3", "superseded", 1, "old problem")
	failed := a.seed(t, "customer", "C-4", "failed", 2, "outbox row 4: customer C-4: field \"phone\": masked\nnumber")
	dead := a.seed(t, "company", "CO-1", "dead", 10, `outbox row 5: company CO-1: field "tax_id": wrong check digit`)
	if _, err := a.Pool.Exec(context.Background(), `
INSERT INTO runs (owner, started_at, finished_at, counts, error)
VALUES ('host:7', '2026-11-27T08:00:00Z', '2026-11-27T08:00:01.5Z', '{"rows": 3, "created": 1, "failed": 2}', 'HubSpot said no')`); err != nil {
		t.Fatal(err)
	}

	r := a.run(t, "status")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{
		`(?m)^pending +1$`, `(?m)^failed +1$`, `(?m)^dead +1$`, `(?m)^done +1$`, `(?m)^superseded +1$`, `(?m)^total +5$`,
		`(?m)^oldest pending +\d+s ago: row 1, customer C-1$`,
		`(?m)^1 +2026-11-27T08:00:00Z +1\.5s +3 +1 +0 +0 +0 +2 +0 +0 +HubSpot said no$`,
		`ROWS FAILED, DEAD: newest 2 of 2`,
		fmt.Sprintf(`(?m)^%d +customer +C-4 +upsert +failed +2 +2030-01-02T03:04:05Z +outbox row 4: customer C-4: field "phone": masked number$`, failed),
		fmt.Sprintf(`(?m)^%d +company +CO-1 +upsert +dead +10 +- +outbox row 5: company CO-1: field "tax_id": wrong check digit$`, dead),
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "C-2") || strings.Contains(r.stdout, "old problem") {
		t.Errorf("stdout lists rows that are neither failed nor dead:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "syncd retry") {
		t.Errorf("stderr does not say how to retry:\n%s", r.stderr)
	}
}

func TestStatusJSON(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	pending := a.seed(t, "customer", "C-1", "pending", 0, "")
	company := a.seed(t, "company", "CO-1", "pending", 0, "")
	warned := a.seed(t, "customer", "C-2", "done", 0, "")
	failed := a.seed(t, "customer", "C-4", "failed", 2, "bad phone")
	a.seed(t, "company", "CO-2", "dead", 10, "bad tax id")
	waiting := a.seed(t, "customer", "C-5", "pending", 1, "")
	if _, err := a.Pool.Exec(context.Background(), `
UPDATE outbox SET warnings = ARRAY['outbox row 3: customer C-2: field "phone": masked; not synced'] WHERE id = $1;
`, warned); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Pool.Exec(context.Background(), `UPDATE outbox SET waiting_for = $2 WHERE id = $1`, waiting, company); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Pool.Exec(context.Background(), `
INSERT INTO runs (owner, started_at, finished_at, counts, error) VALUES
 ('host:7', '2026-11-27T08:00:00Z', '2026-11-27T08:00:02Z', '{"rows": 3, "updated": 2, "failed": 1, "calls": 4, "duration_ns": 2000000000}', NULL),
 ('host:8', '2026-11-27T08:01:00Z', NULL, '{}', NULL)`); err != nil {
		t.Fatal(err)
	}

	r := a.run(t, "status", "--json", "--entity", "customer", "--runs", "2")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	wantKeys := map[string][]string{
		"top":            {"counts", "entity", "inbox", "now", "oldest_pending", "rows", "runs", "states", "waiting", "warned"},
		"counts":         {"dead", "done", "failed", "in_progress", "pending", "superseded", "total", "waiting", "warned"},
		"oldest_pending": {"age_seconds", "created_at", "entity", "erp_id", "id"},
		"run":            {"created", "dead", "deleted", "error", "failed", "finished_at", "hubspot_calls", "id", "owner", "rows", "seconds", "started_at", "superseded", "unchanged", "updated", "waiting", "warned"},
		"row":            {"attempts", "created_at", "entity", "erp_id", "id", "last_error", "next_attempt_at", "op", "processed_at", "state", "waiting_for", "warnings"},
		"waiting_for":    {"entity", "erp_id", "id", "state"},
	}
	runs := got["runs"].([]any)
	rows := got["rows"].([]any)
	waitingRows := got["waiting"].([]any)
	warnedRows := got["warned"].([]any)
	if len(runs) != 2 || len(rows) != 1 || len(waitingRows) != 1 || len(warnedRows) != 1 {
		t.Fatalf("runs %d, rows %d, waiting %d, warned %d; want 2, 1, 1 and 1:\n%s", len(runs), len(rows), len(waitingRows), len(warnedRows), r.stdout)
	}
	checkKeys(t, wantKeys, map[string]any{"top": got, "counts": got["counts"], "oldest_pending": got["oldest_pending"], "run": runs[1], "row": rows[0],
		"waiting_for": waitingRows[0].(map[string]any)["waiting_for"]})

	// The values, with the variable times taken out.
	oldest := got["oldest_pending"].(map[string]any)
	if age, _ := oldest["age_seconds"].(float64); age < 0 || age > 600 {
		t.Errorf("oldest pending age %v", oldest["age_seconds"])
	}
	delete(oldest, "age_seconds")
	delete(oldest, "created_at")
	for _, row := range []any{rows[0], waitingRows[0], warnedRows[0]} {
		delete(row.(map[string]any), "created_at")
		delete(row.(map[string]any), "processed_at")
	}
	delete(got, "now")
	b, _ := json.Marshal(got)
	want := fmt.Sprintf(`{"counts":{"dead":0,"done":1,"failed":1,"in_progress":0,"pending":2,"superseded":0,"total":4,"waiting":1,"warned":1},`+
		`"entity":"customer","inbox":[],"oldest_pending":{"entity":"customer","erp_id":"C-1","id":%d},`+
		`"rows":[{"attempts":2,"entity":"customer","erp_id":"C-4","id":%d,"last_error":"bad phone","next_attempt_at":"2030-01-02T03:04:05Z","op":"upsert","state":"failed","waiting_for":null,"warnings":[]}],`+
		`"runs":[{"created":0,"dead":0,"deleted":0,"error":null,"failed":0,"finished_at":null,"hubspot_calls":0,"id":2,"owner":"host:8","rows":0,"seconds":null,"started_at":"2026-11-27T08:01:00Z","superseded":0,"unchanged":0,"updated":0,"waiting":0,"warned":0},`+
		`{"created":0,"dead":0,"deleted":0,"error":null,"failed":1,"finished_at":"2026-11-27T08:00:02Z","hubspot_calls":4,"id":1,"owner":"host:7","rows":3,"seconds":2,"started_at":"2026-11-27T08:00:00Z","superseded":0,"unchanged":0,"updated":2,"waiting":0,"warned":0}],`+
		`"states":["failed","dead"],`+
		`"waiting":[{"attempts":1,"entity":"customer","erp_id":"C-5","id":%d,"last_error":null,"next_attempt_at":"2030-01-02T03:04:05Z","op":"upsert","state":"pending","waiting_for":{"entity":"company","erp_id":"CO-1","id":%d,"state":"pending"},"warnings":[]}],`+
		`"warned":[{"attempts":0,"entity":"customer","erp_id":"C-2","id":%d,"last_error":null,"next_attempt_at":null,"op":"upsert","state":"done","waiting_for":null,"warnings":["outbox row 3: customer C-2: field \"phone\": masked; not synced"]}]}`,
		pending, failed, waiting, company, warned)
	if string(b) != want {
		t.Errorf("status JSON\n got %s\nwant %s", b, want)
	}
}

func TestStatusFlags(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	a.seed(t, "customer", "C-1", "pending", 0, "")
	p2 := a.seed(t, "customer", "C-2", "pending", 0, "")
	a.seed(t, "customer", "C-3", "dead", 10, "bad")

	r := a.run(t, "status", "--state", "pending", "--limit", "1")
	if r.code != cli.ExitOK || !strings.Contains(r.stdout, "ROWS PENDING: newest 1 of 2") ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^%d +customer +C-2 +upsert +pending `, p2)).MatchString(r.stdout) ||
		strings.Contains(r.stdout, "C-3") {
		t.Errorf("--state pending --limit 1: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = a.run(t, "status", "--entity", "company")
	if r.code != cli.ExitOK || !regexp.MustCompile(`(?m)^total +0$`).MatchString(r.stdout) || !strings.Contains(r.stdout, "ROWS FAILED, DEAD: none") {
		t.Errorf("--entity company: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	for _, args := range [][]string{{"status", "--state", "stuck"}, {"status", "--limit", "-1"}, {"status", "extra"}} {
		r := a.run(t, args...)
		if r.code != cli.ExitUsage || r.stdout != "" {
			t.Errorf("syncd %v: exit %d, stdout %q, stderr %q; want exit 2", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestStatusUnmigrated(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, false)
	for _, args := range [][]string{{"status"}, {"retry", "--all-dead"}} {
		r := a.run(t, args...)
		if r.code != cli.ExitError || !strings.Contains(r.stderr, "run 'syncd migrate up' first") {
			t.Errorf("syncd %v on an empty schema: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// TestStatusRunsCount checks runs are listed newest first, as many as
// --runs asks.
func TestStatusRunsCount(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for i := range 4 {
		if _, err := a.Pool.Exec(context.Background(), `INSERT INTO runs (owner, started_at) VALUES ($1, $2)`,
			fmt.Sprintf("host:%d", i), start.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	r := a.run(t, "status", "--runs", "2")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := regexp.MustCompile(`(?m)^\d+ +(\S+) +running `).FindAllStringSubmatch(r.stdout, -1)
	if len(got) != 2 || got[0][1] != "2026-11-27T08:03:00Z" || got[1][1] != "2026-11-27T08:02:00Z" {
		t.Errorf("runs listed: %v\n%s", got, r.stdout)
	}
}

// warnedStatus is what `syncd status --json` says of the rows done with
// warnings.
type warnedStatus struct {
	Counts struct{ Done, Failed, Warned int }
	Warned []struct {
		ID       int64
		Entity   string `json:"entity"`
		ERPID    string `json:"erp_id"`
		State    string
		Warnings []string
	}
}

// warnedStatus runs `syncd status --json` and returns what it says of the
// rows done with warnings.
func (e setUpEnv) warnedStatus(t *testing.T) warnedStatus {
	t.Helper()
	r := e.syncd(t, cli.ExitOK, "status", "--json")
	var st warnedStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return st
}

// checkOneWarned checks that `syncd status`, as JSON and as text, shows
// done rows and no failed one, and among them row id, of entity erpID, as
// the one row with a warning, and warning as its only one.
func (e setUpEnv) checkOneWarned(t *testing.T, done int, id int64, entity, erpID, warning string) {
	t.Helper()
	st := e.warnedStatus(t)
	if st.Counts.Done != done || st.Counts.Failed != 0 || st.Counts.Warned != 1 || len(st.Warned) != 1 ||
		st.Warned[0].ID != id || st.Warned[0].Entity != entity || st.Warned[0].ERPID != erpID || st.Warned[0].State != "done" ||
		len(st.Warned[0].Warnings) != 1 || st.Warned[0].Warnings[0] != warning {
		t.Errorf("status --json: %+v\nwant %d done, row %d done with the warning %q", st, done, id, warning)
	}
	r := e.syncd(t, cli.ExitOK, "status")
	row := fmt.Sprintf(`(?m)^%d +%s +%s +%s$`, id, regexp.QuoteMeta(entity), regexp.QuoteMeta(erpID), regexp.QuoteMeta(warning))
	if !regexp.MustCompile(`(?m)^ROWS DONE WITH WARNINGS: newest 1 of 1$`).MatchString(r.stdout) || !regexp.MustCompile(row).MatchString(r.stdout) {
		t.Errorf("status does not list the warning:\n%s", r.stdout)
	}
}

// checkKeys checks that each JSON object in got has the keys want gives it
// under the same name, no more and no fewer.
func checkKeys(t *testing.T, want map[string][]string, got map[string]any) {
	t.Helper()
	for what, v := range got {
		o, _ := v.(map[string]any)
		if k := slices.Sorted(maps.Keys(o)); !slices.Equal(k, want[what]) {
			t.Errorf("%s keys = %v, want %v", what, k, want[what])
		}
	}
}
