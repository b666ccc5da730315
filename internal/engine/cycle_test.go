package engine

import (
	"maps"
	"testing"

	"github.com/syncd/syncd/internal/store"
)

func TestCoalesceKeepsNewest(t *testing.T) {
	t.Parallel()
	rows := []store.Row{
		{ID: 3, Entity: "customer", ERPID: "C-1"},
		{ID: 1, Entity: "customer", ERPID: "C-1"},
		{ID: 2, Entity: "company", ERPID: "C-1"},
		{ID: 5, Entity: "customer", ERPID: "C-1"},
	}
	items := coalesce(rows)
	if len(items) != 2 {
		t.Fatalf("%d items, want 2", len(items))
	}
	if items[0].row.ID != 5 || len(items[0].older) != 2 {
		t.Fatalf("customer C-1: newest %d, older %v; want 5 and [3 1]", items[0].row.ID, items[0].older)
	}
	if items[1].row.ID != 2 || len(items[1].older) != 0 {
		t.Fatalf("company C-1: %+v", items[1])
	}
}

func TestDiffProps(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		have, want map[string]string
		complete   bool
		diff       map[string]string
	}{
		{"unchanged", map[string]string{"a": "1", "b": "x"}, map[string]string{"a": "1"}, false, nil},
		{"changed", map[string]string{"a": "1"}, map[string]string{"a": "2"}, false, map[string]string{"a": "2"}},
		{"new", nil, map[string]string{"a": "1"}, false, map[string]string{"a": "1"}},
		{"clear known", map[string]string{"a": "1"}, map[string]string{"a": ""}, false, map[string]string{"a": ""}},
		{"clear never written", nil, map[string]string{"a": ""}, false, map[string]string{"a": ""}},
		{"clear absent in HubSpot", nil, map[string]string{"a": ""}, true, nil},
		{"same number", map[string]string{"n": "2"}, map[string]string{"n": "2.00"}, false, nil},
	} {
		if got := diffProps(c.have, c.want, c.complete); !maps.Equal(got, c.diff) {
			t.Errorf("%s: diffProps = %v, want %v", c.name, got, c.diff)
		}
	}
}
