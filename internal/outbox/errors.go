package outbox

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// FieldError is one reason an outbox row cannot be synced. Its message
// names the entity, the ERP key and the payload field, quotes the value and
// says what to change, for example:
//
//	customer C-1001: field "phone": "08x-xxx-5678" is a masked number; send the full number or leave phone empty
//
// Field is a path into the payload ("email", "items[2].quantity",
// "properties.lifecyclestage"), or "" when the row as a whole is wrong
// (unknown entity, empty erp_id, payload not a JSON object).
type FieldError struct {
	Entity string
	ERPID  string
	Field  string
	// Value is the offending value as sent, cut to 60 characters; "" when
	// there is none to show.
	Value string
	// Reason says what is wrong; it reads on from the quoted value
	// ("is a masked number") or stands alone when Value is "".
	Reason string
	// Hint says what the ERP should send instead; may be "".
	Hint string
	// Err is the underlying normalize error, if any, for errors.Is.
	Err error
	// Skippable reports that the record can be written without the field
	// (sync.invalid_field = "skip"): it is a value of the record's own,
	// not its identity (a customer's email, a product's SKU), a reference,
	// an order item, a name HubSpot requires, or the payload's shape.
	Skippable bool
}

// Error returns the one-line message described on FieldError.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Entity)
	if e.ERPID != "" {
		b.WriteString(" " + e.ERPID)
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, "%q ", e.Value)
	}
	b.WriteString(e.Reason)
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying normalize error, or nil.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrors holds every problem found in one payload, in payload order.
// Decode returns it (as error) when at least one field is wrong.
type FieldErrors []*FieldError

// Error joins the messages with " | ", naming the entity and key once,
// which keeps last_error on one line:
//
//	customer C-1001: field "email": … | field "phone": …
func (es FieldErrors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	b.WriteString(es[0].Error())
	prefix := es[0].Entity + " " + es[0].ERPID + ": "
	for _, e := range es[1:] {
		b.WriteString(" | ")
		b.WriteString(strings.TrimPrefix(e.Error(), prefix))
	}
	return b.String()
}

// Unwrap returns the field errors, so that errors.As finds a *FieldError.
func (es FieldErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// skippable reports whether every error is Skippable.
func (es FieldErrors) skippable() bool {
	for _, e := range es {
		if !e.Skippable {
			return false
		}
	}
	return true
}

// AsFieldErrors returns the field errors in err (a *FieldError or
// FieldErrors, possibly wrapped), or nil when err holds none.
func AsFieldErrors(err error) FieldErrors {
	var es FieldErrors
	if errors.As(err, &es) {
		return es
	}
	var e *FieldError
	if errors.As(err, &e) {
		return FieldErrors{e}
	}
	return nil
}

// shorten cuts s to 60 runes, marking the cut with "…".
func shorten(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
