package engine_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/internal/hubspot"
)

// A natural-key match must be the same party: another branch with the same
// tax ID, or another person at the same phone number, is not matched.
func TestSyncMatchRejectsOtherParties(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	if _, err := e.hs.BatchCreate(ctx, hubspot.Companies, []hubspot.CreateInput{
		{Properties: map[string]string{e.cfg.Sync.TaxIDProperty: taxID(1), "syncd_branch": "00001", "name": "Branch 1"}, TraceID: "b1"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hs.BatchCreate(ctx, hubspot.Contacts, []hubspot.CreateInput{
		{Properties: map[string]string{"phone": "+66810000001", "email": "someone.else@example.co.th"}, TraceID: "p1"},
	}); err != nil {
		t.Fatal(err)
	}
	seed(e, 2, 2) // CO-1 has tax ID taxID(1), branch 00000; C-1 has phone 0810000001
	if sum := e.drain(e.eng); sum.Failed != 0 || sum.Created != 4 {
		t.Fatalf("drain: %+v; want 4 created", sum)
	}
	if n := len(e.all(hubspot.Companies)); n != 3 {
		t.Fatalf("%d companies, want 3 (branch 00001 left alone)", n)
	}
	if n := len(e.all(hubspot.Contacts)); n != 3 {
		t.Fatalf("%d contacts, want 3 (the other person left alone)", n)
	}
}

// A mapped record deleted in HubSpot by a user is created again on the
// next change, and the ID map follows.
func TestSyncRecreatesRecordDeletedInHubSpot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	seed(e, 2, 0)
	e.drain(e.eng)
	old := byERP(e, hubspot.Contacts)["C-1"].ID
	if err := e.hs.BatchArchive(ctx, hubspot.Contacts, []string{old}); err != nil {
		t.Fatal(err)
	}
	p := customerPayload(1, 0)
	p["last_name"] = "Changed"
	e.insertJSON("customer", "C-1", p)
	sum := e.drain(e.eng)
	if sum.Created != 1 || sum.Failed != 0 {
		t.Fatalf("drain: %+v", sum)
	}
	now := byERP(e, hubspot.Contacts)["C-1"]
	if now.ID == "" || now.ID == old || now.Properties["lastname"] != "Changed" {
		t.Fatalf("C-1 in HubSpot: %+v (old ID %s)", now, old)
	}
	ms, err := e.st.Mappings(ctx, 12345678, "contact", []string{"C-1"})
	if err != nil || ms["C-1"].HubSpotID != now.ID {
		t.Fatalf("id_map C-1 = %+v, %v; want %s", ms["C-1"], err, now.ID)
	}
}

// A customer moved to another company is associated with the new one only.
func TestSyncCustomerMovesCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	seed(e, 2, 2) // C-1 belongs to CO-1
	e.drain(e.eng)
	p := customerPayload(1, 0)
	p["company_id"] = "CO-0"
	e.insertJSON("customer", "C-1", p)
	if sum := e.drain(e.eng); sum.Failed != 0 || sum.Unchanged != 1 {
		t.Fatalf("drain: %+v", sum)
	}
	e.wantCompany("C-1", "CO-0")
	contact := byERP(e, hubspot.Contacts)["C-1"].ID
	comps := byERP(e, hubspot.Companies)
	if n := e.count(`SELECT count(*) FROM associations WHERE from_hubspot_id = $1`, contact); n != 2 {
		t.Fatalf("associations table has %d rows for C-1, want 2 (types 1 and 279 to CO-0)", n)
	}
	if n := e.count(`SELECT count(*) FROM associations WHERE from_hubspot_id = $1 AND to_hubspot_id = $2`, contact, comps["CO-1"].ID); n != 0 {
		t.Fatal("the old company's associations are still recorded")
	}
}
