package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
)

// conflictEnv is an order env whose [conflicts.deals] is policies, with a
// status mapped to contractsent so that the ERP can come to agree with a
// stage a user chose.
func conflictEnv(t *testing.T, deals, lineItems map[string]string) *env {
	t.Helper()
	e := newEnv(t, envOptions{cfg: func(cfg *config.Config) {
		orderConfig(cfg)
		cfg.Deals.Stages["contract"] = "contractsent"
		cfg.Conflicts = map[string]map[string]string{}
		if deals != nil {
			cfg.Conflicts["deals"] = deals
		}
		if lineItems != nil {
			cfg.Conflicts["line_items"] = lineItems
		}
	}})
	setupHubSpot(t, e)
	return e
}

// order is an order payload with one line of quantity qty at 10, so that
// the deal's amount is 10×qty.
func order(status string, qty int) map[string]any {
	return map[string]any{"name": "SO-1 Siam Trading", "status": status, "currency": "THB",
		"items": []map[string]any{{"line_id": "1", "name": "Jasmine rice 5 kg", "quantity": qty, "unit_price": 10}}}
}

// userPatch changes a record's properties through HubSpot's public API,
// as a user's edit in HubSpot's UI does.
func (e *env) userPatch(objectType, id string, props map[string]string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"properties": props})
	rec := e.direct(http.MethodPatch, "/crm/objects/2026-09/"+objectType+"/"+id, body)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("PATCH %s %s: %d %s", objectType, id, rec.Code, rec.Body)
	}
}

// cycleOf drains the outbox and returns the summary and the HubSpot
// requests it made by route, as the emulator counted them.
func (e *env) cycleOf() (engine.Summary, map[string]int64) {
	e.t.Helper()
	before := e.emu.Stats()
	sum := e.drain(e.eng)
	if sum.Failed != 0 || sum.Dead != 0 {
		e.t.Fatalf("drain: %+v; rows: %v", sum, e.failures())
	}
	return sum, routesSince(before, e.emu.Stats())
}

func routesSince(before, after emulator.Stats) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after.ByRoute {
		if d := v - before.ByRoute[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func (e *env) warnings(id int64) []string {
	e.t.Helper()
	var ws []string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT coalesce(warnings, '{}') FROM outbox WHERE id = $1`, id).Scan(&ws); err != nil {
		e.t.Fatal(err)
	}
	return ws
}

func (e *env) synced(objectType, erpID string) map[string]string {
	e.t.Helper()
	var b []byte
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT synced_properties FROM id_map WHERE object_type = $1 AND erp_id = $2`, objectType, erpID).Scan(&b); err != nil {
		e.t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// sameNumber reports whether a and b are the same number ("30" and
// "30.0").
func sameNumber(a, b string) bool {
	x, okA := new(big.Rat).SetString(a)
	y, okB := new(big.Rat).SetString(b)
	return okA && okB && x.Cmp(y) == 0
}

const batchReadDeals = "POST /crm/objects/2026-09/{objectType}/batch/read"

// TestConflictPolicies is the acceptance of [conflicts]: an order synced,
// its stage moved by a user in HubSpot, then an ERP update with another
// status and another amount. With hubspot_wins on dealstage the user's
// stage stays, the amount is written, and the row is done with a warning
// naming the conflict; with erp_wins, and with no setting, the ERP's stage
// overwrites it, as before, with the same calls. hubspot_wins costs one
// batch read of the deals' dealstage, and only for a cycle whose update
// touches dealstage.
func TestConflictPolicies(t *testing.T) {
	t.Parallel()
	type outcome struct {
		stage, amount string
		warnings      []string
		calls         int64
		routes        map[string]int64
	}
	// run syncs the order, lets a user move its stage (unless userStage is
	// ""), and sends the ERP's update.
	run := func(t *testing.T, deals map[string]string, userStage string) (*env, string, outcome) {
		e := conflictEnv(t, deals, nil)
		e.insertJSON("order", "SO-1", order("open", 2))
		e.cycleOf()
		dealID := erpIndex(t, e, hubspot.Deals)["SO-1"].ID
		if userStage != "" {
			e.userPatch(hubspot.Deals, dealID, map[string]string{"dealstage": userStage})
		}
		row := e.insertJSON("order", "SO-1", order("shipped", 3))
		sum, routes := e.cycleOf()
		d := erpIndex(t, e, hubspot.Deals, "dealstage", "amount")["SO-1"]
		return e, dealID, outcome{stage: d.Properties["dealstage"], amount: d.Properties["amount"], warnings: e.warnings(row), calls: sum.Calls, routes: routes}
	}

	none := func() outcome { _, _, o := run(t, nil, "contractsent"); return o }()
	erpWins := func() outcome {
		_, _, o := run(t, map[string]string{"dealstage": config.ConflictERPWins}, "contractsent")
		return o
	}()
	for name, o := range map[string]outcome{"no setting": none, "erp_wins": erpWins} {
		if o.stage != "closedwon" || !sameNumber(o.amount, "30") || len(o.warnings) != 0 {
			t.Errorf("%s: stage %s, amount %s, warnings %q; want the ERP's closedwon and 30, no warning", name, o.stage, o.amount, o.warnings)
		}
		if o.routes[batchReadDeals] != 0 {
			t.Errorf("%s: the update cycle read records: %v", name, o.routes)
		}
	}
	if erpWins.calls != none.calls || !maps.Equal(erpWins.routes, none.routes) {
		t.Errorf("erp_wins made %d calls %v; with no setting %d %v: want the same", erpWins.calls, erpWins.routes, none.calls, none.routes)
	}

	hsWins := map[string]string{"dealstage": config.ConflictHubSpotWins}
	t.Run("hubspot_wins after a HubSpot change", func(t *testing.T) {
		e, _, o := run(t, hsWins, "contractsent")
		want := `outbox row 2: order SO-1: property "dealstage": HubSpot has "contractsent", changed there since syncd wrote "appointmentscheduled"; the ERP's "closedwon" was not written (conflicts.deals.dealstage = "hubspot_wins")`
		if o.stage != "contractsent" || !sameNumber(o.amount, "30") {
			t.Errorf("stage %s, amount %s; want the user's contractsent and the ERP's 30", o.stage, o.amount)
		}
		if len(o.warnings) != 1 || o.warnings[0] != want {
			t.Errorf("warnings %q\nwant [%q]", o.warnings, want)
		}
		if got := e.row(2).State; got != "done" {
			t.Errorf("row 2 is %s, want done", got)
		}
		// One batch read of the deal's dealstage more than erp_wins, and
		// nothing else different.
		wantRoutes := maps.Clone(none.routes)
		wantRoutes[batchReadDeals]++
		t.Logf("the update cycle: %d calls with no setting, %d with erp_wins, %d with hubspot_wins (%v)", none.calls, erpWins.calls, o.calls, o.routes)
		if o.calls != none.calls+1 || !maps.Equal(o.routes, wantRoutes) {
			t.Errorf("hubspot_wins made %d calls %v; want %d: %v", o.calls, o.routes, none.calls+1, wantRoutes)
		}
		// The ID map keeps the stage syncd last wrote, so that the next
		// row meets the same conflict.
		if s := e.synced("deal", "SO-1"); s["dealstage"] != "appointmentscheduled" || !sameNumber(s["amount"], "30") {
			t.Errorf("synced dealstage %q amount %q; want appointmentscheduled (syncd's last write) and 30", s["dealstage"], s["amount"])
		}

		// The next ERP row, still "shipped", changes the amount: the
		// user's stage still stays.
		row := e.insertJSON("order", "SO-1", order("shipped", 4))
		e.cycleOf()
		d := erpIndex(t, e, hubspot.Deals, "dealstage", "amount")["SO-1"]
		if d.Properties["dealstage"] != "contractsent" || !sameNumber(d.Properties["amount"], "40") || len(e.warnings(row)) != 1 {
			t.Errorf("next row: stage %s amount %s warnings %q; want contractsent, 40 and the conflict again", d.Properties["dealstage"], d.Properties["amount"], e.warnings(row))
		}

		// The ERP comes to the user's stage: nothing to write for it, no
		// warning, and that stage is what syncd knows from now on.
		row = e.insertJSON("order", "SO-1", order("contract", 4))
		sum, routes := e.cycleOf()
		if ws := e.warnings(row); len(ws) != 0 || sum.Unchanged != 1 || routes["POST /crm/objects/2026-09/{objectType}/batch/update"] != 0 {
			t.Errorf("agreeing row: warnings %q, summary %+v, routes %v; want no warning and no write", ws, sum, routes)
		}
		if s := e.synced("deal", "SO-1"); s["dealstage"] != "contractsent" {
			t.Errorf("synced dealstage %q after the ERP agreed, want contractsent", s["dealstage"])
		}
		// And its next status is written: HubSpot holds what syncd knows.
		row = e.insertJSON("order", "SO-1", order("lost", 4))
		e.cycleOf()
		if d := erpIndex(t, e, hubspot.Deals, "dealstage")["SO-1"]; d.Properties["dealstage"] != "closedlost" || len(e.warnings(row)) != 0 {
			t.Errorf("after agreeing: stage %s, warnings %q; want closedlost written", d.Properties["dealstage"], e.warnings(row))
		}
	})

	t.Run("hubspot_wins without a HubSpot change", func(t *testing.T) {
		_, _, o := run(t, hsWins, "")
		if o.stage != "closedwon" || !sameNumber(o.amount, "30") || len(o.warnings) != 0 {
			t.Errorf("stage %s, amount %s, warnings %q; want the ERP's closedwon and 30, no warning", o.stage, o.amount, o.warnings)
		}
		if o.routes[batchReadDeals] != 1 || o.calls != none.calls+1 {
			t.Errorf("%d calls %v; want one batch read more than the %d of erp_wins", o.calls, o.routes, none.calls)
		}
	})

	t.Run("hubspot_wins and an update that leaves the stage", func(t *testing.T) {
		// The same update for both policies, status unchanged: no read.
		counts := map[string]outcome{}
		for name, deals := range map[string]map[string]string{"hubspot_wins": hsWins, "none": nil} {
			e := conflictEnv(t, deals, nil)
			e.insertJSON("order", "SO-1", order("open", 2))
			e.cycleOf()
			e.userPatch(hubspot.Deals, erpIndex(t, e, hubspot.Deals)["SO-1"].ID, map[string]string{"dealstage": "contractsent"})
			row := e.insertJSON("order", "SO-1", order("open", 5))
			sum, routes := e.cycleOf()
			d := erpIndex(t, e, hubspot.Deals, "dealstage", "amount")["SO-1"]
			counts[name] = outcome{stage: d.Properties["dealstage"], amount: d.Properties["amount"], warnings: e.warnings(row), calls: sum.Calls, routes: routes}
		}
		hw, no := counts["hubspot_wins"], counts["none"]
		if hw.calls != no.calls || !maps.Equal(hw.routes, no.routes) || hw.routes[batchReadDeals] != 0 {
			t.Errorf("hubspot_wins made %d calls %v, no setting %d %v: want the same, no read", hw.calls, hw.routes, no.calls, no.routes)
		}
		for name, o := range counts {
			// syncd sends no stage it did not change: the user's stays.
			if o.stage != "contractsent" || !sameNumber(o.amount, "50") || len(o.warnings) != 0 {
				t.Errorf("%s: stage %s amount %s warnings %q; want contractsent, 50, none", name, o.stage, o.amount, o.warnings)
			}
		}
	})
}

// TestConflictLineItems checks hubspot_wins on a line item property: a
// quantity a user changed stays, and the order's row carries the
// conflict.
func TestConflictLineItems(t *testing.T) {
	t.Parallel()
	e := conflictEnv(t, nil, map[string]string{"quantity": config.ConflictHubSpotWins})
	e.insertJSON("order", "SO-1", order("open", 2))
	e.cycleOf()
	li := erpIndex(t, e, hubspot.LineItems, "quantity")["SO-1/1"]
	e.userPatch(hubspot.LineItems, li.ID, map[string]string{"quantity": "7"})
	row := e.insertJSON("order", "SO-1", order("shipped", 3))
	e.cycleOf()
	got := erpIndex(t, e, hubspot.LineItems, "quantity")["SO-1/1"]
	want := fmt.Sprintf(`outbox row %d: order SO-1: line item SO-1/1: property "quantity": HubSpot has "7", changed there since syncd wrote "2"; the ERP's "3" was not written (conflicts.line_items.quantity = "hubspot_wins")`, row)
	if !sameNumber(got.Properties["quantity"], "7") {
		t.Errorf("line item quantity %s, want the user's 7", got.Properties["quantity"])
	}
	if ws := e.warnings(row); len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings %q\nwant [%q]", ws, want)
	}
	if d := erpIndex(t, e, hubspot.Deals, "dealstage")["SO-1"]; d.Properties["dealstage"] != "closedwon" {
		t.Errorf("deal stage %s, want closedwon (erp_wins)", d.Properties["dealstage"])
	}
	if s := e.synced("line_item", "SO-1/1"); !sameNumber(s["quantity"], "2") {
		t.Errorf("synced quantity %q, want 2 (syncd's last write)", s["quantity"])
	}
}

// TestConflictReadsPerHundred checks the cost of hubspot_wins: one batch
// read per 100 updated records whose change touches such a property, each
// reading only those properties; a user's change to some of them is kept
// and the rest are written.
func TestConflictReadsPerHundred(t *testing.T) {
	t.Parallel()
	e := conflictEnv(t, map[string]string{"dealstage": config.ConflictHubSpotWins, "closedate": config.ConflictHubSpotWins}, nil)
	const n = 150
	for i := range n {
		e.insertJSON("order", fmt.Sprintf("SO-%d", i), map[string]any{"name": fmt.Sprintf("SO-%d", i), "status": "open"})
	}
	e.cycleOf()
	deals := erpIndex(t, e, hubspot.Deals)
	for i := range 10 {
		e.userPatch(hubspot.Deals, deals[fmt.Sprintf("SO-%d", i)].ID, map[string]string{"dealstage": "contractsent"})
	}
	for i := range n {
		e.insertJSON("order", fmt.Sprintf("SO-%d", i), map[string]any{"name": fmt.Sprintf("SO-%d", i), "status": "shipped"})
	}
	mark := e.rec.len()
	sum, routes := e.cycleOf()
	t.Logf("%d updated deals: %d calls %v; %d rows warned", n, sum.Calls, routes, sum.Warned)
	if routes[batchReadDeals] != 2 || sum.Warned != 10 {
		t.Errorf("%v, %d rows warned; want 2 batch reads, 10 rows warned", routes, sum.Warned)
	}
	reads := 0
	for _, r := range e.rec.since(mark) {
		if r.Path != "/crm/objects/2026-09/deals/batch/read" {
			continue
		}
		reads++
		var body struct {
			Inputs     []struct{ ID string }
			Properties []string
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		// closedate is not in the change: only dealstage is read.
		if len(body.Inputs) > 100 || len(body.Properties) != 1 || body.Properties[0] != "dealstage" {
			t.Errorf("batch read of %d records, properties %v; want at most 100, dealstage only", len(body.Inputs), body.Properties)
		}
	}
	if reads != 2 {
		t.Errorf("%d batch reads of deals recorded, want 2", reads)
	}
	after := erpIndex(t, e, hubspot.Deals, "dealstage")
	for i := range n {
		want := "closedwon"
		if i < 10 {
			want = "contractsent"
		}
		if got := after[fmt.Sprintf("SO-%d", i)].Properties["dealstage"]; got != want {
			t.Errorf("SO-%d: stage %s, want %s", i, got, want)
		}
	}
}

// TestConflictUnknownObjectType checks that the engine refuses a
// [conflicts] section its table of object types does not know, for a
// configuration not loaded from a file.
func TestConflictUnknownObjectType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	cfg := e.cfg
	cfg.Conflicts = map[string]map[string]string{"orders": {"status": config.ConflictHubSpotWins}}
	_, err := engine.New(engine.Deps{Store: e.st, HubSpot: e.hs}, cfg)
	if err == nil || !strings.Contains(err.Error(), "[conflicts.orders]") {
		t.Errorf("engine.New = %v, want an error naming [conflicts.orders]", err)
	}
}

// TestConflictPipelineKeepsStage checks that a stage goes with its
// pipeline: with hubspot_wins on the pipeline, a deal a user moved to
// another pipeline keeps its stage there too, rather than getting the
// ERP's stage of the ERP's pipeline, which HubSpot would refuse.
func TestConflictPipelineKeepsStage(t *testing.T) {
	t.Parallel()
	e := conflictEnv(t, map[string]string{"pipeline": config.ConflictHubSpotWins}, nil)
	rec := e.direct(http.MethodPost, "/crm/pipelines/2026-09/deals", []byte(`{"label":"Partners","displayOrder":5,"stages":[{"label":"Intro","displayOrder":0,"metadata":{"probability":"0.1"}}]}`))
	var p struct {
		ID     string
		Stages []struct{ ID string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusCreated || len(p.Stages) != 1 {
		t.Fatalf("create pipeline: %d %s", rec.Code, rec.Body)
	}
	e.insertJSON("order", "SO-1", order("open", 2))
	e.cycleOf()
	e.userPatch(hubspot.Deals, erpIndex(t, e, hubspot.Deals)["SO-1"].ID, map[string]string{"pipeline": p.ID, "dealstage": p.Stages[0].ID})
	row := e.insertJSON("order", "SO-1", order("shipped", 3))
	_, routes := e.cycleOf()
	d := erpIndex(t, e, hubspot.Deals, "pipeline", "dealstage", "amount")["SO-1"]
	if d.Properties["pipeline"] != p.ID || d.Properties["dealstage"] != p.Stages[0].ID || !sameNumber(d.Properties["amount"], "30") {
		t.Errorf("deal %v; want the user's pipeline %s and stage %s, the ERP's amount 30", d.Properties, p.ID, p.Stages[0].ID)
	}
	want := fmt.Sprintf(`outbox row %d: order SO-1: property "dealstage": the ERP's "closedwon" was not written, as HubSpot kept the record's pipeline (conflicts.deals.pipeline = "hubspot_wins")`, row)
	if ws := e.warnings(row); len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings %q\nwant [%q]", ws, want)
	}
	if routes[batchReadDeals] != 1 {
		t.Errorf("routes %v, want one batch read", routes)
	}
	if s := e.synced("deal", "SO-1"); s["pipeline"] != "default" || s["dealstage"] != "appointmentscheduled" {
		t.Errorf("synced pipeline %q stage %q; want syncd's last write, default and appointmentscheduled", s["pipeline"], s["dealstage"])
	}
}

// TestConflictContactPhone checks hubspot_wins on a plain object type: a
// phone a user corrected in HubSpot stays when the ERP changes the phone
// and the name, and the name is written; the comparison is with the
// normalised number syncd wrote.
func TestConflictContactPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(cfg *config.Config) {
		cfg.Conflicts = map[string]map[string]string{"contacts": {"phone": config.ConflictHubSpotWins}}
	}})
	e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@example.co.th", "first_name": "Somchai", "phone": "081-234-5678"})
	e.cycleOf()
	c := erpIndex(t, e, hubspot.Contacts, "phone")["C-1"]
	if c.Properties["phone"] != "+66812345678" {
		t.Fatalf("phone %q, want +66812345678", c.Properties["phone"])
	}
	e.userPatch(hubspot.Contacts, c.ID, map[string]string{"phone": "+66899990000"})
	row := e.insertJSON("customer", "C-1", map[string]any{"email": "somchai@example.co.th", "first_name": "Somchai J.", "phone": "082-222-3333"})
	e.cycleOf()
	c = erpIndex(t, e, hubspot.Contacts, "phone", "firstname")["C-1"]
	if c.Properties["phone"] != "+66899990000" || c.Properties["firstname"] != "Somchai J." {
		t.Errorf("contact %v; want the user's phone and the ERP's first name", c.Properties)
	}
	want := fmt.Sprintf(`outbox row %d: customer C-1: property "phone": HubSpot has "+66899990000", changed there since syncd wrote "+66812345678"; the ERP's "+66822223333" was not written (conflicts.contacts.phone = "hubspot_wins")`, row)
	if ws := e.warnings(row); len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings %q\nwant [%q]", ws, want)
	}
}
