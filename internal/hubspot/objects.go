package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var (
	epBatchRead    = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/batch/read"}
	epBatchCreate  = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/batch/create", write: true}
	epBatchUpdate  = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/batch/update", write: true}
	epBatchUpsert  = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/batch/upsert", write: true}
	epBatchArchive = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/batch/archive", write: true}
	epSearch       = endpoint{method: http.MethodPost, template: "/crm/objects/{v}/{objectType}/search", search: true}
	epList         = endpoint{method: http.MethodGet, template: "/crm/objects/{v}/{objectType}"}
)

// MaxListLimit is HubSpot's largest page of a list of records.
const MaxListLimit = 100

// DefaultSearchLimit is the page size Search asks for when the request sets
// none. HubSpot allows up to 200.
const DefaultSearchLimit = 100

// wireObject is SimplePublicObject / SimplePublicUpsertObject. Property
// values are strings or null on the wire; other JSON values are kept as
// their JSON text.
type wireObject struct {
	ID                 jsonID                     `json:"id"`
	Properties         map[string]json.RawMessage `json:"properties"`
	CreatedAt          string                     `json:"createdAt"`
	UpdatedAt          string                     `json:"updatedAt"`
	Archived           bool                       `json:"archived"`
	ArchivedAt         string                     `json:"archivedAt"`
	New                bool                       `json:"new"`
	ObjectWriteTraceID string                     `json:"objectWriteTraceId"`
	History            map[string][]wireVersion   `json:"propertiesWithHistory"`
}

// wireVersion is ValueWithTimestamp.
type wireVersion struct {
	Value           string      `json:"value"`
	Timestamp       string      `json:"timestamp"`
	SourceType      string      `json:"sourceType"`
	SourceID        string      `json:"sourceId"`
	UpdatedByUserID json.Number `json:"updatedByUserId"`
}

func (w wireObject) object() Object {
	o := Object{
		ID:         string(w.ID),
		Properties: make(map[string]string, len(w.Properties)),
		CreatedAt:  parseTime(w.CreatedAt),
		UpdatedAt:  parseTime(w.UpdatedAt),
		Archived:   w.Archived,
		ArchivedAt: parseTime(w.ArchivedAt),
		New:        w.New,
		TraceID:    w.ObjectWriteTraceID,
	}
	for k, vs := range w.History {
		if o.History == nil {
			o.History = map[string][]PropertyVersion{}
		}
		for _, v := range vs {
			o.History[k] = append(o.History[k], PropertyVersion{Value: v.Value, Timestamp: parseTime(v.Timestamp),
				SourceType: v.SourceType, SourceID: v.SourceID, UpdatedByUserID: v.UpdatedByUserID.String()})
		}
	}
	for k, raw := range w.Properties {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			o.Properties[k] = s
		} else {
			o.Properties[k] = string(raw)
		}
	}
	return o
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func objects(ws []wireObject) []Object {
	out := make([]Object, len(ws))
	for i, w := range ws {
		out[i] = w.object()
	}
	return out
}

// wireBatch is the batch answer envelope (BatchResponseSimplePublicObject
// and its upsert and with-errors variants).
type wireBatch struct {
	Status    string       `json:"status"`
	Results   []wireObject `json:"results"`
	NumErrors int          `json:"numErrors"`
	Errors    []wireError  `json:"errors"`
}

// result turns a batch answer into a BatchResult. HTTP 207 and any 2xx
// with errors[] or numErrors > 0 are partial successes.
func (w wireBatch) result() *BatchResult {
	r := &BatchResult{Results: objects(w.Results), Errors: items(w.Errors)}
	if w.NumErrors > len(r.Errors) {
		r.Errors = append(r.Errors, ItemError{
			Category: "UNKNOWN",
			Message:  fmt.Sprintf("HubSpot reported %d errors and detailed %d", w.NumErrors, len(w.Errors)),
		})
	}
	return r
}

// wireInputs is the body of a batch call: its inputs, and nothing else for
// most operations.
type wireInputs[T any] struct {
	Inputs []T `json:"inputs"`
}

type wireID struct {
	ID string `json:"id"`
}

type wireAssociationSpec struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

func specs(ts []AssociationType) []wireAssociationSpec {
	out := make([]wireAssociationSpec, len(ts))
	for i, t := range ts {
		out[i] = wireAssociationSpec{AssociationCategory: t.Category, AssociationTypeID: t.TypeID}
	}
	return out
}

// CheckInputs refuses a batch of more than MaxBatchInputs inputs, as every
// batch call of the client does before it sends.
func CheckInputs(n int) error {
	if n > MaxBatchInputs {
		return fmt.Errorf("%w: %d inputs, the limit is %d", ErrTooManyInputs, n, MaxBatchInputs)
	}
	return nil
}

func props(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// BatchRead reads up to MaxBatchInputs records by ID, or by the unique
// property req.IDProperty (with PropertiesWithHistory, up to
// MaxHistoryInputs). Records that do not exist come back in
// BatchResult.Errors (category OBJECT_NOT_FOUND, IDs in IDs); a merged-away
// ID comes back as the surviving record under its own ID. No IDs: no call.
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/batch/read
func (c *Client) BatchRead(ctx context.Context, objectType string, req BatchReadRequest) (*BatchResult, error) {
	if err := CheckInputs(len(req.IDs)); err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 {
		return &BatchResult{}, nil
	}
	body := struct {
		Inputs                []wireID `json:"inputs"`
		Properties            []string `json:"properties"`
		PropertiesWithHistory []string `json:"propertiesWithHistory"`
		IDProperty            string   `json:"idProperty,omitempty"`
	}{Properties: nonNil(req.Properties), PropertiesWithHistory: nonNil(req.PropertiesWithHistory), IDProperty: req.IDProperty}
	for _, id := range req.IDs {
		body.Inputs = append(body.Inputs, wireID{ID: id})
	}
	var q url.Values
	if req.Archived {
		q = url.Values{"archived": {"true"}}
	}
	var out wireBatch
	if _, err := c.do(ctx, epBatchRead, c.path(epBatchRead, objectType), q, body, &out); err != nil {
		return nil, err
	}
	return out.result(), nil
}

// BatchCreate creates up to MaxBatchInputs records. Inputs with a TraceID
// fail one by one (BatchResult.Errors, matched by TraceIDs); without trace
// IDs HubSpot fails the whole request with one *Error. Results are not in
// input order: match them by TraceID or a unique property. Not idempotent.
// No inputs: no call.
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/batch/create
func (c *Client) BatchCreate(ctx context.Context, objectType string, inputs []CreateInput) (*BatchResult, error) {
	if err := CheckInputs(len(inputs)); err != nil {
		return nil, err
	}
	if len(inputs) == 0 {
		return &BatchResult{}, nil
	}
	type assoc struct {
		To    wireID                `json:"to"`
		Types []wireAssociationSpec `json:"types"`
	}
	type input struct {
		Properties         map[string]string `json:"properties"`
		Associations       []assoc           `json:"associations"`
		ObjectWriteTraceID string            `json:"objectWriteTraceId,omitempty"`
	}
	body := wireInputs[input]{make([]input, len(inputs))}
	for i, in := range inputs {
		as := make([]assoc, len(in.Associations))
		for j, a := range in.Associations {
			as[j] = assoc{To: wireID{ID: a.ToID}, Types: specs(a.Types)}
		}
		body.Inputs[i] = input{Properties: props(in.Properties), Associations: as, ObjectWriteTraceID: in.TraceID}
	}
	var out wireBatch
	if _, err := c.do(ctx, epBatchCreate, c.path(epBatchCreate, objectType), nil, body, &out); err != nil {
		return nil, err
	}
	return out.result(), nil
}

type wireUpdateInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty,omitempty"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId,omitempty"`
}

// BatchUpdate updates up to MaxBatchInputs records by record ID, or by a
// custom unique property (not email: HubSpot refuses batch updates by
// email). An empty string clears a property. Failed inputs are in
// BatchResult.Errors. No inputs: no call.
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/batch/update
func (c *Client) BatchUpdate(ctx context.Context, objectType string, inputs []UpdateInput) (*BatchResult, error) {
	return batchWrite(ctx, c, epBatchUpdate, objectType, inputs)
}

// BatchUpsert creates or updates up to MaxBatchInputs records matched on
// a unique property (IDProperty: email on contacts, or a hasUniqueValue
// property). Object.New tells created from updated. It is idempotent. With
// a custom unique property and trace IDs, failed inputs are in
// BatchResult.Errors; with email, one bad input fails the whole request.
// No inputs: no call.
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/batch/upsert
func (c *Client) BatchUpsert(ctx context.Context, objectType string, inputs []UpsertInput) (*BatchResult, error) {
	return batchWrite(ctx, c, epBatchUpsert, objectType, inputs)
}

// batchWrite sends update or upsert inputs to e: both operations take the
// same body on the wire and answer with the same batch result.
func batchWrite[In UpdateInput | UpsertInput](ctx context.Context, c *Client, e endpoint, objectType string, inputs []In) (*BatchResult, error) {
	if err := CheckInputs(len(inputs)); err != nil {
		return nil, err
	}
	if len(inputs) == 0 {
		return &BatchResult{}, nil
	}
	body := wireInputs[wireUpdateInput]{make([]wireUpdateInput, len(inputs))}
	for i, in := range inputs {
		u := UpdateInput(in)
		body.Inputs[i] = wireUpdateInput{ID: u.ID, IDProperty: u.IDProperty, Properties: props(u.Properties), ObjectWriteTraceID: u.TraceID}
	}
	var out wireBatch
	if _, err := c.do(ctx, e, c.path(e, objectType), nil, body, &out); err != nil {
		return nil, err
	}
	return out.result(), nil
}

// BatchArchive archives up to MaxBatchInputs records by record ID. HubSpot
// answers 204 for IDs that do not exist, so it is idempotent. Per-record
// failures, if HubSpot reports any, come back as an *Error with Items. No
// IDs: no call.
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/batch/archive
func (c *Client) BatchArchive(ctx context.Context, objectType string, ids []string) error {
	if err := CheckInputs(len(ids)); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	body := wireInputs[wireID]{make([]wireID, len(ids))}
	for i, id := range ids {
		body.Inputs[i] = wireID{ID: id}
	}
	return c.archive(ctx, epBatchArchive, c.path(epBatchArchive, objectType), body)
}

// archive sends body to e at path, an archive call that answers with no
// results. errors[] in its 2xx answer come back as an *Error with Items.
func (c *Client) archive(ctx context.Context, e endpoint, path string, body any) error {
	var out wireBatchErrors
	status, err := c.do(ctx, e, path, nil, body, &out)
	if err != nil {
		return err
	}
	if out.NumErrors == 0 && len(out.Errors) == 0 {
		return nil
	}
	he := &Error{Method: e.method, Path: path, StatusCode: status, Items: items(out.Errors)}
	if len(he.Items) > 0 {
		he.Category = he.Items[0].Category
		he.Message = fmt.Sprintf("%d of the batch inputs failed", max(out.NumErrors, len(out.Errors)))
	} else {
		he.Message = fmt.Sprintf("HubSpot reported %d errors without details", out.NumErrors)
	}
	return he
}

type wireFilter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type wireFilterGroup struct {
	Filters []wireFilter `json:"filters"`
}

// wireSort is a sort rule as HubSpot's search guide documents it
// ({propertyName, direction}); the OpenAPI spec types sorts as strings, a
// known gap in the generated spec.
type wireSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction,omitempty"`
}

// Search runs one page of a CRM search. Results lag writes by seconds:
// search is for records never seen, not for reading back a write. Limit 0
// asks for DefaultSearchLimit. It draws on the search budget (5 a second).
//
// HubSpot operation: POST /crm/objects/2026-09/{objectType}/search
func (c *Client) Search(ctx context.Context, objectType string, req SearchRequest) (*SearchResult, error) {
	body := struct {
		FilterGroups []wireFilterGroup `json:"filterGroups"`
		Sorts        []wireSort        `json:"sorts"`
		Query        string            `json:"query,omitempty"`
		Properties   []string          `json:"properties"`
		Limit        int               `json:"limit"`
		After        string            `json:"after"`
	}{
		FilterGroups: make([]wireFilterGroup, len(req.FilterGroups)),
		Sorts:        make([]wireSort, len(req.Sorts)),
		Query:        req.Query,
		Properties:   nonNil(req.Properties),
		Limit:        req.Limit,
		After:        req.After,
	}
	if body.Limit == 0 {
		body.Limit = DefaultSearchLimit
	}
	if body.After == "" {
		// The spec requires after; it is an offset, and "0" is the first page.
		body.After = "0"
	}
	for i, g := range req.FilterGroups {
		fs := make([]wireFilter, len(g.Filters))
		for j, f := range g.Filters {
			fs[j] = wireFilter(f)
		}
		body.FilterGroups[i] = wireFilterGroup{Filters: fs}
	}
	for i, s := range req.Sorts {
		body.Sorts[i] = wireSort(s)
	}
	var out struct {
		Total   json.Number  `json:"total"`
		Results []wireObject `json:"results"`
		Paging  *wirePaging  `json:"paging"`
	}
	if _, err := c.do(ctx, epSearch, c.path(epSearch, objectType), nil, body, &out); err != nil {
		return nil, err
	}
	total, _ := strconv.Atoi(out.Total.String())
	return &SearchResult{Total: total, Results: objects(out.Results), After: out.Paging.after()}, nil
}

// List reads one page of objectType's records in ID order: req.Limit up to
// MaxListLimit (0 asks for MaxListLimit), from the cursor req.After
// (empty: the first page). With req.Archived only archived records come
// back, each with its ArchivedAt. ListPage.After is empty on the last page.
//
// HubSpot operation: GET /crm/objects/2026-09/{objectType}
func (c *Client) List(ctx context.Context, objectType string, req ListRequest) (*ListPage, error) {
	limit := req.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if req.After != "" {
		q.Set("after", req.After)
	}
	if len(req.Properties) > 0 {
		q.Set("properties", strings.Join(req.Properties, ","))
	}
	if req.Archived {
		q.Set("archived", "true")
	}
	var out struct {
		Results []wireObject `json:"results"`
		Paging  *wirePaging  `json:"paging"`
	}
	if _, err := c.do(ctx, epList, c.path(epList, objectType), q, nil, &out); err != nil {
		return nil, err
	}
	return &ListPage{Results: objects(out.Results), After: out.Paging.after()}, nil
}

type wirePaging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

func (p *wirePaging) after() string {
	if p == nil || p.Next == nil {
		return ""
	}
	return p.Next.After
}

// jsonID decodes a record ID sent as a JSON string or number.
type jsonID string

func (id *jsonID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = jsonID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("record ID %s is neither a string nor a number", b)
	}
	*id = jsonID(n.String())
	return nil
}
