package emulator

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// objType is one CRM object type the emulator serves.
type objType struct {
	name     string // plural path name: contacts
	id       string // type ID: 0-1
	singular string // contact
	upper    string // CONTACT, as in batch read error messages
	lastMod  string // last-modified property name
	idBase   int64  // first record ID; distinct per type so that mixed-up IDs miss
	defaults []string
	query    []string // properties searched by a search's "query"
	group    string   // default property group
}

var objTypes = []*objType{
	{name: "contacts", id: "0-1", singular: "contact", upper: "CONTACT", lastMod: "lastmodifieddate", idBase: 10000001,
		defaults: []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
		query:    []string{"firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone", "company"},
		group:    "contactinformation"},
	{name: "companies", id: "0-2", singular: "company", upper: "COMPANY", lastMod: "hs_lastmodifieddate", idBase: 20000001,
		defaults: []string{"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
		query:    []string{"website", "phone", "name", "domain"},
		group:    "companyinformation"},
	{name: "deals", id: "0-3", singular: "deal", upper: "DEAL", lastMod: "hs_lastmodifieddate", idBase: 30000001,
		defaults: []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
		query:    []string{"dealname", "pipeline", "dealstage", "description", "dealtype"},
		group:    "dealinformation"},
	{name: "tickets", id: "0-5", singular: "ticket", upper: "TICKET", lastMod: "hs_lastmodifieddate", idBase: 40000001,
		defaults: []string{"content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"},
		query:    []string{"subject", "content", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_id"},
		group:    "ticketinformation"},
	{name: "products", id: "0-7", singular: "product", upper: "PRODUCT", lastMod: "hs_lastmodifieddate", idBase: 50000001,
		defaults: []string{"createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"},
		query:    []string{"name", "description", "price", "hs_sku"},
		group:    "productinformation"},
	{name: "line_items", id: "0-8", singular: "line_item", upper: "LINE_ITEM", lastMod: "hs_lastmodifieddate", idBase: 60000001,
		defaults: []string{"amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "price", "quantity"},
		query:    []string{"name", "description", "hs_sku"},
		group:    "lineiteminformation"},
}

// lookupType resolves a plural name, a singular name or a type ID.
func lookupType(s string) *objType {
	for _, t := range objTypes {
		if s == t.name || s == t.id || s == t.singular {
			return t
		}
	}
	return nil
}

// record is one CRM record. props holds only set values; a cleared property
// is absent.
type record struct {
	id         string
	num        int64
	props      map[string]string
	created    time.Time
	updated    time.Time
	archived   bool
	archivedAt time.Time
	// hist holds the versions search may still see while SearchLag > 0,
	// oldest first. Empty means search sees the current version.
	hist []snapshot
	// history holds each property's last values, oldest first, for
	// propertiesWithHistory.
	history map[string][]historyIO
}

// maxHistory is how many past values a property keeps.
const maxHistory = 20

// snapshot is a version of a record as the search index holds it.
type snapshot struct {
	at       time.Time
	props    map[string]string
	archived bool
}

// objectStore holds one object type's records and property definitions.
type objectStore struct {
	t       *objType
	nextID  int64
	recs    map[string]*record
	order   []*record // ascending ID, as IDs only grow
	props   map[string]*propDef
	groups  map[string]*propGroup
	unique  map[string]map[string]string // property → folded value → record ID
	uniq    []string                     // cached uniqueProps
	merged  map[string]string            // merged-away ID → the ID it merged into
	created time.Time
}

// state is everything Reset throws away.
type state struct {
	objects     map[string]*objectStore
	assoc       map[recKey]map[recKey]map[int]bool
	labels      map[int]*assocDef // custom labels, by type ID
	assocLimits map[int]int       // configured maxToObjectIds, by type ID
	// rules are property validation rules: object type → property → rule type.
	rules       map[string]map[string]map[string]*ruleIO
	nextLabelID int
	pipelines   map[string][]*pipeline // deals, tickets
	nextPipe    int64
	nextStage   int64
}

// recKey names a record across types.
type recKey struct {
	typ string
	id  string
}

func newState(now time.Time) *state {
	st := &state{
		objects:     map[string]*objectStore{},
		assoc:       map[recKey]map[recKey]map[int]bool{},
		labels:      map[int]*assocDef{},
		assocLimits: map[int]int{},
		rules:       map[string]map[string]map[string]*ruleIO{},
		nextLabelID: 1000,
		pipelines:   map[string][]*pipeline{},
		nextPipe:    100000001,
		nextStage:   200000001,
	}
	for _, t := range objTypes {
		os := &objectStore{t: t, nextID: t.idBase, recs: map[string]*record{}, props: map[string]*propDef{},
			groups: map[string]*propGroup{}, unique: map[string]map[string]string{}, merged: map[string]string{}, created: now}
		for _, p := range defaultProperties(t) {
			os.props[p.Name] = p
		}
		os.groups[t.group] = &propGroup{Name: t.group, Label: labelFor(t.singular) + " information", DisplayOrder: -1}
		os.unique["email"] = map[string]string{}
		st.objects[t.name] = os
	}
	st.pipelines["deals"] = []*pipeline{defaultDealPipeline()}
	st.pipelines["tickets"] = []*pipeline{defaultTicketPipeline()}
	return st
}

// fold normalises a unique value for comparison: HubSpot compares emails
// case-insensitively; the emulator does the same for every unique property.
func fold(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// uniqueProps returns the names of properties whose values must be unique:
// email on contacts and every hasUniqueValue property. The list is cached;
// refreshUnique rebuilds it when properties change.
func (os *objectStore) uniqueProps() []string {
	if os.uniq == nil {
		os.refreshUnique()
	}
	return os.uniq
}

func (os *objectStore) refreshUnique() {
	out := []string{}
	if os.t.name == "contacts" {
		out = append(out, "email")
	}
	for _, p := range os.props {
		if p.HasUniqueValue && !p.Archived {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	os.uniq = out
}

// isUnique reports whether name may be used as an idProperty.
func (os *objectStore) isUnique(name string) bool {
	if name == "email" && os.t.name == "contacts" {
		return true
	}
	p := os.props[name]
	return p != nil && p.HasUniqueValue && !p.Archived
}

// byUnique finds a live record by a unique property value.
func (os *objectStore) byUnique(prop, value string) *record {
	idx := os.unique[prop]
	if idx == nil {
		return nil
	}
	id, ok := idx[fold(value)]
	if !ok {
		return nil
	}
	return os.recs[id]
}

// live returns the record with id if it exists and is not archived.
func (os *objectStore) live(id string) *record {
	r := os.recs[id]
	if r == nil || r.archived {
		return nil
	}
	return r
}

// newRecord allocates the next ID.
func (os *objectStore) newRecord(now time.Time) *record {
	n := os.nextID
	os.nextID++
	id := strconv.FormatInt(n, 10)
	return &record{id: id, num: n, props: map[string]string{}, created: now, updated: now}
}

// commit stores rec with the given changes: values of "" clear a property.
// It keeps the unique indexes, computed properties and search history up to
// date. isNew says rec is not yet stored.
func (s *Server) commit(st *state, os *objectStore, rec *record, changes map[string]string, isNew bool, now time.Time) {
	if !isNew {
		os.unindex(rec)
	}
	if rec.history == nil {
		rec.history = map[string][]historyIO{}
	}
	source, label := "API", "INTERNAL_PROCESSING"
	var user *int64
	if s.actor != "" {
		source, label = "CRM_UI", "CRM_UI"
		if n, err := strconv.ParseInt(s.actor, 10, 64); err == nil {
			user = &n
		}
	}
	for k, v := range changes {
		if v == "" {
			delete(rec.props, k)
		} else {
			rec.props[k] = v
		}
		h := append(rec.history[k], historyIO{Value: v, Timestamp: timestamp(now), SourceType: source, UpdatedByUserID: user})
		if len(h) > maxHistory {
			h = h[len(h)-maxHistory:]
		}
		rec.history[k] = h
	}
	if isNew {
		rec.props["createdate"] = orDefault(rec.props["createdate"], timestamp(rec.created))
		rec.props["hs_object_id"] = rec.id
		rec.props["hs_object_source"] = source
		rec.props["hs_object_source_label"] = label
		if s.actor != "" {
			rec.props["hs_created_by_user_id"] = s.actor
		}
		for k, prop := range countProps {
			if k[0] == os.t.name {
				rec.props[prop] = "0"
			}
		}
		os.recs[rec.id] = rec
		os.order = append(os.order, rec)
	}
	rec.updated = now
	rec.props[os.t.lastMod] = timestamp(now)
	// The last change's user: none for an integration's write.
	if s.actor != "" {
		rec.props["hs_updated_by_user_id"] = s.actor
	} else {
		delete(rec.props, "hs_updated_by_user_id")
	}
	s.computeProps(st, os, rec, now)
	os.index(rec)
	s.snapshot(rec, now)
}

// uniqueKey is one entry of rec in the unique indexes.
type uniqueKey struct {
	prop, value string
	additional  bool // a contact's additional email: it never displaces another contact's email
}

// uniqueKeys lists rec's entries in the unique indexes: its unique property
// values and, on contacts, its additional emails, which HubSpot keeps unique
// like the email itself.
func (os *objectStore) uniqueKeys(rec *record) []uniqueKey {
	var out []uniqueKey
	for _, u := range os.uniqueProps() {
		if v, ok := rec.props[u]; ok {
			out = append(out, uniqueKey{prop: u, value: fold(v)})
		}
	}
	if os.t.name == "contacts" {
		for _, e := range strings.Split(rec.props["hs_additional_emails"], ";") {
			if e != "" {
				out = append(out, uniqueKey{prop: "email", value: fold(e), additional: true})
			}
		}
	}
	return out
}

// index adds rec's unique values to the indexes.
func (os *objectStore) index(rec *record) {
	for _, k := range os.uniqueKeys(rec) {
		idx := os.unique[k.prop]
		if idx == nil {
			idx = map[string]string{}
			os.unique[k.prop] = idx
		}
		if _, taken := idx[k.value]; taken && k.additional {
			continue
		}
		idx[k.value] = rec.id
	}
}

// unindex removes rec's entries from the indexes.
func (os *objectStore) unindex(rec *record) {
	for _, k := range os.uniqueKeys(rec) {
		if os.unique[k.prop][k.value] == rec.id {
			delete(os.unique[k.prop], k.value)
		}
	}
}

// archive moves rec to the recycle bin: out of the unique indexes, out of
// search, and without associations. A deal's line items go with it, since
// a line item belongs to its one parent.
func (s *Server) archive(st *state, os *objectStore, rec *record, now time.Time) {
	if rec.archived {
		return
	}
	os.unindex(rec)
	rec.archived = true
	rec.archivedAt = now
	rec.updated = now
	s.snapshot(rec, now)
	me := recKey{os.t.name, rec.id}
	var cascade, deals []string
	for other := range st.assoc[me] {
		if os.t.name == "deals" && other.typ == "line_items" {
			cascade = append(cascade, other.id)
		}
		if os.t.name == "line_items" && other.typ == "deals" {
			deals = append(deals, other.id)
		}
		st.unlinkAll(me, other)
	}
	for _, id := range deals {
		s.recomputeDeal(st, id, now)
	}
	li := st.objects["line_items"]
	for _, id := range cascade {
		if r := li.live(id); r != nil {
			s.archive(st, li, r, now)
		}
	}
}

// snapshot records rec's current version for search when a lag is set.
func (s *Server) snapshot(rec *record, now time.Time) {
	lag := s.Config().SearchLag.Duration
	if lag <= 0 {
		rec.hist = nil
		return
	}
	rec.hist = append(rec.hist, snapshot{at: now, props: cloneProps(rec.props), archived: rec.archived})
	cut := now.Add(-lag)
	// Keep the newest version at or before the cut-off and everything after.
	i := 0
	for i+1 < len(rec.hist) && !rec.hist[i+1].at.After(cut) {
		i++
	}
	rec.hist = rec.hist[i:]
}

// searchView returns the version of rec that search sees at now, or false
// when search does not see rec yet.
func searchView(rec *record, now time.Time, lag time.Duration) (map[string]string, bool) {
	if lag <= 0 || len(rec.hist) == 0 {
		return rec.props, !rec.archived
	}
	cut := now.Add(-lag)
	var view *snapshot
	for i := range rec.hist {
		if rec.hist[i].at.After(cut) {
			break
		}
		view = &rec.hist[i]
	}
	if view == nil {
		return nil, false
	}
	return view.props, !view.archived
}

func cloneProps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
