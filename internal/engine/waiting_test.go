package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/store"
)

// insertCustomerOfBadCompany writes the rows of company CO-1, whose tax ID
// fails its checksum, and of customer C-1 at that company, and returns
// their ids.
func (e *env) insertCustomerOfBadCompany() (company, customer int64) {
	e.t.Helper()
	bad := companyPayload(1)
	bad["tax_id"] = badTaxID()
	company = e.insertJSON("company", "CO-1", bad)
	p := customerPayload(1, 0)
	p["company_id"] = "CO-1"
	return company, e.insertJSON("customer", "C-1", p)
}

// A customer whose company's row fails in the same cycle waits for that
// row instead of failing: no attempt is spent, and the customer syncs with
// the corrected company row the ERP writes.
func TestCustomerWaitsForItsFailedCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	co, cu := e.insertCustomerOfBadCompany()

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
	e.wantCompany("C-1", "CO-1")
}

// A row waiting for one that goes dead fails as it would without that row,
// once, spending one attempt of its own.
func TestWaitingRowFailsWhenItsRowDies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{cfg: func(c *config.Config) { c.Sync.MaxAttempts = 2 }})
	_, cu := e.insertCustomerOfBadCompany()
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

// Values HubSpot would refuse after the upload fail their row before any
// call: a 1 MB first name, a tax ID sent as a JSON number.
func TestLocalRefusalsMakeNoCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	long := e.insert("customer", "C-1", `{"email":"c1@example.co.th","first_name":"`+strings.Repeat("ก", 1<<20)+`"}`)
	number := e.insert("company", "CO-1", `{"name":"Siam","tax_id":105536000000.0}`)
	if _, err := e.eng.PortalID(context.Background()); err != nil { // asked once, then cached
		t.Fatal(err)
	}
	before := e.rec.len()
	sum := e.drain(e.eng)
	if sum.Failed != 2 || sum.Calls != 0 {
		t.Errorf("drain: %+v; want both rows failed and no HubSpot call", sum)
	}
	if calls := e.rec.since(before); len(calls) != 0 {
		t.Errorf("HubSpot was called: %v", calls)
	}
	for id, want := range map[int64]string{
		long:   `outbox row 1: customer C-1: field "first_name": is 1048576 characters long, more than the 65536 HubSpot keeps in a property; send at most 65536 characters; fix the data in the ERP and write a new outbox row for it`,
		number: `outbox row 2: company CO-1: field "tax_id": is the JSON number 105536000000.0; a number loses the leading 0 of a tax ID; send the tax ID as text, such as "0105536112014"; fix the data in the ERP and write a new outbox row for it`,
	} {
		if r := e.row(id); r.State != store.StateFailed || r.LastError != want {
			t.Errorf("row %d: %s %q\nwant failed %q", id, r.State, r.LastError, want)
		}
	}
}
