package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// assocDef is an association type: one direction between two object types.
type assocDef struct {
	ID       int
	Category string // HUBSPOT_DEFINED or USER_DEFINED
	From, To string // object type names
	Label    string // "" for unlabeled types
	Name     string // v3 type name, e.g. contact_to_company
	Inverse  int    // the type ID of the other direction
	unlabel  bool   // the pair's default (most generic) type
}

// Association limits per request. HubSpot documents 1,000 for batch read;
// 2,000 for the write endpoints is third-party-reported.
const (
	maxAssocReadInputs  = 1000
	maxAssocWriteInputs = 2000
	assocPageSize       = 500
)

// hubspotDefs are HubSpot-defined association types between the six objects.
var hubspotDefs = buildHubspotDefs()

func buildHubspotDefs() map[int]*assocDef {
	defs := map[int]*assocDef{}
	add := func(id int, from, to, label, name string, inverse int, unlabel bool) {
		defs[id] = &assocDef{ID: id, Category: "HUBSPOT_DEFINED", From: from, To: to, Label: label, Name: name, Inverse: inverse, unlabel: unlabel}
	}
	pairs := []struct {
		from, to                   string
		unl, prim, revUnl, revPrim int
	}{
		{"contacts", "companies", 279, 1, 280, 2},
		{"deals", "companies", 341, 5, 342, 6},
		{"tickets", "companies", 339, 26, 340, 25},
		{"deals", "contacts", 3, 0, 4, 0},
		{"tickets", "contacts", 16, 0, 15, 0},
		{"tickets", "deals", 28, 0, 27, 0},
		{"line_items", "deals", 20, 0, 19, 0},
	}
	for _, p := range pairs {
		f, t := lookupType(p.from).singular, lookupType(p.to).singular
		if p.prim != 0 {
			add(p.prim, p.from, p.to, "Primary", f+"_to_"+t, p.revPrim, false)
			add(p.revPrim, p.to, p.from, "Primary", t+"_to_"+f, p.prim, false)
			add(p.unl, p.from, p.to, "", f+"_to_"+t+"_unlabeled", p.revUnl, true)
			add(p.revUnl, p.to, p.from, "", t+"_to_"+f+"_unlabeled", p.unl, true)
			continue
		}
		add(p.unl, p.from, p.to, "", f+"_to_"+t, p.revUnl, true)
		add(p.revUnl, p.to, p.from, "", t+"_to_"+f, p.unl, true)
	}
	add(450, "companies", "companies", "", "company_to_company", 450, true)
	add(13, "companies", "companies", "Parent Company", "parent_to_child_company", 14, false)
	add(14, "companies", "companies", "Child Company", "child_to_parent_company", 13, false)
	add(449, "contacts", "contacts", "", "contact_to_contact", 449, true)
	add(451, "deals", "deals", "", "deal_to_deal", 451, true)
	add(452, "tickets", "tickets", "", "ticket_to_ticket", 452, true)
	return defs
}

// primaryTypes may link a record to one target only: setting a new primary
// moves it.
var primaryTypes = map[int]bool{1: true, 5: true, 26: true}

// def returns the association type id, HubSpot-defined or custom.
func (st *state) def(id int) *assocDef {
	if d := hubspotDefs[id]; d != nil {
		return d
	}
	return st.labels[id]
}

// defaultDef returns the unlabeled type from one object type to another.
func defaultDef(from, to string) *assocDef {
	for _, d := range hubspotDefs {
		if d.unlabel && d.From == from && d.To == to {
			return d
		}
	}
	return nil
}

// defaultDefBetween is defaultDef for a route's object types, with the 400
// when the pair has no default type.
func defaultDefBetween(f, t *objType) (*assocDef, *apiError) {
	d := defaultDef(f.name, t.name)
	if d == nil {
		return nil, validationError(fmt.Sprintf("There is no default association type from %s to %s", f.name, t.name))
	}
	return d, nil
}

// defsBetween lists every type from one object type to another, by ID.
func (st *state) defsBetween(from, to string) []*assocDef {
	var out []*assocDef
	for _, d := range hubspotDefs {
		if d.From == from && d.To == to {
			out = append(out, d)
		}
	}
	for _, d := range st.labels {
		if d.From == from && d.To == to {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// pendingLink is a validated association waiting to be stored.
type pendingLink struct {
	from, to recKey
	def      *assocDef
}

// validLink checks one association: the type fits the object types, both
// records exist, and a line item keeps a single deal.
func (st *state) validLink(from, to recKey, typeID int) (*pendingLink, *apiError) {
	d := st.def(typeID)
	if d == nil || d.From != from.typ || d.To != to.typ {
		e := validationError(fmt.Sprintf("Association type %d is not valid from %s to %s", typeID, from.typ, to.typ))
		e.Context = map[string][]string{"associationTypeId": {strconv.Itoa(typeID)}}
		return nil, e
	}
	var bad []string
	var ids []string
	for _, k := range []recKey{from, to} {
		if k.id != "" && st.objects[k.typ].live(k.id) == nil {
			bad = append(bad, fmt.Sprintf("%s=%s is not valid", lookupType(k.typ).upper, k.id))
			ids = append(ids, k.id)
		}
	}
	if len(bad) > 0 {
		e := validationError("One or more associations are invalid")
		e.Context = map[string][]string{"INVALID_OBJECT_IDS": bad, "objectId": ids}
		return nil, e
	}
	if err := st.checkAssocLimit(from, to, typeID); err != nil {
		return nil, err
	}
	if li, deal := lineItemDeal(from, to); li.id != "" {
		for other := range st.assoc[li] {
			if other.typ == "deals" && other != deal {
				e := validationError(fmt.Sprintf("Line item %s already belongs to deal %s; a line item belongs to one deal", li.id, other.id))
				e.Context = map[string][]string{"objectId": {li.id}}
				return nil, e
			}
		}
	}
	return &pendingLink{from: from, to: to, def: d}, nil
}

// lineItemDeal returns the line item and deal of a line item–deal pair.
func lineItemDeal(a, b recKey) (recKey, recKey) {
	if a.typ == "line_items" && b.typ == "deals" {
		return a, b
	}
	if b.typ == "line_items" && a.typ == "deals" {
		return b, a
	}
	return recKey{}, recKey{}
}

// link stores an association in both directions. A labeled type brings the
// pair's unlabeled type with it, as in HubSpot every labeled association is
// also a plain one.
func (s *Server) link(st *state, from, to recKey, typeID int, now time.Time) {
	d := st.def(typeID)
	if d == nil {
		return
	}
	if primaryTypes[typeID] {
		for other, types := range st.assoc[from] {
			if other.typ == to.typ && other != to && types[typeID] {
				st.unlinkType(from, other, typeID)
			}
		}
	}
	st.addType(from, to, d.ID)
	st.addType(to, from, d.Inverse)
	if !d.unlabel {
		if u := defaultDef(from.typ, to.typ); u != nil {
			st.addType(from, to, u.ID)
			st.addType(to, from, u.Inverse)
		}
	}
	if li, deal := lineItemDeal(from, to); li.id != "" {
		s.recomputeDeal(st, deal.id, now)
	}
}

// linkTypes links from and to with every type in ids, or with none and the
// first type's error when one of them is not valid.
func (s *Server) linkTypes(from, to recKey, now time.Time, ids ...int) *apiError {
	for _, id := range ids {
		if _, err := s.st.validLink(from, to, id); err != nil {
			return err
		}
	}
	for _, id := range ids {
		s.link(s.st, from, to, id, now)
	}
	return nil
}

func (st *state) addType(a, b recKey, typeID int) {
	m := st.assoc[a]
	if m == nil {
		m = map[recKey]map[int]bool{}
		st.assoc[a] = m
	}
	if len(m[b]) == 0 {
		m[b] = map[int]bool{}
		st.bumpCount(a, b.typ, 1)
	}
	m[b][typeID] = true
}

// countProps are the num_associated_* properties HubSpot keeps, by record
// type and associated type.
var countProps = map[[2]string]string{
	{"contacts", "deals"}:     "num_associated_deals",
	{"companies", "contacts"}: "num_associated_contacts",
	{"companies", "deals"}:    "num_associated_deals",
	{"deals", "contacts"}:     "num_associated_contacts",
}

// bumpCount adds d to a's count of associated records of type typ.
func (st *state) bumpCount(a recKey, typ string, d int) {
	prop, ok := countProps[[2]string{a.typ, typ}]
	if !ok {
		return
	}
	rec := st.objects[a.typ].recs[a.id]
	if rec == nil {
		return
	}
	n, _ := strconv.Atoi(rec.props[prop])
	rec.props[prop] = strconv.Itoa(max(0, n+d))
}

// dropPair forgets the pair a→b when it has no type left.
func (st *state) dropPair(a, b recKey) {
	if types, ok := st.assoc[a][b]; ok {
		delete(st.assoc[a], b)
		if len(types) > 0 {
			st.bumpCount(a, b.typ, -1)
		}
	}
}

// unlinkType removes one type (both directions). Removing the unlabeled
// type removes every type between the pair.
func (st *state) unlinkType(a, b recKey, typeID int) {
	d := st.def(typeID)
	if d == nil {
		return
	}
	if d.unlabel {
		st.unlinkAll(a, b)
		return
	}
	delete(st.assoc[a][b], typeID)
	delete(st.assoc[b][a], d.Inverse)
	if len(st.assoc[a][b]) == 0 {
		st.dropPair(a, b)
	}
	if len(st.assoc[b][a]) == 0 {
		st.dropPair(b, a)
	}
}

// unlinkAll removes every association between a and b.
func (st *state) unlinkAll(a, b recKey) {
	st.dropPair(a, b)
	st.dropPair(b, a)
}

// typesBetween returns the type IDs from a to b, ascending.
func (st *state) typesBetween(a, b recKey) []int {
	var out []int
	for id := range st.assoc[a][b] {
		out = append(out, id)
	}
	sort.Ints(out)
	return out
}

// targets returns the records of type toType associated with a, by ID.
func (st *state) targets(a recKey, toType string) []recKey {
	var out []recKey
	for k, types := range st.assoc[a] {
		if k.typ == toType && len(types) > 0 && st.objects[k.typ].live(k.id) != nil {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].id, out[j].id) })
	return out
}

func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// inlineAssociations renders ?associations= on a record read.
func (st *state) inlineAssociations(typ, id string, names []string) map[string]*assocCollection {
	if len(names) == 0 {
		return nil
	}
	out := map[string]*assocCollection{}
	me := recKey{typ, id}
	for _, n := range names {
		t := lookupType(n)
		if t == nil {
			continue // HubSpot ignores associations it cannot resolve
		}
		if res := st.associatedIDs(me, t.name); len(res) > 0 {
			out[t.name] = &assocCollection{Results: res}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// associatedIDs lists a's associations to records of type toType, one entry
// per association type, as inline and v3 reads show them.
func (st *state) associatedIDs(a recKey, toType string) []associatedID {
	var out []associatedID
	for _, k := range st.targets(a, toType) {
		for _, id := range st.typesBetween(a, k) {
			out = append(out, associatedID{ID: k.id, Type: st.def(id).Name})
		}
	}
	return out
}

// inlineAssocIO is PublicAssociationsForObject, an association sent with a
// create.
type inlineAssocIO struct {
	To struct {
		ID flexString `json:"id"`
	} `json:"to"`
	Types []assocSpecIO `json:"types"`
}

// assocSpecIO is AssociationSpec.
type assocSpecIO struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

// typeIDs returns the association type IDs of specs.
func typeIDs(specs []assocSpecIO) []int {
	ids := make([]int, len(specs))
	for i, sp := range specs {
		ids[i] = sp.AssociationTypeID
	}
	return ids
}

// resolveInline validates the associations sent with a create; fromID is
// empty while the record does not exist yet.
func (st *state) resolveInline(os *objectStore, fromID string, in []inlineAssocIO) ([]*pendingLink, *apiError) {
	var out []*pendingLink
	deals := map[string]bool{}
	for _, a := range in {
		if len(a.Types) == 0 {
			return nil, validationError("Each association needs at least one type")
		}
		for _, t := range a.Types {
			d := st.def(t.AssociationTypeID)
			if d == nil || d.From != os.t.name {
				e := validationError(fmt.Sprintf("Association type %d is not valid from %s", t.AssociationTypeID, os.t.name))
				e.Context = map[string][]string{"associationTypeId": {strconv.Itoa(t.AssociationTypeID)}}
				return nil, e
			}
			if t.AssociationCategory != "" && t.AssociationCategory != d.Category {
				return nil, validationError(fmt.Sprintf("Association type %d has category %s, not %s", d.ID, d.Category, t.AssociationCategory))
			}
			l, err := st.validLink(recKey{os.t.name, fromID}, recKey{d.To, string(a.To.ID)}, d.ID)
			if err != nil {
				return nil, err
			}
			if os.t.name == "line_items" && d.To == "deals" {
				deals[string(a.To.ID)] = true
				if len(deals) > 1 {
					return nil, validationError("A line item belongs to one deal")
				}
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// assocTypes resolves the from and to object types of a batch route.
func (c *call) assocTypes() (*objType, *objType, *apiError) {
	fp, tp := "fromObjectType", "toObjectType"
	if c.param(fp) == "" {
		fp = "objectType"
	}
	f, t := lookupType(c.param(fp)), lookupType(c.param(tp))
	if f == nil {
		return nil, nil, unknownType(c.param(fp))
	}
	if t == nil {
		return nil, nil, unknownType(c.param(tp))
	}
	return f, t, nil
}

// specWithLabel is AssociationSpecWithLabel.
type specWithLabel struct {
	Category         string  `json:"category"`
	TypeID           int     `json:"typeId"`
	Label            *string `json:"label"`
	FromObjectTypeID string  `json:"fromObjectTypeId,omitempty"`
	ToObjectTypeID   string  `json:"toObjectTypeId,omitempty"`
}

func (c *call) specLabel(d *assocDef) specWithLabel {
	out := specWithLabel{Category: d.Category, TypeID: d.ID}
	if d.Label != "" {
		l := d.Label
		out.Label = &l
	}
	if c.ver == "v4" {
		out.FromObjectTypeID, out.ToObjectTypeID = lookupType(d.From).id, lookupType(d.To).id
	}
	return out
}

type objectIDIO struct {
	ID flexString `json:"id"`
}

// labelsPair is LabelsBetweenObjectPair.
type labelsPair struct {
	FromObjectTypeID string   `json:"fromObjectTypeId"`
	FromObjectID     string   `json:"fromObjectId"`
	ToObjectTypeID   string   `json:"toObjectTypeId"`
	ToObjectID       string   `json:"toObjectId"`
	Labels           []string `json:"labels"`
}

func (st *state) labelsPair(from, to recKey) labelsPair {
	out := labelsPair{FromObjectTypeID: lookupType(from.typ).id, FromObjectID: from.id, ToObjectTypeID: lookupType(to.typ).id, ToObjectID: to.id, Labels: []string{}}
	for _, id := range st.typesBetween(from, to) {
		if l := st.def(id).Label; l != "" {
			out.Labels = append(out.Labels, l)
		}
	}
	return out
}

// defaultResult is PublicDefaultAssociation.
type defaultResult struct {
	From           objectIDIO  `json:"from"`
	To             objectIDIO  `json:"to"`
	AssociationSpc assocSpecIO `json:"associationSpec"`
}

func handleAssocPutDefault(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	s := c.s
	d, err := defaultDefBetween(f, t)
	if err != nil {
		return 0, err
	}
	from, to := recKey{f.name, c.param("fromObjectId")}, recKey{t.name, c.param("toObjectId")}
	start := s.now()
	if err := s.linkTypes(from, to, start, d.ID); err != nil {
		return 0, err
	}
	res := []defaultResult{
		{From: objectIDIO{flexString(from.id)}, To: objectIDIO{flexString(to.id)}, AssociationSpc: assocSpecIO{d.Category, d.ID}},
		{From: objectIDIO{flexString(to.id)}, To: objectIDIO{flexString(from.id)}, AssociationSpc: assocSpecIO{d.Category, d.Inverse}},
	}
	return http.StatusOK, batchEnvelope(start, s.now(), res, nil)
}

func handleAssocPutLabeled(c *call) (int, any) {
	var specs []assocSpecIO
	f, t, err := c.decodeAssoc(&specs)
	if err != nil {
		return 0, err
	}
	if len(specs) == 0 {
		return 0, validationError("Send at least one association type")
	}
	s := c.s
	from, to := recKey{f.name, c.param("objectId")}, recKey{t.name, c.param("toObjectId")}
	for _, sp := range specs {
		if _, err := s.st.validLink(from, to, sp.AssociationTypeID); err != nil {
			return 0, err
		}
	}
	now := s.now() // read only once the request is known to succeed
	for _, sp := range specs {
		s.link(s.st, from, to, sp.AssociationTypeID, now)
	}
	return http.StatusCreated, s.st.labelsPair(from, to)
}

func handleAssocDeletePair(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	s := c.s
	from, to := recKey{f.name, c.param("objectId")}, recKey{t.name, c.param("toObjectId")}
	s.st.unlinkAll(from, to)
	if li, deal := lineItemDeal(from, to); li.id != "" {
		s.recomputeDeal(s.st, deal.id, s.now()) // the clock is read only when a deal changes
	}
	return http.StatusNoContent, nil
}

// multiAssociated is MultiAssociatedObjectWithLabel.
type multiAssociated struct {
	ToObjectID       string          `json:"toObjectId"`
	AssociationTypes []specWithLabel `json:"associationTypes"`
}

// page returns up to assocPageSize associations of from to toType after
// the cursor, and the next cursor.
func (c *call) page(from recKey, toType, after string, limit int) ([]multiAssociated, string) {
	st := c.s.st
	out := []multiAssociated{}
	for _, k := range st.targets(from, toType) {
		if after != "" && !idLess(after, k.id) && after != k.id {
			continue
		}
		if len(out) == limit {
			return out, k.id
		}
		m := multiAssociated{ToObjectID: k.id}
		for _, id := range st.typesBetween(from, k) {
			m.AssociationTypes = append(m.AssociationTypes, c.specLabel(st.def(id)))
		}
		out = append(out, m)
	}
	return out, ""
}

func handleAssocList(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	q := c.r.URL.Query()
	limit := assocPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > assocPageSize {
			return 0, validationError(fmt.Sprintf("limit must be between 1 and %d", assocPageSize))
		}
		limit = n
	}
	s := c.s
	from := recKey{f.name, c.param("objectId")}
	if s.st.objects[f.name].live(from.id) == nil {
		return 0, notFoundError(from.id)
	}
	res, next := c.page(from, t.name, q.Get("after"), limit)
	body := map[string]any{"results": res}
	if next != "" {
		body["paging"] = map[string]any{"next": map[string]string{"after": next}}
	}
	return http.StatusOK, body
}

func assocBatchSize(n, max int) *apiError {
	if n > max {
		return validationError(fmt.Sprintf("Too many inputs: %d. The maximum number of inputs in this batch request is %d.", n, max))
	}
	return nil
}

// decodeAssoc resolves the object types of an association route, then
// decodes the body into v.
func (c *call) decodeAssoc(v any) (from, to *objType, err *apiError) {
	if from, to, err = c.assocTypes(); err != nil {
		return nil, nil, err
	}
	if err := c.decode(v); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

// assocBatch resolves the object types of an association batch route, then
// decodes its inputs, refusing more than max (0: no limit).
func assocBatch[T any](c *call, max int) (from, to *objType, inputs []T, err *apiError) {
	var in struct {
		Inputs []T `json:"inputs"`
	}
	if from, to, err = c.decodeAssoc(&in); err != nil {
		return nil, nil, nil, err
	}
	if max > 0 {
		if err := assocBatchSize(len(in.Inputs), max); err != nil {
			return nil, nil, nil, err
		}
	}
	return from, to, in.Inputs, nil
}

// assocItemError turns a failed association input into a batch item error.
func assocItemError(err *apiError, from, to string) standardError {
	item := err.asItem("")
	if _, ok := item.Context["fromObjectId"]; !ok && from != "" {
		item.Context["fromObjectId"] = []string{from}
	}
	if _, ok := item.Context["toObjectId"]; !ok && to != "" {
		item.Context["toObjectId"] = []string{to}
	}
	return item
}

// noAssociationsError is the item error of a batch read input that has no
// associations to the target type.
func noAssociationsError(f, t *objType, fromID string) standardError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No %s is associated with %s %s.", t.singular, f.singular, fromID))
	e.Context = map[string][]string{"fromObjectId": {fromID}}
	return e.asItem("")
}

// pairKeys returns the records an association input names, from of type f
// and to of type t.
func pairKeys(f, t *objType, from, to objectIDIO) (recKey, recKey) {
	return recKey{f.name, string(from.ID)}, recKey{t.name, string(to.ID)}
}

func handleAssocBatchDefault(c *call) (int, any) {
	type input = struct {
		From objectIDIO `json:"from"`
		To   objectIDIO `json:"to"`
	}
	f, t, inputs, err := assocBatch[input](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	d, err := defaultDefBetween(f, t)
	if err != nil {
		return 0, err
	}
	res := []defaultResult{}
	var errs []standardError
	for _, x := range inputs {
		from, to := pairKeys(f, t, x.From, x.To)
		if err := s.linkTypes(from, to, start, d.ID); err != nil {
			errs = append(errs, assocItemError(err, from.id, to.id))
			continue
		}
		res = append(res, defaultResult{From: x.From, To: x.To, AssociationSpc: assocSpecIO{d.Category, d.ID}})
	}
	// Every version declares only 200 here; failures go in errors[].
	return http.StatusOK, batchEnvelope(start, s.now(), res, errs)
}

// labeledInput is PublicAssociationMultiPost.
type labeledInput struct {
	From  objectIDIO    `json:"from"`
	To    objectIDIO    `json:"to"`
	Types []assocSpecIO `json:"types"`
}

func handleAssocBatchCreate(c *call) (int, any) {
	f, t, inputs, err := assocBatch[labeledInput](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	res := []labelsPair{}
	var errs []standardError
	for _, x := range inputs {
		from, to := pairKeys(f, t, x.From, x.To)
		var err *apiError
		if len(x.Types) == 0 {
			err = validationError("Each input needs at least one association type")
		} else {
			err = s.linkTypes(from, to, start, typeIDs(x.Types)...)
		}
		if err != nil {
			errs = append(errs, assocItemError(err, from.id, to.id))
			continue
		}
		res = append(res, s.st.labelsPair(from, to))
	}
	return batchStatus(c.ver, createdStatus(c.ver), len(errs)), batchEnvelope(start, s.now(), res, errs)
}

func handleAssocBatchRead(c *call) (int, any) {
	type input = struct {
		ID    flexString `json:"id"`
		After string     `json:"after"`
	}
	f, t, inputs, err := assocBatch[input](c, maxAssocReadInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	type result struct {
		From   objectIDIO        `json:"from"`
		To     []multiAssociated `json:"to"`
		Paging map[string]any    `json:"paging,omitempty"`
	}
	res := []result{}
	var errs []standardError
	for _, x := range inputs {
		from := recKey{f.name, string(x.ID)}
		to, next := c.page(from, t.name, x.After, assocPageSize)
		if s.st.objects[f.name].live(from.id) == nil || (len(to) == 0 && x.After == "") {
			errs = append(errs, noAssociationsError(f, t, from.id))
			continue
		}
		r := result{From: objectIDIO{x.ID}, To: to}
		if next != "" {
			r.Paging = map[string]any{"next": map[string]string{"after": next}}
		}
		res = append(res, r)
	}
	return batchStatus(c.ver, http.StatusOK, len(errs)), batchEnvelope(start, s.now(), res, errs)
}

// archiveResponse answers an association batch archive: 200 with a batch
// body in 2026-09 and 2026-03, 204 in v4.
func archiveResponse(c *call, start time.Time, errs []standardError) (int, any) {
	if c.ver == "v4" || c.ver == "v3" {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, batchEnvelope(start, c.s.now(), []any{}, errs)
}

func handleAssocBatchArchive(c *call) (int, any) {
	type input = struct {
		From objectIDIO   `json:"from"`
		To   []objectIDIO `json:"to"`
	}
	f, t, inputs, err := assocBatch[input](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	for _, x := range inputs {
		for _, to := range x.To {
			a, b := recKey{f.name, string(x.From.ID)}, recKey{t.name, string(to.ID)}
			s.st.unlinkAll(a, b)
			s.recomputePairDeal(a, b, start)
		}
	}
	return archiveResponse(c, start, nil)
}

func handleAssocBatchLabelsArchive(c *call) (int, any) {
	f, t, inputs, err := assocBatch[labeledInput](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	for _, x := range inputs {
		a, b := pairKeys(f, t, x.From, x.To)
		for _, sp := range x.Types {
			s.st.unlinkType(a, b, sp.AssociationTypeID)
		}
		s.recomputePairDeal(a, b, start)
	}
	return archiveResponse(c, start, nil)
}

// recomputePairDeal recomputes the deal of a line item–deal pair whose
// associations changed; other pairs touch no deal.
func (s *Server) recomputePairDeal(a, b recKey, now time.Time) {
	if li, deal := lineItemDeal(a, b); li.id != "" {
		s.recomputeDeal(s.st, deal.id, now)
	}
}

// listDefs answers {"results": [...]} with the association types between
// the route's object types, each rendered by view.
func listDefs[T any](c *call, view func(*assocDef) T) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	s := c.s
	out := []T{}
	for _, d := range s.st.defsBetween(f.name, t.name) {
		out = append(out, view(d))
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handleLabelsList(c *call) (int, any) { return listDefs(c, c.specLabel) }

func handleLabelsCreate(c *call) (int, any) {
	var in struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		InverseLabel string `json:"inverseLabel"`
	}
	f, t, err := c.decodeAssoc(&in)
	if err != nil {
		return 0, err
	}
	if in.Name == "" || in.Label == "" {
		return 0, validationError("A label needs a name and a label")
	}
	if f.name == "products" || t.name == "products" {
		return 0, validationError("Products cannot be associated with other objects")
	}
	s := c.s
	st := s.st
	for _, d := range st.defsBetween(f.name, t.name) {
		if d.Category == "USER_DEFINED" && (strings.EqualFold(d.Name, in.Name) || strings.EqualFold(d.Label, in.Label)) {
			return 0, newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("An association label named %s already exists between %s and %s", in.Name, f.name, t.name))
		}
	}
	a := &assocDef{ID: st.nextLabelID, Category: "USER_DEFINED", From: f.name, To: t.name, Label: in.Label, Name: in.Name}
	st.nextLabelID++
	out := []specWithLabel{c.specLabel(a)}
	st.labels[a.ID] = a
	if f.name == t.name && in.InverseLabel == "" {
		a.Inverse = a.ID
	} else {
		inv := in.InverseLabel
		if inv == "" {
			inv = in.Label
		}
		b := &assocDef{ID: st.nextLabelID, Category: "USER_DEFINED", From: t.name, To: f.name, Label: inv, Name: in.Name + "_inverse", Inverse: a.ID}
		st.nextLabelID++
		a.Inverse = b.ID
		st.labels[b.ID] = b
		out = append(out, c.specLabel(b))
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handleLabelsUpdate(c *call) (int, any) {
	var in struct {
		AssociationTypeID int    `json:"associationTypeId"`
		Label             string `json:"label"`
		InverseLabel      string `json:"inverseLabel"`
	}
	f, t, err := c.decodeAssoc(&in)
	if err != nil {
		return 0, err
	}
	s := c.s
	d := s.st.labels[in.AssociationTypeID]
	if d == nil || d.From != f.name || d.To != t.name {
		return 0, validationError(fmt.Sprintf("Association type %d is not a custom label from %s to %s", in.AssociationTypeID, f.name, t.name))
	}
	if in.Label == "" {
		return 0, validationError("label is required")
	}
	d.Label = in.Label
	if inv := s.st.labels[d.Inverse]; inv != nil && inv != d && in.InverseLabel != "" {
		inv.Label = in.InverseLabel
	}
	return http.StatusNoContent, nil
}

func handleLabelsDelete(c *call) (int, any) {
	f, t, err := c.assocTypes()
	if err != nil {
		return 0, err
	}
	id, convErr := strconv.Atoi(c.param("associationTypeId"))
	s := c.s
	d := s.st.labels[id]
	if convErr != nil || d == nil || d.From != f.name || d.To != t.name {
		return 0, validationError(fmt.Sprintf("Association type %s is not a custom label from %s to %s", c.param("associationTypeId"), f.name, t.name))
	}
	for a, m := range s.st.assoc {
		for b, types := range m {
			if types[d.ID] {
				s.st.unlinkType(a, b, d.ID)
			}
		}
	}
	delete(s.st.labels, d.Inverse)
	delete(s.st.labels, d.ID)
	return http.StatusNoContent, nil
}

// v3 associations name types by string (contact_to_company).

func (st *state) defByName(from, to, name string) *assocDef {
	for _, d := range st.defsBetween(from, to) {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// v3Assoc is an input and result of the v3 batch endpoints.
type v3Assoc struct {
	From objectIDIO `json:"from"`
	To   objectIDIO `json:"to"`
	Type string     `json:"type"`
}

func handleV3AssocBatchCreate(c *call) (int, any) {
	f, t, inputs, err := assocBatch[v3Assoc](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	res := []v3Assoc{}
	var errs []standardError
	for _, x := range inputs {
		from, to := pairKeys(f, t, x.From, x.To)
		d := s.st.defByName(f.name, t.name, x.Type)
		if d == nil {
			errs = append(errs, assocItemError(validationError(fmt.Sprintf("Unknown association type %q from %s to %s", x.Type, f.name, t.name)), from.id, to.id))
			continue
		}
		if err := s.linkTypes(from, to, start, d.ID); err != nil {
			errs = append(errs, assocItemError(err, from.id, to.id))
			continue
		}
		res = append(res, x)
	}
	return batchStatus("v3", http.StatusCreated, len(errs)), batchEnvelope(start, s.now(), res, errs)
}

func handleV3AssocBatchRead(c *call) (int, any) {
	f, t, inputs, err := assocBatch[objectIDIO](c, maxAssocReadInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	type result struct {
		From objectIDIO     `json:"from"`
		To   []associatedID `json:"to"`
	}
	res := []result{}
	var errs []standardError
	for _, x := range inputs {
		from := recKey{f.name, string(x.ID)}
		to := s.st.associatedIDs(from, t.name)
		if len(to) == 0 {
			errs = append(errs, noAssociationsError(f, t, from.id))
			continue
		}
		res = append(res, result{From: x, To: to})
	}
	return batchStatus("v3", http.StatusOK, len(errs)), batchEnvelope(start, s.now(), res, errs)
}

func handleV3AssocBatchArchive(c *call) (int, any) {
	f, t, inputs, err := assocBatch[v3Assoc](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s := c.s
	for _, x := range inputs {
		if d := s.st.defByName(f.name, t.name, x.Type); d != nil {
			from, to := pairKeys(f, t, x.From, x.To)
			s.st.unlinkType(from, to, d.ID)
		}
	}
	return http.StatusNoContent, nil
}

// v3Type is one association type as v3 lists it.
type v3Type struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func handleV3AssocTypes(c *call) (int, any) {
	return listDefs(c, func(d *assocDef) v3Type { return v3Type{ID: strconv.Itoa(d.ID), Name: d.Name} })
}
