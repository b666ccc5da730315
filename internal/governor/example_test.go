package governor_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/syncd/syncd/internal/governor"
)

// The call site shows the budget it draws on and that Do may call the
// function more than once.
func ExampleGovernor_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(governor.HeaderMax, "190")
		w.Header().Set(governor.HeaderRemaining, "189")
		fmt.Fprint(w, `{"portalId":12345678}`)
	}))
	defer srv.Close()

	gov, err := governor.New(governor.Options{Tier: "professional"})
	if err != nil {
		panic(err)
	}
	attempts := 0
	resp, err := gov.Do(context.Background(), governor.Burst, func(ctx context.Context) (*http.Response, error) {
		attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/account-info/2026-09/details", nil)
		if err != nil {
			return nil, err
		}
		return http.DefaultClient.Do(req)
	})
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	l := gov.Limits()
	fmt.Println(resp.StatusCode, attempts, l.BurstMax, l.BurstLimit)
	// Output: 200 1 190 171
}
