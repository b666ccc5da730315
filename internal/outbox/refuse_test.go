package outbox

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Values HubSpot would refuse after the upload are refused before any
// call, with a message that says what to send.
func TestDecodeRefusesLocally(t *testing.T) {
	t.Parallel()
	mb := strings.Repeat("a", 1<<20)
	tests := []struct {
		name, entity, payload, want string
	}{
		{"1 MB first_name", "customer", `{"first_name":"` + mb + `"}`,
			`customer C-1: field "first_name": is 1048576 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		{"long Thai description", "product", `{"description":"` + strings.Repeat("ก", 65537) + `"}`,
			`product C-1: field "description": is 65537 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		// An emoji is two UTF-16 code units: 32,769 of them are 65,538.
		{"emoji count twice", "ticket", `{"description":"` + strings.Repeat("😀", 32769) + `"}`,
			`ticket C-1: field "description": is 65538 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		{"long passthrough", "company", `{"properties":{"about_us":"` + mb + `"}}`,
			`company C-1: field "properties.about_us": is 1048576 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		{"long passthrough list", "company", `{"properties":{"tags":["` + strings.Repeat("x", 40000) + `","` + strings.Repeat("y", 40000) + `"]}}`,
			`company C-1: field "properties.tags": is 80001 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		{"long item name", "order", `{"items":[{"line_id":"1","name":"` + mb + `"}]}`,
			`order C-1: field "items[0].name": is 1048576 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters`},
		{"tax ID as a JSON float", "company", `{"tax_id":105536000000.0}`,
			`company C-1: field "tax_id": is the JSON number 105536000000.0; a number loses the leading 0 of a tax ID; send the tax ID as text, such as "0105536112014"`},
		{"tax ID as a JSON integer", "company", `{"tax_id":105536112014}`,
			`company C-1: field "tax_id": is the JSON number 105536112014; a number loses the leading 0 of a tax ID; send the tax ID as text, such as "0105536112014"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, err := Decode(tt.entity, "C-1", "upsert", []byte(tt.payload), Options{})
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", rec)
			}
			if err.Error() != tt.want {
				t.Errorf("error =\n%.300s\nwant\n%s", err, tt.want)
			}
		})
	}

	// At the limit, and a tax ID sent as text, pass.
	rec, err := Decode("customer", "C-1", "upsert", []byte(`{"first_name":"`+strings.Repeat("ก", 65536)+`"}`), Options{})
	if err != nil || len([]rune(rec.Customer.FirstName)) != 65536 {
		t.Errorf("65,536 characters: %v", err)
	}
	rec, err = Decode("company", "CO-1", "upsert", []byte(`{"tax_id":"0105536112014"}`), Options{})
	if err != nil || rec.Company.TaxID != "0105536112014" {
		t.Errorf("tax ID as text: %+v, %v", rec, err)
	}
}

// With SkipInvalidFields, refused values of a record's own fields are left
// out and listed; the rest of the record is written. Fields that identify
// the record, references, items, required names and the payload's shape
// still fail it.
func TestDecodeSkipInvalidFields(t *testing.T) {
	t.Parallel()
	skip := Options{SkipInvalidFields: true}
	tests := []struct {
		name, entity, payload string
		props                 map[string]string // properties written
		skipped               []string          // the fields left out
	}{
		{"masked phone", "customer", `{"email":"somchai@example.co.th","phone":"08x-xxx-5678","first_name":"สมชาย"}`,
			map[string]string{"email": "somchai@example.co.th", "firstname": "สมชาย"}, []string{"phone"}},
		{"bad tax ID and branch", "company", `{"name":"บริษัท ตัวอย่าง จำกัด","tax_id":"0107544000109","branch":"สาขาใหม่","domain":"example.co.th"}`,
			map[string]string{"name": "บริษัท ตัวอย่าง จำกัด", "domain": "example.co.th"}, []string{"tax_id", "branch"}},
		{"tax ID as a number", "company", `{"name":"Siam","tax_id":105536000000.0}`,
			map[string]string{"name": "Siam"}, []string{"tax_id"}},
		{"website without a domain", "company", `{"name":"Siam","website":"not a web address"}`,
			map[string]string{"name": "Siam"}, []string{"website"}},
		{"long first name", "customer", `{"email":"a@example.co.th","first_name":"` + strings.Repeat("a", 70000) + `","last_name":"ใจดี"}`,
			map[string]string{"email": "a@example.co.th", "lastname": "ใจดี"}, []string{"first_name"}},
		{"long passthrough value", "customer", `{"email":"a@example.co.th","properties":{"notes":"` + strings.Repeat("a", 70000) + `","jobtitle":"ผู้จัดการ"}}`,
			map[string]string{"email": "a@example.co.th", "jobtitle": "ผู้จัดการ"}, []string{"properties.notes"}},
		{"order dates and currency", "order", `{"customer_id":"C-1","currency":"baht","close_date":"27/11/69","status":"open"}`,
			map[string]string{"dealname": "X-1"}, []string{"currency", "close_date"}},
		{"ticket priority", "ticket", `{"subject":"ขอใบกำกับภาษี","priority":"highest"}`,
			map[string]string{"subject": "ขอใบกำกับภาษี"}, []string{"priority"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Decode(tt.entity, "X-1", "upsert", []byte(tt.payload), Options{}); err == nil {
				t.Fatal("the default policy accepted the payload")
			}
			rec, err := Decode(tt.entity, "X-1", "upsert", []byte(tt.payload), skip)
			if err != nil {
				t.Fatalf("Decode with skip: %v", err)
			}
			if got := rec.Properties(); !maps.Equal(got, tt.props) {
				t.Errorf("properties = %v, want %v", got, tt.props)
			}
			var fields []string
			for _, fe := range rec.Skipped {
				fields = append(fields, fe.Field)
				if !strings.HasPrefix(fe.Error(), tt.entity+" X-1: field ") {
					t.Errorf("skipped field message %q", fe)
				}
			}
			if !slices.Equal(fields, tt.skipped) {
				t.Errorf("skipped %v, want %v", fields, tt.skipped)
			}
		})
	}

	for name, tc := range map[string]struct{ entity, payload, field string }{
		"customer email":     {"customer", `{"email":"somchai@","phone":"08x-xxx-5678"}`, "email"},
		"reference":          {"customer", `{"company_id":{"id":"CO-1"}}`, "company_id"},
		"product SKU":        {"product", `{"sku":["A","B"],"price":"-1"}`, "sku"},
		"order item":         {"order", `{"items":[{"line_id":"1","quantity":"1,5"}]}`, "items[0].quantity"},
		"required deal name": {"order", `{"name":"` + strings.Repeat("a", 70000) + `"}`, "name"},
		"unknown field":      {"customer", `{"firstname":"x","phone":"08x-xxx-5678"}`, "firstname"},
		"reserved property":  {"customer", `{"properties":{"email":"a@b.co"}}`, "properties.email"},
	} {
		t.Run("fails/"+name, func(t *testing.T) {
			t.Parallel()
			rec, err := Decode(tc.entity, "X-1", "upsert", []byte(tc.payload), skip)
			if err == nil {
				t.Fatalf("Decode with skip = %+v, want the row to fail on %s", rec, tc.field)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("field %q", tc.field)) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		entity, op, payload string
		want                []Reference
	}{
		{"customer", "upsert", `{"company_id":" CO-1 "}`, []Reference{{EntityCompany, "CO-1", false}}},
		{"order", "", `{"customer_id":"C-1","company_id":"CO-1","items":[{"sku":"A"},{"line_id":"2"},{"sku":7}]}`,
			[]Reference{{EntityCompany, "CO-1", false}, {EntityCustomer, "C-1", false}, {EntityProduct, "A", true}, {EntityProduct, "7", true}}},
		{"ticket", "upsert", `{"customer_id":"C-1","order_id":"SO-1","priority":"bad"}`,
			[]Reference{{EntityCustomer, "C-1", false}, {EntityOrder, "SO-1", false}}},
		{"ticket", "delete", `{"customer_id":"C-1"}`, nil},
		{"company", "upsert", `{"name":"x"}`, nil},
		{"order", "upsert", `not json`, nil},
	} {
		if got := References(tc.entity, tc.op, []byte(tc.payload)); !slices.Equal(got, tc.want) {
			t.Errorf("References(%s %s) = %v, want %v", tc.entity, tc.payload, got, tc.want)
		}
	}
}
