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
	for _, c := range got.Create {
		if c.Key == "SO-1/1" {
			t.Errorf("unchanged SO-1/1 is in Create: %+v", got.Create)
		}
	}
	for _, u := range got.Update {
		if u.Key == "SO-1/1" {
			t.Errorf("unchanged SO-1/1 is in Update: %+v", got.Update)
		}
	}
	for _, a := range got.Archive {
		if a.Key == "SO-1/1" {
			t.Errorf("unchanged SO-1/1 is in Archive: %+v", got.Archive)
		}
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

func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	if naturalCompare("SO-1/2", "SO-1/10") >= 0 {
		t.Error("SO-1/2 should sort before SO-1/10")
	}
	if naturalCompare("a", "a") != 0 {
		t.Error("equal keys should compare equal")
	}
}
