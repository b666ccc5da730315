package backfill

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/syncd/syncd/internal/outbox"
)

// KeyField is the mapping target of the column that holds the ERP key.
const KeyField = "erp_id"

// Mapping says how a source's columns become payload fields. The zero
// value maps columns by name.
type Mapping struct {
	// Entity is the entity the mapping is written for; "" for any.
	Entity string `toml:"entity"`
	// Encoding and Delimiter are the CSV file's, when detection is not
	// wanted; "" detects them.
	Encoding  string `toml:"encoding"`
	Delimiter string `toml:"delimiter"`
	// Empty says what an empty value (an empty cell, blanks only, SQL
	// NULL) does: "omit" (the default) leaves the field out of the
	// payload, so HubSpot keeps its value; "clear" sends "" and clears it.
	Empty string `toml:"empty"`
	// IgnoreUnmapped drops columns that neither Columns nor their name maps,
	// instead of refusing the source.
	IgnoreUnmapped bool `toml:"ignore_unmapped"`
	// Columns maps a column name to a target: "erp_id", a payload field
	// ("email", "items"), "properties.<hubspot property>", or "" to ignore
	// the column.
	Columns map[string]string `toml:"columns"`
	// Constants gives fields a value no column holds, the same for every
	// row: {"properties.lifecyclestage": "customer"}.
	Constants map[string]any `toml:"constants"`
}

// Empty values.
const (
	EmptyOmit  = "omit"
	EmptyClear = "clear"
)

// LoadMapping reads a mapping file (TOML). Unknown keys are errors naming
// the file and line.
func LoadMapping(path string) (Mapping, error) {
	var m Mapping
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) && len(strict.Errors) > 0 {
			e := &strict.Errors[0]
			line, _ := e.Position()
			return m, fmt.Errorf("%s:%d: unknown key %q; a mapping has entity, encoding, delimiter, empty, ignore_unmapped, [columns] and [constants]", path, line, strings.Join(e.Key(), "."))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return m, fmt.Errorf("%s:%d: %s", path, line, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return m, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// target is where one column's values go.
type target struct {
	field string // a payload field, "properties.<name>", KeyField, or "" (ignored)
}

func (t target) property() (string, bool) { return strings.CutPrefix(t.field, "properties.") }

// plan is a mapping compiled against a source's header.
type plan struct {
	entity  outbox.Entity
	header  []string
	cols    []target
	key     int // index of the key column
	consts  map[string]any
	clear   bool
	columns map[string]string // column name → field, for messages
}

// compile checks the mapping against the entity's fields and the header,
// and returns every problem at once, naming the column and the field.
func compile(entity outbox.Entity, m Mapping, header []string) (*plan, error) {
	if m.Entity != "" && m.Entity != string(entity) {
		return nil, fmt.Errorf("the mapping is for entity %q, the import for %q", m.Entity, entity)
	}
	p := &plan{entity: entity, header: header, cols: make([]target, len(header)), key: -1, consts: map[string]any{}, columns: map[string]string{}}
	switch m.Empty {
	case "", EmptyOmit:
	case EmptyClear:
		p.clear = true
	default:
		return nil, fmt.Errorf("empty = %q: use %q or %q", m.Empty, EmptyOmit, EmptyClear)
	}
	fields := outbox.Fields(entity)
	var errs []error
	check := func(what, field string) error {
		if prop, ok := strings.CutPrefix(field, "properties."); ok {
			if !outbox.IsPropertyName(prop) {
				return fmt.Errorf("%s: %q is not a HubSpot property name; use the property's internal name: lower-case letters, digits and _", what, prop)
			}
			return nil
		}
		if field == KeyField || slices.Contains(fields, field) {
			return nil
		}
		return fmt.Errorf("%s: %q is not a field of %s payloads; known fields: %s, %s; put other HubSpot properties under \"properties.<name>\" or map the column to \"\" to ignore it",
			what, field, entity, KeyField, strings.Join(fields, ", "))
	}
	seenCol := map[string]int{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if j, dup := seenCol[name]; dup && name != "" {
			errs = append(errs, fmt.Errorf("columns %d and %d are both named %q; rename one", j+1, i+1, name))
			continue
		}
		seenCol[name] = i
	}
	for col := range m.Columns {
		if _, ok := seenCol[strings.TrimSpace(col)]; !ok {
			errs = append(errs, fmt.Errorf("[columns] %q: the source has no such column; its columns are %s", col, quoteList(header)))
		}
	}
	byField := map[string]string{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		field, mapped := m.Columns[name]
		if !mapped {
			field, mapped = m.Columns[h]
		}
		switch {
		case mapped:
			field = strings.TrimSpace(field)
		case name == "":
			continue // an unnamed column, as spreadsheets leave after the last one
		default:
			field = byName(name, fields)
			if field == "" {
				if !m.IgnoreUnmapped {
					errs = append(errs, fmt.Errorf("column %q: %s", name, unmappedHint(entity, fields)))
				}
				continue
			}
		}
		if field == "" {
			continue
		}
		if err := check(fmt.Sprintf("column %q", name), field); err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := byField[field]; dup {
			errs = append(errs, fmt.Errorf("columns %q and %q both map to %s; map one of them to \"\"", other, name, field))
			continue
		}
		byField[field] = name
		p.cols[i] = target{field: field}
		p.columns[name] = field
		if field == KeyField {
			p.key = i
		}
	}
	for field, v := range m.Constants {
		field = strings.TrimSpace(field)
		if field == KeyField {
			errs = append(errs, errors.New("[constants] erp_id: every row needs its own key; map a column to erp_id"))
			continue
		}
		if err := check(fmt.Sprintf("[constants] %q", field), field); err != nil {
			errs = append(errs, err)
			continue
		}
		if col, dup := byField[field]; dup {
			errs = append(errs, fmt.Errorf("[constants] %q: column %q maps to it too; keep one", field, col))
			continue
		}
		p.consts[field] = v
	}
	if p.key < 0 {
		errs = append(errs, fmt.Errorf("no column maps to erp_id (the ERP's key of each %s); name a column erp_id or map it under [columns] (%q = \"erp_id\") or with --map COLUMN=erp_id; the columns are %s",
			entity, "COLUMN", quoteList(header)))
	}
	if len(errs) > 0 {
		return nil, &MappingError{Errs: errs}
	}
	return p, nil
}

// byName returns the target of a column mapped by its name: a field or
// erp_id, ignoring case and with blanks and "-" read as "_", or
// "properties.<name>"; "" when the name is none of those.
func byName(name string, fields []string) string {
	if prop, ok := strings.CutPrefix(name, "properties."); ok {
		return "properties." + prop
	}
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(name))
	if n == KeyField || slices.Contains(fields, n) {
		return n
	}
	return ""
}

func unmappedHint(entity outbox.Entity, fields []string) string {
	return fmt.Sprintf("is not a field of %s payloads (%s, %s); map it with --map or in the mapping file's [columns] to a field, to \"properties.<name>\", or to \"\" to ignore it (--ignore-unmapped ignores every such column)",
		entity, KeyField, strings.Join(fields, ", "))
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// MappingError lists every problem of a mapping against a source; nothing
// is read or written when the mapping is wrong.
type MappingError struct{ Errs []error }

func (e *MappingError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	slices.Sort(msgs)
	return "mapping: " + strings.Join(msgs, "\nmapping: ")
}
