package engine_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

// pipelineReads counts the reads of HubSpot's pipelines among rs, by
// object type.
func pipelineReads(rs []request) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/crm/pipelines/") {
			out[r.Path[strings.LastIndexByte(r.Path, '/')+1:]]++
		}
	}
	return out
}

// drainCounted drains with eng and returns the summary and the requests
// HubSpot received meanwhile.
func (e *env) drainCounted(eng *engine.Engine) (engine.Summary, []request) {
	e.t.Helper()
	n := e.rec.len()
	sum := e.drain(eng)
	return sum, e.rec.since(n)
}

// engineWith returns an engine named owner, with a client of its own (a
// process of its own), whose configuration edit changes from the env's.
func (e *env) engineWith(owner string, edit func(*config.Config)) *engine.Engine {
	e.t.Helper()
	cfg := e.cfg
	cfg.Deals.Stages = maps.Clone(cfg.Deals.Stages)
	cfg.Tickets.Stages = maps.Clone(cfg.Tickets.Stages)
	if edit != nil {
		edit(&cfg)
	}
	eng, err := engine.New(engine.Deps{Store: e.st, HubSpot: e.client(), Logger: hubspottest.QuietLogger(), Now: e.clk.Now, Owner: owner}, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// emulatorCall sends one request to the emulator as an admin would from
// HubSpot's UI, and fails the test unless it is answered with want.
func (e *env) emulatorCall(method, path string, want int) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+hubspottest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
}

// dealStage returns the stage of the deal of order erpID in HubSpot.
func (e *env) dealStage(erpID string) string {
	e.t.Helper()
	return erpIndex(e.t, e, hubspot.Deals, "dealstage")[erpID].Properties["dealstage"]
}

// syncedOrderEnv is an order env where one order has been synced: the deal
// pipelines are read once and kept.
func syncedOrderEnv(t *testing.T) *env {
	t.Helper()
	e := newOrderEnv(t)
	e.insertJSON("order", "SO-1", map[string]any{"status": "open"})
	if _, reqs := e.drainCounted(e.eng); pipelineReads(reqs)[hubspot.Deals] != 1 {
		t.Fatalf("first drain read the deal pipelines %v times, want once", pipelineReads(reqs))
	}
	return e
}

// Pipelines read in one cycle serve the following cycles while the read
// is younger than sync.pipeline_refresh (default 10 minutes, on the
// engine's clock), and are read again once it is that old.
func TestPipelinesKeptForTheRefreshAge(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	order := func(id string) { e.insertJSON("order", id, map[string]any{"status": "open", "name": id}) }

	order("SO-1")
	before := e.clk.Now().Truncate(time.Microsecond)
	sum, reqs := e.drainCounted(e.eng)
	if got := pipelineReads(reqs); sum.Created != 1 || got[hubspot.Deals] != 1 {
		t.Fatalf("first drain: %+v, pipeline reads %v; want the deal created after one read of the deal pipelines", sum, got)
	}
	if n := e.count(`SELECT count(*) FROM pipelines WHERE object_type = 'deals' AND read_at BETWEEN $1 AND $2`, before, e.clk.Now()); n != 1 {
		t.Errorf("%d kept reads of the deal pipelines made during the drain, want 1", n)
	}

	e.clk.Advance(10*time.Minute - time.Second)
	order("SO-2")
	sum, reqs = e.drainCounted(e.eng)
	if got := pipelineReads(reqs); sum.Created != 1 || len(got) != 0 {
		t.Errorf("drain 9m59s later: %+v, pipeline reads %v; want the deal created with the kept pipelines", sum, got)
	}

	e.clk.Advance(time.Second)
	order("SO-3")
	sum, reqs = e.drainCounted(e.eng)
	if got := pipelineReads(reqs); sum.Created != 1 || got[hubspot.Deals] != 1 {
		t.Errorf("drain 10m after the read: %+v, pipeline reads %v; want one read of the deal pipelines", sum, got)
	}
	for _, id := range []string{"SO-1", "SO-2", "SO-3"} {
		if st := e.dealStage(id); st != "appointmentscheduled" {
			t.Errorf("deal %s is in stage %q, want appointmentscheduled", id, st)
		}
	}
}

// With sync.pipeline_refresh = 0s every cycle reads the pipelines.
func TestPipelinesRefreshZeroReadsEveryCycle(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	eng := e.engineWith("engine-zero", func(c *config.Config) { c.Sync.PipelineRefresh = config.Duration{} })
	for i := range 2 {
		e.insertJSON("order", fmt.Sprintf("SO-%d", i), map[string]any{"status": "open"})
		if sum, reqs := e.drainCounted(eng); sum.Created != 1 || pipelineReads(reqs)[hubspot.Deals] != 1 {
			t.Errorf("cycle %d: %+v, pipeline reads %v; want one read", i, sum, pipelineReads(reqs))
		}
	}
}

// A kept read that lacks a configured stage is not trusted: the stage may
// have been added in HubSpot since, so the cycle reads the pipelines again
// at once instead of waiting for sync.pipeline_refresh. Here the admin
// maps a new ERP status to a stage HubSpot lacks, restarts syncd, sees
// the orders wait for `syncd setup`, and adds the stage in HubSpot: the
// next cycle finds it, minutes before the kept read's age is up.
func TestPipelinesReadAgainOnAStageMiss(t *testing.T) {
	t.Parallel()
	e := syncedOrderEnv(t)

	restarted := e.engineWith("engine-restarted", func(c *config.Config) { c.Deals.Stages["backorder"] = "Backordered" })
	e.clk.Advance(time.Minute)
	id := e.insertJSON("order", "SO-2", map[string]any{"status": "backorder"})
	sum, reqs := e.drainCounted(restarted)
	if got := pipelineReads(reqs); got[hubspot.Deals] != 1 || sum.Failed != 1 {
		t.Fatalf("drain with the new mapping: %+v, pipeline reads %v; want one read (the kept one lacks the stage) and the order failed", sum, got)
	}
	if got := e.row(id); got.State != "failed" || got.Attempts != 0 || !strings.Contains(got.LastError, `stage "Backordered" (for ERP status "backorder") does not exist`) {
		t.Fatalf("order row = %+v; want failed without an attempt, naming the missing stage", got)
	}

	created, err := e.hs.CreatePipelineStage(context.Background(), hubspot.Deals, "default",
		hubspot.PipelineStage{ID: "backordered", Label: "Backordered", DisplayOrder: 9, Metadata: map[string]string{"probability": "0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Minute) // past the row's retry, well within the refresh age
	sum, reqs = e.drainCounted(restarted)
	if got := pipelineReads(reqs); got[hubspot.Deals] != 1 || sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("drain after the stage was added: %+v, pipeline reads %v; want one read and the deal created; %v", sum, got, e.failures())
	}
	if st := e.dealStage("SO-2"); st != created.ID {
		t.Errorf("deal SO-2 is in stage %q, want the added stage %q", st, created.ID)
	}

	// That read has the stage: it is kept and used again.
	e.insertJSON("order", "SO-3", map[string]any{"status": "backorder"})
	if sum, reqs := e.drainCounted(restarted); sum.Created != 1 || len(pipelineReads(reqs)) != 0 {
		t.Errorf("next drain: %+v, pipeline reads %v; want the kept read used", sum, pipelineReads(reqs))
	}
}

// When HubSpot refuses a stage taken from a kept read (the stage was
// deleted and made again under the same label, so its ID changed), the
// read is dropped from the database, for every process, and the next
// cycle reads the pipelines again and writes the new stage.
func TestPipelinesReadAgainAfterHubSpotRefusesAStage(t *testing.T) {
	t.Parallel()
	e := syncedOrderEnv(t)

	// The admin replaces the stage "Appointment Scheduled" (mapped by
	// label) in HubSpot.
	e.emulatorCall(http.MethodDelete, "/crm/pipelines/2026-09/deals/default/stages/appointmentscheduled", http.StatusNoContent)
	if _, err := e.hs.CreatePipelineStage(context.Background(), hubspot.Deals, "default",
		hubspot.PipelineStage{ID: "appointment2", Label: "Appointment Scheduled", DisplayOrder: 0, Metadata: map[string]string{"probability": "0.2"}}); err != nil {
		t.Fatal(err)
	}

	e.clk.Advance(time.Minute)
	id := e.insertJSON("order", "SO-2", map[string]any{"status": "open"})
	sum, reqs := e.drainCounted(e.eng)
	if got := pipelineReads(reqs); len(got) != 0 || sum.Failed != 1 {
		t.Fatalf("drain with the kept read: %+v, pipeline reads %v; want no read and the deal refused", sum, got)
	}
	if got := e.row(id); got.State != "failed" || !strings.Contains(got.LastError, "dealstage") {
		t.Fatalf("order row = %+v; want failed with HubSpot's refusal of the stage", got)
	}
	if n := e.count(`SELECT count(*) FROM pipelines WHERE object_type = 'deals'`); n != 0 {
		t.Errorf("%d kept reads of the deal pipelines after HubSpot refused a stage of it, want none: other processes would go on using it", n)
	}

	e.clk.Advance(5 * time.Minute) // past the row's retry, within the refresh age
	sum, reqs = e.drainCounted(e.eng)
	if got := pipelineReads(reqs); got[hubspot.Deals] != 1 || sum.Created != 1 {
		t.Fatalf("drain after the refusal: %+v, pipeline reads %v; want one read and the deal created; %v", sum, got, e.failures())
	}
	if st := e.dealStage("SO-2"); st != "appointment2" {
		t.Errorf("deal SO-2 is in stage %q, want the new stage appointment2", st)
	}
}

// The pipelines one process read serve every process on the schema: a
// second engine, with its own client, syncs deals and tickets without
// reading them.
func TestPipelinesSharedByProcessesOnOneSchema(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	e.insertJSON("order", "SO-1", map[string]any{"status": "open"})
	e.insertJSON("ticket", "T-1", map[string]any{"subject": "Late delivery", "status": "open"})
	sum, reqs := e.drainCounted(e.eng)
	if got := pipelineReads(reqs); sum.Created != 2 || got[hubspot.Deals] != 1 || got[hubspot.Tickets] != 1 {
		t.Fatalf("first process: %+v, pipeline reads %v; want a deal and a ticket after one read each", sum, got)
	}

	other := e.engineWith("engine-b", nil)
	e.clk.Advance(3 * time.Minute)
	e.insertJSON("order", "SO-2", map[string]any{"status": "shipped"})
	e.insertJSON("ticket", "T-2", map[string]any{"subject": "Wrong item", "status": "closed"})
	sum, reqs = e.drainCounted(other)
	if got := pipelineReads(reqs); sum.Created != 2 || len(got) != 0 {
		t.Errorf("second process: %+v, pipeline reads %v; want a deal and a ticket with the first process's read", sum, got)
	}
	if st := e.dealStage("SO-2"); st != "closedwon" {
		t.Errorf("deal SO-2 is in stage %q, want closedwon", st)
	}
	tickets := erpIndex(t, e, hubspot.Tickets, "hs_pipeline_stage")
	if st := tickets["T-2"].Properties["hs_pipeline_stage"]; st != "4" {
		t.Errorf("ticket T-2 is in stage %q, want 4 (Closed)", st)
	}
}

// An unchanged re-send of every order, by a newly started process (what
// `syncd run --once` from cron is), costs exactly one HubSpot call: the
// account details, which name the portal the ID map is keyed by. The
// pipelines come from the database.
func TestUnchangedResendByANewProcessCostsOneCall(t *testing.T) {
	t.Parallel()
	e := newOrderEnv(t)
	rows := func() {
		e.insertJSON("company", "CO-1", map[string]any{"name": "Siam Trading", "domain": "siamtrading.example.co.th"})
		e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@siamtrading.example.co.th", "company_id": "CO-1"})
		for i := range 3 {
			e.insertJSON("order", fmt.Sprintf("SO-%d", i), map[string]any{"customer_id": "C-1", "company_id": "CO-1",
				"status": []string{"open", "shipped", "lost"}[i], "name": fmt.Sprintf("SO-%d rice", i),
				"items": []map[string]any{{"line_id": "1", "sku": "RICE-5", "name": "Jasmine rice 5 kg", "quantity": 1 + i, "unit_price": 100}}})
		}
		e.insertJSON("ticket", "T-1", map[string]any{"customer_id": "C-1", "order_id": "SO-0", "subject": "Late delivery", "status": "open"})
	}
	rows()
	if sum := e.drain(e.eng); sum.Failed != 0 || sum.Created == 0 {
		t.Fatalf("first sync: %+v; %v", sum, e.failures())
	}

	e.clk.Advance(time.Minute)
	rows()
	sum, reqs := e.drainCounted(e.engineWith("engine-new", nil))
	if sum.Calls != 1 || len(reqs) != 1 || reqs[0].String() != "GET /account-info/2026-09/details" {
		t.Errorf("re-send by a new process: %d calls %v; want exactly the account details", sum.Calls, paths(reqs))
	}
	if sum.Unchanged != 6 || sum.Failed != 0 {
		t.Errorf("re-send by a new process: %+v; want all 6 records unchanged", sum)
	}
}
