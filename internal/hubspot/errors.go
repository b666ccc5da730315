package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/governor"
)

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// ErrTooManyInputs is returned, wrapped, by batch methods given more than
// MaxBatchInputs inputs; no call is made. It is a caller bug: Classify
// returns ClassSetup for it.
var ErrTooManyInputs = errors.New("hubspot: too many batch inputs")

// Error is a failed HubSpot call: an HTTP answer outside 2xx, or a call the
// governor refused because the daily allowance is spent (StatusCode 429,
// Policy DAILY, no HTTP request made).
type Error struct {
	Method     string // HTTP method
	Path       string // request path, without query
	StatusCode int

	Category      string // VALIDATION_ERROR, CONFLICT, OBJECT_NOT_FOUND, MISSING_SCOPES, ...
	SubCategory   string
	Message       string
	CorrelationID string
	Context       map[string][]string
	// Details are the body's errors[] entries (per-property validation
	// failures, required scopes).
	Details []ErrorDetail
	// Items are per-record failures of a batch call that returns no
	// BatchResult (BatchArchive, ArchiveAssociations).
	Items []ItemError

	// ErrorType and Policy come from 429 bodies (RATE_LIMIT; DAILY,
	// TEN_SECONDLY_ROLLING or SECONDLY).
	ErrorType string
	Policy    string
	// RetryAfter is the Retry-After header; RetryAt is when a refused daily
	// call may be tried again.
	RetryAfter time.Duration
	RetryAt    time.Time
}

// ErrorDetail is one entry of an error body's errors[] array.
type ErrorDetail struct {
	Message     string
	Code        string
	In          string
	SubCategory string
	Context     map[string][]string
}

// Error renders the failure without credentials:
// "hubspot: POST /crm/...: 409 CONFLICT: Contact already exists. Existing ID: 7 (correlation c-1)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hubspot: ")
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	switch {
	case e.Category != "":
		b.WriteString(" " + e.Category)
	case e.ErrorType != "":
		b.WriteString(" " + e.ErrorType)
	default:
		b.WriteString(" " + http.StatusText(e.StatusCode))
	}
	if e.Policy != "" {
		b.WriteString(" " + e.Policy)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, d := range e.Details {
		if d.Code != "" {
			fmt.Fprintf(&b, " [%s", d.Code)
			if names := d.Context["propertyName"]; len(names) > 0 {
				b.WriteString(" " + strings.Join(names, ","))
			}
			b.WriteString("]")
		}
	}
	if n := len(e.Items); n > 0 {
		fmt.Fprintf(&b, " (%d failed inputs, first: %s)", n, e.Items[0].Message)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlation %s)", e.CorrelationID)
	}
	return b.String()
}

// Class says what to do about the error: ClassRetry for 429 (except the
// daily limit), 5xx, 423 and 477; ClassSetup for authentication, scopes,
// missing properties, non-unique ID properties, an unknown route, and the
// daily limit; ClassData for the rest (validation, conflicts, missing
// records).
func (e *Error) Class() ErrorClass {
	switch s := e.StatusCode; {
	case s == http.StatusTooManyRequests:
		if e.Policy == governor.PolicyDaily {
			return ClassSetup
		}
		return ClassRetry
	case s >= 500, s == http.StatusLocked, s == 477, s == http.StatusRequestTimeout:
		return ClassRetry
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return ClassSetup
	case s == http.StatusNotFound && e.Category == "":
		// A 404 without HubSpot's envelope is an unknown route: wrong base
		// URL or version.
		return ClassSetup
	}
	if setupCategory(e.Category, e.Message, e.Details) {
		return ClassSetup
	}
	return ClassData
}

// existingIDPattern finds the record ID in HubSpot's 409 message
// "Contact already exists. Existing ID: 37765128953".
var existingIDPattern = regexp.MustCompile(`Existing ID: ?(\d+)`)

// ExistingID returns the ID of the record a 409 conflict names.
func (e *Error) ExistingID() (string, bool) {
	if e.StatusCode != http.StatusConflict && e.Category != "CONFLICT" {
		return "", false
	}
	return existingID(e.Message)
}

// Class says what to do about one failed batch input, with the rules of
// (*Error).Class applied to its category and details.
func (ie ItemError) Class() ErrorClass {
	switch ie.Category {
	case "RATE_LIMIT", "RATE_LIMITS":
		return ClassRetry
	case "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION":
		return ClassSetup
	}
	if setupCategory(ie.Category, ie.Message, ie.Details) {
		return ClassSetup
	}
	return ClassData
}

// ExistingID returns the ID of the record a CONFLICT item names.
func (ie ItemError) ExistingID() (string, bool) {
	if ie.Category != "CONFLICT" {
		return "", false
	}
	return existingID(ie.Message)
}

// Error renders the item failure.
func (ie ItemError) Error() string {
	s := ie.Category + ": " + ie.Message
	if len(ie.TraceIDs) > 0 {
		s += " (trace " + strings.Join(ie.TraceIDs, ",") + ")"
	} else if len(ie.IDs) > 0 {
		s += " (ids " + strings.Join(ie.IDs, ",") + ")"
	}
	return s
}

func existingID(msg string) (string, bool) {
	m := existingIDPattern.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// setupCategory reports whether a failure needs the HubSpot account set up
// differently rather than different record data: missing scopes, a property
// that does not exist, or an ID property that is not unique. HubSpot gives
// the last one only as message text ("Unable to perform update/upsert by
// non-unique 0-1 property"), so that one test reads the message.
func setupCategory(category, message string, details []ErrorDetail) bool {
	switch category {
	case "MISSING_SCOPES", "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION":
		return true
	}
	for _, d := range details {
		if d.Code == "PROPERTY_DOESNT_EXIST" {
			return true
		}
	}
	return category == "VALIDATION_ERROR" &&
		(strings.Contains(message, "PROPERTY_DOESNT_EXIST") || strings.Contains(message, "non-unique"))
}

// Classify says what to do about any error a Client method returns:
// (*Error).Class for HubSpot errors, ClassSetup for ErrTooManyInputs and a
// spent daily allowance, and ClassRetry for everything else (timeouts,
// dropped connections, cancelled contexts, unreadable answers). It returns 0
// for nil.
func Classify(err error) ErrorClass {
	if err == nil {
		return 0
	}
	var he *Error
	if errors.As(err, &he) {
		return he.Class()
	}
	var le *governor.LimitError
	if errors.As(err, &le) || errors.Is(err, ErrTooManyInputs) {
		return ClassSetup
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ClassRetry
	}
	return ClassRetry
}

// String names the class.
func (c ErrorClass) String() string {
	switch c {
	case ClassRetry:
		return "retry"
	case ClassData:
		return "data"
	case ClassSetup:
		return "setup"
	}
	return "none"
}

// wireError is HubSpot's error envelope, top level (Error) and per item
// (StandardError). subCategory is a string in one and an object in the
// other; both decode into RawMessage.
type wireError struct {
	Status        string              `json:"status"`
	Category      string              `json:"category"`
	SubCategory   json.RawMessage     `json:"subCategory"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Context       map[string][]string `json:"context"`
	Errors        []wireErrorDetail   `json:"errors"`
	ErrorType     string              `json:"errorType"`
	PolicyName    string              `json:"policyName"`
	ID            string              `json:"id"`
}

type wireErrorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code"`
	In          string              `json:"in"`
	SubCategory json.RawMessage     `json:"subCategory"`
	Context     map[string][]string `json:"context"`
}

func rawString(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	return string(m)
}

func (w wireErrorDetail) detail() ErrorDetail {
	return ErrorDetail{Message: w.Message, Code: w.Code, In: w.In, SubCategory: rawString(w.SubCategory), Context: w.Context}
}

func details(ws []wireErrorDetail) []ErrorDetail {
	if len(ws) == 0 {
		return nil
	}
	out := make([]ErrorDetail, len(ws))
	for i, w := range ws {
		out[i] = w.detail()
	}
	return out
}

// item turns a per-item StandardError into an ItemError.
func (w wireError) item() ItemError {
	ie := ItemError{
		Category:    w.Category,
		SubCategory: rawString(w.SubCategory),
		Message:     w.Message,
		Context:     w.Context,
		Details:     details(w.Errors),
	}
	if w.Context != nil {
		ie.IDs = w.Context["ids"]
		ie.TraceIDs = w.Context["objectWriteTraceId"]
	}
	if len(ie.IDs) == 0 && w.ID != "" {
		ie.IDs = []string{w.ID}
	}
	return ie
}

func items(ws []wireError) []ItemError {
	if len(ws) == 0 {
		return nil
	}
	out := make([]ItemError, len(ws))
	for i, w := range ws {
		out[i] = w.item()
	}
	return out
}

// CheckResponse returns nil for a 2xx answer and an *Error for any other,
// built from HubSpot's error envelope when the body holds one. It reads at
// most 64 KiB of the body. It is the one place HTTP failures become errors.
func CheckResponse(r *http.Response) error {
	if r.StatusCode >= 200 && r.StatusCode < 300 {
		return nil
	}
	e := &Error{StatusCode: r.StatusCode}
	if r.Request != nil && r.Request.URL != nil {
		e.Method, e.Path = r.Request.Method, r.Request.URL.Path
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			e.RetryAt = t
		}
	}
	var data []byte
	if r.Body != nil {
		data, _ = io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	}
	var w wireError
	if len(bytes.TrimSpace(data)) == 0 || json.Unmarshal(data, &w) != nil {
		// Not HubSpot's envelope (an HTML 404 for an unknown route, a proxy
		// page): keep the status only; the body may be anything.
		e.Message = "answer without HubSpot's error body"
		return e
	}
	e.Category = w.Category
	e.SubCategory = rawString(w.SubCategory)
	e.Message = w.Message
	e.CorrelationID = w.CorrelationID
	e.Context = w.Context
	e.ErrorType = w.ErrorType
	e.Policy = w.PolicyName
	e.Details = details(w.Errors)
	return e
}
