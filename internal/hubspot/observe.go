package hubspot

import (
	"net/http"
	"time"

	"github.com/syncd/syncd/internal/governor"
)

// Call is one HTTP request a Client sent to HubSpot, as an observer sees
// it: every attempt counts, retries included, as in Stats.
type Call struct {
	// Operation is "METHOD /path/{template}" with the version filled in,
	// e.g. "POST /crm/objects/2026-09/{objectType}/batch/upsert": the key
	// of Stats.Calls, the same for every object type.
	Operation string
	// Status is HubSpot's HTTP status; 0 when no answer came (Err says why).
	Status int
	// Duration is the time from sending the request to HubSpot's answer
	// (its headers), on the real clock.
	Duration time.Duration
	// Attempt is 1 for the first request of an operation and counts up on
	// each retry the governor makes.
	Attempt int
	// Write marks requests that change data in HubSpot; Search marks
	// requests that draw on the search budget.
	Write, Search bool
	// Policy is the policyName of a 429 answer (governor.PolicyTenSecondly,
	// PolicySecondly, PolicyDaily), "" when the answer names none or is not
	// a 429.
	Policy string
	// Date is the answer's Date header, HubSpot's clock to the second;
	// zero when no answer came or it had none. Received is when the
	// answer's headers arrived, on this machine's clock: the two tell
	// the clock skew.
	Date, Received time.Time
	// Err is the transport error when no answer came (a timeout, a dropped
	// connection, a cancelled context); its text is free of the token.
	Err error
}

// Retry reports whether the request repeated an earlier attempt.
func (c Call) Retry() bool { return c.Attempt > 1 }

// Observe calls fn after every HTTP request the client sends, in the
// goroutine that sent it, and returns a function that stops it. fn must be
// quick and safe for concurrent use: requests run Concurrency at a time.
// Calls the governor refuses without sending (the daily allowance is
// spent) are not requests and are not observed.
func (c *Client) Observe(fn func(Call)) (stop func()) { return c.observers.Add(fn) }

// Governor returns the governor that paces and retries the client's calls.
func (c *Client) Governor() *governor.Governor { return c.gov }

// observe tells the observers about one request to e, its attempt-th,
// sent at sent, which got resp or failed with err.
func (c *Client) observe(e endpoint, attempt int, sent time.Time, resp *http.Response, err error) {
	if !c.observers.Active() {
		return
	}
	call := Call{Operation: c.key(e), Duration: time.Since(sent), Attempt: attempt, Write: e.write, Search: e.search, Received: time.Now()}
	switch {
	case err != nil:
		call.Err = c.redact(err)
	default:
		call.Status = resp.StatusCode
		if d, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
			call.Date = d
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			call.Policy = governor.PeekPolicy(resp)
		}
	}
	c.observers.Send(call)
}
