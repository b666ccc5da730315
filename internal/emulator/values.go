package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

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
