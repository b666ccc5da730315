package outbox

// Reference is a record a payload names by its ERP key: customer_id,
// company_id, order_id, or an order item's sku. A SKU names the product
// whose ERP key or sku it is (BySKU).
type Reference struct {
	Entity Entity
	ERPID  string
	BySKU  bool
}

// References returns the records an outbox row's payload names, read as
// Decode reads them (trimmed, numbers as written), without checking the
// rest of the payload: a claim uses them to take the referenced records'
// rows with the row. A delete, and a payload that is no JSON object, name
// none. The same key may appear more than once.
func References(entity, op string, payload []byte) []Reference {
	ent := Entity(entity)
	if Op(op) == OpDelete || ent == EntityCompany || ent == EntityProduct || !ent.Valid() {
		return nil
	}
	obj, err := decodeObject(payload)
	if err != nil {
		return nil
	}
	r := &reader{entity: ent, obj: obj, seen: map[string]bool{}}
	sc := r.top()
	var out []Reference
	add := func(e Entity, key string, bySKU bool) {
		if key != "" {
			out = append(out, Reference{Entity: e, ERPID: key, BySKU: bySKU})
		}
	}
	add(EntityCompany, r.ref(sc, "company_id"), false)
	if ent == EntityOrder || ent == EntityTicket {
		add(EntityCustomer, r.ref(sc, "customer_id"), false)
	}
	if ent == EntityTicket {
		add(EntityOrder, r.ref(sc, "order_id"), false)
	}
	if ent == EntityOrder {
		items, _ := obj["items"].([]any)
		for _, e := range items {
			if item, ok := e.(map[string]any); ok {
				add(EntityProduct, r.ref(scope{obj: item, seen: map[string]bool{}}, "sku"), true)
			}
		}
	}
	return out
}
