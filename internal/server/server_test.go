package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncd/syncd/internal/store"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	Timeout:       time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// get fetches path from the env's endpoint (from loopback) and returns the
// status and body.
func (e *env) get(t *testing.T, path string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

// post sends a form to path from loopback.
func (e *env) post(t *testing.T, path string, form url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// csrf returns the page's CSRF token, read from its retry forms.
func csrf(t *testing.T, page string) string {
	t.Helper()
	const mark = `name="csrf" value="`
	i := strings.Index(page, mark)
	if i < 0 {
		t.Fatalf("no CSRF field on the page:\n%s", page)
	}
	v := page[i+len(mark):]
	return v[:strings.IndexByte(v, '"')]
}

// TestHealthAndReady checks /healthz and the JSON shape of /readyz when
// ready, from this machine, whose answers carry no error field when every
// check passes.
func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	code, body, _ := e.get(t, "/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body, hdr := e.get(t, "/readyz")
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("/readyz = %d (%s):\n%s", code, hdr.Get("Content-Type"), body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, []string{"at", "checks", "ready", "status"}) {
		t.Errorf("/readyz keys = %v", keys)
	}
	var rd struct {
		Status string
		Ready  bool
		At     time.Time
		Checks []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &rd); err != nil {
		t.Fatal(err)
	}
	if rd.Status != "ready" || !rd.Ready || time.Since(rd.At) > time.Minute {
		t.Errorf("/readyz = %+v", rd)
	}
	var names []string
	for _, c := range rd.Checks {
		names = append(names, c["name"].(string))
		if c["ok"] != true || c["detail"] == "" {
			t.Errorf("check %v is not ok", c)
		}
		if _, ok := c["error"]; ok || len(c) != 3 {
			t.Errorf("check %v: want exactly name, ok, detail", c)
		}
	}
	if !slices.Equal(names, []string{"database", "token", "cycle"}) {
		t.Errorf("checks = %v, want database, token, cycle", names)
	}
}

// TestMetrics parses /metrics with Prometheus's own text parser and checks
// the outbox gauges against the outbox table, the cycle and row counters
// against the runs table, and that HubSpot calls, budgets and the build are
// reported.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	ctx := context.Background()
	code, body, hdr := e.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d:\n%s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics Content-Type = %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("Prometheus's parser refuses /metrics: %v", err)
	}
	value := func(name string, labels ...string) (float64, bool) {
		f := fams[name]
		if f == nil {
			return 0, false
		}
	next:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				if label(m, labels[i]) != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			}
		}
		return 0, false
	}

	// Outbox rows by entity and state, for every entity and state.
	want := map[[2]string]int{}
	r, err := e.db.Pool.Query(ctx, `SELECT entity, state, count(*) FROM outbox GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	var ent, st string
	var n int
	for r.Next() {
		if err := r.Scan(&ent, &st, &n); err != nil {
			t.Fatal(err)
		}
		want[[2]string{ent, st}] = n
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if len(want) < 4 {
		t.Fatalf("the env's outbox has too few states: %v", want)
	}
	if got := len(fams["syncd_outbox_rows"].GetMetric()); got != 5*len(store.States) {
		t.Errorf("syncd_outbox_rows has %d series, want 5 entities × %d states", got, len(store.States))
	}
	for _, ent := range []string{"company", "customer", "product", "order", "ticket"} {
		for _, st := range store.States {
			got, ok := value("syncd_outbox_rows", "entity", ent, "state", st)
			if !ok || got != float64(want[[2]string{ent, st}]) {
				t.Errorf("syncd_outbox_rows{entity=%q,state=%q} = %v (present %v), the database has %d", ent, st, got, ok, want[[2]string{ent, st}])
			}
		}
	}
	dbCount := func(sql string, args ...any) float64 {
		t.Helper()
		var n int
		if err := e.db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return float64(n)
	}
	for _, c := range []struct{ metric, entity, sql string }{
		{"syncd_outbox_rows_waiting", "order", `SELECT count(*) FROM outbox WHERE entity = 'order' AND state = 'pending' AND waiting_for IS NOT NULL`},
		{"syncd_outbox_rows_warned", "company", `SELECT count(*) FROM outbox WHERE entity = 'company' AND state = 'done' AND warnings IS NOT NULL`},
		{"syncd_outbox_rows_in_progress", "customer", `SELECT count(*) FROM outbox WHERE entity = 'customer' AND lease_expires_at > now()`},
	} {
		got, _ := value(c.metric, "entity", c.entity)
		if w := dbCount(c.sql); got != w {
			t.Errorf("%s{entity=%q} = %v, the database has %v", c.metric, c.entity, got, w)
		}
	}
	if w, _ := value("syncd_outbox_rows_waiting", "entity", "order"); w != 1 {
		t.Errorf("syncd_outbox_rows_waiting{entity=order} = %v; the env has SO-1 waiting", w)
	}
	var dbAge float64
	if err := e.db.Pool.QueryRow(ctx, `SELECT extract(epoch FROM clock_timestamp() - min(created_at)) FROM outbox WHERE entity = 'order' AND state = 'pending'`).Scan(&dbAge); err != nil {
		t.Fatal(err)
	}
	if age, ok := value("syncd_outbox_oldest_pending_age_seconds", "entity", "order"); !ok || age <= 0 || age > dbAge+1 || math.Abs(age-dbAge) > 30 {
		t.Errorf("oldest pending order age = %v s, the database says %v s", age, dbAge)
	}
	if age, _ := value("syncd_outbox_oldest_pending_age_seconds", "entity", "company"); age != 0 {
		t.Errorf("oldest pending company age = %v, no company is pending", age)
	}
	if up, _ := value("syncd_database_up"); up != 1 {
		t.Errorf("syncd_database_up = %v", up)
	}

	// Cycles and rows by outcome: the runs table has one row per cycle
	// that claimed rows (both of the env's did) with the engine's counts.
	var runs, claimed, created, failed, dead, waiting, warned float64
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*), sum((counts->>'rows')::int), sum((counts->>'created')::int),
	  sum((counts->>'failed')::int), sum((counts->>'dead')::int), sum((counts->>'waiting')::int), sum((counts->>'warned')::int) FROM runs`).
		Scan(&runs, &claimed, &created, &failed, &dead, &waiting, &warned); err != nil {
		t.Fatal(err)
	}
	// Every cycle is counted; those that claimed rows are in the runs
	// table, the empty ones (the backlog's last, one after a notification
	// that found nothing) record no run.
	var cycles float64
	for _, m := range fams["syncd_cycles_total"].GetMetric() {
		cycles += m.Counter.GetValue()
	}
	start, _ := value("syncd_cycles_total", "trigger", "start", "result", "ok")
	notify, _ := value("syncd_cycles_total", "trigger", "notify", "result", "ok")
	if heard := float64(e.heard.Load()); cycles != heard || start != 1 || notify < 1 || runs != 2 {
		t.Errorf("syncd_cycles_total: %v in all (start %v, notify %v); the daemon ran %v, the runs table has %v", cycles, start, notify, heard, runs)
	}
	if h := fams["syncd_cycle_duration_seconds"].GetMetric(); len(h) != 1 || float64(h[0].Histogram.GetSampleCount()) != cycles {
		t.Errorf("syncd_cycle_duration_seconds = %v, want %v samples", h, cycles)
	}
	for outcome, w := range map[string]float64{"claimed": claimed, "created": created, "failed": failed, "dead": dead, "waiting": waiting, "warned": warned} {
		if got, _ := value("syncd_rows_total", "outcome", outcome); got != w {
			t.Errorf("syncd_rows_total{outcome=%q} = %v, the runs table says %v", outcome, got, w)
		}
	}
	if dead != 1 || warned != 1 || waiting != 1 {
		t.Errorf("runs say dead %v, warned %v, waiting %v; the env makes one of each", dead, warned, waiting)
	}

	if up, ok := value("syncd_hubspot_calls_total", "operation", "POST /crm/objects/2026-09/{objectType}/batch/upsert", "status", "200"); !ok || up < 1 {
		t.Errorf("no successful batch upsert counted: %v", up)
	}
	if lim, _ := value("syncd_hubspot_window_calls_limit"); lim <= 0 {
		t.Errorf("syncd_hubspot_window_calls_limit = %v", lim)
	}
	if left, ok := value("syncd_hubspot_window_calls_left"); !ok || left < 0 {
		t.Errorf("syncd_hubspot_window_calls_left = %v (present %v)", left, ok)
	}
	if lim, _ := value("syncd_hubspot_daily_calls_limit"); lim != 250000 {
		t.Errorf("syncd_hubspot_daily_calls_limit = %v, want the free tier's 250000", lim)
	}
	if used, ok := value("syncd_hubspot_daily_calls_used"); !ok || used < 1 {
		t.Errorf("syncd_hubspot_daily_calls_used = %v (present %v)", used, ok)
	}
	if b := fams["syncd_build_info"].GetMetric(); len(b) != 1 || label(b[0], "version") == "" || label(b[0], "go_version") == "" {
		t.Errorf("syncd_build_info = %v", b)
	}
	for _, name := range []string{"syncd_hubspot_rate_limited_total", "syncd_hubspot_retries_total"} {
		if f, ok := fams[name]; ok && len(f.Metric) > 0 {
			t.Errorf("%s has series though the emulator answered no 429 and nothing was retried: %v", name, f.Metric)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("the Go runtime's metrics are missing")
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestPageAndRetry reads the status page from this machine: the failed
// and dead rows with their reasons, the waiting and warned rows, the runs;
// looks an ERP key up and follows its HubSpot link's shape; and retries
// rows through the page's forms, per row and per entity, which the running
// daemon then syncs at once. Cross-site and tokenless POSTs change nothing.
func TestPageAndRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	ctx := context.Background()
	code, page, _ := e.get(t, "/", "Accept-Language", "en-US,en;q=0.9")
	if code != http.StatusOK {
		t.Fatalf("/ = %d:\n%s", code, page)
	}
	var badReason, deadReason string
	if err := e.db.Pool.QueryRow(ctx, `SELECT (SELECT last_error FROM outbox WHERE erp_id = 'C-BAD'), (SELECT last_error FROM outbox WHERE erp_id = 'T-BAD')`).Scan(&badReason, &deadReason); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Failed and dead rows", "Outbox by entity", "Rows waiting for another row", "Rows done with warnings", "Last runs",
		fmt.Sprintf(`id="row-%d" data-state="failed"`, e.id(t, "C-BAD")), htmlEscape(badReason),
		fmt.Sprintf(`id="row-%d" data-state="dead"`, e.id(t, "T-BAD")), htmlEscape(deadReason),
		fmt.Sprintf(`id="row-%d" data-state="pending"`, e.id(t, "SO-1")), fmt.Sprintf("#%d (customer C-BAD, failed)", e.id(t, "C-BAD")),
		fmt.Sprintf(`id="row-%d" data-state="done"`, e.id(t, "CO-2")), "tax_id",
		`class="retry-entity" data-entity="customer"`, `class="retry-entity" data-entity="ticket"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `data-entity="company"`) {
		t.Error("the page offers to retry companies, which have no failed or dead row")
	}

	// The lookup finds C-1 as a contact, with the link into HubSpot.
	var portal int64
	var hsID string
	if err := e.db.Pool.QueryRow(ctx, `SELECT portal_id, hubspot_id FROM id_map WHERE object_type = 'contact' AND erp_id = 'C-1'`).Scan(&portal, &hsID); err != nil {
		t.Fatal(err)
	}
	_, found, _ := e.get(t, "/?key=C-1&entity=customer")
	link := fmt.Sprintf("https://app.hubspot.com/contacts/%d/record/0-1/%s", portal, hsID)
	if !strings.Contains(found, `href="`+link+`"`) {
		t.Errorf("the lookup of C-1 does not link to %s:\n%s", link, found)
	}
	if _, missing, _ := e.get(t, "/?key=C-404&entity=customer"); !strings.Contains(missing, "is not in the ID map") {
		t.Error("the lookup of an unknown key does not say it is unknown")
	}

	token := csrf(t, page)
	tBad := e.id(t, "T-BAD")
	// A cross-site POST, one from another origin and one without the CSRF
	// field are refused; the dead row stays dead.
	for _, c := range []struct {
		form   url.Values
		header []string
	}{
		{url.Values{"csrf": {token}, "id": {fmt.Sprint(tBad)}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{url.Values{"csrf": {token}, "id": {fmt.Sprint(tBad)}}, []string{"Origin", "http://evil.example"}},
		{url.Values{"id": {fmt.Sprint(tBad)}}, nil},
		{url.Values{"csrf": {"0000"}, "id": {fmt.Sprint(tBad)}}, nil},
	} {
		if code, body, _ := e.post(t, "/retry", c.form, c.header...); code != http.StatusForbidden {
			t.Errorf("POST /retry %v %v = %d %s; want 403", c.form, c.header, code, body)
		}
	}
	if st, _ := e.state(t, tBad); st != store.StateDead {
		t.Fatalf("a refused retry changed T-BAD to %s", st)
	}

	// The row's retry button: the dead row comes back, the daemon is woken
	// and syncs it at once (it fails again, now with 1 attempt of 2).
	code, _, hdr := e.post(t, "/retry", url.Values{"csrf": {token}, "id": {fmt.Sprint(tBad)}}, "Origin", e.url, "Sec-Fetch-Site", "same-origin")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/?requeued=1#failed" {
		t.Fatalf("POST /retry = %d to %q", code, hdr.Get("Location"))
	}
	if c := e.nextCycle(t, "the cycle after the retry"); c.Summary.Rows != 1 || c.Summary.Failed != 1 {
		t.Errorf("the cycle after the retry: %+v", c.Summary)
	}
	if st, n := e.state(t, tBad); st != store.StateFailed || n != 1 {
		t.Errorf("T-BAD after the retry and a cycle: %s with %d attempts, want failed with 1", st, n)
	}
	if _, flashed, _ := e.get(t, "/?requeued=1"); !strings.Contains(flashed, "Requeued 1 row(s)") {
		t.Error("the page after a retry does not say what was requeued")
	}

	// The entity's button: every failed and dead customer row. The daemon
	// is stopped first, so the row stays as the retry left it.
	e.stopDaemon()
	cBad := e.id(t, "C-BAD")
	code, _, hdr = e.post(t, "/retry", url.Values{"csrf": {token}, "entity": {"customer"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/?requeued=1#failed" {
		t.Errorf("POST /retry entity=customer = %d to %q", code, hdr.Get("Location"))
	}
	if st, n := e.state(t, cBad); st != store.StatePending || n != 0 {
		t.Errorf("C-BAD after the entity's retry: %s with %d attempts, want pending with 0", st, n)
	}
	if !strings.Contains(e.logs.String(), "requeued outbox rows from the status page") {
		t.Error("the retries are not logged")
	}
}

// htmlEscape escapes s as html/template escapes text.
func htmlEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `'`, "&#39;").Replace(s)
}
