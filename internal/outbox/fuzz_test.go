package outbox

import (
	"testing"
)

// FuzzDecode checks that any payload either decodes or fails with field
// errors, and never panics.
func FuzzDecode(f *testing.F) {
	f.Add("customer", `{"email":"a@b.co","phone":"081-234-5678","name":"นายสมชาย ใจดี"}`)
	f.Add("company", `{"tax_id":"0107544000108","branch":"สาขาที่ 3","website":"www.ss.co.th"}`)
	f.Add("order", `{"items":[{"line_id":1,"quantity":"2","unit_price":"฿1,234.50"}],"close_date":"27 พ.ย. 2569"}`)
	f.Add("ticket", `{"priority":"high","properties":{"a":[1,true,"x"]}}`)
	f.Add("product", `{"price":1e309}`)
	f.Fuzz(func(t *testing.T, entity, payload string) {
		rec, err := Decode(entity, "K-1", "upsert", []byte(payload), Options{})
		if err != nil {
			if len(AsFieldErrors(err)) == 0 {
				t.Fatalf("error %T %v is not a field error", err, err)
			}
			return
		}
		if rec.Properties() == nil {
			t.Fatalf("upsert record without properties: %+v", rec)
		}
	})
}
