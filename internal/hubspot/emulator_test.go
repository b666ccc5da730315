package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
)

// emulated is a client talking to an in-process emulator over a real
// httptest server, both reading the same injected clock.
type emulated struct {
	hs    *hubspot.Client
	url   string
	clock *fakeclock.Clock
}

func newEmulated(t *testing.T, eopts emulator.Options, gopts governor.Options) *emulated {
	t.Helper()
	c := fakeclock.New(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
	eopts.Now = c.Now
	eopts.Tokens = []string{testToken}
	srv := httptest.NewServer(emulator.New(eopts))
	t.Cleanup(srv.Close)
	gopts.Now, gopts.Sleep, gopts.Rand = c.Now, c.Sleep, func() float64 { return 0 }
	gov, err := governor.New(gopts)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: testToken, Governor: gov})
	if err != nil {
		t.Fatal(err)
	}
	return &emulated{hs: hs, url: srv.URL, clock: c}
}

func professional() emulator.Options { return emulator.Options{Tier: "professional"} }

func uniqueERPProperty(t *testing.T, hs *hubspot.Client, objectType, group string) {
	t.Helper()
	_, err := hs.CreateProperty(context.Background(), objectType, hubspot.Property{
		Name: "syncd_erp_id", Label: "ERP ID", Type: "string", FieldType: "text", GroupName: group, HasUniqueValue: true,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmulatorUpsertByUniqueProperty(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	uniqueERPProperty(t, e.hs, hubspot.Companies, "companyinformation")

	upsert := func(name string) *hubspot.BatchResult {
		t.Helper()
		res, err := e.hs.BatchUpsert(ctx, hubspot.Companies, []hubspot.UpsertInput{
			{ID: "CO-1", IDProperty: "syncd_erp_id", Properties: map[string]string{"name": name + " 1"}, TraceID: "t1"},
			{ID: "CO-2", IDProperty: "syncd_erp_id", Properties: map[string]string{"name": name + " 2"}, TraceID: "t2"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Results) != 2 || len(res.Errors) != 0 {
			t.Fatalf("upsert = %+v", res)
		}
		return res
	}
	first := upsert("Siam Widgets")
	second := upsert("Siam Gadgets")
	ids := map[string]string{}
	for _, o := range first.Results {
		if !o.New || o.ID == "" || o.Properties["syncd_erp_id"] == "" {
			t.Errorf("first upsert result = %+v, want a new record with its ERP ID", o)
		}
		ids[o.Properties["syncd_erp_id"]] = o.ID
	}
	for _, o := range second.Results {
		if o.New || ids[o.Properties["syncd_erp_id"]] != o.ID || !strings.HasPrefix(o.Properties["name"], "Siam Gadgets") {
			t.Errorf("second upsert result = %+v, want the same record updated", o)
		}
	}

	res, err := e.hs.BatchRead(ctx, hubspot.Companies, hubspot.BatchReadRequest{
		IDs: []string{"CO-1", "CO-404"}, IDProperty: "syncd_erp_id", Properties: []string{"name", "syncd_erp_id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || res.Results[0].ID != ids["CO-1"] || res.Results[0].Properties["name"] != "Siam Gadgets 1" {
		t.Errorf("batch read results = %+v", res.Results)
	}
	if len(res.Errors) != 1 || res.Errors[0].Category != "OBJECT_NOT_FOUND" || !slices.Contains(res.Errors[0].IDs, "CO-404") {
		t.Errorf("batch read errors = %+v", res.Errors)
	}
	if s := e.hs.Stats(); s.Writes != 3 || s.Retries != 0 {
		t.Errorf("Stats = %+v, want 3 writes", s)
	}
}

func TestEmulatorPartialErrorsWithTraceIDs(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	res, err := e.hs.BatchCreate(context.Background(), hubspot.Contacts, []hubspot.CreateInput{
		{Properties: map[string]string{"email": "somchai@example.co.th", "firstname": "Somchai"}, TraceID: "t1"},
		{Properties: map[string]string{"email": "malee@example.co.th", "no_such_property": "x"}, TraceID: "t2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || res.Results[0].Properties["email"] != "somchai@example.co.th" {
		t.Errorf("results = %+v", res.Results)
	}
	if len(res.Errors) != 1 || !reflect.DeepEqual(res.Errors[0].TraceIDs, []string{"t2"}) {
		t.Fatalf("errors = %+v, want one for trace t2", res.Errors)
	}
	if c := res.Errors[0].Class(); c != hubspot.ClassSetup {
		t.Errorf("missing property class = %v, want setup (%+v)", c, res.Errors[0])
	}
}

func TestEmulatorEmailConflict(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	res, err := e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{{Properties: map[string]string{"email": "somchai@example.co.th"}}})
	if err != nil || len(res.Results) != 1 {
		t.Fatalf("create = %+v, %v", res, err)
	}
	id := res.Results[0].ID

	// Without trace IDs the whole request fails with HubSpot's 409.
	_, err = e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{{Properties: map[string]string{"email": "Somchai@Example.co.th"}}})
	var he *hubspot.Error
	if !errors.As(err, &he) || he.StatusCode != http.StatusConflict || he.Class() != hubspot.ClassData {
		t.Fatalf("err = %v, want a 409 *hubspot.Error", err)
	}
	if got, ok := he.ExistingID(); !ok || got != id {
		t.Errorf("ExistingID() = %q, %v; want %q", got, ok, id)
	}

	// With trace IDs it is one failed input.
	res, err = e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{
		{Properties: map[string]string{"email": "somchai@example.co.th"}, TraceID: "dup"},
		{Properties: map[string]string{"email": "malee@example.co.th"}, TraceID: "new"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 1 || len(res.Errors) != 1 || !reflect.DeepEqual(res.Errors[0].TraceIDs, []string{"dup"}) {
		t.Fatalf("result = %+v", res)
	}
	if got, ok := res.Errors[0].ExistingID(); !ok || got != id {
		t.Errorf("item ExistingID() = %q, %v; want %q (%+v)", got, ok, id, res.Errors[0])
	}
}

func TestEmulatorSearch(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	res, err := e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{
		{Properties: map[string]string{"email": "a@example.co.th", "firstname": "A"}},
		{Properties: map[string]string{"email": "b@example.co.th", "firstname": "B"}},
		{Properties: map[string]string{"email": "c@example.co.th", "firstname": "C"}},
	})
	if err != nil || len(res.Results) != 3 {
		t.Fatalf("create = %+v, %v", res, err)
	}
	got, err := e.hs.Search(ctx, hubspot.Contacts, hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: "IN", Values: []string{"a@example.co.th", "c@example.co.th"}}}}},
		Properties:   []string{"email", "firstname"},
		Sorts:        []hubspot.Sort{{PropertyName: "email", Direction: "ASCENDING"}},
		Limit:        1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 2 || len(got.Results) != 1 || got.Results[0].Properties["email"] != "a@example.co.th" || got.After == "" {
		t.Fatalf("first page = %+v", got)
	}
	next, err := e.hs.Search(ctx, hubspot.Contacts, hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: "IN", Values: []string{"a@example.co.th", "c@example.co.th"}}}}},
		Properties:   []string{"email"},
		Sorts:        []hubspot.Sort{{PropertyName: "email", Direction: "ASCENDING"}},
		Limit:        1,
		After:        got.After,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Results) != 1 || next.Results[0].Properties["email"] != "c@example.co.th" || next.After != "" {
		t.Errorf("second page = %+v", next)
	}
	if s := e.hs.Stats(); s.Calls["POST /crm/objects/2026-09/{objectType}/search"] != 2 || s.Writes != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestEmulatorAssociations(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	contacts, err := e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{{Properties: map[string]string{"email": "a@example.co.th"}}})
	if err != nil {
		t.Fatal(err)
	}
	companies, err := e.hs.BatchCreate(ctx, hubspot.Companies, []hubspot.CreateInput{{Properties: map[string]string{"name": "Siam Widgets"}}})
	if err != nil {
		t.Fatal(err)
	}
	ct, co := contacts.Results[0].ID, companies.Results[0].ID

	errs, err := e.hs.CreateDefaultAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationPair{{FromID: ct, ToID: co}})
	if err != nil || len(errs) != 0 {
		t.Fatalf("default associations: %v, %+v", err, errs)
	}
	errs, err = e.hs.CreateAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationInput{
		{FromID: ct, ToID: co, Types: []hubspot.AssociationType{{Category: hubspot.HubSpotDefined, TypeID: 1}}},
		{FromID: "999999", ToID: co, Types: []hubspot.AssociationType{{Category: hubspot.HubSpotDefined, TypeID: 279}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 {
		t.Errorf("association errors = %+v, want one for the missing contact", errs)
	}

	typeIDs := func(as []hubspot.Associated) []int {
		var ids []int
		for _, a := range as {
			for _, ty := range a.Types {
				ids = append(ids, ty.TypeID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	got, err := e.hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, []string{ct})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[ct]) != 1 || got[ct][0].ToID != co || !reflect.DeepEqual(typeIDs(got[ct]), []int{1, 279}) {
		t.Errorf("contact→company = %+v, want %s with types 1 and 279", got, co)
	}
	back, err := e.hs.ReadAssociations(ctx, hubspot.Companies, hubspot.Contacts, []string{co})
	if err != nil {
		t.Fatal(err)
	}
	if len(back[co]) != 1 || back[co][0].ToID != ct || !reflect.DeepEqual(typeIDs(back[co]), []int{2, 280}) {
		t.Errorf("company→contact = %+v, want %s with types 2 and 280", back, ct)
	}

	if err := e.hs.ArchiveAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationPair{{FromID: ct, ToID: co}}); err != nil {
		t.Fatal(err)
	}
	got, err = e.hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, []string{ct})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[ct]) != 0 {
		t.Errorf("after archive = %+v, want none", got)
	}
}

func TestEmulatorPipelines(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	pls, err := e.hs.ListPipelines(ctx, hubspot.Deals)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(pls, func(p hubspot.Pipeline) bool { return p.ID == "default" })
	if i < 0 || len(pls[i].Stages) != 7 || pls[i].Stages[5].ID != "closedwon" || pls[i].Stages[5].Metadata["isClosed"] != "true" {
		t.Fatalf("deal pipelines = %+v, want HubSpot's default", pls)
	}
	p, err := e.hs.CreatePipeline(ctx, hubspot.Deals, hubspot.Pipeline{Label: "ERP orders", DisplayOrder: 1, Stages: []hubspot.PipelineStage{
		{Label: "Open", DisplayOrder: 0, Metadata: map[string]string{"probability": "0.1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || len(p.Stages) != 1 || p.Stages[0].ID == "" {
		t.Fatalf("created pipeline = %+v", p)
	}
	st, err := e.hs.CreatePipelineStage(ctx, hubspot.Deals, p.ID, hubspot.PipelineStage{Label: "Shipped", DisplayOrder: 1, Metadata: map[string]string{"probability": "1.0", "isClosed": "true"}})
	if err != nil || st.ID == "" {
		t.Fatalf("created stage = %+v, %v", st, err)
	}
	pls, err = e.hs.ListPipelines(ctx, hubspot.Deals)
	if err != nil {
		t.Fatal(err)
	}
	i = slices.IndexFunc(pls, func(q hubspot.Pipeline) bool { return q.ID == p.ID })
	if i < 0 || len(pls[i].Stages) != 2 {
		t.Errorf("pipelines after create = %+v", pls)
	}
	tickets, err := e.hs.ListPipelines(ctx, hubspot.Tickets)
	if err != nil || len(tickets) == 0 {
		t.Errorf("ticket pipelines = %+v, %v", tickets, err)
	}
}

func TestEmulatorAccountAndProperties(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	acct, err := e.hs.AccountDetails(ctx)
	if err != nil || acct.PortalID != emulator.DefaultPortalID {
		t.Fatalf("account = %+v, %v", acct, err)
	}
	uniqueERPProperty(t, e.hs, hubspot.Contacts, "contactinformation")
	props, err := e.hs.ListProperties(ctx, hubspot.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(props, func(p hubspot.Property) bool { return p.Name == "syncd_erp_id" })
	if i < 0 || !props[i].HasUniqueValue || !slices.ContainsFunc(props, func(p hubspot.Property) bool { return p.Name == "email" }) {
		t.Errorf("properties lack syncd_erp_id (unique) or email")
	}
	_, err = e.hs.CreateProperty(ctx, hubspot.Contacts, hubspot.Property{Name: "syncd_erp_id", Label: "ERP ID", Type: "string", FieldType: "text", GroupName: "contactinformation"})
	var he *hubspot.Error
	if !errors.As(err, &he) || he.StatusCode != http.StatusConflict {
		t.Errorf("second create = %v, want 409", err)
	}
}

func TestEmulatorBadToken(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{})
	hs, err := hubspot.New(hubspot.Options{BaseURL: e.url, Token: "pat-na1-wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = hs.AccountDetails(context.Background())
	var he *hubspot.Error
	if !errors.As(err, &he) || he.StatusCode != 401 || he.Class() != hubspot.ClassSetup || strings.Contains(err.Error(), "pat-na1-wrong") {
		t.Errorf("err = %v, want a 401 setup error without the token", err)
	}
}

// spend makes n raw calls with the client's token, as another integration
// of the same account would.
func spend(t *testing.T, e *emulated, method, path, body string, n int) {
	t.Helper()
	for range n {
		req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func TestEmulatorTooManyRequests(t *testing.T) {
	t.Parallel()
	t.Run("burst", func(t *testing.T) {
		t.Parallel()
		e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
		// Another integration spends the professional burst of 190.
		spend(t, e, "GET", "/account-info/2026-09/details", "", 190)
		if _, err := e.hs.AccountDetails(context.Background()); err != nil {
			t.Fatalf("AccountDetails after a 429: %v", err)
		}
		// The client asks again after waits growing twofold, and at the
		// latest when the window of the first 429 has passed.
		s := e.hs.Stats()
		if s.Retries < 1 || s.Retries > 7 {
			t.Errorf("Stats = %+v, want one to seven retries", s)
		}
		t.Logf("waits after the 429: %v", e.clock.Waits())
		var total time.Duration
		for _, w := range e.clock.Waits() {
			total += w
		}
		if total < 10*time.Second || total > 11*time.Second {
			t.Errorf("waits = %v (%v), want the window to pass, and no more", e.clock.Waits(), total)
		}
	})
	t.Run("search", func(t *testing.T) {
		t.Parallel()
		e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
		spend(t, e, "POST", "/crm/objects/2026-09/contacts/search", `{}`, 5)
		if _, err := e.hs.Search(context.Background(), hubspot.Contacts, hubspot.SearchRequest{}); err != nil {
			t.Fatalf("Search after a 429: %v", err)
		}
		if s := e.hs.Stats(); s.Retries != 1 {
			t.Errorf("Stats = %+v, want one retry", s)
		}
		if w := e.clock.Waits(); len(w) != 1 || w[0] != time.Second {
			t.Errorf("waits = %v, want one 1s wait", w)
		}
	})
	t.Run("headers keep a second process in budget", func(t *testing.T) {
		t.Parallel()
		e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
		ctx := context.Background()
		// The first answer's headers tell the governor what the account has left.
		spend(t, e, "GET", "/account-info/2026-09/details", "", 150)
		for range 40 {
			if _, err := e.hs.AccountDetails(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if s := e.hs.Stats(); s.Retries != 0 || s.Total != 40 {
			t.Errorf("Stats = %+v, want no 429 and no retry", s)
		}
		if len(e.clock.Waits()) == 0 {
			t.Error("the governor never waited, yet only 40 calls were left in the window")
		}
	})
}

func TestEmulatorFaultsAreRetried(t *testing.T) {
	t.Parallel()
	opts := professional()
	opts.Faults = emulator.FaultConfig{Seed: 7, Rules: []emulator.FaultRule{{
		Route: "POST /crm/objects/2026-09/{objectType}/batch/upsert", Rate: 0.3, Statuses: []int{500, 502, 503, 504}, DropRate: 0.1,
	}}}
	e := newEmulated(t, opts, governor.Options{Tier: "professional", MaxAttempts: 10})
	ctx := context.Background()
	uniqueERPProperty(t, e.hs, hubspot.Products, "productinformation")
	const batches = 20
	for i := range batches {
		res, err := e.hs.BatchUpsert(ctx, hubspot.Products, []hubspot.UpsertInput{{
			ID: fmt.Sprintf("SKU-%d", i), IDProperty: "syncd_erp_id",
			Properties: map[string]string{"name": "Widget", "price": "450", "hs_sku": fmt.Sprintf("SKU-%d", i)}, TraceID: "t",
		}})
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if len(res.Results) != 1 || len(res.Errors) != 0 {
			t.Fatalf("batch %d: %+v", i, res)
		}
	}
	s := e.hs.Stats()
	if s.Retries == 0 {
		t.Errorf("Stats = %+v, want retries with 40%% of upserts failing", s)
	}
	if got := s.Calls["POST /crm/objects/2026-09/{objectType}/batch/upsert"]; got != batches+s.Retries {
		t.Errorf("upsert calls = %d, want %d batches + %d retries", got, batches, s.Retries)
	}
	ids := make([]string, batches)
	for i := range ids {
		ids[i] = fmt.Sprintf("SKU-%d", i)
	}
	got, err := e.hs.BatchRead(ctx, hubspot.Products, hubspot.BatchReadRequest{IDs: ids, IDProperty: "syncd_erp_id"})
	if err != nil || len(got.Results) != batches || len(got.Errors) != 0 {
		t.Fatalf("read back = %d results, %v, %v", len(got.Results), got.Errors, err)
	}
	page, err := e.hs.Search(ctx, hubspot.Products, hubspot.SearchRequest{Limit: 200})
	if err != nil || page.Total != batches {
		t.Errorf("search total = %+v, %v; want %d products, no duplicates", page, err, batches)
	}
}

// TestEmulatorListArchived pages through archived records only, each with
// the time it was archived.
func TestEmulatorListArchived(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	var inputs []hubspot.CreateInput
	for i := range 5 {
		inputs = append(inputs, hubspot.CreateInput{Properties: map[string]string{"dealname": fmt.Sprint("D", i), "dealstage": "appointmentscheduled", "pipeline": "default"}})
	}
	res, err := e.hs.BatchCreate(ctx, hubspot.Deals, inputs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range res.Results {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	e.clock.Advance(time.Minute)
	archivedAt := e.clock.Now()
	if err := e.hs.BatchArchive(ctx, hubspot.Deals, ids[:3]); err != nil {
		t.Fatal(err)
	}
	var got []string
	after, pages := "", 0
	for {
		page, err := e.hs.List(ctx, hubspot.Deals, hubspot.ListRequest{Properties: []string{"dealname"}, Archived: true, Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Results {
			got = append(got, o.ID)
			if !o.Archived || !o.ArchivedAt.Equal(archivedAt) || o.Properties["dealname"] == "" {
				t.Errorf("archived %s: archived %v at %v, dealname %q; want archived at %v with its name", o.ID, o.Archived, o.ArchivedAt, o.Properties["dealname"], archivedAt)
			}
		}
		if page.After == "" {
			break
		}
		after = page.After
	}
	if !slices.Equal(got, ids[:3]) || pages != 2 {
		t.Errorf("archived list: %v in %d pages, want %v in 2", got, pages, ids[:3])
	}
	live, err := e.hs.List(ctx, hubspot.Deals, hubspot.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Results) != 2 || live.After != "" {
		t.Errorf("live list: %d records, after %q; want the 2 not archived on one page", len(live.Results), live.After)
	}
}

// TestEmulatorBatchReadHistory reads past values, newest first, with
// their source.
func TestEmulatorBatchReadHistory(t *testing.T) {
	t.Parallel()
	e := newEmulated(t, professional(), governor.Options{Tier: "professional"})
	ctx := context.Background()
	res, err := e.hs.BatchCreate(ctx, hubspot.Deals, []hubspot.CreateInput{{Properties: map[string]string{"dealname": "D", "dealstage": "appointmentscheduled", "pipeline": "default"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Results[0].ID
	e.clock.Advance(time.Second)
	if _, err := e.hs.BatchUpdate(ctx, hubspot.Deals, []hubspot.UpdateInput{{ID: id, Properties: map[string]string{"dealstage": "closedwon"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.hs.BatchRead(ctx, hubspot.Deals, hubspot.BatchReadRequest{IDs: []string{id}, PropertiesWithHistory: []string{"dealstage"}})
	if err != nil {
		t.Fatal(err)
	}
	h := got.Results[0].History["dealstage"]
	if len(h) != 2 || h[0].Value != "closedwon" || h[1].Value != "appointmentscheduled" || h[0].SourceType != "API" ||
		!h[0].Timestamp.Equal(e.clock.Now()) || h[0].UpdatedByUserID != "" {
		t.Errorf("dealstage history %+v, want closedwon (now, API, no user) then appointmentscheduled", h)
	}
}
