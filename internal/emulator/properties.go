package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// decodeStore decodes the body into v, then resolves the objectType path
// parameter, so that a bad body is reported before an unknown type.
func (c *call) decodeStore(v any) (*objectStore, *apiError) {
	if err := c.decode(v); err != nil {
		return nil, err
	}
	return c.store()
}

// store resolves the objectType path parameter.
func (c *call) store() (*objectStore, *apiError) {
	name := c.param("objectType")
	t := lookupType(name)
	if t == nil {
		return nil, unknownType(name)
	}
	return c.s.st.objects[t.name], nil
}

// propertyCreateIO is PropertyCreate; unknown keys are ignored.
type propertyCreateIO struct {
	Name                 string     `json:"name"`
	Label                string     `json:"label"`
	Type                 string     `json:"type"`
	FieldType            string     `json:"fieldType"`
	GroupName            string     `json:"groupName"`
	Description          string     `json:"description"`
	Options              []optionIO `json:"options"`
	DisplayOrder         *int       `json:"displayOrder"`
	HasUniqueValue       bool       `json:"hasUniqueValue"`
	Hidden               bool       `json:"hidden"`
	FormField            bool       `json:"formField"`
	ExternalOptions      bool       `json:"externalOptions"`
	ReferencedObjectType string     `json:"referencedObjectType"`
	DataSensitivity      string     `json:"dataSensitivity"`
}

var fieldTypes = map[string][]string{
	"bool":         {"booleancheckbox", "calculation_equation"},
	"enumeration":  {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
	"date":         {"date", "calculation_equation"},
	"datetime":     {"date", "calculation_equation"},
	"string":       {"text", "textarea", "html", "phonenumber", "file", "calculation_equation"},
	"number":       {"number", "calculation_equation"},
	"phone_number": {"phonenumber"},
}

// maxUniqueProperties is HubSpot's cap of hasUniqueValue properties per object.
const maxUniqueProperties = 10

// createProperty validates and stores one property definition.
func (s *Server) createProperty(os *objectStore, in propertyCreateIO, now time.Time) (*propDef, *apiError) {
	var missing []string
	for _, f := range []struct{ k, v string }{{"name", in.Name}, {"label", in.Label}, {"type", in.Type}, {"fieldType", in.FieldType}, {"groupName", in.GroupName}} {
		if f.v == "" {
			missing = append(missing, f.k)
		}
	}
	if len(missing) > 0 {
		return nil, validationError("Missing required fields: " + strings.Join(missing, ", "))
	}
	if !nameRe.MatchString(in.Name) || strings.HasPrefix(in.Name, "hs_") {
		return nil, validationError(fmt.Sprintf("Property name %q is invalid: use lowercase letters, digits and underscores, starting with a letter; the hs_ prefix is reserved", in.Name))
	}
	allowed, ok := fieldTypes[in.Type]
	if !ok {
		return nil, validationError(fmt.Sprintf("Invalid type %q: expected one of bool, date, datetime, enumeration, number, phone_number, string", in.Type))
	}
	if !slices.Contains(allowed, in.FieldType) {
		return nil, validationError(fmt.Sprintf("fieldType %q is not valid for type %q: expected one of %s", in.FieldType, in.Type, strings.Join(allowed, ", ")))
	}
	if g := os.groups[in.GroupName]; g == nil || g.Archived {
		return nil, validationError(fmt.Sprintf("Property group %q does not exist on %s", in.GroupName, os.t.name))
	}
	if existing := os.props[in.Name]; existing != nil {
		e := newError(http.StatusConflict, "OBJECT_ALREADY_EXISTS", fmt.Sprintf("Property named '%s' already exists.", in.Name))
		e.Context = map[string][]string{"name": {in.Name}}
		return nil, e
	}
	if in.HasUniqueValue {
		n := 0
		for _, p := range os.props {
			if p.HasUniqueValue && !p.Archived {
				n++
			}
		}
		if n >= maxUniqueProperties {
			return nil, validationError(fmt.Sprintf("The %s object type can only have a maximum of %d unique properties", os.t.singular, maxUniqueProperties))
		}
	}
	seen := map[string]bool{}
	for _, o := range in.Options {
		if o.Value == "" || o.Label == "" {
			return nil, validationError("Each option needs a label and a value")
		}
		if seen[o.Value] {
			return nil, validationError(fmt.Sprintf("Duplicate option value %q", o.Value))
		}
		seen[o.Value] = true
	}
	order := -1
	if in.DisplayOrder != nil {
		order = *in.DisplayOrder
	}
	opts := in.Options
	if opts == nil {
		opts = []optionIO{}
	}
	p := &propDef{Name: in.Name, Label: in.Label, Type: in.Type, FieldType: in.FieldType, GroupName: in.GroupName,
		Description: in.Description, Options: opts, DisplayOrder: order, HasUniqueValue: in.HasUniqueValue,
		Hidden: in.Hidden, FormField: in.FormField, ExternalOptions: in.ExternalOptions,
		ReferencedObjectType: in.ReferencedObjectType, DataSensitivity: in.DataSensitivity,
		ModificationMetadata: modMeta{Archivable: true},
		CreatedAt:            timestamp(now), UpdatedAt: timestamp(now)}
	os.props[p.Name] = p
	if p.HasUniqueValue {
		os.unique[p.Name] = map[string]string{}
		os.refreshUnique()
	}
	return p, nil
}

// viewProp returns p as the properties API shows it: pipeline and stage
// properties list the live pipelines or stages as options.
func (st *state) viewProp(os *objectStore, p *propDef) propDef {
	v := *p
	if p.dynamic == "" {
		return v
	}
	v.Options = []optionIO{}
	for _, pl := range st.pipelines[os.t.name] {
		if pl.Archived {
			continue
		}
		if p.dynamic == "pipeline" {
			v.Options = append(v.Options, optionIO{Label: pl.Label, Value: pl.ID, DisplayOrder: pl.DisplayOrder})
			continue
		}
		for _, stg := range pl.liveStages() {
			v.Options = append(v.Options, optionIO{Label: stg.Label + " (" + pl.Label + ")", Value: stg.ID, DisplayOrder: stg.DisplayOrder})
		}
	}
	return v
}

func propertyNotFound(os *objectStore, name string) *apiError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", fmt.Sprintf("Unable to find property %s on object type %s", name, os.t.id))
	e.Context = map[string][]string{"propertyName": {name}}
	return e
}

// property returns the property called name if its archived state is the
// one asked for, or else the 404.
func (os *objectStore) property(name string, archived bool) (*propDef, *apiError) {
	p := os.props[name]
	if p == nil || p.Archived != archived {
		return nil, propertyNotFound(os, name)
	}
	return p, nil
}

func handlePropertyList(c *call) (int, any) {
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	archived := c.r.URL.Query().Get("archived") == "true"
	out := []propDef{}
	for _, n := range sortedKeys(os.props) {
		if p := os.props[n]; p.Archived == archived {
			out = append(out, s.st.viewProp(os, p))
		}
	}
	return http.StatusOK, map[string]any{"results": out}
}

func handlePropertyCreate(c *call) (int, any) {
	var in propertyCreateIO
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	p, err := s.createProperty(os, in, s.now())
	if err != nil {
		return 0, err
	}
	return http.StatusCreated, p
}

func handlePropertyGet(c *call) (int, any) {
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	p, err := os.property(c.param("propertyName"), c.r.URL.Query().Get("archived") == "true")
	if err != nil {
		return 0, err
	}
	return http.StatusOK, s.st.viewProp(os, p)
}

func handlePropertyUpdate(c *call) (int, any) {
	var in struct {
		Label        *string    `json:"label"`
		Description  *string    `json:"description"`
		GroupName    *string    `json:"groupName"`
		Type         *string    `json:"type"`
		FieldType    *string    `json:"fieldType"`
		Options      []optionIO `json:"options"`
		DisplayOrder *int       `json:"displayOrder"`
		Hidden       *bool      `json:"hidden"`
		FormField    *bool      `json:"formField"`
	}
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	p, err := c.customProperty(os, "its definition is read-only")
	if err != nil {
		return 0, err
	}
	typ, ft := p.Type, p.FieldType
	if in.Type != nil {
		typ = *in.Type
	}
	if in.FieldType != nil {
		ft = *in.FieldType
	}
	if allowed, ok := fieldTypes[typ]; !ok || !slices.Contains(allowed, ft) {
		return 0, validationError(fmt.Sprintf("fieldType %q is not valid for type %q", ft, typ))
	}
	if in.GroupName != nil {
		if g := os.groups[*in.GroupName]; g == nil || g.Archived {
			return 0, validationError(fmt.Sprintf("Property group %q does not exist on %s", *in.GroupName, os.t.name))
		}
		p.GroupName = *in.GroupName
	}
	p.Type, p.FieldType = typ, ft
	patch(&p.Label, in.Label)
	patch(&p.Description, in.Description)
	if in.Options != nil {
		p.Options = in.Options
	}
	patch(&p.DisplayOrder, in.DisplayOrder)
	patch(&p.Hidden, in.Hidden)
	patch(&p.FormField, in.FormField)
	p.UpdatedAt = timestamp(s.now())
	return http.StatusOK, p
}

func handlePropertyDelete(c *call) (int, any) {
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	p, err := c.customProperty(os, "cannot be archived")
	if err != nil {
		return 0, err
	}
	archiveProperty(os, p, s.now())
	return http.StatusNoContent, nil
}

// customProperty resolves the propertyName path parameter to a live
// property of os that a caller may change; a HubSpot-defined one is
// refused with why (what "Property X is HubSpot-defined and" goes on with).
func (c *call) customProperty(os *objectStore, why string) (*propDef, *apiError) {
	name := c.param("propertyName")
	p, err := os.property(name, false)
	if err != nil {
		return nil, err
	}
	if p.HubspotDefined {
		return nil, validationError(fmt.Sprintf("Property %s is HubSpot-defined and %s", name, why))
	}
	return p, nil
}

// patch sets *dst to *v when a PATCH body sent v.
func patch[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func archiveProperty(os *objectStore, p *propDef, now time.Time) {
	p.Archived = true
	p.ArchivedAt = timestamp(now)
	if p.HasUniqueValue {
		delete(os.unique, p.Name)
		os.refreshUnique()
	}
}

func handlePropertyBatchCreate(c *call) (int, any) {
	os, inputs, err := storeBatch[propertyCreateIO](c, nil)
	if err != nil {
		return 0, err
	}
	s := c.s
	start := s.now()
	results, errs := eachInput(inputs, func(p propertyCreateIO) (propDef, *standardError) {
		def, err := s.createProperty(os, p, start)
		if err != nil {
			return propDef{}, itemError(err, "name", p.Name)
		}
		return *def, nil
	})
	return c.batchAnswer(createdStatus(c.ver), start, results, errs)
}

// propertyName is PropertyName, an input of the property batch endpoints,
// unnamed for the reason given at decodeInputs.
type propertyName = struct {
	Name string `json:"name"`
}

func handlePropertyBatchRead(c *call) (int, any) {
	var in struct {
		Inputs   []propertyName `json:"inputs"`
		Archived bool           `json:"archived"`
	}
	s := c.s
	os, err := c.decodeStore(&in)
	if err != nil {
		return 0, err
	}
	start := s.now()
	results, errs := eachInput(in.Inputs, func(i propertyName) (propDef, *standardError) {
		p, err := os.property(i.Name, in.Archived)
		if err != nil {
			item := err.asItem("")
			return propDef{}, &item
		}
		return s.st.viewProp(os, p), nil
	})
	return c.batchAnswer(http.StatusOK, start, results, errs)
}

func handlePropertyBatchArchive(c *call) (int, any) {
	os, inputs, err := storeBatch[propertyName](c, nil)
	if err != nil {
		return 0, err
	}
	s := c.s
	// HubSpot answers 204 whatever the state of each property.
	for _, i := range inputs {
		if p := os.props[i.Name]; p != nil && !p.Archived && !p.HubspotDefined {
			archiveProperty(os, p, s.now())
		}
	}
	return http.StatusNoContent, nil
}
