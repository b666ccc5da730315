package emulator

import (
	"fmt"
	"net/http"
	"strconv"
)

// defByName returns the type from one object type to another that v3
// names name: v3 associations name types by string (contact_to_company).
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
	pairIO
	Type string `json:"type"`
}

func handleV3AssocBatchCreate(c *call) (int, any) {
	s := c.s
	return assocEach(c, maxAssocWriteInputs, http.StatusCreated, func(b assocInputs[v3Assoc], x v3Assoc) (v3Assoc, *standardError) {
		f, t := b.from, b.to
		from, to := x.keys(f, t)
		d := s.st.defByName(f.name, t.name, x.Type)
		if d == nil {
			return x, assocItemError(validationError(fmt.Sprintf("Unknown association type %q from %s to %s", x.Type, f.name, t.name)), from, to)
		}
		return x, assocItemError(s.linkTypes(from, to, b.start, d.ID), from, to)
	})
}

func handleV3AssocBatchRead(c *call) (int, any) {
	type result struct {
		From objectIDIO     `json:"from"`
		To   []associatedID `json:"to"`
	}
	return assocEach(c, maxAssocReadInputs, http.StatusOK, func(b assocInputs[objectIDIO], x objectIDIO) (result, *standardError) {
		from := recKey{b.from.name, string(x.ID)}
		to := c.s.st.associatedIDs(from, b.to.name)
		if len(to) == 0 {
			return result{}, noAssociationsError(b.from, b.to, from.id)
		}
		return result{From: x, To: to}, nil
	})
}

func handleV3AssocBatchArchive(c *call) (int, any) {
	b, err := assocBatch[v3Assoc](c, maxAssocWriteInputs)
	if err != nil {
		return 0, err
	}
	s, f, t := c.s, b.from, b.to
	for _, x := range b.inputs {
		if d := s.st.defByName(f.name, t.name, x.Type); d != nil {
			from, to := x.keys(f, t)
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
