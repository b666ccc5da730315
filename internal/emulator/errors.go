package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is HubSpot's error envelope. Field order follows real HubSpot
// bodies (status, message, correlationId, errors, links, context, category),
// which clients never rely on but humans diffing captures do.
type apiError struct {
	httpStatus    int
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory,omitempty"`
}

// errorDetail is one entry of errors[] in a top-level error.
type errorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// standardError is one failed input inside a batch response (StandardError).
// The spec makes context, errors and links required, so they are always sent.
type standardError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
	Errors      []errorDetail       `json:"errors"`
	Links       map[string]string   `json:"links"`
	ID          string              `json:"id,omitempty"`
	SubCategory map[string]any      `json:"subCategory,omitempty"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.httpStatus, e.Category, e.Message)
}

// asItem converts a top-level error into a batch item error, adding the
// input's trace ID to its context so the caller can match it.
func (e *apiError) asItem(traceID string) standardError {
	ctx := map[string][]string{}
	for k, v := range e.Context {
		ctx[k] = v
	}
	if traceID != "" {
		ctx["objectWriteTraceId"] = []string{traceID}
	}
	errs := e.Errors
	if errs == nil {
		errs = []errorDetail{}
	}
	return standardError{Status: "error", Category: e.Category, Message: e.Message, Context: ctx, Errors: errs, Links: map[string]string{}}
}

func newError(status int, category, msg string) *apiError {
	return &apiError{httpStatus: status, Status: "error", Message: msg, Category: category}
}

func validationError(msg string) *apiError {
	return newError(http.StatusBadRequest, "VALIDATION_ERROR", msg)
}

func notFoundError(id string) *apiError {
	e := newError(http.StatusNotFound, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
	e.Context = map[string][]string{"id": {id}}
	return e
}

func conflictError(msg string) *apiError {
	return newError(http.StatusConflict, "CONFLICT", msg)
}

// propertyProblem is one invalid property value, rendered both in the legacy
// stringified message and in errors[] as HubSpot does since 2024.
type propertyProblem struct {
	Name    string
	Code    string // PROPERTY_DOESNT_EXIST, INVALID_OPTION, ...
	Message string
}

// propertyValuesError builds HubSpot's 400 for invalid property values: the
// message embeds a JSON list of validation results, errors[] has one entry
// per bad property.
func propertyValuesError(portalID int64, problems []propertyProblem) *apiError {
	type legacy struct {
		IsValid               bool   `json:"isValid"`
		Message               string `json:"message"`
		Error                 string `json:"error"`
		Name                  string `json:"name"`
		LocalizedErrorMessage string `json:"localizedErrorMessage"`
		PortalID              int64  `json:"portalId"`
	}
	list := make([]legacy, 0, len(problems))
	details := make([]errorDetail, 0, len(problems))
	for _, p := range problems {
		list = append(list, legacy{Message: p.Message, Error: p.Code, Name: p.Name, LocalizedErrorMessage: p.Message, PortalID: portalID})
		details = append(details, errorDetail{Message: p.Message, Code: p.Code, Context: map[string][]string{"propertyName": {p.Name}}})
	}
	b, _ := json.Marshal(list)
	e := validationError("Property values were not valid: " + string(b))
	e.Errors = details
	return e
}

// rateLimitBody is HubSpot's 429 body. It uses errorType and policyName, not
// category; field order and the message strings are what HubSpot's official
// Node client matches on for its retries.
type rateLimitBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	ErrorType     string `json:"errorType"`
	CorrelationID string `json:"correlationId"`
	GroupName     string `json:"groupName,omitempty"`
	PolicyName    string `json:"policyName"`
	RequestID     string `json:"requestId,omitempty"`
}

// authError is HubSpot's 401 without usable credentials.
func authError() *apiError {
	return newError(http.StatusUnauthorized, "INVALID_AUTHENTICATION",
		"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
}

// scopeError is HubSpot's 403 naming the scopes of which one would do.
func scopeError(required []string) *apiError {
	e := newError(http.StatusForbidden, "MISSING_SCOPES",
		"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.")
	e.Errors = []errorDetail{{Message: "One or more of the following scopes are required.", Context: map[string][]string{"requiredGranularScopes": required}}}
	e.Links = map[string]string{"scopes": "https://developers.hubspot.com/scopes"}
	return e
}

// invalidJSON is the 400 for a body that does not decode.
func invalidJSON(err error) *apiError {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return validationError("Invalid input JSON on line 1: " + msg)
}
