package engine

import (
	"math/big"
	"slices"
	"strings"
)

// DesiredLineItem is one order item as the ERP now states it, already turned
// into HubSpot line item properties.
type DesiredLineItem struct {
	Key        string
	Properties map[string]string
}

// KnownLineItem is a line item the ID map holds for the order.
type KnownLineItem struct {
	Key       string
	HubSpotID string
	// Last is what syncd last wrote to it.
	Last map[string]string
}

// LineItemUpdate sends only the properties that changed; a property the
// ERP dropped is sent empty, which clears it in HubSpot.
type LineItemUpdate struct {
	Key        string
	HubSpotID  string
	Properties map[string]string
	// All is the complete desired state, recorded as the last synced values.
	All map[string]string
}

// LineItemChanges is what reconciling an order's items against its known
// line items yields. Every list is sorted by key.
type LineItemChanges struct {
	Create  []DesiredLineItem
	Update  []LineItemUpdate
	Archive []KnownLineItem
}

// Empty reports whether nothing needs writing.
func (c LineItemChanges) Empty() bool {
	return len(c.Create) == 0 && len(c.Update) == 0 && len(c.Archive) == 0
}

// ReconcileLineItems compares the order's desired items with the line items
// the ID map holds for it: an item with no known line item is created, a
// known one whose properties changed is updated with the changed properties
// only, a known one the order no longer has is archived; an unchanged one
// is in no list. It is a pure
// function; known must hold only live (not archived) line items.
func ReconcileLineItems(desired []DesiredLineItem, known []KnownLineItem) LineItemChanges {
	var out LineItemChanges
	byKey := make(map[string]KnownLineItem, len(known))
	for _, k := range known {
		byKey[k.Key] = k
	}
	seen := make(map[string]bool, len(desired))
	for _, d := range desired {
		seen[d.Key] = true
		k, ok := byKey[d.Key]
		if !ok || k.HubSpotID == "" {
			out.Create = append(out.Create, d)
			continue
		}
		changed := ChangedProperties(k.Last, d.Properties)
		if len(changed) == 0 {
			continue
		}
		out.Update = append(out.Update, LineItemUpdate{Key: d.Key, HubSpotID: k.HubSpotID, Properties: changed, All: d.Properties})
	}
	for _, k := range known {
		if !seen[k.Key] && k.HubSpotID != "" {
			out.Archive = append(out.Archive, k)
		}
	}
	slices.SortFunc(out.Create, func(a, b DesiredLineItem) int { return naturalCompare(a.Key, b.Key) })
	slices.SortFunc(out.Update, func(a, b LineItemUpdate) int { return naturalCompare(a.Key, b.Key) })
	slices.SortFunc(out.Archive, func(a, b KnownLineItem) int { return naturalCompare(a.Key, b.Key) })
	return out
}

// ChangedProperties returns the properties of want whose value differs from
// last, plus every property of last that want no longer has, sent empty so
// that HubSpot clears it. Nil when nothing changed.
func ChangedProperties(last, want map[string]string) map[string]string {
	var out map[string]string
	for k, v := range want {
		if old, ok := last[k]; ok && sameValue(old, v) {
			continue
		}
		if _, ok := last[k]; !ok && v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	for k, old := range last {
		if _, ok := want[k]; ok || old == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = ""
	}
	return out
}

// sameValue compares two property values; numbers compare by value so that
// "2" and "2.00" do not cause a write.
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	ra, okA := new(big.Rat).SetString(a)
	rb, okB := new(big.Rat).SetString(b)
	return okA && okB && ra.Cmp(rb) == 0
}

// naturalCompare orders keys so that "SO-1/2" sorts before "SO-1/10".
func naturalCompare(a, b string) int {
	ap, bp := splitDigits(a), splitDigits(b)
	for i := 0; i < len(ap) && i < len(bp); i++ {
		x, y := ap[i], bp[i]
		if isDigits(x) && isDigits(y) {
			if len(strings.TrimLeft(x, "0")) != len(strings.TrimLeft(y, "0")) {
				return len(strings.TrimLeft(x, "0")) - len(strings.TrimLeft(y, "0"))
			}
			if c := strings.Compare(strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")); c != 0 {
				return c
			}
			continue
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return len(ap) - len(bp)
}

func splitDigits(s string) []string {
	var parts []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || isDigit(s[i]) != isDigit(s[i-1]) {
			parts = append(parts, s[start:i])
			start = i
		}
	}
	return parts
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool { return s != "" && isDigit(s[0]) }
