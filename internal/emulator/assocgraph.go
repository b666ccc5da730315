package emulator

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

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

// recomputePairDeal recomputes the deal of a line item–deal pair whose
// associations changed; other pairs touch no deal.
func (s *Server) recomputePairDeal(a, b recKey, now time.Time) {
	if li, deal := lineItemDeal(a, b); li.id != "" {
		s.recomputeDeal(s.st, deal.id, now)
	}
}
