package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// propDef is a property definition as the properties API returns it.
type propDef struct {
	Name                 string     `json:"name"`
	Label                string     `json:"label"`
	Type                 string     `json:"type"`
	FieldType            string     `json:"fieldType"`
	Description          string     `json:"description"`
	GroupName            string     `json:"groupName"`
	Options              []optionIO `json:"options"`
	DisplayOrder         int        `json:"displayOrder"`
	Calculated           bool       `json:"calculated"`
	ExternalOptions      bool       `json:"externalOptions"`
	HasUniqueValue       bool       `json:"hasUniqueValue"`
	Hidden               bool       `json:"hidden"`
	HubspotDefined       bool       `json:"hubspotDefined"`
	FormField            bool       `json:"formField"`
	ReferencedObjectType string     `json:"referencedObjectType,omitempty"`
	DataSensitivity      string     `json:"dataSensitivity,omitempty"`
	ModificationMetadata modMeta    `json:"modificationMetadata"`
	CreatedAt            string     `json:"createdAt,omitempty"`
	UpdatedAt            string     `json:"updatedAt,omitempty"`
	Archived             bool       `json:"archived"`
	ArchivedAt           string     `json:"archivedAt,omitempty"`

	readOnly bool   // HubSpot computes the value; writes are rejected
	dynamic  string // "pipeline" or "stage": options come from pipelines
}

// optionIO is one enumeration option.
type optionIO struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
	Description  string `json:"description,omitempty"`
}

type modMeta struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// propGroup is a property group.
type propGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
	custom       bool
}

// Default property specs: "name type fieldType [ro] [opt1,opt2,...]".
var commonProps = []string{
	"createdate datetime date",
	"hs_object_id number number ro",
	"hs_merged_object_ids enumeration checkbox ro",
	"hs_object_source string text ro",
	"hs_object_source_label string text ro",
}

// Property specs shared by several object types.
var (
	ownerProp            = "hubspot_owner_id enumeration select owner"
	lifecycleProp        = "lifecyclestage enumeration radio - subscriber,lead,marketingqualifiedlead,salesqualifiedlead,opportunity,customer,evangelist,other"
	billingFrequencyProp = "recurringbillingfrequency enumeration select - weekly,biweekly,monthly,quarterly,per_six_months,annually,per_two_years,per_three_years,per_four_years,per_five_years"
)

var defaultPropSpecs = map[string][]string{
	"contacts": {
		"email string text", "firstname string text", "lastname string text", "phone string phonenumber",
		"mobilephone string phonenumber", "fax string phonenumber", "company string text", "jobtitle string text",
		"website string text", "address string text", "city string text", "state string text", "zip string text",
		"country string text",
		lifecycleProp,
		"hs_lead_status enumeration radio - NEW,OPEN,IN_PROGRESS,OPEN_DEAL,UNQUALIFIED,ATTEMPTED_TO_CONTACT,CONNECTED,BAD_TIMING",
		"associatedcompanyid number number", "num_associated_deals number number ro",
		"hs_additional_emails enumeration checkbox ro", "hs_email_domain string text ro",
		"lastmodifieddate datetime date ro", ownerProp,
	},
	"companies": {
		"name string text", "domain string text", "phone string phonenumber", "website string text",
		"industry string text", "address string text", "city string text", "state string text", "zip string text",
		"country string text", "numberofemployees number number", "annualrevenue number number", "description string textarea",
		lifecycleProp,
		"num_associated_contacts number number ro", "num_associated_deals number number ro",
		"hs_lastmodifieddate datetime date ro", ownerProp,
	},
	"deals": {
		"dealname string text", "amount number number", "closedate datetime date",
		"pipeline enumeration select pipeline", "dealstage enumeration radio stage",
		"deal_currency_code enumeration select - THB,USD,EUR", "dealtype enumeration radio - newbusiness,existingbusiness",
		"description string textarea", "closed_lost_reason string textarea", "closed_won_reason string textarea",
		"hs_is_closed bool booleancheckbox ro", "hs_is_closed_won bool booleancheckbox ro",
		"hs_deal_stage_probability number number ro", "hs_tcv number number ro", "hs_acv number number ro",
		"hs_arr number number ro", "hs_mrr number number ro", "num_associated_contacts number number ro",
		"hs_lastmodifieddate datetime date ro", ownerProp,
	},
	"tickets": {
		"subject string text", "content string textarea",
		"hs_pipeline enumeration select pipeline", "hs_pipeline_stage enumeration select stage",
		"hs_ticket_priority enumeration select - LOW,MEDIUM,HIGH,URGENT",
		"hs_ticket_category enumeration checkbox - PRODUCT_ISSUE,BILLING_ISSUE,FEATURE_REQUEST,GENERAL_INQUIRY",
		"source_type enumeration select - CHAT,EMAIL,FORM,PHONE", "hs_ticket_id number number ro",
		"hs_is_closed bool booleancheckbox ro", "closed_date datetime date ro", "time_to_close number number ro",
		"hs_lastmodifieddate datetime date ro", ownerProp,
	},
	"products": {
		"name string text", "price number number", "description string textarea", "hs_sku string text",
		"hs_cost_of_goods_sold number number", "hs_recurring_billing_period string text",
		billingFrequencyProp,
		"hs_folder_id number number", "tax number number", "hs_lastmodifieddate datetime date ro",
	},
	"line_items": {
		"name string text", "quantity number number", "price number number", "amount number number ro",
		"hs_product_id number number", "hs_sku string text", "description string textarea", "discount number number",
		"hs_discount_percentage number number", "hs_total_discount number number ro",
		"hs_pre_discount_amount number number ro", "tax number number", "hs_line_item_currency_code string text",
		"hs_cost_of_goods_sold number number", "hs_recurring_billing_period string text",
		billingFrequencyProp,
		"hs_recurring_billing_start_date date date", "hs_term_in_months number number ro",
		"hs_lastmodifieddate datetime date ro",
	},
}

// defaultProperties returns the HubSpot-defined properties of t.
func defaultProperties(t *objType) []*propDef {
	var out []*propDef
	for i, spec := range append(append([]string{}, defaultPropSpecs[t.name]...), commonProps...) {
		f := strings.Fields(spec)
		p := &propDef{Name: f[0], Type: f[1], FieldType: f[2], Label: labelFor(f[0]), GroupName: t.group,
			DisplayOrder: i, HubspotDefined: true, FormField: true, Options: []optionIO{},
			CreatedAt: "1970-01-01T00:00:00Z", UpdatedAt: "1970-01-01T00:00:00Z"}
		if len(f) > 3 {
			switch f[3] {
			case "ro":
				p.readOnly, p.Calculated, p.FormField = true, true, false
			case "owner":
				p.ExternalOptions, p.ReferencedObjectType = true, "OWNER"
			case "pipeline", "stage":
				p.dynamic = f[3]
			}
		}
		if len(f) > 4 {
			for j, v := range strings.Split(f[4], ",") {
				p.Options = append(p.Options, optionIO{Label: labelFor(strings.ToLower(v)), Value: v, DisplayOrder: j})
			}
		}
		if p.Type == "bool" && len(p.Options) == 0 {
			p.Options = []optionIO{{Label: "Yes", Value: "true", DisplayOrder: 0}, {Label: "No", Value: "false", DisplayOrder: 1}}
		}
		p.ModificationMetadata = modMeta{Archivable: false, ReadOnlyDefinition: true, ReadOnlyValue: p.readOnly}
		out = append(out, p)
	}
	return out
}

// labelFor turns first_name into "First name".
func labelFor(name string) string {
	s := strings.ReplaceAll(strings.TrimPrefix(name, "hs_"), "_", " ")
	if s == "" {
		return name
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// inValue is a property value on write: HubSpot's spec says string, its
// docs send numbers and booleans too; null clears like "".
type inValue struct {
	s    string
	null bool
}

func (v *inValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		v.null = true
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &v.s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return fmt.Errorf("property values must be strings, numbers or booleans")
	default:
		v.s = string(b)
	}
	return nil
}

var (
	numberRe = regexp.MustCompile(`^-?(\d+(\.\d*)?|\.\d+)$`)
	dateRe   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	digitsRe = regexp.MustCompile(`^-?\d+$`)
	emailRe  = regexp.MustCompile(`^[^\s@"]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$`)
	nameRe   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// normalizeValues validates the property values of one write and returns
// them in stored form ("" clears). existing is the record being updated, or
// nil on create. Pipeline and stage values are checked later, with the
// record as a whole.
func normalizeValues(os *objectStore, existing *record, in map[string]inValue) (map[string]string, []propertyProblem) {
	out := make(map[string]string, len(in))
	var probs []propertyProblem
	for _, name := range sortedKeys(in) {
		v := in[name]
		p := os.props[name]
		if p == nil || p.Archived {
			probs = append(probs, propertyProblem{name, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property \"%s\" does not exist", name)})
			continue
		}
		if p.readOnly {
			probs = append(probs, propertyProblem{name, "READ_ONLY_VALUE", fmt.Sprintf("Property \"%s\" is read-only and cannot be set", name)})
			continue
		}
		if v.null || v.s == "" {
			out[name] = ""
			continue
		}
		val, prob := normalizeValue(os, p, existing, v.s)
		if prob != nil {
			probs = append(probs, *prob)
			continue
		}
		if name == "lifecyclestage" && existing != nil && backwards(p, existing.props[name], val) {
			// HubSpot moves the lifecycle stage forward only; a backward set
			// is ignored with a success status. Clearing it first allows it.
			continue
		}
		out[name] = val
	}
	return out, probs
}

func normalizeValue(os *objectStore, p *propDef, existing *record, raw string) (string, *propertyProblem) {
	bad := func(code, msg string) (string, *propertyProblem) {
		return "", &propertyProblem{Name: p.Name, Code: code, Message: msg}
	}
	switch p.Type {
	case "number":
		v := strings.TrimSpace(raw)
		if !numberRe.MatchString(v) {
			return bad("INVALID_INTEGER", fmt.Sprintf("%s was not a valid number.", raw))
		}
		return v, nil
	case "bool":
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return bad("INVALID_BOOLEAN", fmt.Sprintf("%s was not a valid boolean, expected true or false.", raw))
	case "date":
		return normalizeDate(p, raw)
	case "datetime":
		return normalizeDatetime(p, raw)
	case "enumeration":
		if p.dynamic != "" {
			return strings.TrimSpace(raw), nil
		}
		if p.ExternalOptions {
			if !digitsRe.MatchString(strings.TrimSpace(raw)) {
				return bad("INVALID_INTEGER", fmt.Sprintf("%s was not a valid integer (for owner ID).", raw))
			}
			return strings.TrimSpace(raw), nil
		}
		allowed := map[string]bool{}
		var values []string
		for _, o := range p.Options {
			allowed[o.Value] = true
			values = append(values, o.Value)
		}
		if p.FieldType == "checkbox" {
			appendMode := strings.HasPrefix(raw, ";")
			parts := strings.Split(strings.TrimPrefix(raw, ";"), ";")
			var set []string
			if appendMode && existing != nil && existing.props[p.Name] != "" {
				set = strings.Split(existing.props[p.Name], ";")
			}
			for _, part := range parts {
				if part == "" {
					continue
				}
				if !allowed[part] {
					return bad("INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]", part, strings.Join(values, ", ")))
				}
				if !slices.Contains(set, part) {
					set = append(set, part)
				}
			}
			return strings.Join(set, ";"), nil
		}
		if !allowed[raw] {
			return bad("INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]", raw, strings.Join(values, ", ")))
		}
		return raw, nil
	}
	if p.Name == "email" && os.t.name == "contacts" {
		v := strings.ToLower(strings.TrimSpace(raw))
		if !emailRe.MatchString(v) {
			return bad("INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", raw))
		}
		return v, nil
	}
	// HubSpot counts characters, not bytes: Thai text takes three bytes a
	// character. Counted in UTF-16 code units, as syncd's own check does.
	if len(raw) > 65536 && len(utf16.Encode([]rune(raw))) > 65536 {
		return bad("INVALID_LENGTH", fmt.Sprintf("Value for %s is longer than 65536 characters", p.Name))
	}
	return raw, nil
}

// normalizeDate accepts YYYY-MM-DD or epoch milliseconds at midnight UTC
// and stores YYYY-MM-DD.
func normalizeDate(p *propDef, raw string) (string, *propertyProblem) {
	v := strings.TrimSpace(raw)
	if dateRe.MatchString(v) {
		if _, err := time.Parse("2006-01-02", v); err == nil {
			return v, nil
		}
	}
	// Epoch milliseconds and RFC 3339 times must fall on midnight UTC.
	midnight := func(t time.Time) (string, *propertyProblem) {
		t = t.UTC()
		if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			return "", &propertyProblem{Name: p.Name, Code: "INVALID_DATE",
				Message: fmt.Sprintf("%s is at %d:%02d:%02d.%03d UTC, not midnight!", v, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6)}
		}
		return t.Format("2006-01-02"), nil
	}
	if digitsRe.MatchString(v) {
		ms, _ := strconv.ParseInt(v, 10, 64)
		return midnight(time.UnixMilli(ms))
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return midnight(t)
	}
	return "", &propertyProblem{Name: p.Name, Code: "INVALID_DATE", Message: fmt.Sprintf("%s is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC", raw)}
}

// normalizeDatetime accepts epoch milliseconds, RFC 3339 or YYYY-MM-DD and
// stores UTC ISO 8601 with milliseconds.
func normalizeDatetime(p *propDef, raw string) (string, *propertyProblem) {
	v := strings.TrimSpace(raw)
	if digitsRe.MatchString(v) {
		ms, _ := strconv.ParseInt(v, 10, 64)
		return timestamp(time.UnixMilli(ms)), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return timestamp(t), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return timestamp(t), nil
	}
	return "", &propertyProblem{Name: p.Name, Code: "INVALID_DATE", Message: fmt.Sprintf("%s is not a valid datetime: use epoch milliseconds or ISO 8601", raw)}
}

// backwards reports whether next is an earlier option of p than cur.
func backwards(p *propDef, cur, next string) bool {
	ci, ni := -1, -1
	for i, o := range p.Options {
		if o.Value == cur {
			ci = i
		}
		if o.Value == next {
			ni = i
		}
	}
	return ci >= 0 && ni >= 0 && ni < ci
}

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
	name := c.param("propertyName")
	p, err := os.property(name, false)
	if err != nil {
		return 0, err
	}
	if p.HubspotDefined {
		return 0, validationError(fmt.Sprintf("Property %s is HubSpot-defined and its definition is read-only", name))
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
	if in.Label != nil {
		p.Label = *in.Label
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Options != nil {
		p.Options = in.Options
	}
	if in.DisplayOrder != nil {
		p.DisplayOrder = *in.DisplayOrder
	}
	if in.Hidden != nil {
		p.Hidden = *in.Hidden
	}
	if in.FormField != nil {
		p.FormField = *in.FormField
	}
	p.UpdatedAt = timestamp(s.now())
	return http.StatusOK, p
}

func handlePropertyDelete(c *call) (int, any) {
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	name := c.param("propertyName")
	p, err := os.property(name, false)
	if err != nil {
		return 0, err
	}
	if p.HubspotDefined {
		return 0, validationError(fmt.Sprintf("Property %s is HubSpot-defined and cannot be archived", name))
	}
	archiveProperty(os, p, s.now())
	return http.StatusNoContent, nil
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
	inputs, err := decodeInputs[propertyCreateIO](c, nil)
	if err != nil {
		return 0, err
	}
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	start := s.now()
	results := []propDef{}
	var errs []standardError
	for _, p := range inputs {
		def, err := s.createProperty(os, p, start)
		if err != nil {
			item := err.asItem("")
			item.Context["name"] = []string{p.Name}
			errs = append(errs, item)
			continue
		}
		results = append(results, *def)
	}
	return batchStatus(c.ver, createdStatus(c.ver), len(errs)), batchEnvelope(start, s.now(), results, errs)
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
	results := []propDef{}
	var errs []standardError
	for _, i := range in.Inputs {
		p, err := os.property(i.Name, in.Archived)
		if err != nil {
			errs = append(errs, err.asItem(""))
			continue
		}
		results = append(results, s.st.viewProp(os, p))
	}
	return batchStatus(c.ver, http.StatusOK, len(errs)), batchEnvelope(start, s.now(), results, errs)
}

func handlePropertyBatchArchive(c *call) (int, any) {
	inputs, err := decodeInputs[propertyName](c, nil)
	if err != nil {
		return 0, err
	}
	s := c.s
	os, err := c.store()
	if err != nil {
		return 0, err
	}
	// HubSpot answers 204 whatever the state of each property.
	for _, i := range inputs {
		if p := os.props[i.Name]; p != nil && !p.Archived && !p.HubspotDefined {
			archiveProperty(os, p, s.now())
		}
	}
	return http.StatusNoContent, nil
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
	if in.Label != nil {
		g.Label = *in.Label
	}
	if in.DisplayOrder != nil {
		g.DisplayOrder = *in.DisplayOrder
	}
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
