package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/syncd/syncd/internal/normalize"
)

// reader collects the values and the errors of one payload.
type reader struct {
	entity   Entity
	erpID    string
	obj      map[string]any
	opts     Options
	seen     map[string]bool
	errs     FieldErrors
	warnings []string
}

// scope is one JSON object of the payload: the top level or an item.
type scope struct {
	obj    map[string]any
	seen   map[string]bool
	prefix string // "" or "items[3]."
}

func (r *reader) top() scope { return scope{obj: r.obj, seen: r.seen} }

// skippableFields are the payload fields of each entity that a record can
// be written without when syncd refuses their value (sync.invalid_field =
// "skip"), besides the values under "properties". The others identify the
// record (a customer's email, a product's SKU), reference another record,
// are order items (a line without its quantity or price would give the
// deal a wrong amount), or are names HubSpot requires, which syncd would
// otherwise replace with the ERP key.
var skippableFields = map[Entity]map[string]bool{
	EntityCustomer: {"phone": true, "first_name": true, "last_name": true, "name": true},
	EntityCompany:  {"name": true, "domain": true, "website": true, "tax_id": true, "branch": true, "phone": true},
	EntityProduct:  {"price": true, "description": true},
	EntityOrder:    {"currency": true, "created_at": true, "close_date": true},
	EntityTicket:   {"description": true, "priority": true, "created_at": true},
}

func (r *reader) fail(field, value, reason, hint string, err error) {
	r.errs = append(r.errs, &FieldError{
		Entity: string(r.entity), ERPID: r.erpID, Field: field,
		Value: shorten(value), Reason: reason, Hint: hint, Err: err,
		Skippable: skippableFields[r.entity][field],
	})
}

// failValue records a refused passthrough property value, which the record
// can be written without.
func (r *reader) failValue(field, reason, hint string) {
	r.fail(field, "", reason, hint, nil)
	r.errs[len(r.errs)-1].Skippable = true
}

// MaxTextLength is the most characters HubSpot keeps in a text property
// value, counted in UTF-16 code units (a character beyond the Basic
// Multilingual Plane, such as an emoji, counts twice), the stricter of the
// ways to count it. Longer values are refused before any call.
const MaxTextLength = 65536

// textLength counts s in UTF-16 code units.
func textLength(s string) int {
	n := 0
	for _, c := range s {
		n++
		if c > 0xFFFF {
			n++
		}
	}
	return n
}

// tooLong is the reason and hint for a text value over MaxTextLength, or
// "" when s fits.
func tooLong(s string) (reason, hint string) {
	if len(s) <= MaxTextLength {
		return "", "" // at most one UTF-16 unit per byte
	}
	n := textLength(s)
	if n <= MaxTextLength {
		return "", ""
	}
	return fmt.Sprintf("is %d characters long, more than the %d HubSpot keeps in a property", n, MaxTextLength),
		fmt.Sprintf("send at most %d characters", MaxTextLength)
}

func (r *reader) warn(field, value, msg string) {
	r.warnings = append(r.warnings, (&FieldError{
		Entity: string(r.entity), ERPID: r.erpID, Field: field, Value: shorten(value), Reason: msg,
	}).Error())
}

// get returns the raw value of key and whether it is present.
func (sc scope) get(key string) (any, bool) {
	sc.seen[key] = true
	v, ok := sc.obj[key]
	return v, ok
}

// text reads a text field: a JSON string, or a number taken as written.
// null reads as "" (present). A value of another type, or one longer than
// HubSpot keeps (MaxTextLength), is an error and reads as absent.
func (r *reader) text(sc scope, key string) (string, bool) {
	v, ok := sc.get(key)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		if reason, hint := tooLong(v); reason != "" {
			r.fail(sc.prefix+key, "", reason, hint, nil)
			return "", false
		}
		return v, true
	case json.Number:
		return v.String(), true
	}
	r.fail(sc.prefix+key, "", fmt.Sprintf("is %s", jsonKind(v)), "send a string", nil)
	return "", false
}

// decimal reads a number field, a JSON number or a string such as
// "฿1,234.50", as a plain decimal string. Negative values are refused.
func (r *reader) decimal(sc scope, key string) (string, bool) {
	v, ok := sc.get(key)
	if !ok {
		return "", false
	}
	var raw string
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		raw = v
		if strings.TrimSpace(v) == "" {
			return "", true
		}
	case json.Number:
		raw = v.String()
	default:
		r.fail(sc.prefix+key, "", fmt.Sprintf("is %s", jsonKind(v)), "send a number such as 1234.50", nil)
		return "", false
	}
	d, err := normalize.Amount(raw)
	if err != nil {
		r.fail(sc.prefix+key, raw, reasonOf(err), "send a number such as 1234.50", err)
		return "", false
	}
	if strings.HasPrefix(d, "-") {
		r.fail(sc.prefix+key, raw, "is negative", "send zero or more", nil)
		return "", false
	}
	return d, true
}

// reasonOf turns a normalize error into the reason part of a FieldError.
func reasonOf(err error) string { return err.Error() }

// phone reads and normalises a phone field into E.164 (with " ext. N").
func (r *reader) phone(sc scope, key string) (string, []string, bool) {
	raw, ok := r.text(sc, key)
	if !ok {
		return "", nil, false
	}
	if strings.TrimSpace(raw) == "" {
		return "", nil, true
	}
	p, err := normalize.ParsePhone(raw, r.opts.DefaultRegion)
	if err != nil {
		hint := "check the number, write a number from another country with + and its country code (+49 30 0074321), or leave " + key + " empty"
		switch {
		case errors.Is(err, normalize.ErrMasked):
			hint = "send the full number or leave " + key + " empty"
		case errors.Is(err, normalize.ErrShortCode):
			hint = "a hotline cannot be written in E.164; put it in a custom property under \"properties\""
		}
		r.fail(sc.prefix+key, raw, reasonOf(err), hint, err)
		return "", nil, false
	}
	var others []string
	for _, o := range p.Others {
		op, err := normalize.ParsePhone(o, r.opts.DefaultRegion)
		if err != nil {
			r.warn(sc.prefix+key, o, "was listed after the first number and is not a phone number syncd can use ("+err.Error()+"); only the first number is synced")
			continue
		}
		others = append(others, op.String())
		r.warn(sc.prefix+key, o, "was listed after the first number; only the first number is synced to "+key)
	}
	return p.String(), others, true
}

// ref reads a reference to another record's ERP key.
func (r *reader) ref(sc scope, key string) string {
	s, _ := r.text(sc, key)
	return strings.TrimSpace(s)
}

var rePropertyName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// passthrough reads "properties". reserved maps property names that a
// payload field sets to that field's name.
func (r *reader) passthrough(sc scope, reserved map[string]string) map[string]string {
	v, ok := sc.get("properties")
	if !ok || v == nil {
		return nil
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		r.fail(sc.prefix+"properties", "", fmt.Sprintf("is %s", jsonKind(v)), `send an object of HubSpot property names and values, {"lifecyclestage": "customer"}`, nil)
		return nil
	}
	reserved[r.opts.ERPIDProperty] = "erp_id"
	reserved["hs_object_id"] = "erp_id"
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(obj))
	for _, k := range keys {
		field := sc.prefix + "properties." + k
		if !rePropertyName.MatchString(k) {
			r.fail(field, "", "is not a HubSpot property name", "use the property's internal name: lower-case letters, digits and _", nil)
			continue
		}
		if by, taken := reserved[k]; taken {
			hint := "use the payload field " + by + " instead"
			if by == "erp_id" || by == "status" || by == "items" {
				hint = "remove it; syncd sets it from " + by
			}
			r.fail(field, "", "is set by syncd", hint, nil)
			continue
		}
		s, err := propertyValue(obj[k])
		if err != nil {
			r.failValue(field, err.Error(), "send a string, number, boolean, null or an array of those")
			continue
		}
		if reason, hint := tooLong(s); reason != "" {
			r.failValue(field, reason, hint)
			continue
		}
		out[k] = s
	}
	return out
}

// propertyValue converts a passthrough JSON value to HubSpot's string form.
func propertyValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			switch e.(type) {
			case []any, map[string]any, nil:
				return "", fmt.Errorf("is an array holding %s", jsonKind(e))
			}
			s, _ := propertyValue(e)
			parts = append(parts, s)
		}
		return strings.Join(parts, ";"), nil
	}
	return "", fmt.Errorf("is %s", jsonKind(v))
}

// unknownFields reports the fields of sc.obj no reader looked at.
func (r *reader) unknownFields(obj map[string]any, prefix string, seen map[string]bool) {
	var unknown []string
	for k := range obj {
		if !seen[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		known := make([]string, 0, len(seen))
		for s := range seen {
			known = append(known, s)
		}
		slices.Sort(known)
		r.fail(prefix+k, "", "is not a field of "+string(r.entity)+" payloads",
			"known fields: "+strings.Join(known, ", ")+`; put other HubSpot properties under "properties"`, nil)
	}
}

// merge copies the passthrough properties into props.
func merge(props, extra map[string]string) {
	for k, v := range extra {
		props[k] = v
	}
}
