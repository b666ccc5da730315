package emulator

import "net/http"

// handleAccountDetails answers the fixed account: Thai time zone and
// currency, so demos look like a Thai portal.
func handleAccountDetails(c *call) (int, any) {
	return http.StatusOK, map[string]any{
		"portalId":              c.s.portalID,
		"accountType":           "STANDARD",
		"timeZone":              "Asia/Bangkok",
		"companyCurrency":       "THB",
		"additionalCurrencies":  []string{"USD", "EUR"},
		"utcOffset":             "+07:00",
		"utcOffsetMilliseconds": 7 * 3600 * 1000,
		"uiDomain":              "app.hubspot.com",
		"dataHostingLocation":   "na1",
	}
}

func handleDailyUsage(c *call) (int, any) {
	used, limit, resets := c.s.dailyUsage()
	return http.StatusOK, map[string]any{"results": []map[string]any{{
		"name": "private-apps-api-calls-daily", "usageLimit": limit, "currentUsage": used,
		"collectedAt": timestamp(c.s.now()), "fetchStatus": "SUCCESS", "resetsAt": timestamp(resets),
	}}}
}
