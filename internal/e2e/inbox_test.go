package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/inbox"
	"github.com/syncd/syncd/internal/store"
	"github.com/syncd/syncd/internal/testkit/hubspottest"
	"github.com/syncd/syncd/internal/testkit/outboxtest"
)

// user is the HubSpot user the tests' changes "in HubSpot" are made as.
const user = "7001"

// newInbox returns an inbox over the env's store and hs, for the object
// types given (all four when none), in the engine's HubSpot account.
func (e *env) newInbox(hs *hubspot.Client, eng *engine.Engine, now func() time.Time, objects ...string) *inbox.Inbox {
	e.t.Helper()
	cfg := config.Default().Inbox
	cfg.Enabled = true
	if len(objects) > 0 {
		cfg.Objects = objects
	}
	in, err := inbox.New(inbox.Options{Store: e.st, HubSpot: hs, Config: cfg, ERPIDProperty: e.cfg.Sync.ERPIDProperty,
		Portal: eng.PortalID, Logger: hubspottest.QuietLogger(), Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// cycle runs one inbox cycle and fails the test on its error.
func cycle(t testing.TB, in *inbox.Inbox) inbox.Result {
	t.Helper()
	res, err := in.Cycle(context.Background())
	if err != nil {
		t.Fatalf("inbox cycle: %v", err)
	}
	return res
}

func searches(r inbox.Result) int {
	n := 0
	for _, t := range r.Types {
		n += t.Searches
	}
	return n
}

// asUser sends a public API request as HubSpot user, as a change made in
// HubSpot's UI (the emulator's UserHeader), and decodes the answer's
// record ID.
func (e *env) asUser(method, path string, body any) string {
	e.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(hubspottest.AsUser(e.t, e.srv.URL, user, method, path, body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.ID
}

// inboxRow is an inbox row as the tests compare it.
type inboxRow struct {
	objectType, hubspotID, erpID, kind, changes, updatedBy, source string
}

func (e *env) inboxRows() map[string]inboxRow {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT object_type, hubspot_id, coalesce(erp_id, '<NULL>'), kind, changes::text,
coalesce(updated_by_user_id, ''), coalesce(source, '') FROM inbox ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]inboxRow{}
	for rows.Next() {
		var r inboxRow
		var raw string
		if err := rows.Scan(&r.objectType, &r.hubspotID, &r.erpID, &r.kind, &raw, &r.updatedBy, &r.source); err != nil {
			e.t.Fatal(err)
		}
		r.changes = canonical(e.t, raw)
		k := r.objectType + " " + r.hubspotID
		if _, dup := out[k]; dup {
			e.t.Errorf("two inbox rows for %s", k)
		}
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// canonical re-encodes JSON with sorted keys.
func canonical(t testing.TB, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func change(old *string, new string) map[string]any { return map[string]any{"old": old, "new": new} }

func changes(t testing.TB, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return canonical(t, string(b))
}

// mapped lists ID map rows of objectType whose synced property prop is
// value: ERP key, HubSpot ID and the synced value, by ERP key.
func (e *env) mapped(objectType, prop, value string, n int) [][3]string {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT erp_id, hubspot_id, synced_properties->>$2 FROM id_map
WHERE object_type = $1 AND ($3 = '' OR synced_properties->>$2 = $3) AND synced_properties ? $2 ORDER BY erp_id LIMIT $4`, objectType, prop, value, n)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if len(out) < n {
		e.t.Fatalf("%d %s rows with %s %q in the ID map, want %d", len(out), objectType, prop, value, n)
	}
	return out
}

// withPhones gives every customer row a Thai mobile number.
func withPhones(rows []outboxtest.Row) []outboxtest.Row {
	for i, r := range rows {
		if r.Entity == "customer" {
			r.Payload.(map[string]any)["phone"] = fmt.Sprintf("081%07d", i)
		}
	}
	return rows
}

// Acceptance 1: what a user changes in HubSpot after syncd's sync is in the
// inbox after one cycle, exactly, with old and new values and ERP keys; the
// records only syncd wrote give no row, and a second cycle adds nothing.
func TestInboxHoldsWhatUsersChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	d := synthetic(12, 80, 10, 120, 80)
	e.insert(withPhones(d.rows()))
	eng := e.engine(e.st, "sync")
	e.drainUntilDone(eng, 3)
	in := e.newInbox(e.client(), eng, e.clk.Now)

	first := cycle(t, in)
	if n := e.count(`SELECT count(*) FROM inbox`); n != 0 {
		t.Fatalf("after syncd's own writes the inbox holds %d rows, want none: %v", n, e.inboxRows())
	}
	echoes := 0
	for _, tr := range first.Types {
		echoes += tr.Echoes
	}
	t.Logf("first cycle: %d records read, %d of them syncd's own writes, %d searches", first.Types[0].Read+first.Types[1].Read+first.Types[2].Read+first.Types[3].Read, echoes, searches(first))

	e.clk.Advance(time.Second)
	want := map[string]inboxRow{}
	ptr := func(s string) *string { return &s }
	for i, m := range e.mapped("deal", "dealstage", "appointmentscheduled", 50) {
		e.clk.Advance(time.Millisecond)
		stage := []string{"qualifiedtobuy", "presentationscheduled"}[i%2]
		e.asUser("PATCH", "/crm/objects/2026-09/deals/"+m[1], map[string]any{"properties": map[string]any{"dealstage": stage}})
		want["deal "+m[1]] = inboxRow{"deal", m[1], m[0], "changed", changes(t, map[string]any{"dealstage": change(ptr(m[2]), stage)}), user, "CRM_UI"}
	}
	for i, m := range e.mapped("contact", "phone", "", 20) {
		e.clk.Advance(time.Millisecond)
		phone := fmt.Sprintf("+6629%07d", i)
		e.asUser("PATCH", "/crm/objects/2026-09/contacts/"+m[1], map[string]any{"properties": map[string]any{"phone": phone}})
		want["contact "+m[1]] = inboxRow{"contact", m[1], m[0], "changed", changes(t, map[string]any{"phone": change(ptr(m[2]), phone)}), user, "CRM_UI"}
	}
	for _, m := range e.mapped("ticket", "hs_pipeline_stage", "1", 30) {
		e.clk.Advance(time.Millisecond)
		e.asUser("PATCH", "/crm/objects/2026-09/tickets/"+m[1], map[string]any{"properties": map[string]any{"hs_pipeline_stage": "4"}})
		want["ticket "+m[1]] = inboxRow{"ticket", m[1], m[0], "changed", changes(t, map[string]any{"hs_pipeline_stage": change(ptr(m[2]), "4")}), user, "CRM_UI"}
	}
	for i := range 10 {
		e.clk.Advance(time.Millisecond)
		p := map[string]any{"email": fmt.Sprintf("walkin%d@example.co.th", i), "firstname": fmt.Sprint("Malee", i),
			"lastname": "Srisuk", "phone": fmt.Sprintf("+6628%07d", i)}
		id := e.asUser("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": p})
		c := map[string]any{}
		for k, v := range p {
			c[k] = change(nil, v.(string))
		}
		want["contact "+id] = inboxRow{"contact", id, "<NULL>", "created", changes(t, c), user, "CRM_UI"}
	}
	e.clk.Advance(time.Second)

	second := cycle(t, in)
	got := e.inboxRows()
	if second.Rows() != 110 || len(got) != 110 {
		t.Errorf("after the users' changes: the cycle wrote %d rows, the inbox holds %d; want 110", second.Rows(), len(got))
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if w, ok := want[k]; !ok {
			t.Errorf("unexpected inbox row %+v", got[k])
		} else if got[k] != w {
			t.Errorf("inbox row %s:\n got %+v\nwant %+v", k, got[k], w)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("no inbox row for %s (%+v)", k, want[k])
		}
	}
	t.Logf("second cycle: %d rows, %d searches, %d list calls", second.Rows(), searches(second), second.Types[0].Lists+second.Types[1].Lists+second.Types[2].Lists+second.Types[3].Lists)

	e.clk.Advance(time.Minute)
	if third := cycle(t, in); third.Rows() != 0 {
		t.Errorf("a cycle without changes wrote %d rows, want none", third.Rows())
	}
	if n := e.count(`SELECT count(*) FROM inbox`); n != 110 {
		t.Errorf("after a cycle without changes the inbox holds %d rows, want 110", n)
	}
}

// Acceptance 2: 15,000 changes of one object type between two polls, more
// than one search query reaches, are all in the inbox, each once.
func TestInboxFindsChangesPastTheSearchCap(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("15,000 records")
	}
	const n = 15000
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	in := e.newInbox(e.client(), e.engine(e.st, "sync"), e.clk.Now, hubspot.Contacts)
	if r := cycle(t, in); r.Rows() != 0 {
		t.Fatalf("an empty HubSpot gave %d rows", r.Rows())
	}
	// Another integration writes: 100 records a call, a millisecond apart.
	ids := make([]string, 0, n)
	for i := 0; i < n; i += hubspot.MaxBatchInputs {
		var inputs []hubspot.CreateInput
		for j := i; j < i+hubspot.MaxBatchInputs; j++ {
			inputs = append(inputs, hubspot.CreateInput{Properties: map[string]string{"email": fmt.Sprintf("c%05d@example.co.th", j), "firstname": fmt.Sprintf("F%05d", j)}})
		}
		res, err := e.admin.BatchCreate(ctx, hubspot.Contacts, inputs)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Results {
			ids = append(ids, o.ID)
		}
		e.clk.Advance(time.Millisecond)
	}
	e.clk.Advance(time.Second)
	created := cycle(t, in)
	e.checkOnce(store.InboxCreated, n, `changes->'firstname'->>'old' IS NULL AND changes->'email'->>'new' LIKE 'c%@example.co.th' AND source = 'API' AND updated_by_user_id IS NULL`)

	for i := 0; i < n; i += hubspot.MaxBatchInputs {
		var inputs []hubspot.UpdateInput
		for j := i; j < i+hubspot.MaxBatchInputs; j++ {
			inputs = append(inputs, hubspot.UpdateInput{ID: ids[j], Properties: map[string]string{"firstname": fmt.Sprintf("G%05d", j)}})
		}
		if _, err := e.admin.BatchUpdate(ctx, hubspot.Contacts, inputs); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Millisecond)
	}
	e.clk.Advance(time.Second)
	changed := cycle(t, in)
	e.checkOnce(store.InboxChanged, n, `changes->'firstname'->>'new' = 'G' || substr(changes->'firstname'->>'old', 2)
AND changes->'firstname'->>'old' LIKE 'F%' AND changes - 'firstname' = '{}'::jsonb AND source = 'API' AND updated_by_user_id IS NULL`)
	if again := cycle(t, in); again.Rows() != 0 {
		t.Errorf("a cycle without changes wrote %d rows", again.Rows())
	}
	stats := e.emu.Stats()
	if bad := stats.ByStatus["400"]; bad != 0 {
		t.Errorf("HubSpot refused %d requests (a search paged beyond the cap?)", bad)
	}
	t.Logf("%d creates read with %d searches (%d records read), %d changes with %d searches (%d records read)",
		created.Rows(), searches(created), created.Types[0].Read, changed.Rows(), searches(changed), changed.Types[0].Read)
}

// checkOnce checks that the inbox holds n rows of kind, one per record,
// each matching cond.
func (e *env) checkOnce(kind string, n int, cond string) {
	e.t.Helper()
	var rows, records, matching int
	err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT hubspot_id), count(*) FILTER (WHERE `+cond+`)
FROM inbox WHERE kind = $1`, kind).Scan(&rows, &records, &matching)
	if err != nil {
		e.t.Fatal(err)
	}
	if rows != n || records != n || matching != n {
		e.t.Errorf("%s: %d rows of %d records, %d with the right values; want %d of each", kind, rows, records, matching, n)
	}
}

// Acceptance 4: the inbox's searches share the search budget with the sync
// cycle's: while the outbox syncs, inbox cycles read thousands of changes
// and HubSpot answers no search with 429. Real time, HubSpot's limits on.
func TestInboxWithinSearchLimitWhileSyncing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("real-time pacing")
	}
	e := newEnv(t, envOptions{realTime: true, rateLimits: true})
	ctx := context.Background()
	// One client for both, as `syncd run` has: one governor paces them.
	gov, err := governor.New(governor.Options{Tier: "enterprise", DailyReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: e.srv.URL, Token: hubspottest.Token, Governor: gov, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Deps{Store: e.st, HubSpot: hs, Logger: hubspottest.QuietLogger(), Now: time.Now, Owner: "sync"}, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	// People worked in HubSpot before: 3,000 contacts and 600 deals.
	for i := 0; i < 3000; i += 100 {
		var inputs []hubspot.CreateInput
		for j := i; j < i+100; j++ {
			inputs = append(inputs, hubspot.CreateInput{Properties: map[string]string{"email": fmt.Sprintf("lead%05d@example.co.th", j), "firstname": "Lead"}})
		}
		if _, err := hs.BatchCreate(ctx, hubspot.Contacts, inputs); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 600; i += 100 {
		var inputs []hubspot.CreateInput
		for j := i; j < i+100; j++ {
			inputs = append(inputs, hubspot.CreateInput{Properties: map[string]string{"dealname": fmt.Sprint("Lead deal ", j), "dealstage": "appointmentscheduled", "pipeline": "default"}})
		}
		if _, err := hs.BatchCreate(ctx, hubspot.Deals, inputs); err != nil {
			t.Fatal(err)
		}
	}
	before := e.emu.Stats()
	// Customers with phones: those not found by email are looked up by a
	// phone search, so the sync searches too.
	d := synthetic(60, 1500, 20, 400, 200)
	e.insert(withPhones(d.rows()))
	in := e.newInbox(hs, eng, time.Now)

	start := time.Now()
	var wg sync.WaitGroup
	var sum engine.Summary
	var drainErr error
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		sum, drainErr = eng.Drain(ctx)
	})
	var rows, cycles, inboxSearches, pending int
	for stop := false; !stop; {
		select {
		case <-done:
			stop = true // one more cycle after the sync
		default:
		}
		r := cycle(t, in)
		rows, cycles, inboxSearches = rows+r.Rows(), cycles+1, inboxSearches+searches(r)
		for _, tr := range r.Types {
			pending += tr.Pending
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if drainErr != nil {
		t.Fatalf("drain: %v", drainErr)
	}
	after := e.emu.Stats()
	route := "POST /crm/objects/{version}/{objectType}/search"
	var searchCalls int64
	for k, v := range after.ByRoute {
		if k == route || (len(k) > 7 && k[len(k)-7:] == "/search") {
			searchCalls += v - before.ByRoute[k]
		}
	}
	// The governor keeps syncd's searches to 4 a second of HubSpot's 5, on
	// the times it sends them; HubSpot counts the times they arrive. On a
	// loaded machine (the race detector, two cores) a request held back
	// between the governor's grant and the wire can still land a sixth in
	// one of HubSpot's seconds: that one 429 is retried a second later and
	// costs nothing else. A storm (429s feeding retries feeding 429s) is
	// what must not happen.
	limited := after.RateLimited - before.RateLimited
	if limited > max(2, searchCalls/20) {
		t.Errorf("HubSpot answered %d of %d search requests with 429 while the inbox and the sync ran: a 429 storm", limited, searchCalls)
	}
	// The records people created, and none of those the sync wrote.
	if rows != 3600 {
		t.Errorf("the inbox cycles wrote %d rows, want the 3,600 records people created", rows)
	}
	t.Logf("sync of %d rows (%d calls, %d of them searches, %s) beside %d inbox cycles (%d rows, %d searches) in %s: %d search calls in all, %.1f a second (HubSpot allows 5); 429s: %d; records of the sync read before it recorded their IDs: %d",
		sum.Rows, sum.Calls, searchCalls-int64(inboxSearches), sum.Duration.Round(time.Millisecond), cycles, rows, inboxSearches, elapsed.Round(time.Millisecond), searchCalls, float64(searchCalls)/elapsed.Seconds(), limited, pending)
}
