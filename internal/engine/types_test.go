package engine

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/pgtest"
)

// TestWriteOrder checks the kinds the table of object types gives: one per
// outbox entity, in write order, each after the types it associates with.
func TestWriteOrder(t *testing.T) {
	t.Parallel()
	kinds, err := writeOrder()
	if err != nil {
		t.Fatal(err)
	}
	var got []outbox.Entity
	for i, k := range kinds {
		got = append(got, k.t.entity)
		if i > 0 && k.t.order <= kinds[i-1].t.order {
			t.Errorf("%s is written with or before %s", k.t.hubspot, kinds[i-1].t.hubspot)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(outbox.Entities))) {
		t.Errorf("kinds for %v, want one for each of %v", got, outbox.Entities)
	}
	// An association points at a type written earlier in the cycle (or,
	// for line items, at the deal they are written with): the write order
	// is the types' order, not their place in the table.
	written := func(ot *objType) int {
		if ot == lineItemType {
			ot = dealType
		}
		return ot.order
	}
	for _, from := range objTypes {
		for to := range from.assoc {
			if !slices.Contains(objTypes, to) || written(to) > written(from) || to == from {
				t.Errorf("%s associates with %s, which is not written before it", from.hubspot, to.hubspot)
			}
		}
	}
}

// TestObjectTypesInIDMap checks that the schema's ID map accepts every
// object type of the table, and that no two share a name: a type added to
// the table needs a migration of the id_map CHECK.
func TestObjectTypesInIDMap(t *testing.T) {
	t.Parallel()
	db := pgtest.Migrated(t)
	seen := map[string]bool{}
	for i, ot := range objTypes {
		if seen[string(ot.idMap)] || seen["hs:"+ot.hubspot] {
			t.Errorf("%s or %s is in the table twice", ot.idMap, ot.hubspot)
		}
		seen[string(ot.idMap)], seen["hs:"+ot.hubspot] = true, true
		_, err := db.Pool.Exec(context.Background(),
			`INSERT INTO id_map (portal_id, object_type, erp_id, hubspot_id) VALUES (1, $1, 'K-1/1', $2)`, ot.idMap, strconv.Itoa(i+1))
		if err != nil {
			t.Errorf("id_map refuses object type %s: %v", ot.idMap, err)
		}
	}
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM id_map_links`).Scan(&n); err != nil || n != len(objTypes) {
		t.Errorf("id_map_links shows %d rows (%v), want %d: the view lacks an object type", n, err, len(objTypes))
	}
}

// TestIDMapType checks the ID map type of each outbox entity.
func TestIDMapType(t *testing.T) {
	t.Parallel()
	want := map[outbox.Entity]string{
		outbox.EntityCustomer: "contact", outbox.EntityCompany: "company", outbox.EntityProduct: "product",
		outbox.EntityOrder: "deal", outbox.EntityTicket: "ticket",
	}
	for _, e := range outbox.Entities {
		if got, ok := IDMapType(e); !ok || string(got) != want[e] {
			t.Errorf("IDMapType(%s) = %q, %v; want %q", e, got, ok, want[e])
		}
	}
	if got, ok := IDMapType("invoice"); ok || got != "" {
		t.Errorf("IDMapType(invoice) = %q, %v", got, ok)
	}
}

// TestConflictTypes checks that every object type a [conflicts] section
// may name is one of the table of object types, and the other way round.
func TestConflictTypes(t *testing.T) {
	t.Parallel()
	if err := checkConflictTypes(); err != nil {
		t.Fatal(err)
	}
	for _, ot := range objTypes {
		if !slices.Contains(config.ConflictObjectTypes, ot.hubspot) {
			t.Errorf("object type %s is missing from config.ConflictObjectTypes", ot.hubspot)
		}
	}
	if len(config.ConflictObjectTypes) != len(objTypes) {
		t.Errorf("config.ConflictObjectTypes = %v, the table has %d types", config.ConflictObjectTypes, len(objTypes))
	}
}
