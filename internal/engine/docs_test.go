package engine_test

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
)

var reSQLBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestOutboxDocOrderExamples runs the INSERT examples of docs/outbox.md as
// an ERP developer would paste them (§6, then §7 one by one) and checks
// that HubSpot ends up as §7 says.
func TestOutboxDocOrderExamples(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "outbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "## 7. Orders, products and tickets")
	if i < 0 {
		t.Fatal("docs/outbox.md has no section 7 on orders, products and tickets")
	}
	inserts := func(s string) []string {
		var out []string
		for _, m := range reSQLBlock.FindAllStringSubmatch(s, -1) {
			q := strings.TrimSpace(m[1])
			if strings.HasPrefix(q, "INSERT INTO syncd.outbox") && strings.Contains(q, "VALUES (") {
				out = append(out, strings.Replace(q, "syncd.outbox", "outbox", 1))
			}
		}
		return out
	}
	before, section := inserts(doc[:i]), inserts(doc[i:])
	if len(section) != 4 {
		t.Fatalf("section 7 has %d INSERT examples, want 4", len(section))
	}

	e := newEnv(t, envOptions{cfg: func(cfg *config.Config) {
		// The mapping §7 shows, plus the status §6's order uses.
		cfg.Deals = config.PipelineMapping{Pipeline: "Sales Pipeline", Stages: map[string]string{
			"confirmed": "Appointment Scheduled", "open": "Appointment Scheduled", "shipped": "closedwon", "cancelled": "Closed Lost"}}
		cfg.Tickets = config.PipelineMapping{Pipeline: "0", Stages: map[string]string{
			"open": "1", "waiting": "Waiting on contact", "closed": "Closed"}}
	}})
	setupHubSpot(t, e)
	ctx := context.Background()
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := e.db.Pool.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if sum := e.drain(e.eng); sum.Failed != 0 || sum.Dead != 0 {
			t.Fatalf("after %s\n%+v: %v", qs, sum, e.failures())
		}
	}
	// §6's examples in one go, as one ERP transaction would write them;
	// its delete would remove the customer the later examples need.
	var upserts []string
	for _, q := range before {
		if !strings.Contains(q, "'delete'") {
			upserts = append(upserts, q)
		}
	}
	exec(upserts...)

	exec(section[0]) // items: 1 changed, 3 absent (never sent here), 4 new
	deals := erpIndex(t, e, hubspot.Deals, "amount", "dealstage")
	d := deals["SO-2026-0042"]
	if hubspottest.Rat(t, d.Properties["amount"]).Cmp(big.NewRat(36845, 10)) != 0 || d.Properties["dealstage"] != "closedwon" {
		t.Errorf("deal after the items update = %+v, want amount 3684.5, closedwon", d.Properties)
	}
	products := erpIndex(t, e, hubspot.Products, "hs_sku")
	lines := erpIndex(t, e, hubspot.LineItems, "amount", "hs_product_id")
	if len(lines) != 3 || lines["SO-2026-0042/4"].Properties["hs_product_id"] != products["FLT-100"].ID || products["FLT-100"].ID == "" {
		t.Errorf("line items = %+v, products = %+v", lines, products)
	}

	exec(section[1]) // status only
	deals = erpIndex(t, e, hubspot.Deals, "dealstage")
	if got := deals["SO-2026-0042"].Properties["dealstage"]; got != "closedlost" {
		t.Errorf("dealstage after the status update = %s, want closedlost", got)
	}
	if n := len(e.all(hubspot.LineItems)); n != 3 {
		t.Errorf("a status-only update left %d line items, want 3", n)
	}

	exec(section[2]) // ticket
	tickets := erpIndex(t, e, hubspot.Tickets, "hs_pipeline_stage")
	tk := tickets["T-7789"]
	if tk.Properties["hs_pipeline_stage"] != "2" {
		t.Errorf("ticket T-7789 stage = %s, want 2 (Waiting on contact)", tk.Properties["hs_pipeline_stage"])
	}
	if got := assocIDs(t, e, hubspot.Tickets, hubspot.Deals, []string{tk.ID}, 28)[tk.ID]; len(got) != 1 || got[0] != d.ID {
		t.Errorf("ticket → deal = %v, want [%s]", got, d.ID)
	}

	exec(section[3]) // delete
	if n := len(e.all(hubspot.Deals)) + len(e.all(hubspot.LineItems)); n != 0 {
		t.Errorf("%d deals and line items left after the delete, want 0", n)
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE erp_id LIKE 'SO-2026-0042%' AND archived_at IS NULL`); n != 0 {
		t.Errorf("%d id_map rows of the deleted order are not archived", n)
	}
}
