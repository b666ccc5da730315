package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/cli"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// TestRunOnceWithToken runs migrate, setup and run --once the way an
// operator does, against a token-checking emulator, and checks the summary,
// the exit status and that the token appears in no output, at debug level.
func TestRunOnceWithToken(t *testing.T) {
	t.Parallel()
	const token = "pat-na1-7a1b2c3d-0000-4e5f-8a9b-123456789abc"
	e := newSyncdEnv(t, envOptions{token: token, unmigrated: true})
	db, env := e.db, e.env
	cfgPath := e.config(t, "syncd.toml", "[log]\nformat = \"json\"\n")
	ctx := context.Background()
	var logs strings.Builder
	step := func(want int, args ...string) result {
		t.Helper()
		r := run(t, ctx, env, append([]string{"--config", cfgPath, "--log-level", "debug"}, args...)...)
		logs.WriteString(r.stdout + r.stderr)
		if r.code != want {
			t.Fatalf("syncd %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	if r := step(cli.ExitOK, "migrate", "up"); !strings.Contains(r.stdout, "schema "+db.Schema+" at version") {
		t.Errorf("migrate up printed %q", r.stdout)
	}
	var status struct {
		Schema     string
		Version    int64
		Migrations []struct {
			Name    string
			Applied bool
		}
	}
	if r := step(cli.ExitOK, "migrate", "status", "--json"); json.Unmarshal([]byte(r.stdout), &status) != nil ||
		status.Schema != db.Schema || status.Version < 1 || len(status.Migrations) == 0 || !status.Migrations[0].Applied {
		t.Errorf("migrate status --json = %+v from %s", status, r.stdout)
	}
	if r := step(cli.ExitOK, "setup", "--dry-run"); !strings.Contains(r.stdout, "syncd_erp_id") {
		t.Errorf("setup --dry-run plans no ERP-ID property:\n%s", r.stdout)
	}
	step(cli.ExitOK, "setup")
	if r := step(cli.ExitOK, "setup", "--dry-run"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("setup --dry-run after setup:\n%s", r.stdout)
	}

	_, err := db.Pool.Exec(ctx, `
INSERT INTO outbox (entity, erp_id, payload) VALUES
 ('company',  'CO-1', '{"name":"บริษัท ทดสอบ จำกัด","domain":"example.co.th","tax_id":"0105536112014"}'),
 ('customer', 'C-1',  '{"name":"นายสมชาย ใจดี","email":"somchai@example.co.th","phone":"081-234-5678","company_id":"CO-1"}'),
 ('customer', 'C-2',  '{"name":"คุณมานพ","email":"manop@example.com","phone":"08x-xxx-5678"}')`)
	if err != nil {
		t.Fatal(err)
	}
	r := step(cli.ExitRowsFailed, "run", "--once", "--json")
	var sum struct {
		Rows, Created, Failed, Dead int
		Calls                       int64 `json:"hubspot_calls"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("run --once --json stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if sum.Rows != 3 || sum.Created != 2 || sum.Failed+sum.Dead != 1 || sum.Calls == 0 {
		t.Errorf("summary = %+v, want 3 rows, 2 created, 1 failed, some calls", sum)
	}

	if !strings.Contains(logs.String(), `"level":"debug"`) {
		t.Errorf("no debug log lines captured; the token check below proves nothing:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), token[8:]) {
		t.Errorf("the token appears in syncd's output:\n%s", logs.String())
	}
}

// TestRunOnceWithoutToken checks that with no token syncd syncs to the
// built-in emulator, set up on the fly, and says so.
func TestRunOnceWithoutToken(t *testing.T) {
	t.Parallel()
	a := newAdminDB(t, true)
	outboxtest.Insert(t, a.DB, "company", "CO-1", `{"name":"บริษัท ทดสอบ จำกัด","domain":"example.co.th","tax_id":"0105536112014"}`)
	r := run(t, context.Background(), a.env, append(a.args, "run", "--once")...)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "nothing reaches HubSpot") {
		t.Errorf("no warning about the emulator in stderr:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "created") {
		t.Errorf("no summary on stdout:\n%s", r.stdout)
	}
	var hubspotID string
	if err := a.Pool.QueryRow(context.Background(), `SELECT hubspot_id FROM id_map WHERE erp_id = 'CO-1'`).Scan(&hubspotID); err != nil {
		t.Errorf("CO-1 not in the id_map: %v", err)
	}
}

// lineWatcher is an io.Writer that closes a channel when a written line
// contains a given text, so a test can wait for a log line.
type lineWatcher struct {
	mu    sync.Mutex
	buf   strings.Builder
	waits map[string]chan struct{}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for text, ch := range w.waits {
		if strings.Contains(string(p), text) {
			close(ch)
			delete(w.waits, text)
		}
	}
	return len(p), nil
}

// when returns a channel closed once a line containing text is written.
func (w *lineWatcher) when(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(w.buf.String(), text) {
		close(ch)
		return ch
	}
	if w.waits == nil {
		w.waits = map[string]chan struct{}{}
	}
	w.waits[text] = ch
	return ch
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRunDaemon runs `syncd run` with an hourly schedule: a row the ERP
// inserts is synced at once through the outbox notification, and
// cancelling the context (SIGTERM) stops it with status 0.
func TestRunDaemon(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	cfgPath := writeTemp(t, "syncd.toml", configFor(db.Schema, daemonTOML))
	var logs lineWatcher
	listening, idle := logs.when("listening for outbox notifications"), logs.when("sync cycle: nothing to do")
	synced := logs.when(`"msg":"sync cycle done"`)
	// Once the first cycle has found nothing and the listener is up, only
	// the notification can bring the next cycle within the hour.
	d := startDaemon(t, db.BaseURL, cfgPath, &logs, []string{"--log-level", "debug", "run"}, listening, idle)
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO outbox (entity, erp_id, payload) VALUES ('company', 'CO-9', '{"name":"บริษัท เก้า จำกัด","domain":"nine.co.th"}')`); err != nil {
		t.Fatal(err)
	}
	d.await(t, "done syncing the inserted row", synced)
	if c := d.stopped(); c != cli.ExitOK {
		t.Errorf("run exited with %d after the stop:\n%s", c, logs.String())
	}
	if !strings.Contains(logs.String(), "syncd stopped") {
		t.Errorf("no stop logged:\n%s", logs.String())
	}
}

// TestRunOnceWithInbox checks that with inbox.enabled `syncd run --once`
// polls HubSpot's changes once after the drain: a contact created in
// HubSpot is in the inbox, the one syncd wrote is not, and `syncd status`
// shows the backlog and the watermark.
func TestRunOnceWithInbox(t *testing.T) {
	t.Parallel()
	e := newSetUpEnv(t, envOptions{unmigrated: true}, "[inbox]\nenabled = true\nobjects = [\"contacts\"]\n")
	outboxtest.Insert(t, e.db, "customer", "C-1", `{"name":"นายสมชาย ใจดี","email":"somchai@example.co.th","phone":"081-234-5678"}`)
	e.hubspot(t, http.MethodPost, "/crm/objects/2026-09/contacts", `{"properties":{"email":"malee@example.co.th","firstname":"Malee"}}`, "7001", http.StatusCreated)

	if r := e.syncd(t, cli.ExitOK, "run", "--once"); !strings.Contains(r.stderr, "inbox cycle finished") {
		t.Fatalf("run --once logs no inbox cycle:\n%s", r.stderr)
	}
	var kind, email, erpID string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT kind, changes->'email'->>'new', coalesce(erp_id, '-') FROM inbox`).Scan(&kind, &email, &erpID); err != nil {
		t.Fatalf("the inbox does not hold exactly one row: %v", err)
	}
	if kind != "created" || email != "malee@example.co.th" || erpID != "-" {
		t.Errorf("inbox row: %s %s %s; want the contact created in HubSpot, without an ERP key", kind, email, erpID)
	}

	r := e.syncd(t, cli.ExitOK, "status", "--json")
	var st struct {
		Inbox []struct {
			ObjectType   string   `json:"object_type"`
			Unconsumed   int      `json:"unconsumed"`
			WatermarkAge *float64 `json:"watermark_age_seconds"`
		} `json:"inbox"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	if len(st.Inbox) != 1 || st.Inbox[0].ObjectType != "contact" || st.Inbox[0].Unconsumed != 1 || st.Inbox[0].WatermarkAge == nil || *st.Inbox[0].WatermarkAge > 600 {
		t.Errorf("status --json inbox = %+v, want contact: 1 unconsumed, read just now", st.Inbox)
	}
	if r := e.syncd(t, cli.ExitOK, "status"); !strings.Contains(r.stdout, "INBOX") || !strings.Contains(r.stdout, "contact") {
		t.Errorf("status shows no inbox:\n%s", r.stdout)
	}
}
