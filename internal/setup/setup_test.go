package setup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/setup"
)

// newClient starts a fresh emulator and returns a client for it.
func newClient(t *testing.T) *hubspot.Client {
	t.Helper()
	srv := httptest.NewServer(emulator.New(emulator.Options{DisableRateLimits: true}))
	t.Cleanup(srv.Close)
	c, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "test-token"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func orderConfig(create bool) config.Config {
	cfg := config.Default()
	cfg.Deals = config.PipelineMapping{Pipeline: "ERP Orders", Stages: map[string]string{
		"open": "Received", "shipped": "Shipped", "cancelled": "Cancelled",
	}}
	cfg.Tickets = config.PipelineMapping{Pipeline: "0", Stages: map[string]string{
		"open": "New", "waiting": "Waiting on us", "escalated": "Escalated",
	}}
	cfg.Setup.CreatePipelines = create
	return cfg
}

func count(cs []setup.Change, k setup.Kind) int {
	n := 0
	for _, c := range cs {
		if c.Kind == k {
			n++
		}
	}
	return n
}

func TestSetupFreshAccountThenNoChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := newClient(t)
	cfg := orderConfig(true)

	plan, err := setup.Plan(ctx, client, cfg)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	// Six ERP-ID properties, tax ID and branch on companies, a syncd group on
	// each of the six types, the orders pipeline, one ticket stage.
	if got := count(plan.Changes, setup.CreateProperty); got != 8 {
		t.Errorf("planned %d properties, want 8: %+v", got, plan.Changes)
	}
	if got := count(plan.Changes, setup.CreatePropertyGroup); got != 6 {
		t.Errorf("planned %d groups, want 6", got)
	}
	if got := count(plan.Changes, setup.CreatePipeline); got != 1 {
		t.Errorf("planned %d pipelines, want 1", got)
	}
	if got := count(plan.Changes, setup.CreateStage); got != 1 {
		t.Errorf("planned %d stages, want 1 (Escalated): %+v", got, plan.Changes)
	}
	var out bytes.Buffer
	if err := plan.Render(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"syncd_erp_id", "line_items", `"ERP Orders"`, "Escalated", "Plan: 16 to create, 0 problem(s)."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rendered plan lacks %q:\n%s", want, out.String())
		}
	}
	js, err := json.Marshal(plan)
	if err != nil || !bytes.Contains(js, []byte(`"kind":"create_property"`)) {
		t.Errorf("JSON plan = %s, %v", js, err)
	}

	res, err := setup.Apply(ctx, client, plan)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(res.Created) != len(plan.Changes) {
		t.Errorf("Apply created %d, planned %d", len(res.Created), len(plan.Changes))
	}

	// What the plan predicted is what HubSpot now holds.
	props, err := client.ListProperties(ctx, hubspot.LineItems)
	if err != nil {
		t.Fatal(err)
	}
	var erp *hubspot.Property
	for i := range props {
		if props[i].Name == "syncd_erp_id" {
			erp = &props[i]
		}
	}
	if erp == nil || !erp.HasUniqueValue || erp.Type != "string" || erp.GroupName != setup.GroupName {
		t.Errorf("line_items syncd_erp_id after apply = %+v", erp)
	}
	pipes, err := client.ListPipelines(ctx, hubspot.Deals)
	if err != nil {
		t.Fatal(err)
	}
	p := hubspot.FindPipeline(pipes, "erp orders")
	if p == nil || hubspot.FindStage(p, "shipped") == nil || hubspot.FindStage(p, "Cancelled") == nil {
		t.Errorf("deal pipelines after apply = %+v", pipes)
	}

	again, err := setup.Plan(ctx, client, cfg)
	if err != nil {
		t.Fatalf("second Plan: %v", err)
	}
	if !again.Empty() {
		t.Errorf("second plan is not empty: %+v", again)
	}
	out.Reset()
	_ = again.Render(&out)
	if !strings.HasPrefix(out.String(), "No changes.") {
		t.Errorf("second plan renders %q", out.String())
	}
}

func TestSetupMissingPipelineWithoutCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := newClient(t)

	plan, err := setup.Plan(ctx, client, orderConfig(false))
	var pe *setup.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("Plan error = %v, want *ProblemsError", err)
	}
	if count(plan.Changes, setup.CreatePipeline)+count(plan.Changes, setup.CreateStage) != 0 {
		t.Errorf("plan creates pipelines without create_pipelines: %+v", plan.Changes)
	}
	msg := err.Error()
	for _, want := range []string{`"ERP Orders"`, "create_pipelines = true", `"Escalated"`, "[tickets.stages]"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}
	if _, err := setup.Apply(ctx, client, plan); !errors.As(err, &pe) {
		t.Errorf("Apply of a plan with problems = %v, want *ProblemsError", err)
	}
	// Nothing was created.
	props, _ := client.ListProperties(ctx, hubspot.Contacts)
	for _, p := range props {
		if p.Name == "syncd_erp_id" {
			t.Error("Apply created a property from a plan with problems")
		}
	}
}

func TestSetupReportsWrongDefinition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := newClient(t)
	// An admin made the ERP-ID property on deals by hand, without unique values.
	if _, err := client.CreateProperty(ctx, hubspot.Deals, hubspot.Property{
		Name: "syncd_erp_id", Label: "ERP ID", Type: "string", FieldType: "text", GroupName: "dealinformation",
	}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	plan, err := setup.Plan(ctx, client, cfg)
	var pe *setup.ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("Plan error = %v, want one problem", err)
	}
	if p := pe.Problems[0]; p.ObjectType != hubspot.Deals || !strings.Contains(p.Detail, "unique") {
		t.Errorf("problem = %+v", p)
	}
	for _, c := range plan.Changes {
		if c.ObjectType == hubspot.Deals && c.Name == "syncd_erp_id" {
			t.Errorf("plan changes the existing property: %+v", c)
		}
	}
	// The default config names HubSpot's default pipelines and stage IDs: no
	// pipeline changes are needed.
	if n := count(plan.Changes, setup.CreatePipeline) + count(plan.Changes, setup.CreateStage); n != 0 {
		t.Errorf("default config plans %d pipeline changes", n)
	}
}
