package cli

import (
	"testing"

	"github.com/syncd/syncd/internal/hubspot"
)

// TestMissingScopesDetail checks what doctor says of a MISSING_SCOPES
// answer: the scopes HubSpot names, under either of the keys its answers
// have used, and no empty list when it names none.
func TestMissingScopesDetail(t *testing.T) {
	t.Parallel()
	answer := func(key string, scopes ...string) *hubspot.Error {
		he := &hubspot.Error{StatusCode: 403, Category: hubspot.CategoryMissingScopes}
		if key != "" {
			he.Details = []hubspot.ErrorDetail{{Message: "One or more of the following scopes are required.", Context: map[string][]string{key: scopes}}}
		}
		return he
	}
	for _, tt := range []struct {
		he   *hubspot.Error
		want string
	}{
		{answer("requiredGranularScopes", "crm.objects.deals.read"), "the token may not read deals: HubSpot wants one of crm.objects.deals.read"},
		{answer("requiredScopes", "crm.objects.deals.read", "crm.objects.deals.write"), "the token may not read deals: HubSpot wants one of crm.objects.deals.read, crm.objects.deals.write"},
		{answer(""), "the token may not read deals: HubSpot names no scope that would do"},
	} {
		if got := missingScopesDetail(hubspot.Deals, tt.he); got != tt.want {
			t.Errorf("detail = %q\nwant %q", got, tt.want)
		}
	}
}
