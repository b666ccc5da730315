package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/metrics"
	"github.com/syncd/syncd/internal/store"
)

// fed returns metrics whose every source has reported once: a backlog, a
// budget, a cycle that worked and one that failed, HubSpot calls with a
// 429 and a retry, a job run, the notifications.
func fed(t *testing.T, backlogErr error) *metrics.Metrics {
	t.Helper()
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Options{
		Version:  "v1.2.3",
		Entities: []string{"company", "customer"},
		Backlog: func(context.Context) (*store.Backlog, error) {
			if backlogErr != nil {
				return nil, backlogErr
			}
			return &store.Backlog{Now: now, Counts: []store.BacklogCount{
				{Entity: "customer", State: "pending", Rows: 7, Waiting: 2, InProgress: 3},
				{Entity: "customer", State: "dead", Rows: 1},
				{Entity: "company", State: "done", Rows: 4, Warned: 1},
				{Entity: "ticket", State: "failed", Rows: 2, InProgress: 1},
			}, OldestPending: map[string]time.Time{"customer": now.Add(-90 * time.Second)}}, nil
		},
		Budget: func() governor.State {
			return governor.State{Window: 10 * time.Second, WindowLimit: 171, WindowLeft: 120, DailyLimit: 625000, DailyUsed: 1000, DailyReserve: 125000,
				DailyBlockedUntil: now.Add(time.Hour)}
		},
		Inbox: func(context.Context) ([]store.InboxBacklog, error) {
			checked := now.Add(-75 * time.Second)
			return []store.InboxBacklog{
				{ObjectType: "deal", Unconsumed: 12, CheckedAt: &checked, WatermarkAge: 75 * time.Second},
				{ObjectType: "contact", Unconsumed: 3},
			}, nil
		},
		InboxObjects: []string{"contact", "deal", "ticket"},
	})
	h := m.Hooks()
	h.CycleFinished(daemon.Cycle{Trigger: daemon.TriggerStart, Started: now, Finished: now.Add(1500 * time.Millisecond),
		Summary: engine.Summary{Rows: 10, Created: 6, Updated: 2, Failed: 1, Dead: 1, Waiting: 2, Warned: 1}})
	h.CycleFinished(daemon.Cycle{Trigger: daemon.TriggerSchedule, Started: now, Finished: now.Add(time.Second), Err: errors.New("boom")})
	const upsert = "POST /crm/objects/2026-09/{objectType}/batch/upsert"
	h.CallMade(hubspot.Call{Operation: upsert, Status: 200, Duration: 150 * time.Millisecond, Attempt: 1})
	h.CallMade(hubspot.Call{Operation: upsert, Status: 429, Duration: 20 * time.Millisecond, Attempt: 1, Policy: governor.PolicyTenSecondly})
	h.CallMade(hubspot.Call{Operation: upsert, Status: 200, Duration: 140 * time.Millisecond, Attempt: 2})
	h.CallMade(hubspot.Call{Operation: upsert, Attempt: 3, Err: errors.New("timeout")})
	h.JobFinished(daemon.JobRun{Job: "inbox", Started: now, Finished: now.Add(time.Second)})
	h.Notifications(true)
	return m
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics = %d", w.Code)
	}
	return w.Body.String()
}

// TestCollectors checks what the hooks and the scrape-time reads produce,
// as Prometheus's parser reads it.
func TestCollectors(t *testing.T) {
	t.Parallel()
	body := scrape(t, fed(t, nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/series.txt")
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for series := range strings.Lines(string(want)) {
		series = strings.TrimSpace(series)
		if series == "" || strings.HasPrefix(series, "#") {
			continue
		}
		listed++
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if listed == 0 {
		t.Fatal("testdata/series.txt names no series")
	}
	if n := len(fams["syncd_inbox_watermark_age_seconds"].GetMetric()); n != 1 {
		t.Errorf("syncd_inbox_watermark_age_seconds has %d series, want deal's alone (the others were never read)", n)
	}
	if n := len(fams["syncd_outbox_rows"].GetMetric()); n != 3*len(store.States) {
		t.Errorf("syncd_outbox_rows has %d series, want company, customer and ticket × %d states", n, len(store.States))
	}
}

// TestDatabaseDown checks that a failed read of the outbox is reported as
// syncd_database_up 0 and leaves the rest of the scrape alone.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	body := scrape(t, fed(t, errors.New("store: count the outbox: connection refused")))
	if !strings.Contains(body, "syncd_database_up 0\n") || strings.Contains(body, "syncd_outbox_rows{") || !strings.Contains(body, "syncd_cycles_total") {
		t.Errorf("with the database down:\n%s", body)
	}
}

var metricName = regexp.MustCompile(`\bsyncd_[a-z_]+[a-z]`)

// TestDocumented checks that docs/operations.md names every syncd_ metric
// the endpoint serves, with its labels, and that the sample alerts use
// only metrics that exist.
func TestDocumented(t *testing.T) {
	t.Parallel()
	// The registry is what the endpoint serves (TestCollectors scrapes it).
	fams, err := fed(t, nil).Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(ops)
	var known []string
	for _, f := range fams {
		name := f.GetName()
		if !strings.HasPrefix(name, "syncd_") {
			continue
		}
		// A histogram's series carry suffixes; the names are what PromQL
		// may use.
		known = append(known, name)
		if f.GetType().String() == "HISTOGRAM" {
			known = append(known, name+"_bucket", name+"_sum", name+"_count")
		}
		row := "| `" + name + "` |"
		i := strings.Index(doc, row)
		if i < 0 {
			t.Errorf("docs/operations.md has no table row for %s", name)
			continue
		}
		line := doc[i : i+strings.IndexByte(doc[i:], '\n')]
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if !strings.Contains(line, "`"+l.GetName()+"`") {
					t.Errorf("docs/operations.md's row of %s does not name its label %s", name, l.GetName())
				}
			}
		}
	}
	alerts, err := os.ReadFile("../../docs/prometheus-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	used := metricName.FindAllString(string(alerts), -1)
	if len(used) < 5 {
		t.Fatalf("the sample alerts use %d syncd metrics", len(used))
	}
	for _, n := range used {
		if !slices.Contains(known, n) {
			t.Errorf("docs/prometheus-alerts.yml uses %s, which syncd does not serve", n)
		}
	}
	for _, n := range []string{"syncd_outbox_oldest_pending_age_seconds", "syncd_outbox_rows"} {
		if !slices.Contains(used, n) {
			t.Errorf("the sample alerts do not watch %s", n)
		}
	}
}
