package engine

import (
	"reflect"
	"testing"
)

func TestReconcileLineItems(t *testing.T) {
	t.Parallel()
	known := []KnownLineItem{
		{Key: "SO-1/1", HubSpotID: "101", Last: map[string]string{"name": "Chai", "quantity": "2", "price": "18"}},
		{Key: "SO-1/2", HubSpotID: "102", Last: map[string]string{"name": "Chang", "quantity": "1", "price": "19", "description": "old"}},
		{Key: "SO-1/3", HubSpotID: "103", Last: map[string]string{"name": "Tofu", "quantity": "5", "price": "23.25"}},
	}
	desired := []DesiredLineItem{
		{Key: "SO-1/1", Properties: map[string]string{"name": "Chai", "quantity": "2.00", "price": "18.0"}}, // same values, other spelling
		{Key: "SO-1/2", Properties: map[string]string{"name": "Chang", "quantity": "4", "price": "19"}},     // quantity changed, description dropped
		{Key: "SO-1/10", Properties: map[string]string{"name": "Ikura", "quantity": "1", "price": "31"}},    // new
	}
	got := ReconcileLineItems(desired, known)

	if len(got.Create) != 1 || got.Create[0].Key != "SO-1/10" {
		t.Errorf("Create = %+v, want SO-1/10 only", got.Create)
	}
	wantUpdate := []LineItemUpdate{{
		Key: "SO-1/2", HubSpotID: "102",
		Properties: map[string]string{"quantity": "4", "description": ""},
		All:        desired[1].Properties,
	}}
	if !reflect.DeepEqual(got.Update, wantUpdate) {
		t.Errorf("Update = %+v, want %+v", got.Update, wantUpdate)
	}
	if len(got.Unchanged) != 1 || got.Unchanged[0].Key != "SO-1/1" {
		t.Errorf("Unchanged = %+v, want SO-1/1 only", got.Unchanged)
	}
	if len(got.Archive) != 1 || got.Archive[0].HubSpotID != "103" {
		t.Errorf("Archive = %+v, want 103 only", got.Archive)
	}
	if got.Empty() {
		t.Error("Empty() = true for a plan with writes")
	}

	again := ReconcileLineItems(desired[:1], known[:1])
	if !again.Empty() {
		t.Errorf("reconciling an unchanged order = %+v, want no writes", again)
	}
}

func TestLineAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ q, p, d, want string }{
		{"12", "14.00", "0", "168"},
		{"50", "9.50", "", "475"},
		{"3", "10", "0.5", "28.5"},
		{"35", "9.65", "1.4475", "287.0875"},
	} {
		got, err := LineAmount(tc.q, tc.p, tc.d)
		if err != nil || got != tc.want {
			t.Errorf("LineAmount(%s, %s, %s) = %q, %v; want %q", tc.q, tc.p, tc.d, got, err, tc.want)
		}
	}
	if _, err := LineAmount("x", "1", "0"); err == nil {
		t.Error("LineAmount with a non-number quantity: no error")
	}
	sum, err := SumAmounts([]string{"168", "28.5", "0.1", "0.2"})
	if err != nil || sum != "196.8" {
		t.Errorf("SumAmounts = %q, %v; want 196.8", sum, err)
	}
}

func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	if naturalCompare("SO-1/2", "SO-1/10") >= 0 {
		t.Error("SO-1/2 should sort before SO-1/10")
	}
	if naturalCompare("a", "a") != 0 {
		t.Error("equal keys should compare equal")
	}
}
