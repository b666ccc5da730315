package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/emulator"
)

// asUser sends a request acting as HubSpot user (UserHeader).
func (h *emuHarness) asUser(user, method, path string, body any) reply {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(emulator.UserHeader, user)
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatal(err)
		}
	}
	return r
}

// lastMod reads a record's last-modified property and updatedAt.
func (h *emuHarness) lastMod(objectType, prop, id string) (string, string) {
	h.t.Helper()
	r := h.must("GET", "/crm/objects/2026-09/"+objectType+"/"+id+"?properties="+prop, nil, http.StatusOK)
	p, _ := props(r.body)[prop].(string)
	u, _ := r.body["updatedAt"].(string)
	return p, u
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func TestLastModifiedOnEveryWrite(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	step := func() string { h.clock.Advance(7 * time.Millisecond); return stamp(h.clock.Now()) }
	check := func(what, objectType, prop, id, want string) {
		t.Helper()
		got, updated := h.lastMod(objectType, prop, id)
		if got != want || updated != want {
			t.Errorf("after %s: %s = %q, updatedAt %q; want both %q", what, prop, got, updated, want)
		}
	}
	created := stamp(h.clock.Now())
	id := h.create("contacts", map[string]any{"email": "a@example.com"})
	company := h.create("companies", map[string]any{"name": "Acme"})
	check("create", "contacts", "lastmodifieddate", id, created)

	want := step()
	h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"phone": "+6621234567"}}, http.StatusOK)
	check("update", "contacts", "lastmodifieddate", id, want)

	want = step()
	h.must("POST", "/crm/objects/2026-09/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": id, "properties": map[string]any{"firstname": "Ann"}}}}, http.StatusOK)
	check("batch update", "contacts", "lastmodifieddate", id, want)

	want = step()
	h.must("POST", "/crm/objects/2026-09/contacts/batch/upsert", map[string]any{"inputs": []any{
		map[string]any{"id": "a@example.com", "idProperty": "email", "properties": map[string]any{"lastname": "Lee"}}}}, http.StatusOK)
	check("batch upsert", "contacts", "lastmodifieddate", id, want)

	// HubSpot does not count an association as a change of the record.
	step()
	h.must("PUT", "/crm/objects/2026-09/contacts/"+id+"/associations/default/companies/"+company, nil, http.StatusOK)
	check("association", "contacts", "lastmodifieddate", id, want)

	other := h.create("companies", map[string]any{"name": "Acme Ltd"})
	want = step()
	merged := h.must("POST", "/crm/objects/2026-09/companies/merge", map[string]any{"primaryObjectId": company, "objectIdToMerge": other}, http.StatusOK)
	survivor := merged.body["id"].(string)
	check("merge", "companies", "hs_lastmodifieddate", survivor, want)
	r := h.must("GET", "/crm/objects/2026-09/companies/"+survivor+"?properties=hs_merged_object_ids", nil, http.StatusOK)
	if got := props(r.body)["hs_merged_object_ids"]; got != company+";"+other {
		t.Errorf("merged survivor hs_merged_object_ids = %v, want %s;%s", got, company, other)
	}
}

func TestSearchByLastModified(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	var ids []string
	var times []time.Time
	for i := range 5 {
		times = append(times, h.clock.Now())
		ids = append(ids, h.create("deals", map[string]any{"dealname": fmt.Sprint("D", i), "dealstage": "appointmentscheduled", "pipeline": "default"}))
		h.clock.Advance(time.Millisecond)
	}
	ms := func(i int) string { return strconv.FormatInt(times[i].UnixMilli(), 10) }
	type f = map[string]any
	search := func(filters ...f) []string {
		t.Helper()
		fs := make([]any, len(filters))
		for i := range filters {
			fs[i] = filters[i]
		}
		r := h.must("POST", "/crm/objects/2026-09/deals/search", f{"filterGroups": []any{f{"filters": fs}},
			"sorts": []any{f{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}}, "limit": 200}, http.StatusOK)
		var out []string
		for _, x := range list(r.body, "results") {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		return out
	}
	eq := func(what string, got, want []string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	// Millisecond precision: each bound falls on one record's time.
	eq("GTE", search(f{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": ms(2)}), ids[2:])
	eq("LT", search(f{"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": ms(2)}), ids[:2])
	eq("BETWEEN", search(f{"propertyName": "hs_lastmodifieddate", "operator": "BETWEEN", "value": ms(1), "highValue": ms(3)}), ids[1:4])
	eq("GTE as ISO 8601", search(f{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": stamp(times[3])}), ids[3:])
	// A change moves the record to the end of an ascending sort.
	h.must("PATCH", "/crm/objects/2026-09/deals/"+ids[0], f{"properties": f{"amount": "10"}}, http.StatusOK)
	eq("after a change", search(f{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": ms(0)}), append(append([]string{}, ids[1:]...), ids[0]))
}

func TestSearchReachesTenThousandResults(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	const n = 10050
	for i := 0; i < n; i += 100 {
		inputs := []any{}
		for j := i; j < min(i+100, n); j++ {
			inputs = append(inputs, map[string]any{"properties": map[string]any{"name": fmt.Sprint("P", j), "hs_sku": fmt.Sprint("s", j), "price": "1"}})
		}
		h.must("POST", "/crm/objects/2026-09/products/batch/create", map[string]any{"inputs": inputs}, http.StatusCreated)
	}
	page := func(after int, want int) reply {
		t.Helper()
		return h.must("POST", "/crm/objects/2026-09/products/search", map[string]any{"limit": 200, "after": strconv.Itoa(after)}, want)
	}
	r := page(9800, http.StatusOK)
	if got, total := len(list(r.body, "results")), r.body["total"]; got != 200 || total != float64(n) || r.body["paging"] != nil {
		t.Errorf("page at 9800: %d results, total %v, paging %v; want 200, %d and no next page (the 10,000th result is the last)", got, total, r.body["paging"], n)
	}
	page(9999, http.StatusOK)
	r = page(10000, http.StatusBadRequest)
	if r.body["category"] != "VALIDATION_ERROR" {
		t.Errorf("after=10000: %s, want a VALIDATION_ERROR", r.raw)
	}
}

func TestActingAsUser(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	r := h.asUser("7001", "POST", "/crm/objects/2026-09/contacts", map[string]any{"properties": map[string]any{"email": "u@example.com"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create as user: %d %s", r.status, r.raw)
	}
	p := props(r.body)
	id := r.body["id"].(string)
	if p["hs_created_by_user_id"] != "7001" || p["hs_updated_by_user_id"] != "7001" || p["hs_object_source"] != "CRM_UI" {
		t.Errorf("created as user 7001: %v; want created and updated by 7001, source CRM_UI", p)
	}
	// An integration's write has no user.
	u := h.must("PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"phone": "+6621234567"}}, http.StatusOK)
	if got, ok := props(u.body)["hs_updated_by_user_id"]; ok && got != nil {
		t.Errorf("after an integration's write hs_updated_by_user_id = %v, want none", got)
	}
	g := h.must("GET", "/crm/objects/2026-09/contacts/"+id+"?propertiesWithHistory=phone,email", nil, http.StatusOK)
	hist := g.body["propertiesWithHistory"].(map[string]any)
	if e := hist["email"].([]any)[0].(map[string]any); e["sourceType"] != "CRM_UI" || e["updatedByUserId"] != float64(7001) {
		t.Errorf("email history %v, want by user 7001 from CRM_UI", e)
	}
	if e := hist["phone"].([]any)[0].(map[string]any); e["sourceType"] != "API" || e["updatedByUserId"] != nil {
		t.Errorf("phone history %v, want from API without a user", e)
	}
	for _, bad := range []string{"ann", "0", "-3"} {
		if r := h.asUser(bad, "PATCH", "/crm/objects/2026-09/contacts/"+id, map[string]any{"properties": map[string]any{"phone": ""}}); r.status != http.StatusBadRequest {
			t.Errorf("%s %q: status %d, want 400", emulator.UserHeader, bad, r.status)
		}
	}
}
