package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/hubspot"
)

func TestSearchWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reply(200, `{"total":38,"results":[{"id":"7","properties":{"domain":"example.co.th","name":null},"createdAt":"2026-11-27T08:00:00Z","updatedAt":"2026-11-27T08:00:00Z","archived":false}],"paging":{"next":{"after":"10","link":"x"}}}`))
	hs, _, _ := newClient(t, srv.URL)
	res, err := hs.Search(context.Background(), hubspot.Companies, hubspot.SearchRequest{
		FilterGroups: []hubspot.FilterGroup{
			{Filters: []hubspot.Filter{{PropertyName: "domain", Operator: "IN", Values: []string{"example.co.th", "b.com"}}}},
			{Filters: []hubspot.Filter{{PropertyName: "createdate", Operator: "BETWEEN", Value: "1", HighValue: "2"}}},
		},
		Sorts:      []hubspot.Sort{{PropertyName: "createdate", Direction: "ASCENDING"}},
		Properties: []string{"domain", "name"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"after":"0","filterGroups":[{"filters":[{"operator":"IN","propertyName":"domain","values":["example.co.th","b.com"]}]},{"filters":[{"highValue":"2","operator":"BETWEEN","propertyName":"createdate","value":"1"}]}],"limit":100,"properties":["domain","name"],"sorts":[{"direction":"ASCENDING","propertyName":"createdate"}]}`
	r := srv.requests()[0]
	if got := jsonOf(t, r.Body); got != want || r.Path != "/crm/objects/2026-09/companies/search" {
		t.Errorf("%s body = %s\nwant %s", r.Path, got, want)
	}
	if res.Total != 38 || res.After != "10" || len(res.Results) != 1 || !reflect.DeepEqual(res.Results[0].Properties, map[string]string{"domain": "example.co.th"}) {
		t.Errorf("result = %+v", res)
	}
}

func TestAssociationsWire(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	reads := 0
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/batch/create"):
			io.WriteString(w, `{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"One or more associations are invalid","context":{"INVALID_OBJECT_IDS":["CONTACT=99 is not valid"],"objectId":["99"],"objectType":["CONTACT"]}}],"startedAt":"x","completedAt":"x"}`)
		case strings.HasSuffix(r.URL.Path, "/batch/associate/default"):
			io.WriteString(w, `{"status":"COMPLETE","results":[{"from":{"id":"1"},"to":{"id":"2"},"associationSpec":{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}}],"startedAt":"x","completedAt":"x"}`)
		case strings.HasSuffix(r.URL.Path, "/batch/read"):
			mu.Lock()
			reads++
			n := reads
			mu.Unlock()
			if n == 1 {
				io.WriteString(w, `{"status":"COMPLETE","results":[
				 {"from":{"id":"1"},"to":[{"toObjectId":"201","associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"},{"category":"HUBSPOT_DEFINED","typeId":279,"label":null}]}],"paging":{"next":{"after":"MjAy"}}},
				 {"from":{"id":"2"},"to":[{"toObjectId":301,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":279}]}]}],
				 "numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"No associations","context":{"ids":["3"]}}],"startedAt":"x","completedAt":"x"}`)
				return
			}
			io.WriteString(w, `{"status":"COMPLETE","results":[{"from":{"id":"1"},"to":[{"toObjectId":"202","associationTypes":[{"category":"USER_DEFINED","typeId":77}]}]}],"startedAt":"x","completedAt":"x"}`)
		case strings.HasSuffix(r.URL.Path, "/batch/archive"):
			w.WriteHeader(200)
			io.WriteString(w, `{"status":"COMPLETE","results":[],"startedAt":"x","completedAt":"x"}`)
		default:
			w.WriteHeader(404)
		}
	})
	hs, _, _ := newClient(t, srv.URL)
	ctx := context.Background()

	errs, err := hs.CreateAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationInput{
		{FromID: "1", ToID: "201", Types: []hubspot.AssociationType{{Category: hubspot.HubSpotDefined, TypeID: 1}, {Category: hubspot.HubSpotDefined, TypeID: 279}}},
		{FromID: "99", ToID: "201", Types: []hubspot.AssociationType{{Category: hubspot.HubSpotDefined, TypeID: 279}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].Category != "VALIDATION_ERROR" || !reflect.DeepEqual(errs[0].Context["objectId"], []string{"99"}) {
		t.Errorf("item errors = %+v", errs)
	}
	if _, err := hs.CreateDefaultAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationPair{{FromID: "1", ToID: "2"}}); err != nil {
		t.Fatal(err)
	}
	got, err := hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, []string{"1", "2", "3"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]hubspot.Associated{
		"1": {
			{ToID: "201", Types: []hubspot.AssociationType{{Category: "HUBSPOT_DEFINED", TypeID: 1}, {Category: "HUBSPOT_DEFINED", TypeID: 279}}},
			{ToID: "202", Types: []hubspot.AssociationType{{Category: "USER_DEFINED", TypeID: 77}}},
		},
		"2": {{ToID: "301", Types: []hubspot.AssociationType{{Category: "HUBSPOT_DEFINED", TypeID: 279}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadAssociations = %+v\nwant %+v", got, want)
	}
	if err := hs.ArchiveAssociations(ctx, hubspot.Deals, hubspot.LineItems, []hubspot.AssociationPair{{FromID: "5", ToID: "6"}, {FromID: "5", ToID: "7"}, {FromID: "8", ToID: "6"}}); err != nil {
		t.Fatal(err)
	}

	reqs := srv.requests()
	wantReqs := []struct{ path, body string }{
		{"/crm/associations/2026-09/contacts/companies/batch/create",
			`{"inputs":[{"from":{"id":"1"},"to":{"id":"201"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1},{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}]},{"from":{"id":"99"},"to":{"id":"201"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}]}]}`},
		{"/crm/associations/2026-09/contacts/companies/batch/associate/default", `{"inputs":[{"from":{"id":"1"},"to":{"id":"2"}}]}`},
		{"/crm/associations/2026-09/contacts/companies/batch/read", `{"inputs":[{"id":"1"},{"id":"2"},{"id":"3"}]}`},
		{"/crm/associations/2026-09/contacts/companies/batch/read", `{"inputs":[{"after":"MjAy","id":"1"}]}`},
		{"/crm/associations/2026-09/deals/line_items/batch/archive", `{"inputs":[{"from":{"id":"5"},"to":[{"id":"6"},{"id":"7"}]},{"from":{"id":"8"},"to":[{"id":"6"}]}]}`},
	}
	if len(reqs) != len(wantReqs) {
		t.Fatalf("%d requests, want %d", len(reqs), len(wantReqs))
	}
	for i, w := range wantReqs {
		if reqs[i].Path != w.path || jsonOf(t, reqs[i].Body) != w.body {
			t.Errorf("request %d = %s %s\nwant %s %s", i, reqs[i].Path, jsonOf(t, reqs[i].Body), w.path, w.body)
		}
	}
	if s := hs.Stats(); s.Writes != 3 || s.Total != 5 {
		t.Errorf("Stats = %+v, want 3 writes of 5", s)
	}
}

func TestSetupAreasWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		switch r.Method + " " + r.URL.Path {
		case "GET /account-info/2026-09/details":
			io.WriteString(w, `{"portalId":12345678,"accountType":"STANDARD","timeZone":"Asia/Bangkok","companyCurrency":"THB","additionalCurrencies":[],"utcOffset":"+07:00","utcOffsetMilliseconds":25200000,"uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`)
		case "GET /crm/properties/2026-09/companies":
			io.WriteString(w, `{"results":[{"name":"syncd_erp_id","label":"ERP ID","type":"string","fieldType":"text","groupName":"companyinformation","description":"","hasUniqueValue":true,"options":[]},
			  {"name":"industry","label":"Industry","type":"enumeration","fieldType":"select","groupName":"companyinformation","description":"d","options":[{"label":"Retail","value":"RETAIL","displayOrder":1,"hidden":false}]}]}`)
		case "POST /crm/properties/2026-09/companies":
			w.WriteHeader(201)
			io.WriteString(w, `{"name":"syncd_tax_id","label":"Tax ID","type":"string","fieldType":"text","groupName":"companyinformation","description":"","hasUniqueValue":true,"options":[],"createdAt":"2026-11-27T08:00:00Z"}`)
		case "GET /crm/properties/2026-09/companies/groups":
			io.WriteString(w, `{"results":[{"name":"companyinformation","label":"Company information","displayOrder":-1,"archived":false},
			  {"name":"retired","label":"Retired","displayOrder":4,"archived":true}]}`)
		case "POST /crm/properties/2026-09/companies/groups":
			w.WriteHeader(201)
			io.WriteString(w, `{"name":"syncd","label":"syncd","displayOrder":5,"archived":false}`)
		case "GET /crm/pipelines/2026-09/deals":
			io.WriteString(w, `{"results":[{"id":"default","label":"Sales Pipeline","displayOrder":0,"archived":false,"createdAt":"x","updatedAt":"x","stages":[
			  {"id":"appointmentscheduled","label":"Appointment Scheduled","displayOrder":0,"metadata":{"isClosed":"false","probability":"0.2"},"archived":false},
			  {"id":"old","label":"Old","displayOrder":9,"metadata":{"probability":0.5},"archived":true}]},
			  {"id":"gone","label":"Gone","displayOrder":1,"archived":true,"stages":[]}]}`)
		case "POST /crm/pipelines/2026-09/deals":
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"erp","label":"ERP","displayOrder":1,"archived":false,"stages":[{"id":"open","label":"Open","displayOrder":0,"metadata":{"probability":"0.1"},"archived":false}]}`)
		case "POST /crm/pipelines/2026-09/deals/erp/stages":
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"won","label":"Won","displayOrder":1,"metadata":{"probability":"1.0","isClosed":"true"},"archived":false}`)
		default:
			w.WriteHeader(404)
		}
	})
	hs, _, _ := newClient(t, srv.URL)
	ctx := context.Background()

	acct, err := hs.AccountDetails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *acct != (hubspot.Account{PortalID: 12345678, TimeZone: "Asia/Bangkok", CompanyCurrency: "THB", AccountType: "STANDARD", UIDomain: "app.hubspot.com"}) {
		t.Errorf("account = %+v", acct)
	}
	props, err := hs.ListProperties(ctx, hubspot.Companies)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 2 || !props[0].HasUniqueValue || !reflect.DeepEqual(props[1].Options, []hubspot.PropertyOption{{Label: "Retail", Value: "RETAIL", DisplayOrder: 1}}) {
		t.Errorf("properties = %+v", props)
	}
	p, err := hs.CreateProperty(ctx, hubspot.Companies, hubspot.Property{Name: "syncd_tax_id", Label: "Tax ID", Type: "string", FieldType: "text", GroupName: "companyinformation", HasUniqueValue: true})
	if err != nil || p.Name != "syncd_tax_id" || !p.HasUniqueValue {
		t.Fatalf("CreateProperty = %+v, %v", p, err)
	}
	groups, err := hs.ListPropertyGroups(ctx, hubspot.Companies)
	if err != nil || !reflect.DeepEqual(groups, []hubspot.PropertyGroup{{Name: "companyinformation", Label: "Company information", DisplayOrder: -1}}) {
		t.Errorf("property groups = %+v, %v; want the archived one left out", groups, err)
	}
	g, err := hs.CreatePropertyGroup(ctx, hubspot.Companies, hubspot.PropertyGroup{Name: "syncd", Label: "syncd", DisplayOrder: 5})
	if err != nil || *g != (hubspot.PropertyGroup{Name: "syncd", Label: "syncd", DisplayOrder: 5}) {
		t.Fatalf("CreatePropertyGroup = %+v, %v", g, err)
	}
	pls, err := hs.ListPipelines(ctx, hubspot.Deals)
	if err != nil {
		t.Fatal(err)
	}
	wantPls := []hubspot.Pipeline{{ID: "default", Label: "Sales Pipeline", Stages: []hubspot.PipelineStage{
		{ID: "appointmentscheduled", Label: "Appointment Scheduled", Metadata: map[string]string{"isClosed": "false", "probability": "0.2"}},
	}}}
	if !reflect.DeepEqual(pls, wantPls) {
		t.Errorf("pipelines = %+v\nwant %+v", pls, wantPls)
	}
	pl, err := hs.CreatePipeline(ctx, hubspot.Deals, hubspot.Pipeline{ID: "erp", Label: "ERP", DisplayOrder: 1, Stages: []hubspot.PipelineStage{{ID: "open", Label: "Open", Metadata: map[string]string{"probability": "0.1"}}}})
	if err != nil || pl.ID != "erp" || len(pl.Stages) != 1 {
		t.Fatalf("CreatePipeline = %+v, %v", pl, err)
	}
	st, err := hs.CreatePipelineStage(ctx, hubspot.Deals, "erp", hubspot.PipelineStage{ID: "won", Label: "Won", DisplayOrder: 1, Metadata: map[string]string{"probability": "1.0", "isClosed": "true"}})
	if err != nil || st.ID != "won" || st.Metadata["isClosed"] != "true" {
		t.Fatalf("CreatePipelineStage = %+v, %v", st, err)
	}

	reqs := srv.requests()
	bodies := map[string]string{
		"POST /crm/properties/2026-09/companies":        `{"description":"","fieldType":"text","groupName":"companyinformation","hasUniqueValue":true,"label":"Tax ID","name":"syncd_tax_id","options":[],"type":"string"}`,
		"POST /crm/properties/2026-09/companies/groups": `{"displayOrder":5,"label":"syncd","name":"syncd"}`,
		"POST /crm/pipelines/2026-09/deals":             `{"displayOrder":1,"label":"ERP","pipelineId":"erp","stages":[{"displayOrder":0,"label":"Open","metadata":{"probability":"0.1"},"stageId":"open"}]}`,
		"POST /crm/pipelines/2026-09/deals/erp/stages":  `{"displayOrder":1,"label":"Won","metadata":{"isClosed":"true","probability":"1.0"},"stageId":"won"}`,
	}
	for _, r := range reqs {
		if want, ok := bodies[r.Method+" "+r.Path]; ok {
			if got := jsonOf(t, r.Body); got != want {
				t.Errorf("%s %s body = %s\nwant %s", r.Method, r.Path, got, want)
			}
			delete(bodies, r.Method+" "+r.Path)
		}
	}
	if len(bodies) != 0 {
		t.Errorf("requests not seen: %v", bodies)
	}
	if s := hs.Stats(); s.Writes != 4 || s.Total != 8 {
		t.Errorf("Stats = %+v", s)
	}
}

// TestTokenNeverLeaks forces every error path and checks that the token is
// in no error text and no log line.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	echo := `{"status":"error","message":"Bad token ` + testToken + `","correlationId":"c","category":"INVALID_AUTHENTICATION","context":{"token":["` + testToken + `"]},"errors":[{"message":"token ` + testToken + `","code":"INVALID_TOKEN","context":{"token":["` + testToken + `"]}}]}`
	tests := []struct {
		name   string
		handle func(w http.ResponseWriter, r *http.Request, body map[string]any)
		ctx    func() (context.Context, context.CancelFunc)
	}{
		{name: "401 echoing the token", handle: reply(401, echo)},
		{name: "400 echoing the token", handle: reply(400, `{"status":"error","category":"VALIDATION_ERROR","message":"`+testToken+`"}`)},
		{name: "5xx until attempts run out", handle: reply(503, `{"status":"error","message":"down"}`)},
		{name: "ten-secondly 429 until attempts run out", handle: reply(429, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`)},
		{name: "daily 429", handle: reply(429, `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`)},
		{name: "HTML 404", handle: reply(404, `<html>`+testToken+`</html>`)},
		{name: "2xx that is not JSON", handle: reply(200, `not json `+testToken)},
		{name: "dropped connection", handle: func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}},
		{name: "cancelled context", handle: reply(200, `{}`), ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.handle)
			hs, logs, _ := newClient(t, srv.URL)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			var errs []error
			_, err := hs.BatchUpsert(ctx, hubspot.Contacts, []hubspot.UpsertInput{{ID: "a@b.co", IDProperty: "email"}})
			errs = append(errs, err)
			_, err = hs.Search(ctx, hubspot.Contacts, hubspot.SearchRequest{})
			errs = append(errs, err)
			_, err = hs.AccountDetails(ctx)
			errs = append(errs, err)
			errs = append(errs, hs.BatchArchive(ctx, hubspot.Contacts, []string{"1"}))
			for i, err := range errs {
				if err == nil {
					t.Fatalf("call %d: no error", i)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("call %d: error text holds the token: %v", i, err)
				}
				if strings.Contains(fmtPlusV(err), testToken) {
					t.Errorf("call %d: %%+v of the error holds the token", i)
				}
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("log holds the token:\n%s", logs.String())
			}
			if logs.Len() == 0 && tt.ctx == nil {
				t.Error("nothing was logged; the log check proves nothing")
			}
		})
	}
	t.Run("partial batch result echoing the token", func(t *testing.T) {
		t.Parallel()
		item := `{"status":"error","category":"VALIDATION_ERROR","message":"bad ` + testToken + `",` +
			`"context":{"objectWriteTraceId":["1"],"echo":["` + testToken + `"]},` +
			`"errors":[{"message":"token ` + testToken + `","code":"INVALID_OPTION","context":{"propertyName":["` + testToken + `"]}}]}`
		srv := newServer(t, reply(207, `{"status":"COMPLETE","results":[],"numErrors":1,"errors":[`+item+`]}`))
		hs, logs, _ := newClient(t, srv.URL)
		ctx := context.Background()
		res, err := hs.BatchUpsert(ctx, hubspot.Contacts, []hubspot.UpsertInput{{ID: "C-1", IDProperty: "syncd_erp_id", TraceID: "1"}})
		if err != nil || len(res.Errors) != 1 {
			t.Fatalf("BatchUpsert: %+v, %v; want one item error", res, err)
		}
		ies, err := hs.CreateAssociations(ctx, hubspot.Contacts, hubspot.Companies, []hubspot.AssociationInput{{FromID: "1", ToID: "2"}})
		if err != nil || len(ies) != 1 {
			t.Fatalf("CreateAssociations: %+v, %v; want one item error", ies, err)
		}
		archErr := hs.BatchArchive(ctx, hubspot.Contacts, []string{"1"})
		if archErr == nil {
			t.Fatal("BatchArchive: no error for a failed input")
		}
		for name, v := range map[string]string{
			"BatchResult.Errors":        fmt.Sprintf("%#v %v", res.Errors, res.Errors),
			"CreateAssociations errors": fmt.Sprintf("%#v %v", ies, ies),
			"BatchArchive error":        archErr.Error() + fmtPlusV(archErr),
			"log":                       logs.String(),
		} {
			if strings.Contains(v, testToken) {
				t.Errorf("%s holds the token: %s", name, v)
			}
		}
		if !strings.Contains(res.Errors[0].Message, "[redacted]") {
			t.Errorf("item message = %q, want the token replaced", res.Errors[0].Message)
		}
	})
	t.Run("unreachable host", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, reply(200, `{}`))
		url := srv.URL
		srv.Close()
		hs, logs, _ := newClient(t, url)
		_, err := hs.BatchRead(context.Background(), hubspot.Contacts, hubspot.BatchReadRequest{IDs: []string{"1"}})
		if err == nil || strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
			t.Fatalf("err = %v", err)
		}
		if hubspot.Classify(err) != hubspot.ClassRetry {
			t.Errorf("Classify = %v, want retry", hubspot.Classify(err))
		}
	})
}

// fmtPlusV renders every field of a *hubspot.Error, not just its text;
// %#v also shows the fields of its Items, whose %+v is their Error text.
func fmtPlusV(err error) string {
	var he *hubspot.Error
	if errors.As(err, &he) {
		return fmt.Sprintf("%+v %#v", *he, *he)
	}
	return fmt.Sprintf("%+v", err)
}

func TestPathArgumentsAreEscaped(t *testing.T) {
	t.Parallel()
	var raw string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		raw = r.URL.EscapedPath()
		w.WriteHeader(201)
		io.WriteString(w, `{"id":"s","label":"S","displayOrder":0,"metadata":{}}`)
	})
	hs, _, _ := newClient(t, srv.URL+"/prefix")
	if _, err := hs.CreatePipelineStage(context.Background(), hubspot.Tickets, "a b/c?d", hubspot.PipelineStage{Label: "S"}); err != nil {
		t.Fatal(err)
	}
	if want := "/prefix/crm/pipelines/2026-09/tickets/a%20b%2Fc%3Fd/stages"; raw != want {
		t.Errorf("path = %q, want %q", raw, want)
	}
}
