package outbox

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/normalize"
)

func TestDecodeProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entity  string
		payload string
		opts    Options
		want    map[string]string
	}{
		{
			name:   "customer full",
			entity: "customer",
			payload: `{"email":" Somchai@Example.CO.TH ","phone":"081-234-5678","first_name":"นายสมชาย","last_name":"ใจดี",
				"company_id":"CO-1","properties":{"lifecyclestage":"customer","hs_lead_status":null,"num_kids":3,"opt_in":true,"tags":["a","b"]}}`,
			want: map[string]string{"email": "somchai@example.co.th", "phone": "+66812345678", "firstname": "สมชาย", "lastname": "ใจดี",
				"lifecyclestage": "customer", "hs_lead_status": "", "num_kids": "3", "opt_in": "true", "tags": "a;b"},
		},
		{
			name:    "customer full name split, salutation configured",
			entity:  "customer",
			payload: `{"name":"ผศ.ดร.สมหญิง ณ อยุธยา","phone":"02-674-6488 ต่อ 12"}`,
			opts:    Options{SalutationProperty: "salutation"},
			want:    map[string]string{"firstname": "สมหญิง", "lastname": "ณ อยุธยา", "salutation": "ผศ.ดร.", "phone": "+6626746488 ext. 12"},
		},
		{
			name:    "customer name without title clears the salutation",
			entity:  "customer",
			payload: `{"first_name":"สมชาย"}`,
			opts:    Options{SalutationProperty: "salutation"},
			want:    map[string]string{"firstname": "สมชาย", "salutation": ""},
		},
		{
			name:    "customer without name fields leaves the salutation alone",
			entity:  "customer",
			payload: `{"last_name":"ใจดี"}`,
			opts:    Options{SalutationProperty: "salutation"},
			want:    map[string]string{"lastname": "ใจดี"},
		},
		{
			name:    "customer empty values clear, absent ones are left alone",
			entity:  "customer",
			payload: `{"email":"","phone":null}`,
			want:    map[string]string{"email": "", "phone": ""},
		},
		{
			name:    "customer empty object",
			entity:  "customer",
			payload: `{}`,
			want:    map[string]string{},
		},
		{
			name:   "company",
			entity: "company",
			payload: `{"name":"บริษัท ปตท. จำกัด (มหาชน)","website":"https://www.pttplc.com/th/","tax_id":"0-1075-44000-10-8",
				"branch":"สำนักงานใหญ่","phone":"0-2537-2000"}`,
			want: map[string]string{"name": "บริษัท ปตท. จำกัด (มหาชน)", "website": "https://www.pttplc.com/th/", "domain": "pttplc.com",
				"syncd_tax_id": "0107544000108", "syncd_branch": "00000", "phone": "+6625372000"},
		},
		{
			name:    "company domain field wins over website, configured tax property",
			entity:  "company",
			payload: `{"domain":"WWW.SCB.CO.TH","website":"https://scb.example.com","tax_id":"0107536000102","branch":"3"}`,
			opts:    Options{TaxIDProperty: "th_tax_id", BranchProperty: "th_branch"},
			want: map[string]string{"domain": "scb.co.th", "website": "https://scb.example.com",
				"th_tax_id": "0107536000102", "th_branch": "00003"},
		},
		{
			name:    "product",
			entity:  "product",
			payload: `{"sku":"SKU-1","name":"กาแฟ","price":450.00,"description":"Arabica","properties":{"hs_cost_of_goods_sold":"300"}}`,
			want:    map[string]string{"hs_sku": "SKU-1", "name": "กาแฟ", "price": "450", "description": "Arabica", "hs_cost_of_goods_sold": "300"},
		},
		{
			name:    "product price as Thai text, name from sku",
			entity:  "product",
			payload: `{"sku":"SKU-2","price":"฿1,234.50"}`,
			want:    map[string]string{"hs_sku": "SKU-2", "name": "SKU-2", "price": "1234.5"},
		},
		{
			name:   "order",
			entity: "order",
			payload: `{"customer_id":"C-1","company_id":"CO-1","name":"SO-1","status":"paid","currency":"thb",
				"created_at":"2026-11-27 14:05","close_date":"27/11/2569",
				"items":[{"line_id":"1","sku":"SKU-1","name":"กาแฟ","quantity":2,"unit_price":450.00,"discount":50},
				         {"line_id":2,"sku":"SKU-2","quantity":"1","unit_price":"฿1,234.50"}]}`,
			want: map[string]string{"dealname": "SO-1", "deal_currency_code": "THB", "createdate": "2026-11-27T07:05:00.000Z",
				"closedate": "2026-11-27T00:00:00.000Z", "amount": "2034.5"},
		},
		{
			name:    "order without name or items",
			entity:  "order",
			payload: `{"status":"open","properties":{"amount":"99"}}`,
			want:    map[string]string{"dealname": "SO-9", "amount": "99"},
		},
		{
			name:    "ticket",
			entity:  "ticket",
			payload: `{"customer_id":"C-1","order_id":"SO-1","subject":"ของเสีย","description":"แก้วแตก\n2 ใบ","status":"open","priority":"high","created_at":"2026-11-27T14:05:00+07:00"}`,
			want: map[string]string{"subject": "ของเสีย", "content": "แก้วแตก\n2 ใบ", "hs_ticket_priority": "HIGH",
				"createdate": "2026-11-27T07:05:00.000Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id := "X-1"
			if tt.entity == "order" {
				id = "SO-9"
			}
			rec, err := Decode(tt.entity, id, "upsert", []byte(tt.payload), tt.opts)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := rec.Properties(); !maps.Equal(got, tt.want) {
				t.Errorf("Properties() =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestDecodeOrder(t *testing.T) {
	t.Parallel()
	rec, err := Decode("order", "SO-1", "", []byte(`{"customer_id":" C-1 ","status":" paid ","items":[
		{"line_id":"1","sku":"SKU-1","name":"กาแฟ","quantity":2,"unit_price":450.00,"discount":50,"description":"คั่วกลาง"},
		{"line_id":"2","name":"ค่าส่ง","quantity":1}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := rec.Order
	if rec.Op != OpUpsert || o.CustomerID != "C-1" || o.Status != "paid" || !o.HasItems || len(o.Items) != 2 || o.Amount != "" {
		t.Fatalf("order = %+v", o)
	}
	it := o.Items[0]
	if it.Key != "SO-1/1" || it.SKU != "SKU-1" || it.Quantity != "2" || it.UnitPrice != "450" || it.Discount != "50" {
		t.Errorf("item 0 = %+v", it)
	}
	want := map[string]string{"name": "กาแฟ", "hs_sku": "SKU-1", "quantity": "2", "price": "450", "discount": "50", "description": "คั่วกลาง"}
	if got := it.Properties(); !maps.Equal(got, want) {
		t.Errorf("item 0 properties = %v, want %v", got, want)
	}
	if got, want := o.Items[1].Properties(), map[string]string{"name": "ค่าส่ง", "quantity": "1"}; !maps.Equal(got, want) {
		t.Errorf("item 1 properties = %v, want %v", got, want)
	}
	if _, ok := o.Properties()["amount"]; ok {
		t.Errorf("amount set although item 2 has no unit price: %v", o.Properties())
	}
}

func TestDecodeRefsAndWarnings(t *testing.T) {
	t.Parallel()
	rec, err := Decode("customer", "C-1", "upsert", []byte(`{"phone":"0812345678/0898765432","company_id":"CO-7"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Customer
	if c.Phone != "+66812345678" || len(c.OtherPhones) != 1 || c.OtherPhones[0] != "+66898765432" || c.CompanyID != "CO-7" {
		t.Errorf("customer = %+v", c)
	}
	wantWarn := `customer C-1: field "phone": "0898765432" was listed after the first number; only the first number is synced to phone`
	if len(rec.Warnings) != 1 || rec.Warnings[0] != wantWarn {
		t.Errorf("warnings = %q, want %q", rec.Warnings, wantWarn)
	}

	rec, err = Decode("company", "CO-1", "upsert", []byte(`{"tax_id":"107544000108"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Company.TaxID != "0107544000108" || len(rec.Warnings) != 1 {
		t.Errorf("company = %+v, warnings %q", rec.Company, rec.Warnings)
	}

	rec, err = Decode("ticket", "T-1", "upsert", []byte(`{"customer_id":"C-1","company_id":"CO-1","order_id":"SO-1"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tk := rec.Ticket; tk.CustomerID != "C-1" || tk.CompanyID != "CO-1" || tk.OrderID != "SO-1" || tk.Subject != "T-1" {
		t.Errorf("ticket = %+v", tk)
	}
}

func TestDecodeDelete(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{"", "null", "{}", `{"anything":1}`, "not json"} {
		rec, err := Decode("company", "CO-1", "delete", []byte(payload), Options{})
		if err != nil {
			t.Fatalf("delete with payload %q: %v", payload, err)
		}
		if rec.Op != OpDelete || rec.Company != nil || rec.Properties() != nil {
			t.Errorf("delete record = %+v", rec)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, entity, erpID, op, payload string
		want                             string
	}{
		{"masked phone", "customer", "C-1001", "upsert", `{"phone":"08x-xxx-5678"}`,
			`customer C-1001: field "phone": "08x-xxx-5678" is a masked number; send the full number or leave phone empty`},
		{"unknown entity", "widget", "W-1", "upsert", `{}`,
			`widget W-1: unknown entity "widget"; use customer, company, product, order or ticket`},
		{"empty erp_id", "customer", " ", "upsert", `{}`,
			`customer  : erp_id is empty; send the ERP's own key of the record`},
		{"erp_id with spaces", "customer", "C-1 ", "upsert", `{}`,
			`customer C-1 : erp_id "C-1 " has spaces around it; trim it: references to the record are matched without them`},
		{"unknown op", "customer", "C-1", "merge", `{}`,
			`customer C-1: unknown op "merge"; use "upsert" or "delete"`},
		{"payload array", "customer", "C-1", "upsert", `[1]`,
			`customer C-1: payload is an array, not a JSON object; the payload must be a JSON object such as {"name": "…"}`},
		{"payload trailing data", "customer", "C-1", "upsert", `{} {}`,
			`customer C-1: payload has data after the JSON object; the payload must be a JSON object such as {"name": "…"}`},
		{"payload empty", "product", "P-1", "upsert", ``,
			`product P-1: payload is empty; the payload must be a JSON object such as {"name": "…"}`},
		{"several fields", "customer", "C-1", "upsert", `{"email":"somchai@","phone":"1175","firstname":"x"}`,
			`customer C-1: field "email": "somchai@" is not valid: an address is local-part@domain; send one valid address or leave email empty` +
				` | field "phone": "1175" is a short code, not a phone number; a hotline cannot be written in E.164; put it in a custom property under "properties"` +
				` | field "firstname": is not a field of customer payloads; known fields: company_id, email, first_name, last_name, name, phone, properties; put other HubSpot properties under "properties"`},
		{"foreign phone", "company", "CO-1", "upsert", `{"phone":"030-0074321"}`,
			`company CO-1: field "phone": "030-0074321" is not valid: no such number in the TH numbering plan; check the number, write a number from another country with + and its country code (+49 30 0074321), or leave phone empty`},
		{"tax id checksum", "company", "CO-1", "upsert", `{"tax_id":"0107544000109"}`,
			`company CO-1: field "tax_id": "0107544000109" is not valid: the check digit (the last one) is wrong; check it for a typing error and send the 13 digits as text, such as "0105536112014"`},
		{"passthrough conflicts", "customer", "C-1", "upsert", `{"properties":{"email":"a@b.co","syncd_erp_id":"x","Bad Name":1,"nested":{"a":1}}}`,
			`customer C-1: field "properties.Bad Name": is not a HubSpot property name; use the property's internal name: lower-case letters, digits and _` +
				` | field "properties.email": is set by syncd; use the payload field email instead` +
				` | field "properties.nested": is an object; send a string, number, boolean, null or an array of those` +
				` | field "properties.syncd_erp_id": is set by syncd; remove it; syncd sets it from erp_id`},
		{"order items", "order", "SO-1", "upsert", `{"items":[{"sku":"A","quantity":-1},{"line_id":"1/2","unit_price":"1,5"},{"line_id":"3"},{"line_id":"3","qty":1}],"close_date":"27/11/69","properties":{"amount":"5","dealstage":"won"}}`,
			`order SO-1: field "close_date": "27/11/69" is ambiguous: a two-digit year could be Buddhist or Gregorian; send four digits` +
				` | field "items[0].line_id": is missing; send the item's id within the order, such as "1"` +
				` | field "items[0].quantity": "-1" is negative; send zero or more` +
				` | field "items[1].line_id": "1/2" contains /; line item keys are <order>/<line_id>; use an id without /` +
				` | field "items[1].unit_price": "1,5" is ambiguous: a comma must group thousands (1,234.50); a decimal comma is not accepted; send a number such as 1234.50` +
				` | field "items[3].line_id": "3" is also the line_id of items[2]; give every item its own line_id` +
				` | field "items[3].qty": is not a field of order payloads; known fields: description, discount, line_id, name, quantity, sku, unit_price; put other HubSpot properties under "properties"` +
				` | field "properties.amount": is set by syncd; remove it; syncd sets it from items` +
				` | field "properties.dealstage": is set by syncd; remove it; syncd sets it from status`},
		{"ticket", "ticket", "T-1", "upsert", `{"priority":"highest","created_at":"yesterday","status":{"a":1}}`,
			`ticket T-1: field "status": is an object; send a string` +
				` | field "priority": "HIGHEST" is not a ticket priority; send LOW, MEDIUM, HIGH or URGENT (or CRITICAL for URGENT)` +
				` | field "created_at": "yesterday" is not valid: use RFC 3339, such as 2026-11-27T14:05:00+07:00`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec, err := Decode(tt.entity, tt.erpID, tt.op, []byte(tt.payload), Options{})
			if err == nil {
				t.Fatalf("Decode = %+v, want error", rec)
			}
			if err.Error() != tt.want {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || len(AsFieldErrors(err)) == 0 {
				t.Errorf("error %T is not a *FieldError", err)
			}
		})
	}
}

func TestFieldErrorsIs(t *testing.T) {
	t.Parallel()
	_, err := Decode("customer", "C-1", "upsert", []byte(`{"phone":"******5678"}`), Options{})
	if !errors.Is(err, normalize.ErrMasked) {
		t.Errorf("errors.Is(%v, ErrMasked) = false", err)
	}
	if es := AsFieldErrors(err); len(es) != 1 || es[0].Field != "phone" || es[0].Value != "******5678" {
		t.Errorf("AsFieldErrors = %+v", es)
	}
}

func TestOptionsFromConfig(t *testing.T) {
	t.Parallel()
	got := OptionsFromConfig(config.Sync{DefaultRegion: "de", TaxIDProperty: "th_tax_id"})
	if got.DefaultRegion != "DE" || got.TaxIDProperty != "th_tax_id" || got.ERPIDProperty != DefaultERPIDProperty || got.BranchProperty != DefaultBranchProperty {
		t.Errorf("OptionsFromConfig = %+v", got)
	}
	rec, err := Decode("customer", "C-1", "upsert", []byte(`{"phone":"030 0074321"}`), got)
	if err != nil || rec.Customer.Phone != "+49300074321" {
		t.Errorf("German number under DE: %+v, %v", rec, err)
	}
}

func TestShortenValue(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ก", 100)
	_, err := Decode("customer", "C-1", "upsert", []byte(`{"email":"`+long+`"}`), Options{})
	es := AsFieldErrors(err)
	if len(es) != 1 || len([]rune(es[0].Value)) != 60 || !strings.HasSuffix(es[0].Value, "…") {
		t.Errorf("value = %q", es[0].Value)
	}
}

// TestDecodeOrderAmount checks the order amount: the exact sum of the items'
// quantity × (unit_price − discount), discount being per unit.
func TestDecodeOrderAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ q, p, d, want string }{
		{"12", "14.00", "0", "168"},
		{"50", "9.50", "", "475"},
		{"3", "10", "0.5", "28.5"},
		{"35", "9.65", "1.4475", "287.0875"},
	} {
		payload := fmt.Sprintf(`{"items":[{"line_id":"1","quantity":%q,"unit_price":%q,"discount":%q}]}`, tc.q, tc.p, tc.d)
		rec, err := Decode("order", "SO-1", "", []byte(payload), Options{})
		if err != nil || rec.Order.Amount != tc.want || rec.Order.Properties()["amount"] != tc.want {
			t.Errorf("amount of %s × (%s − %s) = %q, %v; want %q", tc.q, tc.p, tc.d, orderAmount(rec), err, tc.want)
		}
	}
	rec, err := Decode("order", "SO-1", "", []byte(`{"items":[
		{"line_id":"1","quantity":12,"unit_price":"14.00"},
		{"line_id":"2","quantity":3,"unit_price":10,"discount":0.5},
		{"line_id":"3","quantity":1,"unit_price":0.1},
		{"line_id":"4","quantity":1,"unit_price":0.2}]}`), Options{})
	if err != nil || rec.Order.Amount != "196.8" {
		t.Errorf("amount of four items = %q, %v; want 196.8", orderAmount(rec), err)
	}
	if _, err := Decode("order", "SO-1", "", []byte(`{"items":[{"line_id":"1","quantity":"x","unit_price":1}]}`), Options{}); err == nil {
		t.Error("an item with a non-number quantity: no error")
	}
}

func orderAmount(rec *Record) string {
	if rec == nil || rec.Order == nil {
		return ""
	}
	return rec.Order.Amount
}
