// Package hubspot is syncd's client for HubSpot's CRM REST API.
//
// The API version (2026-09 by default) is set in one place, Options.Version.
// Every method names the HubSpot operation it calls in its doc comment; a
// test checks those paths against HubSpot's official OpenAPI specs.
//
// The client knows nothing of syncd's engine. Errors are typed (*Error); use
// errors.As and the Class method to decide what to do next. The access token
// never appears in an error string or a log line.
package hubspot

import (
	"time"
)

// DefaultVersion is the HubSpot date-versioned API syncd speaks.
const DefaultVersion = "2026-09"

// Object type names as they appear in HubSpot's paths.
const (
	Contacts  = "contacts"
	Companies = "companies"
	Deals     = "deals"
	Tickets   = "tickets"
	Products  = "products"
	LineItems = "line_items"
)

// MaxBatchInputs is HubSpot's limit of inputs per batch request. Batch
// methods reject larger requests without calling HubSpot; callers chunk.
const MaxBatchInputs = 100

// MaxHistoryInputs is how many records a BatchRead with
// PropertiesWithHistory asks for at most: HubSpot serves property history
// in smaller batches than MaxBatchInputs.
const MaxHistoryInputs = 50

// Object is a CRM record as HubSpot returns it. Property values are strings
// on the wire; a property HubSpot returns as null is absent from Properties.
type Object struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	// ArchivedAt is when HubSpot archived the record; zero while it is live.
	ArchivedAt time.Time
	// New is set by batch upsert: true when the input created the record.
	New bool
	// TraceID is the input's objectWriteTraceId when HubSpot echoes it on a
	// batch write result; empty otherwise.
	TraceID string
	// History holds the past values of the properties asked for with
	// PropertiesWithHistory, newest first; nil otherwise.
	History map[string][]PropertyVersion
}

// BatchReadRequest reads records by ID, or by a unique property when
// IDProperty is set (email on contacts, or a property with hasUniqueValue).
type BatchReadRequest struct {
	IDs        []string
	IDProperty string
	Properties []string
	// PropertiesWithHistory also returns these properties' past values
	// (Object.History).
	PropertiesWithHistory []string
	Archived              bool
}

// PropertyVersion is one value a property held, as HubSpot's history
// (propertiesWithHistory) gives it, newest first.
type PropertyVersion struct {
	Value     string
	Timestamp time.Time
	// SourceType says where the value came from: CRM_UI, INTEGRATION,
	// API, IMPORT, WORKFLOW, …
	SourceType string
	SourceID   string
	// UpdatedByUserID is the HubSpot user who set it, empty when none.
	UpdatedByUserID string
}

// AssociationType is one association type, as HubSpot's AssociationSpec.
type AssociationType struct {
	Category string // HUBSPOT_DEFINED or USER_DEFINED
	TypeID   int
}

// InlineAssociation associates a record with another at create time.
type InlineAssociation struct {
	ToID  string
	Types []AssociationType
}

// CreateInput is one record of a batch create. TraceID is sent as
// objectWriteTraceId so that HubSpot reports per-input failures.
type CreateInput struct {
	Properties   map[string]string
	Associations []InlineAssociation
	TraceID      string
}

// UpdateInput is one record of a batch update, by record ID or by a unique
// property named in IDProperty.
type UpdateInput struct {
	ID         string
	IDProperty string
	Properties map[string]string
	TraceID    string
}

// UpsertInput is one record of a batch upsert: ID is the value of the unique
// property IDProperty (email on contacts, or a hasUniqueValue property).
type UpsertInput struct {
	ID         string
	IDProperty string
	Properties map[string]string
	TraceID    string
}

// BatchResult is the outcome of one batch call. A partial success (HTTP 207,
// or 2xx with errors[]) has both Results and Errors; a whole-request failure
// is returned as an error instead.
type BatchResult struct {
	Results []Object
	Errors  []ItemError
}

// ItemError is one failed input of a batch call. IDs and TraceIDs come from
// the error's context (context.ids, context.objectWriteTraceId) and say which
// inputs it concerns.
type ItemError struct {
	Category    string
	SubCategory string
	Message     string
	IDs         []string
	TraceIDs    []string
	Context     map[string][]string
	// Details are the item's errors[] entries (codes such as
	// PROPERTY_DOESNT_EXIST, INVALID_OPTION, with propertyName in Context).
	Details []ErrorDetail
}

// Filter is one search filter. Value for single-value operators, Values for
// IN and NOT_IN, HighValue for BETWEEN.
type Filter struct {
	PropertyName string
	Operator     string
	Value        string
	HighValue    string
	Values       []string
}

// FilterGroup ANDs its filters; groups are ORed.
type FilterGroup struct {
	Filters []Filter
}

// Sort orders search results.
type Sort struct {
	PropertyName string
	Direction    string // ASCENDING or DESCENDING
}

// SearchRequest is the body of a CRM search.
type SearchRequest struct {
	FilterGroups []FilterGroup
	Sorts        []Sort
	Query        string
	Properties   []string
	Limit        int
	After        string
}

// SearchResult is one page of search results. After is empty on the last page.
type SearchResult struct {
	Total   int
	Results []Object
	After   string
}

// ListRequest asks for one page of a list of records (List).
type ListRequest struct {
	Properties []string
	Limit      int
	After      string
	Archived   bool
}

// ListPage is one page of a list of records. After is empty on the last
// page.
type ListPage struct {
	Results []Object
	After   string
}

// AssociationInput associates FromID with ToID with the given types.
type AssociationInput struct {
	FromID string
	ToID   string
	Types  []AssociationType
}

// AssociationPair names two records for default associations and archives.
type AssociationPair struct {
	FromID string
	ToID   string
}

// Associated is one record associated with a batch-read input.
type Associated struct {
	ToID  string
	Types []AssociationType
}

// PropertyOption is one option of an enumeration property.
type PropertyOption struct {
	Label        string
	Value        string
	DisplayOrder int
	Hidden       bool
}

// Property is a CRM property definition.
type Property struct {
	Name           string
	Label          string
	Type           string // string, number, date, datetime, enumeration, bool
	FieldType      string // text, textarea, number, date, select, booleancheckbox, ...
	GroupName      string
	Description    string
	HasUniqueValue bool
	Options        []PropertyOption
}

// PipelineStage is one stage of a deal or ticket pipeline.
type PipelineStage struct {
	ID           string
	Label        string
	DisplayOrder int
	Metadata     map[string]string
}

// Pipeline is a deal or ticket pipeline with its stages.
type Pipeline struct {
	ID           string
	Label        string
	DisplayOrder int
	Stages       []PipelineStage
}

// Account is the HubSpot account (portal) the token belongs to.
type Account struct {
	PortalID        int64
	TimeZone        string
	CompanyCurrency string
	AccountType     string
	UIDomain        string
}

// ErrorClass says what to do about an error.
type ErrorClass int

const (
	// ClassRetry: try again later (429, 5xx, timeouts, dropped connections).
	ClassRetry ErrorClass = iota + 1
	// ClassData: the record's data is wrong; store the reason on the row.
	ClassData
	// ClassSetup: auth, scopes, missing property or pipeline; stop and say so.
	ClassSetup
)
