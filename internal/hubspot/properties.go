package hubspot

import (
	"context"
	"net/http"
)

var (
	epListProperties = endpoint{method: http.MethodGet, template: "/crm/properties/{v}/{objectType}"}
	epCreateProperty = endpoint{method: http.MethodPost, template: "/crm/properties/{v}/{objectType}", write: true}
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
	var out struct {
		Results []wireProperty `json:"results"`
	}
	if _, err := c.do(ctx, epListProperties, c.path(epListProperties, objectType), nil, nil, &out); err != nil {
		return nil, err
	}
	ps := make([]Property, len(out.Results))
	for i, w := range out.Results {
		ps[i] = w.property()
	}
	return ps, nil
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
	var out wireProperty
	if _, err := c.do(ctx, epCreateProperty, c.path(epCreateProperty, objectType), nil, body, &out); err != nil {
		return nil, err
	}
	created := out.property()
	return &created, nil
}
