package hubspot

import (
	"context"
	"net/http"
)

var (
	epListPropertyGroups  = endpoint{method: http.MethodGet, template: "/crm/properties/{v}/{objectType}/groups"}
	epCreatePropertyGroup = endpoint{method: http.MethodPost, template: "/crm/properties/{v}/{objectType}/groups", write: true}
)

// PropertyGroup is a group of properties as HubSpot shows it in a record's
// sidebar. Every property belongs to one.
type PropertyGroup struct {
	Name         string
	Label        string
	DisplayOrder int
}

type wirePropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived,omitempty"`
}

// ListPropertyGroups returns the non-archived property groups of objectType.
//
// HubSpot operation: GET /crm/properties/2026-09/{objectType}/groups
func (c *Client) ListPropertyGroups(ctx context.Context, objectType string) ([]PropertyGroup, error) {
	var out struct {
		Results []wirePropertyGroup `json:"results"`
	}
	if _, err := c.do(ctx, epListPropertyGroups, c.path(epListPropertyGroups, objectType), nil, nil, &out); err != nil {
		return nil, err
	}
	gs := make([]PropertyGroup, 0, len(out.Results))
	for _, w := range out.Results {
		if w.Archived {
			continue
		}
		gs = append(gs, PropertyGroup{Name: w.Name, Label: w.Label, DisplayOrder: w.DisplayOrder})
	}
	return gs, nil
}

// CreatePropertyGroup creates a property group and returns it as HubSpot
// stored it. A group whose name exists fails with a 409 *Error.
//
// HubSpot operation: POST /crm/properties/2026-09/{objectType}/groups
func (c *Client) CreatePropertyGroup(ctx context.Context, objectType string, g PropertyGroup) (*PropertyGroup, error) {
	body := wirePropertyGroup{Name: g.Name, Label: g.Label, DisplayOrder: g.DisplayOrder}
	var out wirePropertyGroup
	if _, err := c.do(ctx, epCreatePropertyGroup, c.path(epCreatePropertyGroup, objectType), nil, body, &out); err != nil {
		return nil, err
	}
	return &PropertyGroup{Name: out.Name, Label: out.Label, DisplayOrder: out.DisplayOrder}, nil
}
