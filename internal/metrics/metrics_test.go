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

	dto "github.com/prometheus/client_model/go"
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

// scrapeFed scrapes fed metrics and parses the body as Prometheus does.
func scrapeFed(t *testing.T) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	body := scrape(t, fed(t, nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return body, fams
}

// TestCollectors checks what the hooks and the scrape-time reads produce,
// as Prometheus's parser reads it.
func TestCollectors(t *testing.T) {
	t.Parallel()
	body, fams := scrapeFed(t)
	for _, want := range []string{
		`syncd_outbox_rows{entity="customer",state="pending"} 7`,
		`syncd_outbox_rows{entity="customer",state="superseded"} 0`,
		`syncd_outbox_rows{entity="company",state="done"} 4`,
		`syncd_outbox_rows{entity="ticket",state="failed"} 2`,
		`syncd_outbox_rows_waiting{entity="customer"} 2`,
		`syncd_outbox_rows_warned{entity="company"} 1`,
		`syncd_outbox_rows_in_progress{entity="customer"} 3`,
		`syncd_outbox_rows_in_progress{entity="ticket"} 1`,
		`syncd_outbox_oldest_pending_age_seconds{entity="customer"} 90`,
		`syncd_outbox_oldest_pending_age_seconds{entity="company"} 0`,
		`syncd_database_up 1`,
		`syncd_cycles_total{result="ok",trigger="start"} 1`,
		`syncd_cycles_total{result="failed",trigger="schedule"} 1`,
		`syncd_cycles_total{result="failed",trigger="backlog"} 0`,
		`syncd_cycle_duration_seconds_count 2`,
		`syncd_cycle_duration_seconds_sum 2.5`,
		`syncd_rows_total{outcome="claimed"} 10`,
		`syncd_rows_total{outcome="created"} 6`,
		`syncd_rows_total{outcome="deleted"} 0`,
		`syncd_last_cycle_success_timestamp_seconds 1.7957664015e+09`,
		`syncd_hubspot_calls_total{operation="POST /crm/objects/2026-09/{objectType}/batch/upsert",status="200"} 2`,
		`syncd_hubspot_calls_total{operation="POST /crm/objects/2026-09/{objectType}/batch/upsert",status="429"} 1`,
		`syncd_hubspot_calls_total{operation="POST /crm/objects/2026-09/{objectType}/batch/upsert",status="error"} 1`,
		`syncd_hubspot_call_duration_seconds_count{operation="POST /crm/objects/2026-09/{objectType}/batch/upsert"} 3`,
		`syncd_hubspot_rate_limited_total{policy="TEN_SECONDLY_ROLLING"} 1`,
		`syncd_hubspot_retries_total{operation="POST /crm/objects/2026-09/{objectType}/batch/upsert"} 2`,
		`syncd_hubspot_window_calls_limit 171`,
		`syncd_hubspot_window_calls_left 120`,
		`syncd_hubspot_window_seconds 10`,
		`syncd_hubspot_daily_calls_limit 625000`,
		`syncd_hubspot_daily_calls_used 1000`,
		`syncd_hubspot_daily_calls_reserved 125000`,
		`syncd_hubspot_daily_limit_reached 1`,
		`syncd_job_runs_total{job="inbox",result="ok"} 1`,
		`syncd_outbox_listening 1`,
		`syncd_build_info{go_version="`,
		`syncd_inbox_rows_unconsumed{object_type="deal"} 12`,
		`syncd_inbox_rows_unconsumed{object_type="contact"} 3`,
		`syncd_inbox_rows_unconsumed{object_type="ticket"} 0`,
		`syncd_inbox_watermark_age_seconds{object_type="deal"} 75`,
		`syncd_inbox_database_up 1`,
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
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
	_, fams := scrapeFed(t)
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(ops)
	var names []string
	for name, f := range fams {
		if !strings.HasPrefix(name, "syncd_") {
			continue
		}
		names = append(names, name)
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
	// A histogram's series carry suffixes; the names below are what
	// PromQL may use.
	known := slices.Clone(names)
	for _, n := range names {
		if fams[n].GetType().String() == "HISTOGRAM" {
			known = append(known, n+"_bucket", n+"_sum", n+"_count")
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
