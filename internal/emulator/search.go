package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Search limits, from HubSpot's search guide.
const (
	maxFilterGroups   = 5
	maxGroupFilters   = 6
	maxTotalFilters   = 18
	maxSearchLimit    = 200
	maxSearchResults  = 10000
	maxQueryLength    = 3000
	defaultSearchSize = 10
)

type filterIO struct {
	PropertyName string       `json:"propertyName"`
	Operator     string       `json:"operator"`
	Value        *flexString  `json:"value"`
	HighValue    *flexString  `json:"highValue"`
	Values       []flexString `json:"values"`
}

// sortIO accepts HubSpot's documented {propertyName, direction} and the
// spec's plain strings ("createdate", "-createdate" for descending).
type sortIO struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (s *sortIO) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		s.PropertyName, s.Direction = strings.TrimPrefix(str, "-"), "ASCENDING"
		if strings.HasPrefix(str, "-") {
			s.Direction = "DESCENDING"
		}
		return nil
	}
	type plain sortIO
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = sortIO(p)
	return nil
}

type searchIO struct {
	FilterGroups []struct {
		Filters []filterIO `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []sortIO    `json:"sorts"`
	Query      string      `json:"query"`
	Properties []string    `json:"properties"`
	Limit      *flexString `json:"limit"`
	After      *flexString `json:"after"`
}

var operators = map[string]bool{"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true,
	"BETWEEN": true, "IN": true, "NOT_IN": true, "HAS_PROPERTY": true, "NOT_HAS_PROPERTY": true,
	"CONTAINS_TOKEN": true, "NOT_CONTAINS_TOKEN": true}

// compiled is a filter ready to run.
type compiled struct {
	f      filterIO
	prop   *propDef
	assoc  string // object type of an associations.{type} pseudo-property
	value  string
	high   string
	values []string
	token  *regexp.Regexp
}

func handleSearch(c *call) (int, any) {
	var in searchIO
	if err := c.decode(&in); err != nil {
		return 0, err
	}
	limit := defaultSearchSize
	if in.Limit != nil && *in.Limit != "" {
		n, err := strconv.Atoi(string(*in.Limit))
		if err != nil || n < 0 {
			return 0, validationError(fmt.Sprintf("limit must be a non-negative integer, got %q", string(*in.Limit)))
		}
		if n > maxSearchLimit {
			return 0, validationError(fmt.Sprintf("limit must be at most %d, got %d", maxSearchLimit, n))
		}
		if n > 0 {
			limit = n
		}
	}
	after := 0
	if in.After != nil && *in.After != "" {
		n, err := strconv.Atoi(string(*in.After))
		if err != nil || n < 0 {
			return 0, validationError(fmt.Sprintf("after must be formatted as an integer, got %q", string(*in.After)))
		}
		after = n
	}
	if after >= maxSearchResults {
		return 0, validationError(fmt.Sprintf("Search results are limited to %d; after=%d is beyond them", maxSearchResults, after))
	}
	if len(in.Query) > maxQueryLength {
		return 0, validationError(fmt.Sprintf("query may be at most %d characters", maxQueryLength))
	}
	if len(in.FilterGroups) > maxFilterGroups {
		return 0, validationError(fmt.Sprintf("Too many filter groups: %d. The maximum is %d.", len(in.FilterGroups), maxFilterGroups))
	}
	if len(in.Sorts) > 1 {
		return 0, validationError("Only one sort is allowed per search")
	}
	total := 0
	for _, g := range in.FilterGroups {
		if len(g.Filters) > maxGroupFilters {
			return 0, validationError(fmt.Sprintf("Too many filters in a group: %d. The maximum is %d.", len(g.Filters), maxGroupFilters))
		}
		total += len(g.Filters)
	}
	if total > maxTotalFilters {
		return 0, validationError(fmt.Sprintf("Too many filters: %d. The maximum is %d across all groups.", total, maxTotalFilters))
	}

	s := c.s
	lag := s.Config().SearchLag.Duration
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	groups := make([][]compiled, len(in.FilterGroups))
	for i, g := range in.FilterGroups {
		for _, f := range g.Filters {
			cf, err := compileFilter(os, f)
			if err != nil {
				return 0, err
			}
			groups[i] = append(groups[i], cf)
		}
	}
	sortProp, desc := "createdate", false
	if len(in.Sorts) == 1 {
		sortProp, desc = in.Sorts[0].PropertyName, in.Sorts[0].Direction == "DESCENDING"
		if p := os.props[sortProp]; p == nil || p.Archived {
			return 0, validationError(fmt.Sprintf("Cannot sort by unknown property %s", sortProp))
		}
	}
	query := strings.ToLower(strings.TrimSpace(in.Query))
	now := s.now()
	type hit struct {
		rec  *record
		view map[string]string
	}
	var hits []hit
	candidates := os.order
	if lag <= 0 {
		if idx, ok := indexCandidates(os, groups); ok {
			candidates = idx
		}
	}
	for _, rec := range candidates {
		view, visible := searchView(rec, now, lag)
		if !visible {
			continue
		}
		if query != "" && !matchQuery(os, view, query) {
			continue
		}
		if len(groups) > 0 {
			ok := false
			for _, g := range groups {
				if s.st.matchGroup(os, rec.id, view, g) {
					ok = true
					break
				}
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, hit{rec, view})
	}
	sp := os.props[sortProp]
	// Sort keys are computed once per hit: a datetime parsed in every
	// comparison made large searches slow.
	keys := make([]sortKey, len(hits))
	for i, h := range hits {
		keys[i] = newSortKey(sp, h.view, sortProp)
	}
	idx := make([]int, len(hits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := keys[idx[i]], keys[idx[j]]
		if a.has != b.has {
			return a.has // records without the value sort last
		}
		if cmp := a.compare(b); cmp != 0 {
			if desc {
				return cmp > 0
			}
			return cmp < 0
		}
		return hits[idx[i]].rec.num < hits[idx[j]].rec.num
	})
	sorted := make([]hit, len(hits))
	for i, k := range idx {
		sorted[i] = hits[k]
	}
	hits = sorted
	results := []objectOut{}
	end := after + limit
	if end > len(hits) {
		end = len(hits)
	}
	if end > maxSearchResults {
		end = maxSearchResults
	}
	for i := after; i < end; i++ {
		results = append(results, c.renderRead(os, hits[i].rec, hits[i].view, in.Properties))
	}
	// A struct keeps HubSpot's field order: total, results, paging.
	body := struct {
		Total   int            `json:"total"`
		Results []objectOut    `json:"results"`
		Paging  map[string]any `json:"paging,omitempty"`
	}{Total: len(hits), Results: results}
	if end < len(hits) && end < maxSearchResults {
		body.Paging = map[string]any{"next": map[string]string{"after": strconv.Itoa(end)}}
	}
	return http.StatusOK, body
}

func compileFilter(os *objectStore, f filterIO) (compiled, *apiError) {
	cf := compiled{f: f}
	if !operators[f.Operator] {
		return cf, validationError(fmt.Sprintf("Unknown filter operator %q", f.Operator))
	}
	if strings.HasPrefix(f.PropertyName, "associations.") {
		t := lookupType(strings.TrimPrefix(f.PropertyName, "associations."))
		if t == nil {
			return cf, validationError(fmt.Sprintf("Unknown association filter %s", f.PropertyName))
		}
		cf.assoc = t.name
	} else {
		cf.prop = os.props[f.PropertyName]
		if cf.prop == nil || cf.prop.Archived {
			return cf, validationError(fmt.Sprintf("Unable to find property %s to filter on", f.PropertyName))
		}
	}
	if f.Value != nil {
		cf.value = string(*f.Value)
	}
	if f.HighValue != nil {
		cf.high = string(*f.HighValue)
	}
	for _, v := range f.Values {
		cf.values = append(cf.values, string(v))
	}
	switch f.Operator {
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return cf, validationError(fmt.Sprintf("Operator %s needs values", f.Operator))
		}
	case "BETWEEN":
		if f.Value == nil || f.HighValue == nil {
			return cf, validationError("Operator BETWEEN needs value and highValue")
		}
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
	default:
		if f.Value == nil {
			return cf, validationError(fmt.Sprintf("Operator %s needs a value", f.Operator))
		}
	}
	if f.Operator == "CONTAINS_TOKEN" || f.Operator == "NOT_CONTAINS_TOKEN" {
		pat := regexp.QuoteMeta(strings.ToLower(cf.value))
		cf.token = regexp.MustCompile("^" + strings.ReplaceAll(pat, `\*`, ".*") + "$")
	}
	return cf, nil
}

// matchGroup ANDs a group's filters.
func (st *state) matchGroup(os *objectStore, id string, view map[string]string, g []compiled) bool {
	for _, f := range g {
		if !st.matchFilter(os, id, view, f) {
			return false
		}
	}
	return true
}

func (st *state) matchFilter(os *objectStore, id string, view map[string]string, f compiled) bool {
	if f.assoc != "" {
		me := recKey{os.t.name, id}
		in := func(v string) bool { return len(st.assoc[me][recKey{f.assoc, v}]) > 0 }
		switch f.f.Operator {
		case "EQ":
			return in(f.value)
		case "NEQ":
			return !in(f.value)
		case "IN", "NOT_IN":
			any := false
			for _, v := range f.values {
				any = any || in(v)
			}
			return any == (f.f.Operator == "IN")
		case "HAS_PROPERTY":
			return len(st.targets(me, f.assoc)) > 0
		case "NOT_HAS_PROPERTY":
			return len(st.targets(me, f.assoc)) == 0
		}
		return false
	}
	v, has := view[f.prop.Name]
	// A contact's email filter also matches its additional emails.
	alts := []string{v}
	if os.t.name == "contacts" && f.prop.Name == "email" && view["hs_additional_emails"] != "" {
		alts = append(alts, strings.Split(view["hs_additional_emails"], ";")...)
		has = true
	}
	anyEqual := func(want string, inList bool) bool {
		for _, a := range alts {
			if a != "" && equalValue(f.prop, a, want, inList) {
				return true
			}
		}
		return false
	}
	switch f.f.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "EQ":
		return has && anyEqual(f.value, false)
	case "NEQ":
		return !has || !anyEqual(f.value, false)
	case "IN", "NOT_IN":
		found := false
		if has {
			for _, x := range f.values {
				if anyEqual(x, true) {
					found = true
					break
				}
			}
		}
		return found == (f.f.Operator == "IN")
	case "LT":
		return has && compareValues(f.prop, v, f.value) < 0
	case "LTE":
		return has && compareValues(f.prop, v, f.value) <= 0
	case "GT":
		return has && compareValues(f.prop, v, f.value) > 0
	case "GTE":
		return has && compareValues(f.prop, v, f.value) >= 0
	case "BETWEEN":
		return has && compareValues(f.prop, v, f.value) >= 0 && compareValues(f.prop, v, f.high) <= 0
	case "CONTAINS_TOKEN":
		return has && tokenMatch(f.token, v)
	case "NOT_CONTAINS_TOKEN":
		return !has || !tokenMatch(f.token, v)
	}
	return false
}

// equalValue compares a stored value with a filter value. Enumerations are
// case-sensitive; strings are not, except that IN and NOT_IN compare the
// lower-cased stored value with the filter values as sent, so upper-case
// filter values never match, as HubSpot documents.
func equalValue(p *propDef, stored, want string, inList bool) bool {
	switch p.Type {
	case "enumeration":
		if p.FieldType == "checkbox" {
			return slices.Contains(strings.Split(stored, ";"), want)
		}
		return stored == want
	case "number", "date", "datetime":
		return compareValues(p, stored, want) == 0
	case "bool":
		return strings.EqualFold(stored, want)
	}
	if inList {
		return strings.ToLower(stored) == want
	}
	return strings.EqualFold(stored, want)
}

// compareValues orders a and b by p's type: numbers numerically, dates and
// datetimes by instant (epoch milliseconds or ISO 8601), strings without case.
func compareValues(p *propDef, a, b string) int {
	return valueKey(p, a).compare(valueKey(p, b))
}

// sortKey is a value of a property parsed for comparing, so that a sort
// parses each hit's value once.
type sortKey struct {
	has     bool
	numeric bool
	num     float64
	text    string
}

// newSortKey is the key of view's value of prop; has is false when view
// holds none.
func newSortKey(p *propDef, view map[string]string, prop string) sortKey {
	v, ok := view[prop]
	if !ok {
		return sortKey{}
	}
	k := valueKey(p, v)
	k.has = true
	return k
}

// valueKey parses v as a value of p's type.
func valueKey(p *propDef, v string) sortKey {
	k := sortKey{text: strings.ToLower(v)}
	if p == nil {
		return k
	}
	switch p.Type {
	case "number":
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			k.numeric, k.num = true, x
		}
	case "date", "datetime":
		if x, ok := instant(v); ok {
			k.numeric, k.num = true, float64(x)
		}
	}
	return k
}

// compare orders a and b: by number or instant when both are one, else
// as text without case.
func (a sortKey) compare(b sortKey) int {
	if a.numeric && b.numeric {
		return cmpFloat(a.num, b.num)
	}
	return strings.Compare(a.text, b.text)
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// instant parses epoch milliseconds, RFC 3339 or YYYY-MM-DD.
func instant(v string) (int64, bool) {
	if digitsRe.MatchString(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UnixMilli(), true
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.UnixMilli(), true
	}
	return 0, false
}

// tokenMatch matches a CONTAINS_TOKEN pattern against the whole value and
// each of its words.
func tokenMatch(re *regexp.Regexp, v string) bool {
	lv := strings.ToLower(v)
	if re.MatchString(lv) {
		return true
	}
	for _, tok := range strings.FieldsFunc(lv, func(r rune) bool { return r == ' ' || r == ';' || r == ',' || r == '\t' || r == '\n' }) {
		if re.MatchString(tok) {
			return true
		}
	}
	return false
}

// matchQuery searches the object's default searchable properties for q.
func matchQuery(os *objectStore, view map[string]string, q string) bool {
	for _, p := range os.t.query {
		if strings.Contains(strings.ToLower(view[p]), q) {
			return true
		}
	}
	return false
}

// indexCandidates narrows a search through the unique-value indexes when
// every filter group has an EQ or IN filter on a unique property (email, or
// a hasUniqueValue property): the records it returns are a superset of the
// matches, in ID order. It reports false when a full scan is needed.
func indexCandidates(os *objectStore, groups [][]compiled) ([]*record, bool) {
	if len(groups) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	for _, g := range groups {
		found := false
		for _, f := range g {
			if f.prop == nil || !os.isUnique(f.prop.Name) || (f.f.Operator != "EQ" && f.f.Operator != "IN") {
				continue
			}
			values := f.values
			if f.f.Operator == "EQ" {
				values = []string{f.value}
			}
			for _, v := range values {
				if r := os.byUnique(f.prop.Name, v); r != nil {
					seen[r.id] = true
				}
			}
			found = true
			break
		}
		if !found {
			return nil, false
		}
	}
	out := make([]*record, 0, len(seen))
	for id := range seen {
		out = append(out, os.recs[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].num < out[j].num })
	return out, true
}
