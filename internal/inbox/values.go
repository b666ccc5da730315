package inbox

import (
	"math/big"
	"strconv"
	"time"
)

// sameValue reports whether two values of a property of HubSpot type typ
// are the same value: equal strings, equal numbers ("100" and "100.00"), or
// the same instant of a date or date-time written as epoch milliseconds, ISO
// 8601 or a date ("2026-12-15" and "2026-12-15T00:00:00.000Z"), so that
// HubSpot's way of writing back a value syncd sent is not taken for a change.
func sameValue(typ, a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	switch typ {
	case "number":
		x, okA := new(big.Rat).SetString(a)
		y, okB := new(big.Rat).SetString(b)
		return okA && okB && x.Cmp(y) == 0
	case "date", "datetime":
		x, okA := instant(a)
		y, okB := instant(b)
		return okA && okB && x == y
	}
	return false
}

// instant parses epoch milliseconds, RFC 3339 or YYYY-MM-DD (midnight UTC)
// to epoch milliseconds.
func instant(v string) (int64, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UnixMilli(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UnixMilli(), true
	}
	return 0, false
}
