package outbox

import "slices"

// Fields returns the top-level payload fields of the entity's upserts, in
// sorted order, or nil for an unknown entity. They are the fields Decode
// reads, found by reading an empty payload, so the list cannot drift from
// Decode's: importers (syncd backfill) check a column mapping against it
// before reading any data.
func Fields(e Entity) []string {
	if !e.Valid() {
		return nil
	}
	r := &reader{entity: e, erpID: "-", obj: map[string]any{}, opts: Options{}.withDefaults(), seen: map[string]bool{}}
	r.read(&Record{})
	out := make([]string, 0, len(r.seen))
	for f := range r.seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// IsPropertyName reports whether name can be a HubSpot property's internal
// name under "properties": lower-case letters, digits and _, starting with
// a letter.
func IsPropertyName(name string) bool { return rePropertyName.MatchString(name) }

// KindOf names the JSON type of a decoded value for messages: "null", "a
// string", "a number", "an array", …
func KindOf(v any) string { return jsonKind(v) }
