package outbox

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readOutboxDoc returns docs/outbox.md, the page ERP developers write
// their outbox inserts from.
func readOutboxDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "outbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reInsert matches the examples of docs/outbox.md:
// INSERT … VALUES ('entity', 'erp_id', 'op', '{…}' or NULL);
var reInsert = regexp.MustCompile(`(?s)VALUES \('(\w+)', '([^']+)', '(\w+)', (NULL|'((?:[^']|'')*)')\);`)

// TestDocExamples decodes every INSERT example of docs/outbox.md, so that
// the page ERP developers copy from stays true.
func TestDocExamples(t *testing.T) {
	t.Parallel()
	ms := reInsert.FindAllStringSubmatch(readOutboxDoc(t), -1)
	entities := map[string]bool{}
	for _, m := range ms {
		entity, erpID, op, payload := m[1], m[2], m[3], strings.ReplaceAll(m[5], "''", "'")
		rec, err := Decode(entity, erpID, op, []byte(payload), Options{})
		if err != nil {
			t.Errorf("example %s %s: %v", entity, erpID, err)
			continue
		}
		entities[entity+"/"+op] = true
		if rec.Op == OpUpsert && len(rec.Properties()) == 0 {
			t.Errorf("example %s %s: no properties", entity, erpID)
		}
		if rec.Order != nil && rec.Order.Amount != "2034.5" {
			t.Errorf("example order amount = %q, the page says 2034.5", rec.Order.Amount)
		}
	}
	for _, want := range []string{"customer/upsert", "company/upsert", "product/upsert", "order/upsert", "ticket/upsert", "customer/delete"} {
		if !entities[want] {
			t.Errorf("docs/outbox.md has no decodable example of %s (found %d examples)", want, len(ms))
		}
	}
}

// TestDocErrorExamples checks that the error messages quoted in
// docs/outbox.md are the ones Decode produces.
func TestDocErrorExamples(t *testing.T) {
	t.Parallel()
	doc := readOutboxDoc(t)
	for _, tt := range []struct{ entity, erpID, payload string }{
		{"customer", "C-1001", `{"phone":"08x-xxx-5678"}`},
		{"customer", "C-1002", `{"email":"somchai@","firstname":"x"}`},
		{"company", "CO-7", `{"tax_id":"0107544000109"}`},
		{"order", "SO-9", `{"close_date":"27/11/69"}`},
		{"order", "SO-9", `{"items":[{"line_id":"3"},{"line_id":"3"}]}`},
		{"widget", "W-1", `{}`},
	} {
		_, err := Decode(tt.entity, tt.erpID, "upsert", []byte(tt.payload), Options{})
		if err == nil {
			t.Errorf("%s %s: no error", tt.entity, tt.erpID)
			continue
		}
		if !docQuotes(doc, tt.entity+" "+tt.erpID+": ", err.Error()) {
			t.Errorf("docs/outbox.md does not quote the error %q", err)
		}
	}
}

// docQuotes reports whether doc quotes one of the messages of a joined
// FieldErrors message, with or without its "entity key: " prefix.
func docQuotes(doc, prefix, joined string) bool {
	for _, msg := range strings.Split(joined, " | ") {
		msg = strings.TrimPrefix(msg, prefix)
		if strings.Contains(doc, prefix+msg) {
			return true
		}
	}
	return false
}
