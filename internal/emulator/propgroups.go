package emulator

import (
	"fmt"
	"net/http"
)

// group resolves the objectType and groupName path parameters to a live
// property group.
func (c *call) group() (*propGroup, *apiError) {
	os, err := c.store()
	if err != nil {
		return nil, err
	}
	name := c.param("groupName")
	g := os.groups[name]
	if g == nil || g.Archived {
		return nil, groupNotFound(name)
	}
	return g, nil
}

func groupNotFound(name string) *apiError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("Unable to find property group %s", name))
	e.Context = map[string][]string{"groupName": {name}}
	return e
}

func handleGroupList(c *call) (int, any) {
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	out := []propGroup{}
	for _, n := range sortedKeys(os.groups) {
		if g := os.groups[n]; !g.Archived {
			out = append(out, *g)
		}
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handleGroupCreate(c *call) (int, any) {
	var in struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		DisplayOrder *int   `json:"displayOrder"`
	}
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	if in.Name == "" || in.Label == "" {
		return 0, validationError("Missing required fields: name, label")
	}
	if !nameRe.MatchString(in.Name) {
		return 0, validationError(fmt.Sprintf("Property group name %q is invalid", in.Name))
	}
	if g := os.groups[in.Name]; g != nil && !g.Archived {
		return 0, newError(http.StatusConflict, "OBJECT_ALREADY_EXISTS", fmt.Sprintf("Property group named '%s' already exists.", in.Name))
	}
	order := -1
	if in.DisplayOrder != nil {
		order = *in.DisplayOrder
	}
	g := &propGroup{Name: in.Name, Label: in.Label, DisplayOrder: order, custom: true}
	os.groups[in.Name] = g
	return http.StatusCreated, g
}

func handleGroupGet(c *call) (int, any) {
	g, err := c.group()
	if err != nil {
		return 0, err
	}
	return http.StatusOK, g
}

func handleGroupUpdate(c *call) (int, any) {
	var in struct {
		Label        *string `json:"label"`
		DisplayOrder *int    `json:"displayOrder"`
	}
	if err := c.decode(&in); err != nil {
		return 0, err
	}
	g, err := c.group()
	if err != nil {
		return 0, err
	}
	patch(&g.Label, in.Label)
	patch(&g.DisplayOrder, in.DisplayOrder)
	return http.StatusOK, g
}

func handleGroupDelete(c *call) (int, any) {
	g, err := c.group()
	if err != nil {
		return 0, err
	}
	if !g.custom {
		return 0, validationError(fmt.Sprintf("Property group %s is HubSpot-defined and cannot be archived", g.Name))
	}
	g.Archived = true
	return http.StatusNoContent, nil
}
