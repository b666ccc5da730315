package emulator_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/syncd/syncd/internal/emulator"
)

// typeIDs reads the association type IDs from a v4/date-versioned batch read.
func typeIDs(t *testing.T, h *emuHarness, ver, from, to, id string) []float64 {
	t.Helper()
	prefix := "/crm/associations/" + ver
	if ver == "v4" {
		prefix = "/crm/v4/associations"
	}
	r := h.must("POST", prefix+"/"+from+"/"+to+"/batch/read", map[string]any{"inputs": []any{map[string]any{"id": id}}}, http.StatusOK)
	res := list(r.body, "results")
	if len(res) != 1 {
		t.Fatalf("batch read %s→%s of %s: %s", from, to, id, r.raw)
	}
	var out []float64
	for _, x := range list(res[0].(map[string]any), "to") {
		for _, at := range list(x.(map[string]any), "associationTypes") {
			out = append(out, at.(map[string]any)["typeId"].(float64))
		}
	}
	return out
}

func TestAssociationTypeIDsBothWays(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	contact := h.create("contacts", map[string]any{"email": "c@example.com"})
	company := h.create("companies", map[string]any{"name": "Siam Co"})
	deal := h.create("deals", map[string]any{"dealname": "D", "dealstage": "appointmentscheduled"})
	ticket := h.create("tickets", map[string]any{"subject": "T", "hs_pipeline_stage": "1"})

	h.must("PUT", "/crm/objects/2026-09/contacts/"+contact+"/associations/default/companies/"+company, nil, http.StatusOK)
	if got := typeIDs(t, h, "2026-09", "contacts", "companies", contact); len(got) != 1 || got[0] != 279 {
		t.Errorf("contact→company types = %v, want [279]", got)
	}
	if got := typeIDs(t, h, "v4", "0-2", "0-1", company); len(got) != 1 || got[0] != 280 {
		t.Errorf("company→contact types = %v, want [280]", got)
	}
	count := func() any {
		r := h.must("GET", "/crm/objects/2026-09/companies/"+company+"?properties=num_associated_contacts", nil, http.StatusOK)
		return props(r.body)["num_associated_contacts"]
	}
	if got := count(); got != "1" {
		t.Errorf("num_associated_contacts = %v, want 1", got)
	}
	// Primary: labeled type 1 brings 279 along; the reverse is 2 and 280.
	r := h.must("PUT", "/crm/objects/2026-09/contacts/"+contact+"/associations/companies/"+company,
		[]any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}}, http.StatusCreated)
	if l := list(r.body, "labels"); len(l) != 1 || l[0] != "Primary" || r.body["fromObjectTypeId"] != "0-1" {
		t.Errorf("labeled PUT = %s", r.raw)
	}
	if got := typeIDs(t, h, "2026-03", "companies", "contacts", company); len(got) != 2 || got[0] != 2 || got[1] != 280 {
		t.Errorf("company→contact after primary = %v, want [2 280]", got)
	}
	// Batch create of deal→contact (3) shows 4 from the contact.
	r = h.must("POST", "/crm/associations/2026-09/deals/contacts/batch/create", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": deal}, "to": map[string]any{"id": contact}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}}},
	}}, http.StatusOK)
	if got := typeIDs(t, h, "2026-09", "contacts", "deals", contact); len(got) != 1 || got[0] != 4 {
		t.Errorf("contact→deal = %v, want [4]", got)
	}
	// v4 batch create answers 201; a wrong type for the pair is a per-input error (207).
	h.must("POST", "/crm/v4/associations/tickets/deals/batch/create", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": ticket}, "to": map[string]any{"id": deal}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 28}}},
	}}, http.StatusCreated)
	if got := typeIDs(t, h, "v4", "deals", "tickets", deal); len(got) != 1 || got[0] != 27 {
		t.Errorf("deal→ticket = %v, want [27]", got)
	}
	r = h.must("POST", "/crm/v4/associations/tickets/deals/batch/create", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": ticket}, "to": map[string]any{"id": deal}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}}},
		map[string]any{"from": map[string]any{"id": ticket}, "to": map[string]any{"id": "999"}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 28}}},
	}}, http.StatusMultiStatus)
	if r.body["numErrors"] != 2.0 {
		t.Errorf("bad associations = %s", r.raw)
	}
	// Labels list per pair, with HubSpot-defined IDs.
	r = h.must("GET", "/crm/associations/2026-09/companies/deals/labels", nil, http.StatusOK)
	ids := map[float64]bool{}
	for _, x := range list(r.body, "results") {
		ids[x.(map[string]any)["typeId"].(float64)] = true
	}
	if !ids[342] || !ids[6] || len(ids) != 2 {
		t.Errorf("company→deal labels = %s", r.raw)
	}
	// Object read with ?associations= shows v3-style type names.
	r = h.must("GET", "/crm/objects/2026-09/contacts/"+contact+"?associations=companies,deals", nil, http.StatusOK)
	assoc := r.body["associations"].(map[string]any)
	if n := len(list(assoc["companies"].(map[string]any), "results")); n != 2 {
		t.Errorf("inline companies = %v", assoc)
	}
	// Removing the unlabeled type removes every label of the pair.
	r = h.must("POST", "/crm/associations/2026-09/contacts/companies/batch/labels/archive", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": contact}, "to": map[string]any{"id": company}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}}},
	}}, http.StatusOK)
	r = h.must("POST", "/crm/associations/2026-09/contacts/companies/batch/read", map[string]any{"inputs": []any{map[string]any{"id": contact}}}, http.StatusOK)
	if r.body["numErrors"] != 1.0 {
		t.Errorf("read after archive = %s", r.raw)
	}
	if got := count(); got != "0" {
		t.Errorf("num_associated_contacts after archive = %v, want 0", got)
	}
	h.must("POST", "/crm/v4/associations/deals/contacts/batch/archive", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": deal}, "to": []any{map[string]any{"id": contact}}},
	}}, http.StatusNoContent)
}

func TestCustomAssociationLabels(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	r := h.must("POST", "/crm/associations/2026-09/contacts/companies/labels", map[string]any{"name": "billing_contact", "label": "Billing contact", "inverseLabel": "Billed company"}, http.StatusOK)
	res := list(r.body, "results")
	if len(res) != 2 {
		t.Fatalf("label create = %s", r.raw)
	}
	typeID := res[0].(map[string]any)["typeId"].(float64)
	inverse := res[1].(map[string]any)["typeId"].(float64)
	contact := h.create("contacts", map[string]any{"email": "l@example.com"})
	company := h.create("companies", map[string]any{"name": "L"})
	h.must("POST", "/crm/associations/2026-09/contacts/companies/batch/create", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": contact}, "to": map[string]any{"id": company}, "types": []any{map[string]any{"associationCategory": "USER_DEFINED", "associationTypeId": typeID}}},
	}}, http.StatusOK)
	got := typeIDs(t, h, "2026-09", "companies", "contacts", company)
	if len(got) != 2 || got[0] != 280 || got[1] != inverse {
		t.Errorf("company→contact with custom label = %v, want [280 %v]", got, inverse)
	}
	h.must("DELETE", "/crm/associations/2026-09/contacts/companies/labels/"+itoa(typeID), nil, http.StatusNoContent)
	if got := typeIDs(t, h, "2026-09", "companies", "contacts", company); len(got) != 1 {
		t.Errorf("after label delete = %v", got)
	}
}

func itoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestInlineAssociationsAndLineItems(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true, DealAmountFromLineItems: true})
	product := h.create("products", map[string]any{"name": "Durian", "price": "450.00", "hs_sku": "D-1"})
	deal := h.create("deals", map[string]any{"dealname": "Order", "dealstage": "appointmentscheduled", "amount": "1"})
	toDeal := []any{map[string]any{"to": map[string]any{"id": deal}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}}}}
	r := h.must("POST", "/crm/objects/2026-09/line_items", map[string]any{
		"properties":   map[string]any{"hs_product_id": product, "quantity": 2, "discount": "25"},
		"associations": toDeal,
	}, http.StatusCreated)
	li := props(r.body)
	if li["name"] != "Durian" || li["price"] != "450.00" || li["amount"] != "850.00" {
		t.Errorf("line item from product = %v", li)
	}
	liID := r.body["id"].(string)
	if got := typeIDs(t, h, "2026-09", "deals", "line_items", deal); len(got) != 1 || got[0] != 19 {
		t.Errorf("deal→line item = %v, want [19]", got)
	}
	r = h.must("GET", "/crm/objects/2026-09/deals/"+deal+"?properties=amount,hs_tcv", nil, http.StatusOK)
	if p := props(r.body); p["amount"] != "850.00" || p["hs_tcv"] != "850.00" {
		t.Errorf("deal after line item = %v", p)
	}
	// Price given on the line item overrides the product's; percentage discount.
	h.must("PATCH", "/crm/objects/2026-09/line_items/"+liID, map[string]any{"properties": map[string]any{"price": "100", "discount": "", "hs_discount_percentage": "10"}}, http.StatusOK)
	r = h.must("GET", "/crm/objects/2026-09/deals/"+deal+"?properties=amount", nil, http.StatusOK)
	if p := props(r.body); p["amount"] != "180.00" {
		t.Errorf("deal amount after update = %v", p)
	}
	// A line item belongs to one deal.
	other := h.create("deals", map[string]any{"dealname": "Other", "dealstage": "appointmentscheduled"})
	h.must("PUT", "/crm/objects/2026-09/line_items/"+liID+"/associations/default/deals/"+other, nil, http.StatusBadRequest)
	// Inline association to a missing record fails the create.
	r = h.must("POST", "/crm/objects/2026-09/line_items", map[string]any{"properties": map[string]any{"name": "x", "price": "1"},
		"associations": []any{map[string]any{"to": map[string]any{"id": "1"}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}}}}}, http.StatusBadRequest)
	if r.body["message"] != "One or more associations are invalid" {
		t.Errorf("invalid association body = %s", r.raw)
	}
	h.must("POST", "/crm/objects/2026-09/line_items", map[string]any{"properties": map[string]any{"hs_product_id": "123"}}, http.StatusBadRequest)
	// Archiving the deal archives its line items.
	h.must("DELETE", "/crm/objects/2026-09/deals/"+deal, nil, http.StatusNoContent)
	h.must("GET", "/crm/objects/2026-09/line_items/"+liID, nil, http.StatusNotFound)
}

func TestDealAmountSettingOffByDefault(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	deal := h.create("deals", map[string]any{"dealname": "Order", "dealstage": "appointmentscheduled", "amount": "7"})
	h.must("POST", "/crm/objects/2026-09/line_items", map[string]any{"properties": map[string]any{"name": "x", "price": "10", "quantity": "3"},
		"associations": []any{map[string]any{"to": map[string]any{"id": deal}, "types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}}}}}, http.StatusCreated)
	r := h.must("GET", "/crm/objects/2026-09/deals/"+deal+"?properties=amount,hs_tcv", nil, http.StatusOK)
	if p := props(r.body); p["amount"] != "7" || p["hs_tcv"] != "30.00" {
		t.Errorf("deal = %v, want amount untouched and hs_tcv 30.00", p)
	}
}

func TestV3Associations(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	contact := h.create("contacts", map[string]any{"email": "v3@example.com"})
	company := h.create("companies", map[string]any{"name": "V3"})
	h.must("POST", "/crm/v3/associations/contacts/companies/batch/create", map[string]any{"inputs": []any{
		map[string]any{"from": map[string]any{"id": contact}, "to": map[string]any{"id": company}, "type": "contact_to_company_unlabeled"},
	}}, http.StatusCreated)
	r := h.must("POST", "/crm/v3/associations/companies/contacts/batch/read", map[string]any{"inputs": []any{map[string]any{"id": company}}}, http.StatusOK)
	to := list(list(r.body, "results")[0].(map[string]any), "to")
	if len(to) != 1 || to[0].(map[string]any)["type"] != "company_to_contact_unlabeled" {
		t.Errorf("v3 read = %s", r.raw)
	}
	r = h.must("GET", "/crm/v3/associations/contacts/companies/types", nil, http.StatusOK)
	if len(list(r.body, "results")) != 2 {
		t.Errorf("v3 types = %s", r.raw)
	}
}

func TestAssociationLimits(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	h.must("POST", "/crm/associations/2026-09/definitions/configurations/contacts/companies/batch/create", map[string]any{"inputs": []any{
		map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 2},
	}}, http.StatusOK)
	r := h.must("POST", "/crm/associations/2026-03/definitions/configurations/contacts/companies/batch/create", map[string]any{"inputs": []any{
		map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 3},
		map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 1, "maxToObjectIds": 0},
	}}, http.StatusMultiStatus)
	if r.body["numErrors"] != 2.0 {
		t.Errorf("second create = %s", r.raw)
	}
	r = h.must("GET", "/crm/v4/associations/definitions/configurations/contacts/companies", nil, http.StatusOK)
	found := false
	for _, x := range list(r.body, "results") {
		m := x.(map[string]any)
		if m["typeId"] == 279.0 && m["userEnforcedMaxToObjectIds"] == 2.0 {
			found = true
		}
	}
	if !found {
		t.Errorf("configured limit not listed: %s", r.raw)
	}
	contact := h.create("contacts", map[string]any{"email": "lim@example.com"})
	for i := 0; i < 3; i++ {
		company := h.create("companies", map[string]any{"name": fmt.Sprint("C", i)})
		want := http.StatusOK
		if i == 2 {
			want = http.StatusBadRequest
		}
		h.must("PUT", "/crm/objects/2026-09/contacts/"+contact+"/associations/default/companies/"+company, nil, want)
	}
	h.must("POST", "/crm/associations/v4/definitions/configurations/contacts/companies/batch/purge", map[string]any{"inputs": []any{
		map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 279},
	}}, http.StatusNoContent)
	company := h.create("companies", map[string]any{"name": "after purge"})
	h.must("PUT", "/crm/objects/2026-09/contacts/"+contact+"/associations/default/companies/"+company, nil, http.StatusOK)
}

func TestAssociationListPaging(t *testing.T) {
	t.Parallel()
	h := startEmu(t, emulator.Options{DisableRateLimits: true})
	contact := h.create("contacts", map[string]any{"email": "p@example.com"})
	var companies []string
	for i := 0; i < 5; i++ {
		c := h.create("companies", map[string]any{"name": fmt.Sprint("P", i)})
		companies = append(companies, c)
		h.must("PUT", "/crm/v4/objects/contacts/"+contact+"/associations/default/companies/"+c, nil, http.StatusOK)
	}
	got := h.pageAll("/crm/objects/2026-03/contacts/"+contact+"/associations/companies?limit=2&after=", "toObjectId", 5)
	if fmt.Sprint(got) != fmt.Sprint(companies) {
		t.Errorf("paged associations = %v, want %v", got, companies)
	}
}
