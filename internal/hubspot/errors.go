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

// HubSpot's error categories that syncd acts on (the category field of
// an error body, or of one failed batch input).
const (
	CategoryConflict        = "CONFLICT"         // a unique value belongs to another record (409)
	CategoryNotFound        = "OBJECT_NOT_FOUND" // the record does not exist (deleted, merged away)
	CategoryValidation      = "VALIDATION_ERROR" // the input is refused; Details name the properties
	CategoryMissingScopes   = "MISSING_SCOPES"   // the token lacks a scope
	CategoryInvalidAuth     = "INVALID_AUTHENTICATION"
	CategoryExpiredAuth     = "EXPIRED_AUTHENTICATION"
	CategoryRateLimit       = "RATE_LIMIT"
	CategoryRateLimits      = "RATE_LIMITS"
	codePropertyDoesntExist = "PROPERTY_DOESNT_EXIST"
)

// Error is a failed HubSpot call: an HTTP answer outside 2xx, or a call the
// governor refused because the daily allowance is spent (StatusCode 429,
// Policy DAILY, no HTTP request made).
type Error struct {
	Method     string // HTTP method
	Path       string // request path, without query
	StatusCode int

	Category      string // CategoryValidation, CategoryConflict, CategoryNotFound, ...
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
		if e.IsDailyLimit() {
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

// IsConflict reports whether the call was refused because a unique value
// it sends belongs to another record (409, CONFLICT); ExistingID names
// that record when HubSpot says which it is.
func (e *Error) IsConflict() bool {
	return e.StatusCode == http.StatusConflict || e.Category == CategoryConflict
}

// ExistingID returns the ID of the record a 409 conflict names.
func (e *Error) ExistingID() (string, bool) {
	if !e.IsConflict() {
		return "", false
	}
	return existingID(e.Message)
}

// IsNotFound reports whether HubSpot has no record the call names
// (OBJECT_NOT_FOUND): a user deleted it or merged it away.
func (e *Error) IsNotFound() bool { return e.Category == CategoryNotFound }

// IsDailyLimit reports whether the call was refused because the daily
// allowance (or the share of it syncd may use) is spent: by HubSpot, or by
// the governor before any request was made.
func (e *Error) IsDailyLimit() bool {
	return e.StatusCode == http.StatusTooManyRequests && e.Policy == governor.PolicyDaily
}

// MissingProperties returns the properties HubSpot says do not exist
// (PROPERTY_DOESNT_EXIST), from the details or, when HubSpot gives only
// the message, from its text.
func (e *Error) MissingProperties() []string { return missingProperties(e.Details, e.Message) }

// MissingProperties returns the properties a failed input names as not
// existing, as (*Error).MissingProperties does.
func (ie ItemError) MissingProperties() []string { return missingProperties(ie.Details, ie.Message) }

// IsNotFound reports whether the input's record does not exist in HubSpot.
func (ie ItemError) IsNotFound() bool { return ie.Category == CategoryNotFound }

// IsConflict reports whether a unique value of the input belongs to
// another record.
func (ie ItemError) IsConflict() bool { return ie.Category == CategoryConflict }

// MissingProperties returns the properties err says do not exist, when err
// is an *Error; nil otherwise.
func MissingProperties(err error) []string {
	var he *Error
	if !errors.As(err, &he) {
		return nil
	}
	return he.MissingProperties()
}

// IsDailyLimit reports whether err is a call refused for the spent daily
// allowance (see (*Error).IsDailyLimit).
func IsDailyLimit(err error) bool {
	var he *Error
	return errors.As(err, &he) && he.IsDailyLimit()
}

// missingProperties reads PROPERTY_DOESNT_EXIST out of an error's details,
// else out of its message: HubSpot sometimes gives only the message,
// Property "x" does not exist.
func missingProperties(ds []ErrorDetail, msg string) []string {
	var out []string
	for _, d := range ds {
		if d.Code == codePropertyDoesntExist {
			out = append(out, d.Context["propertyName"]...)
		}
	}
	if len(out) == 0 && strings.Contains(msg, codePropertyDoesntExist) {
		for _, part := range strings.Split(msg, `Property "`)[1:] {
			if i := strings.IndexByte(part, '"'); i > 0 {
				out = append(out, part[:i])
			}
		}
	}
	return out
}

// Class says what to do about one failed batch input, with the rules of
// (*Error).Class applied to its category and details.
func (ie ItemError) Class() ErrorClass {
	switch ie.Category {
	case CategoryRateLimit, CategoryRateLimits:
		return ClassRetry
	case CategoryInvalidAuth, CategoryExpiredAuth:
		return ClassSetup
	}
	if setupCategory(ie.Category, ie.Message, ie.Details) {
		return ClassSetup
	}
	return ClassData
}

// ExistingID returns the ID of the record a CONFLICT item names.
func (ie ItemError) ExistingID() (string, bool) {
	if !ie.IsConflict() {
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
	case CategoryMissingScopes, CategoryInvalidAuth, CategoryExpiredAuth:
		return true
	}
	for _, d := range details {
		if d.Code == codePropertyDoesntExist {
			return true
		}
	}
	return category == CategoryValidation &&
		(strings.Contains(message, codePropertyDoesntExist) || strings.Contains(message, "non-unique"))
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

func details(ws []wireErrorDetail) []ErrorDetail { return convertAll(ws, wireErrorDetail.detail) }

// convertAll converts each of ws with conv; none is nil.
func convertAll[W, T any](ws []W, conv func(W) T) []T {
	if len(ws) == 0 {
		return nil
	}
	out := make([]T, len(ws))
	for i, w := range ws {
		out[i] = conv(w)
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

func items(ws []wireError) []ItemError { return convertAll(ws, wireError.item) }

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
