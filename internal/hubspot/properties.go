package hubspot

import (
	"context"
	"net/http"
)

// The properties API: property definitions and the groups they belong to.
var (
	epListProperties      = endpoint{method: http.MethodGet, template: "/crm/properties/{v}/{objectType}"}
	epCreateProperty      = endpoint{method: http.MethodPost, template: "/crm/properties/{v}/{objectType}", write: true}
	epListPropertyGroups  = endpoint{method: http.MethodGet, template: "/crm/properties/{v}/{objectType}/groups"}
	epCreatePropertyGroup = endpoint{method: http.MethodPost, template: "/crm/properties/{v}/{objectType}/groups", write: true}
)

type wireOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

type wireProperty struct {
	Name           string       `json:"name"`
	Label          string       `json:"label"`
	Type           string       `json:"type"`
	FieldType      string       `json:"fieldType"`
	GroupName      string       `json:"groupName"`
	Description    string       `json:"description"`
	HasUniqueValue bool         `json:"hasUniqueValue"`
	Options        []wireOption `json:"options"`
}

func (w wireProperty) property() Property {
	p := Property{
		Name: w.Name, Label: w.Label, Type: w.Type, FieldType: w.FieldType,
		GroupName: w.GroupName, Description: w.Description, HasUniqueValue: w.HasUniqueValue,
	}
	for _, o := range w.Options {
		p.Options = append(p.Options, PropertyOption(o))
	}
	return p
}

// ListProperties returns every non-archived property of objectType, HubSpot's
// own and custom ones.
//
// HubSpot operation: GET /crm/properties/2026-09/{objectType}
func (c *Client) ListProperties(ctx context.Context, objectType string) ([]Property, error) {
	return listResults(ctx, c, epListProperties, c.path(epListProperties, objectType), wireProperty.property)
}

// CreateProperty creates a custom property and returns it as HubSpot stored
// it. HasUniqueValue cannot be changed later. A property whose name exists
// fails with a 409 *Error (ClassData): read the list and compare instead.
//
// HubSpot operation: POST /crm/properties/2026-09/{objectType}
func (c *Client) CreateProperty(ctx context.Context, objectType string, p Property) (*Property, error) {
	body := wireProperty{
		Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType,
		GroupName: p.GroupName, Description: p.Description, HasUniqueValue: p.HasUniqueValue,
		Options: []wireOption{},
	}
	for _, o := range p.Options {
		body.Options = append(body.Options, wireOption(o))
	}
	return create(ctx, c, epCreateProperty, c.path(epCreateProperty, objectType), body, wireProperty.property)
}

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

func (w wirePropertyGroup) archived() bool { return w.Archived }

func (w wirePropertyGroup) group() PropertyGroup {
	return PropertyGroup{Name: w.Name, Label: w.Label, DisplayOrder: w.DisplayOrder}
}

// ListPropertyGroups returns the non-archived property groups of objectType.
//
// HubSpot operation: GET /crm/properties/2026-09/{objectType}/groups
func (c *Client) ListPropertyGroups(ctx context.Context, objectType string) ([]PropertyGroup, error) {
	return listResults(ctx, c, epListPropertyGroups, c.path(epListPropertyGroups, objectType), wirePropertyGroup.group)
}

// CreatePropertyGroup creates a property group and returns it as HubSpot
// stored it. A group whose name exists fails with a 409 *Error.
//
// HubSpot operation: POST /crm/properties/2026-09/{objectType}/groups
func (c *Client) CreatePropertyGroup(ctx context.Context, objectType string, g PropertyGroup) (*PropertyGroup, error) {
	body := wirePropertyGroup{Name: g.Name, Label: g.Label, DisplayOrder: g.DisplayOrder}
	return create(ctx, c, epCreatePropertyGroup, c.path(epCreatePropertyGroup, objectType), body, wirePropertyGroup.group)
}
