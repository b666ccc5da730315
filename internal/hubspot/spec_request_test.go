package hubspot_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/syncd/syncd/internal/hubspot"
)

// specRouters loads HubSpot's 2026-09 OpenAPI specs, one router per file.
func specRouters(t *testing.T) []routers.Router {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "hubspot-openapi", hubspot.DefaultVersion)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no OpenAPI specs in %s", dir)
	}
	var rs []routers.Router
	for _, f := range files {
		doc, err := openapi3.NewLoader().LoadFromFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// The router matches on the spec's servers; accept any host.
		doc.Servers = nil
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// validate checks one request against every spec operation that matches
// it; it passes when at least one operation accepts it.
func validate(rs []routers.Router, r *http.Request, body []byte) error {
	var errs []string
	found := false
	for _, router := range rs {
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(body))
		route, params, err := router.FindRoute(req)
		if err != nil {
			continue
		}
		found = true
		err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		})
		if err == nil {
			return nil
		}
		errs = append(errs, err.Error())
	}
	if !found {
		return fmt.Errorf("%s %s matches no operation of the specs", r.Method, r.URL.Path)
	}
	return fmt.Errorf("%s %s: %s", r.Method, r.URL.Path, strings.Join(errs, "\n"))
}

// TestRequestsMatchSpec sends every client method's request to a server
// that validates it against HubSpot's OpenAPI specs: paths, query, and
// bodies (required fields, types, enums).
func TestRequestsMatchSpec(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared")); err != nil {
		t.Skip("../shared is absent")
	}
	rs := specRouters(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	batch := `{"status":"COMPLETE","results":[],"startedAt":"2026-11-27T08:00:00Z","completedAt":"2026-11-27T08:00:00Z"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := validate(rs, r, body); err != nil {
			t.Errorf("request does not match the spec: %v\nbody: %s", err, body)
		}
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/search"):
			io.WriteString(w, `{"total":0,"results":[]}`)
		case strings.Contains(r.URL.Path, "/batch/"):
			io.WriteString(w, batch)
		case strings.HasPrefix(r.URL.Path, "/account-info/"):
			io.WriteString(w, `{"portalId":1,"accountType":"STANDARD","timeZone":"UTC","companyCurrency":"THB","uiDomain":"app.hubspot.com"}`)
		case r.Method == http.MethodGet:
			io.WriteString(w, `{"results":[]}`)
		default:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	hs, _, _ := newClient(t, srv.URL)
	ctx := context.Background()
	props := map[string]string{"email": "a@example.co.th"}
	types := []hubspot.AssociationType{{Category: hubspot.HubSpotDefined, TypeID: 279}}
	calls := []func() error{
		func() error { _, err := hs.AccountDetails(ctx); return err },
		func() error { _, _, err := hs.DailyUsage(ctx); return err },
		func() error {
			_, err := hs.BatchRead(ctx, hubspot.Contacts, hubspot.BatchReadRequest{IDs: []string{"a@example.co.th"}, IDProperty: "email", Archived: true})
			return err
		},
		func() error {
			_, err := hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{
				{Properties: props, TraceID: "t1", Associations: []hubspot.InlineAssociation{{ToID: "9", Types: types}}},
				{Properties: nil},
			})
			return err
		},
		func() error {
			_, err := hs.BatchUpdate(ctx, hubspot.Contacts, []hubspot.UpdateInput{{ID: "1", Properties: props, TraceID: "t1"}, {ID: "X-1", IDProperty: "syncd_erp_id"}})
			return err
		},
		func() error {
			_, err := hs.BatchUpsert(ctx, hubspot.Contacts, []hubspot.UpsertInput{{ID: "a@example.co.th", IDProperty: "email", Properties: props, TraceID: "t"}})
			return err
		},
		func() error { return hs.BatchArchive(ctx, hubspot.Contacts, []string{"1", "2"}) },
		func() error {
			_, err := hs.List(ctx, hubspot.Deals, hubspot.ListRequest{Properties: []string{"dealstage", "amount"}, After: "30000005", Archived: true})
			return err
		},
		func() error {
			_, err := hs.Search(ctx, hubspot.Contacts, hubspot.SearchRequest{
				FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{
					{PropertyName: "email", Operator: "IN", Values: []string{"a@example.co.th"}},
					{PropertyName: "createdate", Operator: "BETWEEN", Value: "1", HighValue: "2"},
					{PropertyName: "phone", Operator: "HAS_PROPERTY"},
				}}},
				Properties: []string{"email"}, Limit: 200, After: "100",
			})
			return err
		},
		// Sorts are left out: the client sends them as objects, as HubSpot's
		// search guide documents, while the spec types them as strings.
		func() error { _, err := hs.Search(ctx, hubspot.Deals, hubspot.SearchRequest{Query: "x"}); return err },
		func() error {
			_, err := hs.CreateAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationInput{{FromID: "1", ToID: "2", Types: types}})
			return err
		},
		func() error {
			_, err := hs.CreateDefaultAssociations(ctx, hubspot.Deals, hubspot.Contacts, []hubspot.AssociationPair{{FromID: "1", ToID: "2"}})
			return err
		},
		func() error {
			_, err := hs.ReadAssociations(ctx, hubspot.Deals, hubspot.LineItems, []string{"1", "2"})
			return err
		},
		func() error {
			return hs.ArchiveAssociations(ctx, hubspot.Deals, hubspot.LineItems, []hubspot.AssociationPair{{FromID: "1", ToID: "2"}})
		},
		func() error { _, err := hs.ListProperties(ctx, hubspot.Companies); return err },
		func() error {
			_, err := hs.CreateProperty(ctx, hubspot.Companies, hubspot.Property{
				Name: "syncd_erp_id", Label: "ERP ID", Type: "enumeration", FieldType: "select", GroupName: "syncd", HasUniqueValue: true,
				Options: []hubspot.PropertyOption{{Label: "A", Value: "a"}},
			})
			return err
		},
		func() error { _, err := hs.ListPipelines(ctx, hubspot.Deals); return err },
		func() error {
			_, err := hs.CreatePipeline(ctx, hubspot.Deals, hubspot.Pipeline{Label: "ERP", Stages: []hubspot.PipelineStage{{Label: "Open", Metadata: map[string]string{"probability": "0.1"}}}})
			return err
		},
		func() error {
			_, err := hs.CreatePipelineStage(ctx, hubspot.Tickets, "0", hubspot.PipelineStage{ID: "waiting", Label: "Waiting"})
			return err
		},
		func() error { _, err := hs.ListPropertyGroups(ctx, hubspot.Companies); return err },
		func() error {
			_, err := hs.CreatePropertyGroup(ctx, hubspot.Companies, hubspot.PropertyGroup{Name: "syncd", Label: "syncd"})
			return err
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if len(seen) < 18 {
		t.Errorf("only %d distinct operations reached the server: %v", len(seen), seen)
	}
}
