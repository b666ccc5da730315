package emulator

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
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
