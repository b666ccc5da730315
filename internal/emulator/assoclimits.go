package emulator

import (
	"fmt"
	"net/http"
	"strconv"
)

// maxAssociationLimit is the highest per-record association limit a portal
// may configure.
const maxAssociationLimit = 10000

// limitConfig is PublicAssociationDefinitionUserConfiguration and
// PublicAssociationDefinitionConfigurationUpdateResult.
type limitConfig struct {
	Category                   string  `json:"category"`
	TypeID                     int     `json:"typeId"`
	Label                      *string `json:"label,omitempty"`
	UserEnforcedMaxToObjectIDs *int    `json:"userEnforcedMaxToObjectIds,omitempty"`
}

func (st *state) limitView(d *assocDef, withLabel bool) limitConfig {
	out := limitConfig{Category: d.Category, TypeID: d.ID}
	if withLabel && d.Label != "" {
		l := d.Label
		out.Label = &l
	}
	if n, ok := st.assocLimits[d.ID]; ok {
		n := n
		out.UserEnforcedMaxToObjectIDs = &n
	}
	return out
}

// checkAssocLimit refuses a new association from one record when the type
// already reaches its configured limit. Limits apply to new associations
// only, as HubSpot documents.
func (st *state) checkAssocLimit(from, to recKey, typeID int) *apiError {
	limit, ok := st.assocLimits[typeID]
	if !ok || st.assoc[from][to][typeID] {
		return nil
	}
	n := 0
	for _, types := range st.assoc[from] {
		if types[typeID] {
			n++
		}
	}
	if n < limit {
		return nil
	}
	e := validationError(fmt.Sprintf("Association limit reached: %s %s already has %d associations of type %d (limit %d)",
		lookupType(from.typ).singular, from.id, n, typeID, limit))
	e.Context = map[string][]string{"fromObjectId": {from.id}, "associationTypeId": {strconv.Itoa(typeID)}}
	return e
}

func handleLimitsAll(c *call) (int, any) {
	s := c.s
	out := []limitConfig{}
	for _, f := range objTypes {
		for _, t := range objTypes {
			for _, d := range s.st.defsBetween(f.name, t.name) {
				out = append(out, s.st.limitView(d, true))
			}
		}
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handleLimitsPair(c *call) (int, any) {
	return listDefs(c, func(d *assocDef) limitConfig { return c.s.st.limitView(d, true) })
}

// limitInput is one input of the configuration batch endpoints.
type limitInput struct {
	Category       string `json:"category"`
	TypeID         int    `json:"typeId"`
	MaxToObjectIDs *int   `json:"maxToObjectIds"`
}

func handleLimitsCreate(c *call) (int, any) { return limitsWrite(c, true) }
func handleLimitsUpdate(c *call) (int, any) { return limitsWrite(c, false) }

// limitsWrite sets limits: create refuses a type that has one, update a type
// that has none.
func limitsWrite(c *call, create bool) (int, any) {
	ok := http.StatusOK
	if create {
		ok = createdStatus(c.ver)
	}
	s := c.s
	return assocEach(c, 0, ok, func(b assocInputs[limitInput], x limitInput) (limitConfig, *standardError) {
		f, t := b.from, b.to
		d := s.st.def(x.TypeID)
		var bad *apiError
		_, has := s.st.assocLimits[x.TypeID]
		switch {
		case d == nil || d.From != f.name || d.To != t.name:
			bad = validationError(fmt.Sprintf("Association type %d is not defined from %s to %s", x.TypeID, f.name, t.name))
		case x.Category != d.Category:
			bad = validationError(fmt.Sprintf("Association type %d has category %s, not %s", d.ID, d.Category, x.Category))
		case x.MaxToObjectIDs == nil || *x.MaxToObjectIDs < 1 || *x.MaxToObjectIDs > maxAssociationLimit:
			bad = validationError(fmt.Sprintf("maxToObjectIds must be in the range 1-%d", maxAssociationLimit))
		case create && has:
			bad = newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("A limit is already configured for association type %d; update it instead", d.ID))
		case !create && !has:
			bad = newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("No limit is configured for association type %d", d.ID))
		}
		if bad != nil {
			return limitConfig{}, itemError(bad, "typeId", strconv.Itoa(x.TypeID))
		}
		s.st.assocLimits[d.ID] = *x.MaxToObjectIDs
		return s.st.limitView(d, create), nil
	})
}

func handleLimitsPurge(c *call) (int, any) {
	b, err := assocBatch[limitInput](c, 0)
	if err != nil {
		return 0, err
	}
	s, f, t := c.s, b.from, b.to
	for _, x := range b.inputs {
		if d := s.st.def(x.TypeID); d != nil && d.From == f.name && d.To == t.name {
			delete(s.st.assocLimits, d.ID)
		}
	}
	if c.ver == "v4" {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, batchEnvelope(b.start, s.now(), []any{}, nil)
}
