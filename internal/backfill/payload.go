package backfill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/syncd/syncd/internal/outbox"
)

// structured fields hold JSON: an order's items, a passthrough object.
var structured = map[string]bool{"items": true, "properties": true}

// build turns one record's values into its ERP key and payload, or
// returns the bad line it is. The payload is not checked against the
// outbox contract here; Run decodes it as the engine will.
func (p *plan) build(line int64, values []any) (string, []byte, *BadLine) {
	bad := func(kind, format string, args ...any) (string, []byte, *BadLine) {
		return "", nil, &BadLine{Line: line, Kind: kind, Reason: fmt.Sprintf(format, args...)}
	}
	keyCol := strings.TrimSpace(p.header[p.key])
	key, ok := keyText(values[p.key])
	if !ok {
		return bad(KindMissingKey, "column %q (erp_id) holds %s, not a key", keyCol, outbox.KindOf(values[p.key]))
	}
	if msg := undecodable(key); msg != "" {
		return bad(KindUndecodable, "column %q (erp_id): %s", keyCol, msg)
	}
	if key == "" {
		return bad(KindMissingKey, "column %q (erp_id) is empty; every row needs the ERP's key of the %s", keyCol, p.entity)
	}
	obj := make(map[string]any, len(p.cols)+len(p.consts))
	props := map[string]any{}
	for f, v := range p.consts {
		if prop, ok := strings.CutPrefix(f, "properties."); ok {
			props[prop] = v
		} else {
			obj[f] = v
		}
	}
	for i, t := range p.cols {
		if t.field == "" || i == p.key {
			continue
		}
		v := values[i]
		if s, isText := v.(string); isText {
			if bad := undecodable(s); bad != "" {
				return "", nil, &BadLine{Line: line, ERPID: key, Kind: KindUndecodable,
					Reason: fmt.Sprintf("column %q: %s", strings.TrimSpace(p.header[i]), bad)}
			}
			v = norm.NFC.String(s)
		}
		if isEmpty(v) {
			if !p.clear {
				continue
			}
			v = ""
		}
		if structured[t.field] {
			sv, err := structuredValue(t.field, v)
			if err != nil {
				return "", nil, &BadLine{Line: line, ERPID: key, Kind: KindInvalid,
					Reason: fmt.Sprintf("column %q (%s): %v", strings.TrimSpace(p.header[i]), t.field, err)}
			}
			if t.field == "properties" {
				m, _ := sv.(map[string]any)
				for k, pv := range m {
					props[k] = pv
				}
				continue
			}
			v = sv
		}
		if prop, ok := t.property(); ok {
			props[prop] = v
		} else {
			obj[t.field] = v
		}
	}
	if len(props) > 0 {
		obj["properties"] = props
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return bad(KindInvalid, "payload: %v", err)
	}
	return key, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// keyText returns a key value as text: a string trimmed (spreadsheets pad
// cells), or a number as written.
func keyText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// isEmpty reports whether v is an empty value: null, or text of blanks.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	}
	return false
}

// structuredValue reads the value of items or properties: JSON from a
// json/jsonb column, or JSON text in a cell.
func structuredValue(field string, v any) (any, error) {
	if s, ok := v.(string); ok {
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("is not JSON: %v", err)
		}
	}
	switch v.(type) {
	case nil:
		return nil, nil
	case []any:
		if field == "items" {
			return v, nil
		}
	case map[string]any:
		if field == "properties" {
			return v, nil
		}
	}
	want := "an array of item objects (json_agg(json_build_object(…)))"
	if field == "properties" {
		want = "an object of HubSpot property names and values"
	}
	return nil, fmt.Errorf("holds %s; send %s", outbox.KindOf(v), want)
}

// undecodable describes where text holds bytes the source encoding could
// not decode, or returns "".
func undecodable(s string) string {
	i := strings.IndexRune(s, utf8.RuneError)
	if i < 0 && utf8.ValidString(s) {
		return ""
	}
	if i < 0 {
		for j := 0; j < len(s); {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && n == 1 {
				i = j
				break
			}
			j += n
		}
	}
	return fmt.Sprintf("has bytes that are not text in the file's encoding at character %d (after %q); check the encoding (--encoding) or fix the line",
		utf8.RuneCountInString(s[:i])+1, strings.ToValidUTF8(tail(s[:i], 20), ""))
}

// tail returns the last n runes of s.
func tail(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[len(r)-n:]
	}
	return string(r)
}
