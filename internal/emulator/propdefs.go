package emulator

import (
	"strings"
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
	"hs_created_by_user_id number number ro",
	"hs_updated_by_user_id number number ro",
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
