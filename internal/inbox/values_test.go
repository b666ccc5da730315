package inbox

import "testing"

func TestSameValue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typ, a, b string
		want      bool
	}{
		{"string", "Siam", "Siam", true},
		{"string", "siam", "Siam", false},
		{"string", "0812345678", "812345678", false}, // phones are text: a leading 0 matters
		{"number", "100", "100.00", true},
		{"number", "1e2", "100", true},
		{"number", "100.5", "100.50", true},
		{"number", "100.5", "100.05", false},
		{"number", "", "0", false},
		{"number", "abc", "abc", true},
		{"number", "abc", "abd", false},
		{"date", "2026-12-15", "2026-12-15T00:00:00.000Z", true},
		{"datetime", "2026-12-15T00:00:00.000Z", "1797292800000", true},
		{"datetime", "2026-12-15T07:00:00+07:00", "2026-12-15T00:00:00Z", true},
		{"datetime", "2026-12-15", "2026-12-16", false},
		{"enumeration", "closedwon", "closedwon", true},
		{"enumeration", "closedwon", "ClosedWon", false},
	} {
		if got := sameValue(c.typ, c.a, c.b); got != c.want {
			t.Errorf("sameValue(%s, %q, %q) = %v, want %v", c.typ, c.a, c.b, got, c.want)
		}
	}
}
