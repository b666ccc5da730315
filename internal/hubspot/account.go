package hubspot

import (
	"context"
	"net/http"
	"time"
)

var epAccountDetails = endpoint{method: http.MethodGet, template: "/account-info/{v}/details"}

// AccountDetails returns the account (portal) the token belongs to. It is
// the cheapest call that proves the token works; a bad token fails with a
// 401 *Error (ClassSetup).
//
// HubSpot operation: GET /account-info/2026-09/details
func (c *Client) AccountDetails(ctx context.Context) (*Account, error) {
	var out struct {
		PortalID        int64  `json:"portalId"`
		TimeZone        string `json:"timeZone"`
		CompanyCurrency string `json:"companyCurrency"`
		AccountType     string `json:"accountType"`
		UIDomain        string `json:"uiDomain"`
	}
	if _, err := c.do(ctx, epAccountDetails, c.path(epAccountDetails), nil, nil, &out); err != nil {
		return nil, err
	}
	// The daily allowance resets at midnight in the account's time zone.
	if loc, err := time.LoadLocation(out.TimeZone); err == nil && out.TimeZone != "" {
		c.gov.SetLocation(loc)
	}
	return &Account{
		PortalID:        out.PortalID,
		TimeZone:        out.TimeZone,
		CompanyCurrency: out.CompanyCurrency,
		AccountType:     out.AccountType,
		UIDomain:        out.UIDomain,
	}, nil
}

var epDailyUsage = endpoint{method: http.MethodGet, template: "/account-info/{v}/api-usage/daily/private-apps"}

// DailyUsage is the account's use of its daily API allowance, as HubSpot
// counts it for private apps.
type DailyUsage struct {
	Used, Limit int
	// CollectedAt is when HubSpot counted (its figures are cached);
	// ResetsAt when the allowance resets. Zero when not given.
	CollectedAt, ResetsAt time.Time
}

// DailyUsage returns the account's use of the daily allowance today; ok is
// false when HubSpot reports none.
//
// HubSpot operation: GET /account-info/2026-09/api-usage/daily/private-apps
func (c *Client) DailyUsage(ctx context.Context) (DailyUsage, bool, error) {
	var out struct {
		Results []struct {
			Name         string `json:"name"`
			UsageLimit   int    `json:"usageLimit"`
			CurrentUsage int    `json:"currentUsage"`
			CollectedAt  string `json:"collectedAt"`
			ResetsAt     string `json:"resetsAt"`
		} `json:"results"`
	}
	if _, err := c.do(ctx, epDailyUsage, c.path(epDailyUsage), nil, nil, &out); err != nil {
		return DailyUsage{}, false, err
	}
	for _, r := range out.Results {
		if r.Name == "private-apps-api-calls-daily" || len(out.Results) == 1 {
			u := DailyUsage{Used: r.CurrentUsage, Limit: r.UsageLimit}
			// A time HubSpot writes in another form is left zero.
			u.CollectedAt, _ = time.Parse(time.RFC3339Nano, r.CollectedAt)
			u.ResetsAt, _ = time.Parse(time.RFC3339Nano, r.ResetsAt)
			return u, true, nil
		}
	}
	return DailyUsage{}, false, nil
}
