package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

func TestObjectPathsAndTypeIDs(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	id := h.create("contacts", map[string]any{"email": "a@example.co.th"})
	for _, p := range []string{
		"/crm/objects/2026-09/contacts/" + id, "/crm/objects/2026-09/0-1/" + id, "/crm/objects/2026-09/contact/" + id,
		"/crm/objects/2026-03/contacts/" + id, "/crm/v3/objects/contacts/" + id,
	} {
		r := h.must("GET", p, nil, http.StatusOK)
		if props(r.body)["email"] != "a@example.co.th" || r.body["id"] != id {
			t.Errorf("GET %s = %s", p, r.raw)
		}
	}
	// Unknown routes answer HubSpot's HTML 404.
	r := h.must("GET", "/crm/v3/objects/contacts/", nil, http.StatusNotFound)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("trailing-slash 404 Content-Type = %q", r.header.Get("Content-Type"))
	}
	h.must("GET", "/crm/objects/2026-09/contacts/99", nil, http.StatusNotFound)
	h.must("DELETE", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusNoContent)
	h.must("DELETE", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusNoContent)
	h.must("GET", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusNotFound)
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+id+"?archived=true", nil, http.StatusOK)
	if r.body["archived"] != true || r.body["archivedAt"] == nil {
		t.Errorf("archived read = %s", r.raw)
	}
}

func TestReadProperties(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	id := h.create("contacts", map[string]any{"email": "b@example.com", "firstname": "Somchai", "phone": "+66812345678"})
	r := h.must("GET", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusOK)
	p := props(r.body)
	if _, ok := p["phone"]; ok {
		t.Errorf("phone returned without being requested: %v", p)
	}
	if v, ok := p["lastname"]; !ok || v != nil {
		t.Errorf("2026-09 default lastname = %v (present %v), want null", v, ok)
	}
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+id+"?properties=phone,nosuchproperty&properties=jobtitle", nil, http.StatusOK)
	p = props(r.body)
	if p["phone"] != "+66812345678" || p["hs_object_id"] != id || p["createdate"] == nil || p["lastmodifieddate"] == nil {
		t.Errorf("requested properties = %v", p)
	}
	if _, ok := p["nosuchproperty"]; ok {
		t.Errorf("unknown requested property returned: %v", p)
	}
	if v, ok := p["jobtitle"]; !ok || v != nil {
		t.Errorf("empty requested jobtitle = %v (present %v), want null in 2026-09", v, ok)
	}
	r = h.must("GET", "/crm/v3/objects/contacts/"+id+"?properties=jobtitle", nil, http.StatusOK)
	if _, ok := props(r.body)["jobtitle"]; ok {
		t.Errorf("v3 returned empty jobtitle, whose spec is not nullable: %s", r.raw)
	}
	r = h.must("GET", "/crm/objects/2026-09/contacts/b@example.com?idProperty=email", nil, http.StatusOK)
	if r.body["id"] != id {
		t.Errorf("read by email = %s", r.raw)
	}
	h.clock.Advance(time.Second)
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"firstname": "Somsak"}}, http.StatusOK)
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+id+"?propertiesWithHistory=firstname", nil, http.StatusOK)
	hist := r.body["propertiesWithHistory"].(map[string]any)["firstname"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["value"] != "Somsak" || hist[1].(map[string]any)["value"] != "Somchai" ||
		hist[0].(map[string]any)["timestamp"] != "2026-11-27T03:00:01.000Z" {
		t.Errorf("firstname history = %v", hist)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	var ids []string
	for i := 0; i < 25; i++ {
		ids = append(ids, h.create("companies", map[string]any{"name": fmt.Sprint("Co ", i)}))
	}
	got := h.pageAll("/crm/objects/2026-09/companies?limit=10&after=", "id", 10)
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("paged IDs = %v, want %v", got, ids)
	}
	h.must("GET", "/crm/objects/2026-09/companies?limit=101", nil, http.StatusBadRequest)
}

func TestContactEmailConflict(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	id := h.create("contacts", map[string]any{"email": "Somchai@Example.co.th"})
	r := h.must("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{"email": "somchai@example.CO.TH"}}, http.StatusConflict)
	if r.body["message"] != "Contact already exists. Existing ID: "+id || r.body["category"] != "CONFLICT" || r.body["status"] != "error" || r.body["correlationId"] == "" {
		t.Errorf("conflict body = %s", r.raw)
	}
	// Stored lower-cased, found case-insensitively.
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusOK)
	if props(r.body)["email"] != "somchai@example.co.th" {
		t.Errorf("stored email = %v", props(r.body)["email"])
	}
	other := h.create("contacts", map[string]any{"email": "other@example.com"})
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+other, map[string]any{"properties": map[string]any{"email": "SOMCHAI@example.co.th"}}, http.StatusConflict)
	// lifecyclestage moves forward only; a backward set is ignored.
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"lifecyclestage": "customer"}}, http.StatusOK)
	r = h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"lifecyclestage": "lead"}}, http.StatusOK)
	if got := props(r.body)["lifecyclestage"]; got != "customer" {
		t.Errorf("lifecyclestage after backward set = %v", got)
	}
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"lifecyclestage": ""}}, http.StatusOK)
	r = h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"lifecyclestage": "lead"}}, http.StatusOK)
	if got := props(r.body)["lifecyclestage"]; got != "lead" {
		t.Errorf("lifecyclestage after clear and set = %v", got)
	}
	// Archiving frees the email.
	h.must("DELETE", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusNoContent)
	h.create("contacts", map[string]any{"email": "somchai@example.co.th"})
}

// createUnique makes a unique-value text property on objectType.
func createUnique(h *emuHarness, objectType, name string) {
	h.t.Helper()
	h.must("POST", "/crm/properties/2026-09/"+objectType, map[string]any{
		"name": name, "label": "ERP ID", "type": "string", "fieldType": "text",
		"groupName":      map[string]string{"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation", "products": "productinformation", "line_items": "lineiteminformation", "tickets": "ticketinformation"}[objectType],
		"hasUniqueValue": true,
	}, http.StatusCreated)
}

func TestUniquePropertyConflict(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	createUnique(h, "companies", "syncd_erp_id")
	id := h.create("companies", map[string]any{"name": "Siam Trading", "syncd_erp_id": "CUST-1"})
	r := h.must("POST", "/crm/objects/2026-09/companies", map[string]any{"properties": map[string]any{"name": "Dup", "syncd_erp_id": "cust-1"}}, http.StatusConflict)
	if !strings.HasSuffix(r.body["message"].(string), "Existing ID: "+id) || r.body["category"] != "CONFLICT" {
		t.Errorf("conflict body = %s", r.raw)
	}
	r = h.must("GET", "/crm/objects/2026-09/companies/CUST-1?idProperty=syncd_erp_id", nil, http.StatusOK)
	if r.body["id"] != id {
		t.Errorf("read by unique property = %s", r.raw)
	}
	// Values with a slash travel percent-encoded in the path.
	slash := h.create("companies", map[string]any{"name": "Slash", "syncd_erp_id": "SO/42"})
	r = h.must("GET", "/crm/objects/2026-09/companies/SO%2F42?idProperty=syncd_erp_id", nil, http.StatusOK)
	if r.body["id"] != slash {
		t.Errorf("read by SO/42 = %s", r.raw)
	}
	// Non-unique properties cannot be used as idProperty.
	r = h.must("GET", "/crm/objects/2026-09/companies/x?idProperty=domain", nil, http.StatusBadRequest)
	if !strings.Contains(r.body["message"].(string), "non-unique 0-2 property domain") {
		t.Errorf("non-unique idProperty body = %s", r.raw)
	}
	// At most 10 unique properties per object.
	for i := 2; i <= 10; i++ {
		createUnique(h, "companies", fmt.Sprint("unique_", i))
	}
	r = h.do("POST", "/crm/properties/2026-09/companies", map[string]any{"name": "unique_11", "label": "x", "type": "string", "fieldType": "text", "groupName": "companyinformation", "hasUniqueValue": true})
	if r.status != http.StatusBadRequest {
		t.Errorf("11th unique property: status %d, body %s", r.status, r.raw)
	}
}

func batchInputs(n int, f func(i int) map[string]any) map[string]any {
	in := make([]any, n)
	for i := range in {
		in[i] = f(i)
	}
	return map[string]any{"inputs": in}
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	createUnique(h, "contacts", "syncd_erp_id")
	for _, op := range []string{"create", "read", "update", "upsert", "archive"} {
		body := batchInputs(101, func(i int) map[string]any {
			return map[string]any{"id": fmt.Sprint(i + 1), "idProperty": "syncd_erp_id", "properties": map[string]any{"firstname": "x"}}
		})
		r := h.must("POST", "/crm/objects/2026-09/contacts/batch/"+op, body, http.StatusBadRequest)
		if r.body["category"] != "VALIDATION_ERROR" {
			t.Errorf("101 inputs to %s: body %s", op, r.raw)
		}
	}
	// 100 is fine.
	r := h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", batchInputs(100, func(i int) map[string]any {
		return map[string]any{"id": fmt.Sprint("E-", i), "idProperty": "syncd_erp_id", "properties": map[string]any{"firstname": "x"}}
	}), http.StatusOK)
	if n := len(list(r.body, "results")); n != 100 {
		t.Errorf("upserted %d, want 100", n)
	}
}

func TestBatchDuplicateIDs(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	id := h.create("contacts", map[string]any{"email": "d@example.com"})
	r := h.must("POST", "/crm/objects/2026-09/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": id, "properties": map[string]any{"firstname": "A"}},
		map[string]any{"id": id, "properties": map[string]any{"firstname": "B"}},
	}}, http.StatusBadRequest)
	want := fmt.Sprintf("Duplicate IDs found in batch input: [%s]. IDs must be unique", id)
	if r.body["message"] != want || r.body["category"] != "VALIDATION_ERROR" {
		t.Errorf("duplicate body = %s", r.raw)
	}
	if ids := r.body["context"].(map[string]any)["ids"].([]any); len(ids) != 1 || ids[0] != id {
		t.Errorf("context.ids = %v", ids)
	}
	h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": "x@example.com", "idProperty": "email", "properties": map[string]any{}},
		map[string]any{"id": "X@example.com", "idProperty": "email", "properties": map[string]any{}},
	}}, http.StatusBadRequest)
	h.must("POST", "/crm/objects/2026-09/contacts/batch/create", map[string]any{"inputs": []any{
		map[string]any{"properties": map[string]any{"email": "y@example.com"}},
		map[string]any{"properties": map[string]any{"email": "Y@example.com"}},
	}}, http.StatusBadRequest)
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusOK)
	if props(r.body)["firstname"] != nil {
		t.Errorf("rejected batch wrote firstname: %s", r.raw)
	}
}

func TestBatchUpsertNewFlag(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	up := func(first string) map[string]any {
		r := h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{
			map[string]any{"id": "New@Example.com", "idProperty": "email", "properties": map[string]any{"firstname": first}},
		}}, http.StatusOK)
		return list(r.body, "results")[0].(map[string]any)
	}
	a := up("Malee")
	if a["new"] != true || props(a)["email"] != "new@example.com" {
		t.Errorf("first upsert = %v", a)
	}
	b := up("Malai")
	if b["new"] != false || b["id"] != a["id"] || props(b)["firstname"] != "Malai" {
		t.Errorf("second upsert = %v", b)
	}
	// Upsert by a non-unique property, or without idProperty, is refused.
	h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": "1", "properties": map[string]any{}},
	}}, http.StatusBadRequest)
	// Batch update by email is refused: contacts update in batches by ID.
	h.must("POST", "/crm/objects/2026-09/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": "new@example.com", "idProperty": "email", "properties": map[string]any{}},
	}}, http.StatusBadRequest)
}

func TestPartialResultsWithTraceIDs(t *testing.T) {
	t.Parallel()
	for ver, want := range map[string]int{"2026-09": http.StatusCreated, "2026-03": http.StatusMultiStatus, "v3": http.StatusMultiStatus} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			h := startEmu(t, emulator.Options{DisableRateLimits: true})
			path := "/crm/objects/" + ver + "/contacts/batch/create"
			if ver == "v3" {
				path = "/crm/v3/objects/contacts/batch/create"
			}
			r := h.must("POST", path, map[string]any{"inputs": []any{
				map[string]any{"properties": map[string]any{"email": "ok@example.com"}, "objectWriteTraceId": "t1"},
				map[string]any{"properties": map[string]any{"email": "bad@example.com", "nosuch": "x"}, "objectWriteTraceId": "t2"},
			}}, want)
			if len(list(r.body, "results")) != 1 || r.body["numErrors"] != 1.0 {
				t.Fatalf("partial body = %s", r.raw)
			}
			e := list(r.body, "errors")[0].(map[string]any)
			if e["category"] != "VALIDATION_ERROR" || e["status"] != "error" {
				t.Errorf("error entry = %v", e)
			}
			if tr := e["context"].(map[string]any)["objectWriteTraceId"].([]any); tr[0] != "t2" {
				t.Errorf("trace ID in error = %v", tr)
			}
			// Without trace IDs the whole request fails and nothing is written.
			r = h.must("POST", path, map[string]any{"inputs": []any{
				map[string]any{"properties": map[string]any{"email": "ok2@example.com"}},
				map[string]any{"properties": map[string]any{"email": "ok@example.com"}},
			}}, http.StatusConflict)
			h.must("GET", "/crm/objects/2026-09/contacts/ok2@example.com?idProperty=email", nil, http.StatusNotFound)
		})
	}
}

func TestBatchReadMissing(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	id := h.create("contacts", map[string]any{"email": "r@example.com"})
	r := h.must("POST", "/crm/v3/objects/contacts/batch/read", map[string]any{"inputs": []any{map[string]any{"id": id}, map[string]any{"id": "42"}}, "properties": []string{"email"}}, http.StatusMultiStatus)
	e := list(r.body, "errors")[0].(map[string]any)
	if e["message"] != "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid." || e["category"] != "OBJECT_NOT_FOUND" {
		t.Errorf("batch read error = %v", e)
	}
	r = h.must("POST", "/crm/objects/2026-09/contacts/batch/read", map[string]any{"idProperty": "email", "inputs": []any{map[string]any{"id": "R@example.com"}}}, http.StatusOK)
	if list(r.body, "results")[0].(map[string]any)["id"] != id {
		t.Errorf("batch read by email = %s", r.raw)
	}
}

func TestPropertyValidation(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	h.must("POST", "/crm/properties/2026-09/deals", map[string]any{"name": "erp_status", "label": "ERP status", "type": "enumeration", "fieldType": "select", "groupName": "dealinformation",
		"options": []any{map[string]any{"label": "Open", "value": "open", "displayOrder": 0, "hidden": false}, map[string]any{"label": "Paid", "value": "paid", "displayOrder": 1, "hidden": false}}}, http.StatusCreated)
	h.must("POST", "/crm/properties/2026-09/deals", map[string]any{"name": "paid", "label": "Paid", "type": "bool", "fieldType": "booleancheckbox", "groupName": "dealinformation"}, http.StatusCreated)
	h.must("POST", "/crm/properties/2026-09/deals", map[string]any{"name": "erp_date", "label": "ERP date", "type": "date", "fieldType": "date", "groupName": "dealinformation"}, http.StatusCreated)
	h.must("POST", "/crm/properties/2026-09/deals", map[string]any{"name": "erp_status", "label": "again", "type": "string", "fieldType": "text", "groupName": "dealinformation"}, http.StatusConflict)
	base := map[string]any{"dealname": "Order 1", "dealstage": "appointmentscheduled"}
	cases := []struct {
		name, prop string
		value      any
		code       string
	}{
		{"unknown", "nosuchprop", "x", "PROPERTY_DOESNT_EXIST"},
		{"option", "erp_status", "Paid", "INVALID_OPTION"},
		{"number", "amount", "5,333,222", "INVALID_INTEGER"},
		{"bool", "paid", "yes", "INVALID_BOOLEAN"},
		{"date not midnight", "erp_date", 1570233600, "INVALID_DATE"},
		{"read only", "hs_object_id", "5", "READ_ONLY_VALUE"},
	}
	for _, c := range cases {
		p := map[string]any{c.prop: c.value}
		for k, v := range base {
			p[k] = v
		}
		r := h.must("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": p}, http.StatusBadRequest)
		errs := list(r.body, "errors")
		if len(errs) != 1 || errs[0].(map[string]any)["code"] != c.code || !strings.Contains(r.body["message"].(string), c.prop) {
			t.Errorf("%s: body %s", c.name, r.raw)
		}
	}
	if r := h.do("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "appointmentscheduled", "nosuch": "1", "paid": "maybe"}}); len(list(r.body, "errors")) != 2 {
		t.Errorf("two bad properties reported as %s", r.raw)
	}
	// Good values are stored in canonical string form.
	p := map[string]any{"amount": 1500.5, "paid": true, "erp_date": "2026-11-27", "closedate": 1764201600000, "erp_status": "paid"}
	for k, v := range base {
		p[k] = v
	}
	r := h.must("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": p}, http.StatusCreated)
	got := props(r.body)
	for k, want := range map[string]string{"amount": "1500.5", "paid": "true", "erp_date": "2026-11-27", "closedate": "2025-11-27T00:00:00.000Z", "erp_status": "paid", "pipeline": "default", "hs_is_closed": "false"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %q", k, got[k], want)
		}
	}
	// Midnight epoch milliseconds are accepted for dates.
	id := r.body["id"].(string)
	r = h.must("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"erp_date": "1764201600000", "amount": ""}}, http.StatusOK)
	if props(r.body)["erp_date"] != "2025-11-27" {
		t.Errorf("erp_date = %v", props(r.body)["erp_date"])
	}
	if _, ok := props(r.body)["amount"]; ok {
		t.Errorf("cleared amount still set: %s", r.raw)
	}
}

func TestRequiredProperties(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	r := h.must("POST", "/crm/objects/2026-09/tickets", map[string]any{"properties": map[string]any{"subject": "Broken"}}, http.StatusBadRequest)
	if !strings.Contains(r.body["message"].(string), "hs_pipeline_stage") {
		t.Errorf("ticket without stage: %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/tickets", map[string]any{"properties": map[string]any{"subject": "Broken", "hs_pipeline_stage": "1"}}, http.StatusCreated)
	if p := props(r.body); p["hs_pipeline"] != "0" || p["hs_ticket_id"] != r.body["id"] {
		t.Errorf("ticket defaults = %v", p)
	}
	h.must("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "x"}}, http.StatusBadRequest)
	h.must("POST", "/crm/objects/2026-09/products", map[string]any{"properties": map[string]any{"price": "1"}}, http.StatusBadRequest)
}

func TestStageMustBelongToPipeline(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	r := h.must("POST", "/crm/pipelines/2026-09/deals", map[string]any{"label": "Online", "displayOrder": 1, "stages": []any{
		map[string]any{"label": "Paid", "displayOrder": 0, "stageId": "paid", "metadata": map[string]any{"probability": 1.0}},
		map[string]any{"label": "Cart", "displayOrder": 1, "metadata": map[string]any{"probability": "0.1"}},
	}}, http.StatusCreated)
	pid := r.body["id"].(string)
	if st := list(r.body, "stages")[0].(map[string]any); st["metadata"].(map[string]any)["isClosed"] != "true" {
		t.Errorf("stage with probability 1 = %v", st)
	}
	r = h.must("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "paid"}}, http.StatusBadRequest)
	if e := list(r.body, "errors")[0].(map[string]any); e["code"] != "INVALID_OPTION" || !strings.Contains(e["message"].(string), "pipelineId=default") {
		t.Errorf("stage outside default pipeline: %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/deals", map[string]any{"properties": map[string]any{"dealname": "x", "pipeline": pid, "dealstage": "paid"}}, http.StatusCreated)
	if props(r.body)["hs_is_closed_won"] != "true" {
		t.Errorf("won deal = %v", props(r.body))
	}
	id := r.body["id"].(string)
	// Moving the deal to the default pipeline without a stage there fails.
	h.must("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"pipeline": "default"}}, http.StatusBadRequest)
	h.must("PATCH", "/crm/objects/2026-09/deals/"+id, map[string]any{"properties": map[string]any{"pipeline": "default", "dealstage": "closedlost"}}, http.StatusOK)
	h.must("POST", "/crm/objects/2026-09/tickets", map[string]any{"properties": map[string]any{"subject": "x", "hs_pipeline_stage": "appointmentscheduled"}}, http.StatusBadRequest)
	r = h.must("GET", "/crm/properties/2026-09/deals/dealstage", nil, http.StatusOK)
	var stageIDs []string
	for _, o := range list(r.body, "options") {
		stageIDs = append(stageIDs, o.(map[string]any)["value"].(string))
	}
	if len(stageIDs) != 9 || stageIDs[5] != "closedwon" || stageIDs[7] != "paid" {
		t.Errorf("dealstage options = %v", stageIDs)
	}
	r = h.must("GET", "/crm/pipelines/2026-09/tickets/0/stages", nil, http.StatusOK)
	if n := len(list(r.body, "results")); n != 4 {
		t.Errorf("default ticket stages = %d", n)
	}
}

func TestSearchLagAndVisibility(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true, SearchLag: 5 * time.Second})
	search := func(email string) float64 {
		r := h.must("POST", "/crm/objects/2026-09/contacts/search", map[string]any{
			"filterGroups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "email", "operator": "EQ", "value": email}}}},
		}, http.StatusOK)
		return r.body["total"].(float64)
	}
	id := h.create("contacts", map[string]any{"email": "lag@example.com", "firstname": "Old"})
	h.must("GET", "/crm/objects/2026-09/contacts/"+id, nil, http.StatusOK)
	if n := search("lag@example.com"); n != 0 {
		t.Errorf("search during lag found %v", n)
	}
	h.clock.Advance(4999 * time.Millisecond)
	if n := search("lag@example.com"); n != 0 {
		t.Errorf("search just before lag ends found %v", n)
	}
	h.clock.Advance(time.Millisecond)
	if n := search("LAG@example.com"); n != 1 {
		t.Errorf("search after lag found %v", n)
	}
	// An update is seen by GET at once, by search only after the lag.
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"email": "new@example.com"}}, http.StatusOK)
	if search("lag@example.com") != 1 || search("new@example.com") != 0 {
		t.Errorf("search saw the update during the lag")
	}
	h.clock.Advance(5 * time.Second)
	if search("lag@example.com") != 0 || search("new@example.com") != 1 {
		t.Errorf("search missed the update after the lag")
	}
}

func TestSearchOperators(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	for i := 1; i <= 30; i++ {
		h.create("products", map[string]any{"name": fmt.Sprintf("Jasmine Rice %dkg", i), "price": i * 10, "hs_sku": fmt.Sprintf("SKU-%02d", i)})
		h.clock.Advance(time.Second)
	}
	type f = map[string]any
	search := func(body f, want int) map[string]any {
		t.Helper()
		return h.must("POST", "/crm/objects/2026-09/products/search", body, want).body
	}
	group := func(filters ...f) f {
		fs := make([]any, len(filters))
		for i := range filters {
			fs[i] = filters[i]
		}
		return f{"filterGroups": []any{f{"filters": fs}}}
	}
	for _, c := range []struct {
		name  string
		body  f
		total float64
	}{
		{"EQ number", group(f{"propertyName": "price", "operator": "EQ", "value": "100"}), 1},
		{"BETWEEN", group(f{"propertyName": "price", "operator": "BETWEEN", "value": "50", "highValue": "100"}), 6},
		{"GT and LTE", group(f{"propertyName": "price", "operator": "GT", "value": "250"}, f{"propertyName": "price", "operator": "LTE", "value": "290"}), 4},
		{"IN lower-case", group(f{"propertyName": "hs_sku", "operator": "IN", "values": []string{"sku-01", "sku-02"}}), 2},
		{"IN upper-case never matches", group(f{"propertyName": "hs_sku", "operator": "IN", "values": []string{"SKU-01"}}), 0},
		{"CONTAINS_TOKEN", group(f{"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "jasmine"}), 30},
		{"CONTAINS_TOKEN wildcard", group(f{"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "1*kg"}), 11},
		{"NOT_HAS_PROPERTY", group(f{"propertyName": "description", "operator": "NOT_HAS_PROPERTY"}), 30},
		{"query", f{"query": "rice 3"}, 2},
		{"OR groups", f{"filterGroups": []any{
			f{"filters": []any{f{"propertyName": "price", "operator": "EQ", "value": "10"}}},
			f{"filters": []any{f{"propertyName": "price", "operator": "EQ", "value": "20"}}},
		}}, 2},
	} {
		if got := search(c.body, http.StatusOK)["total"]; got != c.total {
			t.Errorf("%s: total %v, want %v", c.name, got, c.total)
		}
	}
	b := search(f{"sorts": []any{f{"propertyName": "price", "direction": "DESCENDING"}}, "limit": 5, "properties": []string{"price"}}, http.StatusOK)
	first := list(b, "results")[0].(map[string]any)
	if props(first)["price"] != "300" || b["paging"].(map[string]any)["next"].(map[string]any)["after"] != "5" {
		t.Errorf("sorted page = %v", b)
	}
	b = search(f{"sorts": []string{"-price"}, "after": "28"}, http.StatusOK)
	if n := len(list(b, "results")); n != 2 || b["paging"] != nil {
		t.Errorf("last page = %v", b)
	}
	search(f{"limit": 201}, http.StatusBadRequest)
	search(f{"sorts": []string{"price", "name"}}, http.StatusBadRequest)
	search(f{"after": "10000"}, http.StatusBadRequest)
	groups := make([]any, 6)
	for i := range groups {
		groups[i] = f{"filters": []any{f{"propertyName": "price", "operator": "EQ", "value": "1"}}}
	}
	search(f{"filterGroups": groups}, http.StatusBadRequest)
	search(group(f{"propertyName": "price", "operator": "LIKE", "value": "1"}), http.StatusBadRequest)
}

func TestSearchByUniqueValues(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	createUnique(h, "contacts", "syncd_erp_id")
	for i := 0; i < 20; i++ {
		h.create("contacts", map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "firstname": fmt.Sprint("N", i%2), "syncd_erp_id": fmt.Sprint("C-", i)})
	}
	type f = map[string]any
	total := func(groups ...[]f) float64 {
		t.Helper()
		gs := make([]any, len(groups))
		for i, g := range groups {
			fs := make([]any, len(g))
			for j := range g {
				fs[j] = g[j]
			}
			gs[i] = f{"filters": fs}
		}
		return h.must("POST", "/crm/objects/2026-09/contacts/search", f{"filterGroups": gs}, http.StatusOK).body["total"].(float64)
	}
	for _, c := range []struct {
		name   string
		groups [][]f
		want   float64
	}{
		{"EQ ignores case", [][]f{{{"propertyName": "email", "operator": "EQ", "value": "U3@Example.com"}}}, 1},
		{"IN needs lower case", [][]f{{{"propertyName": "email", "operator": "IN", "values": []string{"u1@example.com", "U2@example.com", "nobody@example.com"}}}}, 1},
		{"IN on custom unique", [][]f{{{"propertyName": "syncd_erp_id", "operator": "IN", "values": []string{"c-1", "c-2"}}}}, 2},
		{"AND with another filter", [][]f{{{"propertyName": "email", "operator": "IN", "values": []string{"u1@example.com", "u2@example.com"}}, {"propertyName": "firstname", "operator": "EQ", "value": "n1"}}}, 1},
		{"OR with an unindexed group", [][]f{{{"propertyName": "email", "operator": "EQ", "value": "u1@example.com"}}, {{"propertyName": "firstname", "operator": "EQ", "value": "N0"}}}, 11},
		{"OR of indexed groups", [][]f{{{"propertyName": "email", "operator": "EQ", "value": "u1@example.com"}}, {{"propertyName": "syncd_erp_id", "operator": "EQ", "value": "C-1"}}, {{"propertyName": "syncd_erp_id", "operator": "EQ", "value": "C-4"}}}, 2},
	} {
		if got := total(c.groups...); got != c.want {
			t.Errorf("%s: total %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMergeAndGDPRDelete(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	a := h.create("contacts", map[string]any{"email": "a@example.com", "firstname": "Anan"})
	b := h.create("contacts", map[string]any{"email": "b@example.com", "lastname": "Boonmee", "firstname": "Bee"})
	company := h.create("companies", map[string]any{"name": "M"})
	h.must("PUT", "/crm/objects/2026-09/contacts/"+b+"/associations/default/companies/"+company, nil, http.StatusOK)
	r := h.must("POST", "/crm/objects/2026-09/contacts/merge", map[string]any{"primaryObjectId": a, "objectIdToMerge": b}, http.StatusOK)
	merged := r.body["id"].(string)
	p := props(r.body)
	if merged == a || merged == b || p["firstname"] != "Anan" || p["lastname"] != "Boonmee" || p["email"] != "a@example.com" ||
		p["hs_additional_emails"] != "b@example.com" || p["hs_merged_object_ids"] != a+";"+b {
		t.Errorf("merge result = %s", r.raw)
	}
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+b, nil, http.StatusOK)
	if r.body["id"] != merged {
		t.Errorf("GET merged-away ID = %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/contacts/batch/read", map[string]any{"inputs": []any{map[string]any{"id": a}}}, http.StatusOK)
	if list(r.body, "results")[0].(map[string]any)["id"] != merged {
		t.Errorf("batch read merged-away ID = %s", r.raw)
	}
	if got := typeIDs(t, h, "2026-09", "companies", "contacts", company); len(got) != 1 || got[0] != 280 {
		t.Errorf("association after merge = %v", got)
	}
	r = h.must("GET", "/crm/objects/2026-09/contacts/a@example.com?idProperty=email", nil, http.StatusOK)
	if r.body["id"] != merged {
		t.Errorf("email after merge = %s", r.raw)
	}
	// The absorbed email stays taken and finds the merged contact.
	r = h.must("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{"email": "B@example.com"}}, http.StatusConflict)
	if r.body["message"] != "Contact already exists. Existing ID: "+merged {
		t.Errorf("create with an additional email = %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/contacts/search", map[string]any{"filterGroups": []any{map[string]any{"filters": []any{
		map[string]any{"propertyName": "email", "operator": "EQ", "value": "b@example.com"}}}}}, http.StatusOK)
	if r.body["total"] != 1.0 || list(r.body, "results")[0].(map[string]any)["id"] != merged {
		t.Errorf("search by additional email = %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": "b@example.com", "idProperty": "email", "properties": map[string]any{"jobtitle": "Owner"}}}}, http.StatusOK)
	if res := list(r.body, "results")[0].(map[string]any); res["id"] != merged || res["new"] != false {
		t.Errorf("upsert by additional email = %s", r.raw)
	}
	h.must("POST", "/crm/objects/2026-09/contacts/merge", map[string]any{"primaryObjectId": merged, "objectIdToMerge": a}, http.StatusBadRequest)
	h.must("POST", "/crm/objects/2026-09/products/merge", map[string]any{"primaryObjectId": "1", "objectIdToMerge": "2"}, http.StatusBadRequest)

	h.must("POST", "/crm/objects/2026-09/contacts/gdpr-delete", map[string]any{"objectId": "a@example.com", "idProperty": "email"}, http.StatusNoContent)
	h.must("GET", "/crm/objects/2026-09/contacts/"+merged+"?archived=true", nil, http.StatusNotFound)
	h.must("GET", "/crm/objects/2026-09/contacts/"+merged, nil, http.StatusNotFound)
	h.must("POST", "/crm/objects/2026-09/contacts/gdpr-delete", map[string]any{"objectId": "nobody@example.com", "idProperty": "email"}, http.StatusNoContent)
}

func TestThaiAndSpecialCharacters(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	name := "บริษัท สยาม & ลูก <จำกัด>"
	id := h.create("companies", map[string]any{"name": name})
	r := h.must("GET", "/crm/objects/2026-09/companies/"+id, nil, http.StatusOK)
	if props(r.body)["name"] != name || !strings.Contains(string(r.raw), "สยาม & ลูก <จำกัด>") {
		t.Errorf("name read back as %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/companies/search", map[string]any{"query": "สยาม"}, http.StatusOK)
	if r.body["total"] != 1.0 {
		t.Errorf("Thai query search = %s", r.raw)
	}
}

func TestValidationRulesEnforcedFrom2026_09(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	h.must("PUT", "/crm/property-validations/2026-09/0-1/firstname/rule-type/MAX_LENGTH", map[string]any{"ruleArguments": []string{"5"}}, http.StatusNoContent)
	h.must("PUT", "/crm/property-validations/2026-09/0-1/zip/rule-type/REGEX", map[string]any{"ruleArguments": []string{`^\d{5}$`}}, http.StatusNoContent)
	h.must("PUT", "/crm/property-validations/2026-09/0-1/zip/rule-type/NO_SUCH_RULE", map[string]any{"ruleArguments": []string{}}, http.StatusBadRequest)
	h.must("PUT", "/crm/property-validations/2026-09/0-1/nosuchprop/rule-type/MAX_LENGTH", map[string]any{"ruleArguments": []string{"1"}}, http.StatusNotFound)
	r := h.must("GET", "/crm/property-validations/2026-09/contacts", nil, http.StatusOK)
	if n := len(list(r.body, "results")); n != 2 {
		t.Errorf("rules for contacts = %s", r.raw)
	}
	r = h.must("GET", "/crm/property-validations/2026-03/0-1/zip/rule-type/REGEX", nil, http.StatusOK)
	if r.body["ruleType"] != "REGEX" {
		t.Errorf("REGEX rule = %s", r.raw)
	}
	r = h.must("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{"firstname": "Somchai", "zip": "1050"}}, http.StatusBadRequest)
	if errs := list(r.body, "errors"); len(errs) != 2 || errs[0].(map[string]any)["code"] != "INVALID_PROPERTY_VALUE" {
		t.Errorf("2026-09 create breaking two rules = %s", r.raw)
	}
	h.must("POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{"firstname": "Malee", "zip": "10500"}}, http.StatusCreated)
	// Older versions keep the lax behaviour.
	h.must("POST", "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"firstname": "Somchai", "zip": "1050"}}, http.StatusCreated)
	h.must("POST", "/crm/objects/2026-03/contacts", map[string]any{"properties": map[string]any{"firstname": "Somchai"}}, http.StatusCreated)
}
