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
