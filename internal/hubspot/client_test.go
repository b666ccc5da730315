package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/syncd/syncd/internal/governor"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/testkit/fakeclock"
	"github.com/syncd/syncd/internal/testkit/logbuf"
)

// testToken looks like a private-app token; tests check it never leaks.
const testToken = "pat-na1-5e3c1f0a-0000-4000-8000-c0ffee5ec2e7"

// recorded is one request the test server saw.
type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

// server answers with handle and records every request.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body map[string]any)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(r.Body)
		if len(data) > 0 {
			if err := json.Unmarshal(data, &body); err != nil {
				t.Errorf("request body is not JSON: %v", err)
			}
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		handle(w, r, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func reply(status int, body string) func(http.ResponseWriter, *http.Request, map[string]any) {
	return func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// newClient returns a client of baseURL with an instant clock and a log
// buffer at debug level.
func newClient(t *testing.T, baseURL string) (*hubspot.Client, *logbuf.Buffer, *fakeclock.Clock) {
	t.Helper()
	logBuf := &logbuf.Buffer{}
	log := logrus.New()
	log.SetOutput(logBuf)
	log.SetLevel(logrus.DebugLevel)
	c := fakeclock.New(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
	gov, err := governor.New(governor.Options{
		Tier: "professional", Now: c.Now, Sleep: c.Sleep, Rand: func() float64 { return 0 }, Logger: log, MaxAttempts: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := hubspot.New(hubspot.Options{BaseURL: baseURL, Token: testToken, Governor: gov, Logger: log, AppVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	return hs, logBuf, c
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBatchUpsertWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reply(200, `{"status":"COMPLETE","results":[
		{"id":"101","properties":{"email":"somchai@example.co.th","firstname":null,"hs_object_id":"101","count":7},
		 "createdAt":"2026-11-27T08:00:00.123Z","updatedAt":"2026-11-27T08:00:01Z","archived":false,"new":true,"objectWriteTraceId":"t1"},
		{"id":"102","properties":{"email":"b@example.com"},"createdAt":"2026-11-27T08:00:00Z","updatedAt":"2026-11-27T08:00:00Z","archived":false,"new":false}],
		"startedAt":"2026-11-27T08:00:00Z","completedAt":"2026-11-27T08:00:01Z"}`))
	hs, _, _ := newClient(t, srv.URL)

	res, err := hs.BatchUpsert(context.Background(), hubspot.Contacts, []hubspot.UpsertInput{
		{ID: "somchai@example.co.th", IDProperty: "email", Properties: map[string]string{"firstname": "Somchai"}, TraceID: "t1"},
		{ID: "b@example.com", IDProperty: "email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/crm/objects/2026-09/contacts/batch/upsert" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "syncd/1.2.3" {
		t.Errorf("User-Agent = %q", got)
	}
	wantBody := `{"inputs":[{"id":"somchai@example.co.th","idProperty":"email","objectWriteTraceId":"t1","properties":{"firstname":"Somchai"}},{"id":"b@example.com","idProperty":"email","properties":{}}]}`
	if got := jsonOf(t, r.Body); got != wantBody {
		t.Errorf("body = %s\nwant   %s", got, wantBody)
	}
	if len(res.Errors) != 0 || len(res.Results) != 2 {
		t.Fatalf("result = %+v", res)
	}
	o := res.Results[0]
	want := hubspot.Object{
		ID:         "101",
		Properties: map[string]string{"email": "somchai@example.co.th", "hs_object_id": "101", "count": "7"},
		CreatedAt:  time.Date(2026, 11, 27, 8, 0, 0, 123e6, time.UTC),
		UpdatedAt:  time.Date(2026, 11, 27, 8, 0, 1, 0, time.UTC),
		New:        true,
		TraceID:    "t1",
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("object = %+v\nwant     %+v", o, want)
	}
	if res.Results[1].New {
		t.Error("second result New = true, want false")
	}
}

func TestPartialSuccess(t *testing.T) {
	t.Parallel()
	body := `{"status":"COMPLETE","results":[{"id":"1","properties":{"syncd_erp_id":"C-1"},"createdAt":"2026-11-27T08:00:00Z","updatedAt":"2026-11-27T08:00:00Z","archived":false}],
	  "numErrors":2,"errors":[
	   {"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid","context":{"objectWriteTraceId":["t2"]},
	    "errors":[{"message":"x was not a valid email","code":"INVALID_EMAIL","context":{"propertyName":["email"]}}]},
	   {"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.","context":{"ids":["404","405"]}}],
	  "startedAt":"2026-11-27T08:00:00Z","completedAt":"2026-11-27T08:00:00Z"}`
	for _, status := range []int{207, 200, 201} {
		srv := newServer(t, reply(status, body))
		hs, _, _ := newClient(t, srv.URL)
		res, err := hs.BatchCreate(context.Background(), hubspot.Contacts, []hubspot.CreateInput{
			{Properties: map[string]string{"syncd_erp_id": "C-1"}, TraceID: "t1"},
			{Properties: map[string]string{"email": "x"}, TraceID: "t2"},
		})
		if err != nil {
			t.Fatalf("HTTP %d: %v", status, err)
		}
		if len(res.Results) != 1 || len(res.Errors) != 2 {
			t.Fatalf("HTTP %d: result = %+v", status, res)
		}
		e0, e1 := res.Errors[0], res.Errors[1]
		if !reflect.DeepEqual(e0.TraceIDs, []string{"t2"}) || e0.Class() != hubspot.ClassData ||
			len(e0.Details) != 1 || e0.Details[0].Code != "INVALID_EMAIL" {
			t.Errorf("HTTP %d: first error = %+v", status, e0)
		}
		if !reflect.DeepEqual(e1.IDs, []string{"404", "405"}) || e1.Category != "OBJECT_NOT_FOUND" {
			t.Errorf("HTTP %d: second error = %+v", status, e1)
		}
		if got := jsonOf(t, srv.requests()[0].Body["inputs"]); !strings.Contains(got, `"objectWriteTraceId":"t2"`) || !strings.Contains(got, `"associations":[]`) {
			t.Errorf("HTTP %d: inputs = %s", status, got)
		}
	}
}

func TestWholeRequestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		class    hubspot.ErrorClass
		category string
		existing string
	}{
		{"email conflict", 409, `{"status":"error","message":"Contact already exists. Existing ID: 37765128953","correlationId":"2dea5219-0000-0000-0000-000000000000","category":"CONFLICT"}`,
			hubspot.ClassData, "CONFLICT", "37765128953"},
		{"missing property", 400, `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"testproperty\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"testproperty\"}]","correlationId":"8a3f6c3a-8296-4002-b0a6-2a06fecf7c0c","errors":[{"message":"Property \"testproperty\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["testproperty"]}}],"category":"VALIDATION_ERROR"}`,
			hubspot.ClassSetup, "VALIDATION_ERROR", ""},
		{"missing property, message only", 400, `{"status":"error","message":"PROPERTY_DOESNT_EXIST: Property \"erp_ref\" does not exist","correlationId":"c","category":"VALIDATION_ERROR"}`,
			hubspot.ClassSetup, "VALIDATION_ERROR", ""},
		{"bad value", 400, `{"status":"error","message":"Property values were not valid","correlationId":"c","errors":[{"message":"x is not valid","code":"INVALID_OPTION","context":{"propertyName":["lifecyclestage"]}}],"category":"VALIDATION_ERROR"}`,
			hubspot.ClassData, "VALIDATION_ERROR", ""},
		{"duplicate inputs", 400, `{"status":"error","message":"Duplicate IDs found in batch input: [12877907025]. IDs must be unique","correlationId":"d24ec5cd-8998-4674-a928-59603ae6b0eb","context":{"ids":["12877907025"]},"category":"VALIDATION_ERROR"}`,
			hubspot.ClassData, "VALIDATION_ERROR", ""},
		{"non-unique id property", 400, `{"status":"error","message":"Unable to perform update/upsert by non-unique 0-2 property hs_object_id in portal ID 21939747","correlationId":"c","category":"VALIDATION_ERROR"}`,
			hubspot.ClassSetup, "VALIDATION_ERROR", ""},
		{"bad token", 401, `{"status":"error","message":"Authentication credentials not found.","correlationId":"c","category":"INVALID_AUTHENTICATION"}`,
			hubspot.ClassSetup, "INVALID_AUTHENTICATION", ""},
		{"missing scopes", 403, `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","correlationId":"c","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.deals.read"]}}],"category":"MISSING_SCOPES"}`,
			hubspot.ClassSetup, "MISSING_SCOPES", ""},
		{"unknown route", 404, `<html><body>Not found</body></html>`, hubspot.ClassSetup, "", ""},
		{"record not found", 404, `{"status":"error","message":"Object not found.  objectId are usually numeric.","correlationId":"c","context":{"id":["x"]},"category":"OBJECT_NOT_FOUND"}`,
			hubspot.ClassData, "OBJECT_NOT_FOUND", ""},
		{"daily limit", 429, `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa","policyName":"DAILY","requestId":"3d3e35b7"}`,
			hubspot.ClassSetup, "", ""},
		{"data hosting migration", 477, `{"status":"error","message":"Migration in progress","correlationId":"c","category":"MIGRATION_IN_PROGRESS"}`,
			hubspot.ClassRetry, "MIGRATION_IN_PROGRESS", ""},
	}
	// What the error's methods say; zero for the rows not named.
	says := map[string]struct {
		missing                   []string
		notFound, conflict, daily bool
	}{
		"email conflict":                 {conflict: true},
		"missing property":               {missing: []string{"testproperty"}},
		"missing property, message only": {missing: []string{"erp_ref"}},
		"record not found":               {notFound: true},
		"daily limit":                    {daily: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, reply(tt.status, tt.body))
			hs, _, _ := newClient(t, srv.URL)
			_, err := hs.BatchUpsert(context.Background(), hubspot.Contacts, []hubspot.UpsertInput{{ID: "a@b.co", IDProperty: "email"}})
			var he *hubspot.Error
			if !errors.As(err, &he) {
				t.Fatalf("err = %v (%T), want *hubspot.Error", err, err)
			}
			if he.StatusCode != tt.status || he.Category != tt.category || he.Class() != tt.class || hubspot.Classify(err) != tt.class {
				t.Errorf("error = %+v, class %v; want status %d category %q class %v", he, he.Class(), tt.status, tt.category, tt.class)
			}
			if he.Method != "POST" || he.Path != "/crm/objects/2026-09/contacts/batch/upsert" {
				t.Errorf("error names %s %s", he.Method, he.Path)
			}
			id, ok := he.ExistingID()
			if id != tt.existing || ok != (tt.existing != "") {
				t.Errorf("ExistingID() = %q, %v; want %q", id, ok, tt.existing)
			}
			want := says[tt.name]
			if got := he.MissingProperties(); !reflect.DeepEqual(got, want.missing) || !reflect.DeepEqual(hubspot.MissingProperties(err), want.missing) {
				t.Errorf("MissingProperties() = %q, want %q", got, want.missing)
			}
			if he.IsNotFound() != want.notFound || he.IsConflict() != want.conflict || he.IsDailyLimit() != want.daily || hubspot.IsDailyLimit(err) != want.daily {
				t.Errorf("IsNotFound, IsConflict, IsDailyLimit = %v, %v, %v; want %v, %v, %v",
					he.IsNotFound(), he.IsConflict(), he.IsDailyLimit(), want.notFound, want.conflict, want.daily)
			}
			if len(srv.requests()) != 1 {
				t.Errorf("%d requests, want 1 (not retried)", len(srv.requests()))
			}
		})
	}
}

func TestRetriesAndStats(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	fails := 2
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/batch/read") && fails > 0 {
			fails--
			w.WriteHeader(503)
			io.WriteString(w, `{"status":"error","message":"unavailable","correlationId":"c","category":"INTERNAL_ERROR"}`)
			return
		}
		io.WriteString(w, `{"status":"COMPLETE","results":[],"total":0}`)
	})
	hs, _, clk := newClient(t, srv.URL)
	ctx := context.Background()
	if _, err := hs.BatchRead(ctx, hubspot.Companies, hubspot.BatchReadRequest{IDs: []string{"1"}, IDProperty: "syncd_erp_id", Archived: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Search(ctx, hubspot.Companies, hubspot.SearchRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.BatchUpdate(ctx, hubspot.Companies, []hubspot.UpdateInput{{ID: "1", Properties: map[string]string{"name": "A"}}}); err != nil {
		t.Fatal(err)
	}
	// Nothing to write: no call at all.
	if _, err := hs.BatchUpsert(ctx, hubspot.Companies, nil); err != nil {
		t.Fatal(err)
	}
	if err := hs.BatchArchive(ctx, hubspot.Companies, nil); err != nil {
		t.Fatal(err)
	}
	got := hs.Stats()
	want := hubspot.Stats{
		Calls: map[string]int{
			"POST /crm/objects/2026-09/{objectType}/batch/read":   3,
			"POST /crm/objects/2026-09/{objectType}/search":       1,
			"POST /crm/objects/2026-09/{objectType}/batch/update": 1,
		},
		Total: 5, Writes: 1, Retries: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %+v\nwant    %+v", got, want)
	}
	if len(clk.Waits()) != 2 {
		t.Errorf("waits = %v, want two backoffs", clk.Waits())
	}
	if q := srv.requests()[0].Query; q != "archived=true" {
		t.Errorf("batch read query = %q", q)
	}
	if b := jsonOf(t, srv.requests()[0].Body); b != `{"idProperty":"syncd_erp_id","inputs":[{"id":"1"}],"properties":[],"propertiesWithHistory":[]}` {
		t.Errorf("batch read body = %s", b)
	}
}

func TestTooManyInputs(t *testing.T) {
	t.Parallel()
	srv := newServer(t, reply(200, `{}`))
	hs, _, _ := newClient(t, srv.URL)
	ctx := context.Background()
	ids := make([]string, hubspot.MaxBatchInputs+1)
	errs := []error{}
	_, err := hs.BatchRead(ctx, hubspot.Contacts, hubspot.BatchReadRequest{IDs: ids})
	errs = append(errs, err)
	_, err = hs.BatchCreate(ctx, hubspot.Contacts, make([]hubspot.CreateInput, 101))
	errs = append(errs, err)
	_, err = hs.BatchUpdate(ctx, hubspot.Contacts, make([]hubspot.UpdateInput, 101))
	errs = append(errs, err)
	_, err = hs.BatchUpsert(ctx, hubspot.Contacts, make([]hubspot.UpsertInput, 101))
	errs = append(errs, err)
	errs = append(errs, hs.BatchArchive(ctx, hubspot.Contacts, ids))
	_, err = hs.CreateAssociations(ctx, hubspot.Contacts, hubspot.Companies, make([]hubspot.AssociationInput, 101))
	errs = append(errs, err)
	_, err = hs.ReadAssociations(ctx, hubspot.Contacts, hubspot.Companies, ids)
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, hubspot.ErrTooManyInputs) || hubspot.Classify(err) != hubspot.ClassSetup {
			t.Errorf("call %d: err = %v, want ErrTooManyInputs", i, err)
		}
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestErrorBodyIsCapped(t *testing.T) {
	t.Parallel()
	huge := `{"status":"error","category":"VALIDATION_ERROR","message":"` + strings.Repeat("x", 1<<20) + `"}`
	srv := newServer(t, reply(400, huge))
	hs, _, _ := newClient(t, srv.URL)
	_, err := hs.BatchUpdate(context.Background(), hubspot.Deals, []hubspot.UpdateInput{{ID: "1"}})
	var he *hubspot.Error
	if !errors.As(err, &he) || he.StatusCode != 400 {
		t.Fatalf("err = %v", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("error text is %d bytes; the body must be read with a cap", len(err.Error()))
	}
}

// TestItemErrorMethods checks what one failed batch input's error says.
func TestItemErrorMethods(t *testing.T) {
	t.Parallel()
	missing := hubspot.ItemError{Category: hubspot.CategoryValidation, Message: "Property values were not valid",
		Details: []hubspot.ErrorDetail{{Code: "PROPERTY_DOESNT_EXIST", Context: map[string][]string{"propertyName": {"a", "b"}}}}}
	if got := missing.MissingProperties(); !reflect.DeepEqual(got, []string{"a", "b"}) || missing.Class() != hubspot.ClassSetup {
		t.Errorf("missing properties: %q, class %v; want [a b], setup", got, missing.Class())
	}
	gone := hubspot.ItemError{Category: hubspot.CategoryNotFound, Message: "Object not found"}
	if !gone.IsNotFound() || gone.IsConflict() || gone.MissingProperties() != nil {
		t.Errorf("%v: not found %v, conflict %v", gone, gone.IsNotFound(), gone.IsConflict())
	}
	taken := hubspot.ItemError{Category: hubspot.CategoryConflict, Message: "Contact already exists. Existing ID: 42"}
	if id, ok := taken.ExistingID(); !taken.IsConflict() || taken.IsNotFound() || !ok || id != "42" {
		t.Errorf("%v: conflict %v, existing %q %v", taken, taken.IsConflict(), id, ok)
	}
	if hubspot.MissingProperties(io.EOF) != nil || hubspot.IsDailyLimit(io.EOF) {
		t.Error("an error that is not HubSpot's names properties or a daily limit")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want hubspot.ErrorClass
	}{
		{nil, 0},
		{context.Canceled, hubspot.ClassRetry},
		{context.DeadlineExceeded, hubspot.ClassRetry},
		{io.ErrUnexpectedEOF, hubspot.ClassRetry},
		{&governor.LimitError{Policy: governor.PolicyDaily}, hubspot.ClassSetup},
		{&hubspot.Error{StatusCode: 502}, hubspot.ClassRetry},
		{&hubspot.Error{StatusCode: 423}, hubspot.ClassRetry},
		{&hubspot.Error{StatusCode: 429, Policy: "TEN_SECONDLY_ROLLING"}, hubspot.ClassRetry},
		{&hubspot.Error{StatusCode: 429, Policy: "DAILY"}, hubspot.ClassSetup},
		{&hubspot.Error{StatusCode: 409, Category: "CONFLICT"}, hubspot.ClassData},
	}
	for _, tt := range tests {
		if got := hubspot.Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
