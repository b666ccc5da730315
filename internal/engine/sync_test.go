package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// taxID returns a valid 13-digit Thai tax ID built from n.
func taxID(n int) string {
	base := fmt.Sprintf("010%09d", n)
	sum := 0
	for i := 0; i < 12; i++ {
		sum += int(base[i]-'0') * (13 - i)
	}
	return base + fmt.Sprint((11-sum%11)%10)
}

func companyPayload(i int) map[string]any {
	return map[string]any{"name": fmt.Sprintf("Company %d", i), "domain": fmt.Sprintf("co%d.example.co.th", i), "tax_id": taxID(i), "branch": "00000"}
}

func customerPayload(i, companies int) map[string]any {
	p := map[string]any{
		"email": fmt.Sprintf("c%d@example.co.th", i), "phone": fmt.Sprintf("081%07d", i),
		"first_name": fmt.Sprintf("First%d", i), "last_name": fmt.Sprintf("Last%d", i),
	}
	if companies > 0 {
		p["company_id"] = fmt.Sprintf("CO-%d", i%companies)
	}
	return p
}

func seed(e *env, customers, companies int) {
	e.t.Helper()
	ctx := context.Background()
	var ents, ids, payloads []string
	for i := range companies {
		b, _ := json.Marshal(companyPayload(i))
		ents, ids, payloads = append(ents, "company"), append(ids, fmt.Sprintf("CO-%d", i)), append(payloads, string(b))
	}
	for i := range customers {
		b, _ := json.Marshal(customerPayload(i, companies))
		ents, ids, payloads = append(ents, "customer"), append(ids, fmt.Sprintf("C-%d", i)), append(payloads, string(b))
	}
	_, err := e.db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, payload)
SELECT e, i, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(e, i, p)`, ents, ids, payloads)
	if err != nil {
		e.t.Fatal(err)
	}
}

// wantCompany fails the test unless the contact of customer customer is
// associated with the company of company, and with no other.
func (e *env) wantCompany(customer, company string) {
	e.t.Helper()
	c, co := byERP(e, hubspot.Contacts)[customer], byERP(e, hubspot.Companies)[company]
	got, err := e.hs.ReadAssociations(context.Background(), hubspot.Contacts, hubspot.Companies, []string{c.ID})
	if err != nil || len(got[c.ID]) != 1 || got[c.ID][0].ToID != co.ID {
		e.t.Fatalf("%s associations %v %v, want %s %s", customer, got, err, company, co.ID)
	}
}

// wantCounts fails the test unless HubSpot holds contacts contacts and
// companies companies with an ERP key, and the ID map idMap rows: records
// written twice, or not recorded, show as more or fewer.
func (e *env) wantCounts(contacts, companies, idMap int) {
	e.t.Helper()
	if c, co := byERP(e, hubspot.Contacts), byERP(e, hubspot.Companies); len(c) != contacts || len(co) != companies {
		e.t.Fatalf("%d contacts, %d companies; want %d and %d", len(c), len(co), contacts, companies)
	}
	if n := e.count(`SELECT count(*) FROM id_map`); n != idMap {
		e.t.Fatalf("id_map has %d rows, want %d", n, idMap)
	}
}

func byERP(e *env, objectType string) map[string]listed {
	e.t.Helper()
	out := map[string]listed{}
	for _, o := range e.all(objectType, e.cfg.Sync.ERPIDProperty, "email", "firstname", "lastname", "phone", "domain", "name", e.cfg.Sync.TaxIDProperty) {
		k := o.Properties[e.cfg.Sync.ERPIDProperty]
		if _, dup := out[k]; dup && k != "" {
			e.t.Errorf("%s: two records with ERP ID %s", objectType, k)
		}
		if k == "" {
			k = "no-erp-id:" + o.ID
		}
		out[k] = o
	}
	return out
}

func writes(reqs []request) []request {
	var out []request
	for _, r := range reqs {
		if r.Method != "POST" || strings.HasSuffix(r.Path, "/batch/read") || strings.HasSuffix(r.Path, "/search") {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Acceptance (a): a bulk first sync, a no-op re-sync, and a small change.
func TestSyncCustomersAndCompanies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	const customers, companies = 1000, 200
	seed(e, customers, companies)

	sum := e.drain(e.eng)
	if sum.Rows != customers+companies || sum.Created != customers+companies || sum.Failed+sum.Dead != 0 {
		t.Fatalf("first drain: %+v", sum)
	}
	contacts, comps := byERP(e, hubspot.Contacts), byERP(e, hubspot.Companies)
	if len(contacts) != customers || len(comps) != companies {
		t.Fatalf("emulator holds %d contacts and %d companies, want %d and %d", len(contacts), len(comps), customers, companies)
	}
	c7 := contacts["C-7"].Properties
	if c7["email"] != "c7@example.co.th" || c7["firstname"] != "First7" || c7["lastname"] != "Last7" || c7["phone"] != "+660810000007" && c7["phone"] != "+66810000007" {
		t.Errorf("contact C-7 properties: %v", c7)
	}
	co3 := comps["CO-3"].Properties
	if co3["domain"] != "co3.example.co.th" || co3[e.cfg.Sync.TaxIDProperty] != taxID(3) || co3["name"] != "Company 3" {
		t.Errorf("company CO-3 properties: %v", co3)
	}

	// The ID map holds the emulator's IDs.
	ms, err := e.st.Mappings(ctx, 12345678, "contact", slices.Collect(maps.Keys(contacts)))
	if err != nil {
		t.Fatal(err)
	}
	for k, o := range contacts {
		if ms[k].HubSpotID != o.ID {
			t.Fatalf("id_map contact %s = %q, emulator has %s", k, ms[k].HubSpotID, o.ID)
		}
	}
	if n := e.count(`SELECT count(*) FROM id_map WHERE portal_id = 12345678`); n != customers+companies {
		t.Fatalf("id_map has %d rows, want %d", n, customers+companies)
	}
	if n := e.count(`SELECT count(*) FROM id_map m JOIN id_map_links l USING (portal_id, object_type, erp_id) WHERE l.hubspot_url LIKE 'https://app.hubspot.com/contacts/12345678/record/0-_/%'`); n != customers+companies {
		t.Fatalf("id_map_links has %d linked rows", n)
	}

	// Every contact is associated with its company, primary (1) and unlabeled (279).
	ids := make([]string, 0, len(contacts))
	for _, o := range contacts {
		ids = append(ids, o.ID)
	}
	for chunk := range slices.Chunk(ids, 100) {
		got, err := e.hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, chunk)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range chunk {
			as := got[id]
			if len(as) != 1 {
				t.Fatalf("contact %s has %d company associations, want 1", id, len(as))
			}
			var types []int
			for _, ty := range as[0].Types {
				types = append(types, ty.TypeID)
			}
			if !slices.Contains(types, 1) || !slices.Contains(types, 279) {
				t.Fatalf("contact %s association types %v, want 1 and 279", id, types)
			}
		}
	}
	c12 := contacts["C-12"].ID
	got, _ := e.hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, []string{c12})
	if want := comps["CO-12"].ID; len(got[c12]) != 1 || got[c12][0].ToID != want {
		t.Fatalf("C-12 associated with %v, want CO-12 (%s)", got[c12], want)
	}

	// Nothing new: no call at all. The same payloads again: no write.
	if sum := e.drain(e.eng); sum.Rows != 0 || sum.Calls != 0 {
		t.Fatalf("idle drain: %+v", sum)
	}
	seed(e, customers, companies)
	mark := e.rec.len()
	sum = e.drain(e.eng)
	if sum.Unchanged != customers+companies || sum.WriteCalls != 0 || len(writes(e.rec.since(mark))) != 0 {
		t.Fatalf("unchanged re-send: %+v, writes %v", sum, writes(e.rec.since(mark)))
	}

	// Ten customers change their first name: one update call with only
	// that property for only those ten.
	changed := map[string]bool{}
	for i := range 10 {
		p := customerPayload(i*37, companies)
		p["first_name"] = fmt.Sprintf("Renamed%d", i)
		e.insertJSON("customer", fmt.Sprintf("C-%d", i*37), p)
		changed[contacts[fmt.Sprintf("C-%d", i*37)].ID] = true
	}
	mark = e.rec.len()
	sum = e.drain(e.eng)
	if sum.Updated != 10 || sum.WriteCalls != 1 {
		t.Fatalf("change drain: %+v", sum)
	}
	ws := writes(e.rec.since(mark))
	if len(ws) != 1 || !strings.HasSuffix(ws[0].Path, "/contacts/batch/update") {
		t.Fatalf("writes after change: %v", ws)
	}
	var body struct {
		Inputs []struct {
			ID         string            `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(ws[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Inputs) != 10 {
		t.Fatalf("update sent %d inputs, want 10", len(body.Inputs))
	}
	for _, in := range body.Inputs {
		if !changed[in.ID] || len(in.Properties) != 1 || !strings.HasPrefix(in.Properties["firstname"], "Renamed") {
			t.Fatalf("update input %s: %v", in.ID, in.Properties)
		}
	}
	if fn := byERP(e, hubspot.Contacts)["C-37"].Properties["firstname"]; fn != "Renamed1" {
		t.Fatalf("C-37 firstname %q", fn)
	}
}

// Acceptance (b): records already in HubSpot are matched, never duplicated,
// even when search lags writes by 30 s.
func TestSyncMatchesExistingRecords(t *testing.T) {
	t.Parallel()
	emuClk := fakeclock.New(time.Now())
	e := newEnv(t, envOptions{searchLag: 30 * time.Second, emuClock: emuClk.Now})
	ctx := context.Background()
	pre, err := e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{
		{Properties: map[string]string{"email": "c1@example.co.th", "firstname": "Old"}, TraceID: "email"},
		{Properties: map[string]string{"phone": "+66810000002", "firstname": "Phone"}, TraceID: "phone"},
	})
	if err != nil || len(pre.Results) != 2 {
		t.Fatalf("seed contacts: %v %v", pre, err)
	}
	preCo, err := e.hs.BatchCreate(ctx, hubspot.Companies, []hubspot.CreateInput{
		{Properties: map[string]string{"domain": "co1.example.co.th", "name": "Old One"}, TraceID: "domain"},
		{Properties: map[string]string{e.cfg.Sync.TaxIDProperty: taxID(2), "name": "Old Two"}, TraceID: "tax"},
	})
	if err != nil || len(preCo.Results) != 2 {
		t.Fatalf("seed companies: %v %v", preCo, err)
	}
	ids := map[string]string{}
	for _, o := range append(pre.Results, preCo.Results...) {
		ids[o.TraceID] = o.ID
	}
	emuClk.Advance(31 * time.Second) // the seeded records are now searchable

	seed(e, 4, 4)
	sum := e.drain(e.eng)
	if sum.Failed+sum.Dead != 0 {
		t.Fatalf("first drain: %+v", sum)
	}
	contacts, comps := byERP(e, hubspot.Contacts), byERP(e, hubspot.Companies)
	if len(contacts) != 4 || len(comps) != 4 {
		t.Fatalf("%d contacts, %d companies; want 4 and 4 (matched, not duplicated): %v %v", len(contacts), len(comps), contacts, comps)
	}
	for erp, want := range map[string]string{"C-1": ids["email"], "C-2": ids["phone"]} {
		if contacts[erp].ID != want {
			t.Errorf("%s is HubSpot %s, want the existing %s", erp, contacts[erp].ID, want)
		}
	}
	for erp, want := range map[string]string{"CO-1": ids["domain"], "CO-2": ids["tax"]} {
		if comps[erp].ID != want {
			t.Errorf("%s is HubSpot %s, want the existing %s", erp, comps[erp].ID, want)
		}
	}
	if fn := contacts["C-1"].Properties["firstname"]; fn != "First1" {
		t.Errorf("matched C-1 not updated: firstname %q", fn)
	}

	// Right after (search still blind to the new records): a re-run with
	// changes, then one with a lost ID map, creates nothing new.
	for i := range 4 {
		p := customerPayload(i, 4)
		p["last_name"] = "Again"
		e.insertJSON("customer", fmt.Sprintf("C-%d", i), p)
	}
	e.drain(e.eng)
	if _, err := e.db.Pool.Exec(ctx, `DELETE FROM id_map`); err != nil {
		t.Fatal(err)
	}
	seed(e, 4, 4)
	sum = e.drain(e.eng)
	if sum.Failed+sum.Dead != 0 {
		t.Fatalf("re-run: %+v", sum)
	}
	e.wantCounts(4, 4, 8)
}

// Acceptance (c): bad rows fail alone with a clear reason; none is lost.
func TestSyncBadRowsFailAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	seed(e, 20, 2)
	bad := map[string]struct {
		id   int64
		want []string
	}{
		"not an object":    {e.insert("customer", "C-B1", `[1, 2]`), []string{"not a JSON object"}},
		"missing erp_id":   {e.insert("customer", "", `{"email":"x@example.co.th"}`), []string{"erp_id"}},
		"unknown entity":   {e.insert("vendor", "V-1", `{}`), []string{"vendor"}},
		"invalid email":    {e.insert("customer", "C-B2", `{"email":"not-an-email"}`), []string{"C-B2", `"email"`}},
		"masked phone":     {e.insert("customer", "C-B3", `{"email":"b3@example.co.th","phone":"08x-xxx-5678"}`), []string{"C-B3", `"phone"`}},
		"tax-ID checksum":  {e.insert("company", "CO-B4", fmt.Sprintf(`{"name":"Bad","tax_id":"%s"}`, badTaxID())), []string{"CO-B4", "tax_id"}},
		"unknown property": {e.insert("customer", "C-B5", `{"email":"b5@example.co.th","properties":{"no_such_property":"x"}}`), []string{"C-B5", "no_such_property"}},
	}
	sum := e.drain(e.eng)
	if sum.Failed != len(bad) {
		t.Errorf("drain: %+v; want %d failed", sum, len(bad))
	}
	for name, b := range bad {
		r := e.row(b.id)
		t.Logf("%s: %s", name, r.LastError)
		if r.State != store.StateFailed || r.Attempts != 1 {
			t.Errorf("%s: row %d is %s after %d attempts, want failed after 1", name, b.id, r.State, r.Attempts)
		}
		for _, w := range append(b.want, fmt.Sprintf("outbox row %d", b.id)) {
			if !strings.Contains(r.LastError, w) {
				t.Errorf("%s: last_error %q does not mention %q", name, r.LastError, w)
			}
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE state = 'done'`); n != 22 {
		t.Errorf("%d rows done, want the 22 good ones", n)
	}
	if c := byERP(e, hubspot.Contacts); len(c) != 20 {
		t.Errorf("%d contacts in HubSpot, want 20", len(c))
	}
}

func badTaxID() string {
	id := taxID(5)
	last := (int(id[12]-'0') + 1) % 10
	return id[:12] + fmt.Sprint(last)
}

// Acceptance (d): two engines draining one outbox create no duplicates.
func TestSyncTwoEnginesNoDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.BatchSize = 40 }})
	ctx := context.Background()
	const customers, companies = 300, 30
	seed(e, customers, companies)
	// The same keys written twice, so that both engines see every key.
	seed(e, customers, companies)

	// The second engine is another process: its own pool, store and client.
	pool, err := pgxpool.New(ctx, e.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	other := *e
	other.st = store.New(pool, store.Options{Offset: e.clk.Advanced})
	engB := other.engine(e.client(), "engine-b")

	var wg sync.WaitGroup
	sums := make([]engine.Summary, 2)
	for i, eng := range []*engine.Engine{e.eng, engB} {
		wg.Go(func() {
			s, err := eng.Drain(ctx)
			if err != nil {
				t.Error(err)
			}
			sums[i] = s
		})
	}
	wg.Wait()
	if sums[0].Rows == 0 || sums[1].Rows == 0 {
		t.Logf("one engine got no rows: %+v %+v", sums[0], sums[1])
	}
	// A contact whose company the other engine had not written yet waits
	// for its retry.
	e.clk.Advance(2 * time.Hour)
	e.drain(e.eng)
	if n := e.count(`SELECT count(*) FROM outbox WHERE state NOT IN ('done', 'superseded')`); n != 0 {
		t.Fatalf("%d rows not done", n)
	}
	if c, co := byERP(e, hubspot.Contacts), byERP(e, hubspot.Companies); len(c) != customers || len(co) != companies {
		t.Fatalf("%d contacts and %d companies, want %d and %d", len(c), len(co), customers, companies)
	}
	if n := e.count(`SELECT count(*) FROM id_map`); n != customers+companies {
		t.Fatalf("id_map has %d rows", n)
	}
}

// The runs table records each cycle's HubSpot calls as its summary counts
// them, for syncd status and analysts.
func TestRunRowsCountCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.insert("company", "CO-1", `{"name": "บริษัท หนึ่ง จำกัด"}`)
	sum, err := e.eng.RunCycle(context.Background())
	if err != nil || sum.Calls == 0 || sum.WriteCalls == 0 {
		t.Fatalf("cycle: %+v, %v; want calls and writes", sum, err)
	}
	var calls, writes int64
	if err := e.st.Pool().QueryRow(context.Background(),
		`SELECT (counts->>'calls')::bigint, (counts->>'write_calls')::bigint FROM runs ORDER BY id DESC LIMIT 1`).Scan(&calls, &writes); err != nil {
		t.Fatal(err)
	}
	if calls != sum.Calls || writes != sum.WriteCalls {
		t.Errorf("runs row counts %d calls and %d writes; the cycle made %d and %d", calls, writes, sum.Calls, sum.WriteCalls)
	}
}
