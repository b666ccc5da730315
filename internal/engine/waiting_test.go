package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/hubspot"
	"github.com/syncd/syncd/internal/store"
)

// A customer whose company's row fails in the same cycle waits for that
// row instead of failing: no attempt is spent, and the customer syncs with
// the corrected company row the ERP writes.
func TestCustomerWaitsForItsFailedCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	bad := companyPayload(1)
	bad["tax_id"] = badTaxID()
	co := e.insertJSON("company", "CO-1", bad)
	p := customerPayload(1, 0)
	p["company_id"] = "CO-1"
	cu := e.insertJSON("customer", "C-1", p)

	sum := e.drain(e.eng)
	if sum.Failed != 1 || sum.Waiting != 1 || sum.Created != 0 {
		t.Fatalf("drain: %+v; want the company failed and the customer waiting", sum)
	}
	if r := e.row(cu); r.State != store.StatePending || r.Attempts != 0 || r.LastError != "" {
		t.Errorf("customer row: %+v; want pending, no attempt", r)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE id = $1 AND waiting_for = $2`, cu, co); n != 1 {
		t.Error("the customer row does not name the company row it waits for")
	}
	// Before the company's retry the customer stays where it is.
	if sum := e.drain(e.eng); sum.Rows != 0 {
		t.Errorf("drain before the retry: %+v", sum)
	}

	e.insertJSON("company", "CO-1", companyPayload(1))
	sum = e.drain(e.eng)
	if sum.Created != 2 || sum.Failed != 0 || sum.Waiting != 0 {
		t.Fatalf("drain after the fix: %+v; want the company, then the customer", sum)
	}
	if r := e.row(cu); r.State != store.StateDone || r.Attempts != 0 {
		t.Errorf("customer row: %+v", r)
	}
	c, company := byERP(e, hubspot.Contacts)["C-1"], byERP(e, hubspot.Companies)["CO-1"]
	got, err := e.hs.ReadAssociations(context.Background(), hubspot.Contacts, hubspot.Companies, []string{c.ID})
	if err != nil || len(got[c.ID]) != 1 || got[c.ID][0].ToID != company.ID {
		t.Errorf("C-1 associations %v %v, want CO-1 %s", got, err, company.ID)
	}
}

// A row waiting for one that goes dead fails as it would without that row,
// once, spending one attempt of its own.
func TestWaitingRowFailsWhenItsRowDies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.MaxAttempts = 2 }})
	bad := companyPayload(1)
	bad["tax_id"] = badTaxID()
	e.insertJSON("company", "CO-1", bad)
	p := customerPayload(1, 0)
	p["company_id"] = "CO-1"
	cu := e.insertJSON("customer", "C-1", p)
	e.drain(e.eng)
	e.clk.Advance(2 * time.Hour)
	sum := e.drain(e.eng)
	if sum.Dead != 1 || sum.Failed != 1 {
		t.Fatalf("drain at the retry: %+v; want the company dead and then the customer failed", sum)
	}
	r := e.row(cu)
	if r.State != store.StateFailed || r.Attempts != 1 || !strings.Contains(r.LastError, `field "company_id": company CO-1 is not in HubSpot: write an outbox row for company CO-1`) {
		t.Errorf("customer row: %+v", r)
	}
}
