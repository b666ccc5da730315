// Package outbox is the contract between an ERP and syncd: the rows the ERP
// writes into the outbox table, their JSON payloads, and how syncd checks
// and normalises them into HubSpot properties. docs/outbox.md is the same
// contract written for ERP developers.
//
// Decode is the one entry point. It takes a row's entity, erp_id, op and
// payload bytes and returns a *Record holding exactly one of Customer,
// Company, Product, Order or Ticket (none for a delete). Each of those has
// the normalised values the engine needs for matching and references
// (email, domain, tax ID, SKU, customer_id, …) as fields, and a Properties
// method giving the HubSpot properties to write, already in HubSpot's
// string forms:
//
//	rec, err := outbox.Decode(row.Entity, row.ERPID, row.Op, row.Payload, opts)
//	if err != nil { // always the ERP's data: store err.Error() as last_error, do not retry
//	}
//	props := rec.Properties() // e.g. contact: email, phone, firstname, lastname
//
// Field presence carries meaning: a field absent from the payload leaves its
// HubSpot property alone (Properties omits it); a field sent as "" or null
// clears it (Properties maps it to ""). Properties never holds the ERP-ID
// property, the pipeline or stage (the engine maps status through the
// configuration) or hs_product_id; the engine adds those.
//
// Payloads are decoded with numbers kept exact (json.Number). Unknown
// top-level or item fields are refused with an error naming the field, so
// that a misspelt field ("firstname" for "first_name") is not silently
// dropped; HubSpot properties without a payload field go under
// "properties", which passes them through: strings unchanged, numbers as
// written, booleans as "true"/"false", arrays of those joined with ";"
// (multi-select values), null as "" (clear). Nested objects are refused,
// and so is a property that a payload field already sets ("email" under
// properties: use the email field).
//
// Every error Decode returns is a *FieldError or a FieldErrors listing all
// problems of the payload; each message names the entity, the ERP key and
// the field and says what to send instead. The engine adds the outbox row
// id. Decode is a pure function, safe for concurrent use.
package outbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/normalize"
)

// Entity is the kind of ERP record an outbox row describes.
type Entity string

// The five entities of the outbox contract.
const (
	EntityCustomer Entity = "customer"
	EntityCompany  Entity = "company"
	EntityProduct  Entity = "product"
	EntityOrder    Entity = "order"
	EntityTicket   Entity = "ticket"
)

// Entities lists the entities of the outbox contract. Which HubSpot
// object type each becomes, and in which order a cycle writes them, is the
// engine's table of object types.
var Entities = []Entity{EntityCompany, EntityCustomer, EntityProduct, EntityOrder, EntityTicket}

// Valid reports whether e is one of the entities of the contract.
func (e Entity) Valid() bool { return slices.Contains(Entities, e) }

// Op is what the row asks for.
type Op string

// The operations of the outbox contract. An empty op means upsert.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// Default property names, the same as config's defaults and what `syncd
// setup` creates.
const (
	DefaultERPIDProperty  = "syncd_erp_id"
	DefaultTaxIDProperty  = "syncd_tax_id"
	DefaultBranchProperty = "syncd_branch"
	DefaultRegion         = "TH"
)

// Options says how payloads are normalised. The zero value is usable: every
// empty field takes its default.
type Options struct {
	// DefaultRegion is the ISO 3166 region for phone numbers written
	// without a country code; default "TH".
	DefaultRegion string
	// ERPIDProperty is the property holding the ERP key; the engine sets it
	// and "properties" may not. Default "syncd_erp_id".
	ERPIDProperty string
	// TaxIDProperty is the company property for tax_id; default "syncd_tax_id".
	TaxIDProperty string
	// BranchProperty is the company property for branch; default "syncd_branch".
	BranchProperty string
	// SalutationProperty, when set, is the contact property that receives
	// the honorific split off a name (นาย, ดร., Mr.). Empty (the default)
	// means the honorific is dropped: the default HubSpot "salutation"
	// property is not known to exist in every portal.
	SalutationProperty string
	// Location is the time zone of created_at values written without an
	// offset; default Asia/Bangkok (UTC+07:00).
	Location *time.Location
	// SkipInvalidFields makes Decode leave out the fields whose value it
	// refuses, when every problem of the payload is such a field, instead
	// of failing the record (sync.invalid_field = "skip"). See
	// FieldError.Skippable for the fields it applies to.
	SkipInvalidFields bool
}

// OptionsFromConfig returns the options the sync configuration implies.
func OptionsFromConfig(s config.Sync) Options {
	return Options{
		DefaultRegion: s.DefaultRegion,
		ERPIDProperty: s.ERPIDProperty,
		TaxIDProperty: s.TaxIDProperty,

		SkipInvalidFields: s.InvalidField == config.InvalidFieldSkip,
	}.withDefaults()
}

func (o Options) withDefaults() Options {
	if o.DefaultRegion == "" {
		o.DefaultRegion = DefaultRegion
	}
	o.DefaultRegion = strings.ToUpper(o.DefaultRegion)
	if o.ERPIDProperty == "" {
		o.ERPIDProperty = DefaultERPIDProperty
	}
	if o.TaxIDProperty == "" {
		o.TaxIDProperty = DefaultTaxIDProperty
	}
	if o.BranchProperty == "" {
		o.BranchProperty = DefaultBranchProperty
	}
	if o.Location == nil {
		o.Location = normalize.Bangkok
	}
	return o
}

// Record is one decoded outbox row. Exactly one of the entity pointers is
// set for an upsert; none for a delete.
type Record struct {
	Entity Entity
	ERPID  string
	Op     Op

	Customer *Customer
	Company  *Company
	Product  *Product
	Order    *Order
	Ticket   *Ticket

	// Warnings lists values syncd repaired rather than refused (a tax ID
	// whose leading 0 a spreadsheet dropped, extra phone numbers in one
	// cell that were not synced), worded like FieldError messages. The
	// engine keeps them on the row; they do not fail it.
	Warnings []string
	// Skipped are the refused fields Decode left out under
	// Options.SkipInvalidFields: the record is written without them.
	Skipped FieldErrors
}

// Properties returns the HubSpot properties of the record's main object
// (contact, company, product, deal or ticket), or nil for a delete. Line
// items are in Order.Items.
func (r *Record) Properties() map[string]string {
	switch {
	case r.Customer != nil:
		return r.Customer.Properties()
	case r.Company != nil:
		return r.Company.Properties()
	case r.Product != nil:
		return r.Product.Properties()
	case r.Order != nil:
		return r.Order.Properties()
	case r.Ticket != nil:
		return r.Ticket.Properties()
	}
	return nil
}

// Decode checks an outbox row and normalises its payload. entity must be
// one of the five entities and erpID non-blank; op is "upsert", "delete" or
// "" (upsert). For a delete the payload is not read. For an upsert the
// payload must be a JSON object of the entity's shape (docs/outbox.md).
//
// Every problem found is reported: the error is a FieldErrors (or a single
// *FieldError for a row-level problem), never a transient failure. With
// opts.SkipInvalidFields, a payload whose every problem is a skippable field
// decodes without those fields, listed in Record.Skipped.
func Decode(entity, erpID, op string, payload []byte, opts Options) (*Record, error) {
	opts = opts.withDefaults()
	ent := Entity(entity)
	rowErr := func(reason, hint string) error {
		return &FieldError{Entity: entity, ERPID: erpID, Reason: reason, Hint: hint}
	}
	if !ent.Valid() {
		return nil, rowErr(fmt.Sprintf("unknown entity %q", entity), "use customer, company, product, order or ticket")
	}
	if strings.TrimSpace(erpID) == "" {
		return nil, rowErr("erp_id is empty", "send the ERP's own key of the record")
	}
	if strings.TrimSpace(erpID) != erpID {
		return nil, rowErr(fmt.Sprintf("erp_id %q has spaces around it", erpID), "trim it: references to the record are matched without them")
	}
	rec := &Record{Entity: ent, ERPID: erpID}
	switch Op(op) {
	case "", OpUpsert:
		rec.Op = OpUpsert
	case OpDelete:
		rec.Op = OpDelete
		return rec, nil
	default:
		return nil, rowErr(fmt.Sprintf("unknown op %q", op), `use "upsert" or "delete"`)
	}
	obj, err := decodeObject(payload)
	if err != nil {
		return nil, rowErr(err.Error(), "the payload must be a JSON object such as {\"name\": \"…\"}")
	}
	r := &reader{entity: ent, erpID: erpID, obj: obj, opts: opts, seen: map[string]bool{}}
	r.read(rec)
	r.unknownFields(obj, "", r.seen)
	if len(r.errs) > 0 && !(opts.SkipInvalidFields && r.errs.skippable()) {
		return nil, r.errs
	}
	if len(r.errs) > 0 {
		rec.Skipped = r.errs
	}
	rec.Warnings = r.warnings
	return rec, nil
}

// decodeObject parses payload as one JSON object with exact numbers.
func decodeObject(payload []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil, errors.New("payload is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("payload has data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("payload is %s, not a JSON object", jsonKind(v))
	}
	return obj, nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// read reads the payload of the reader's entity into rec: the one place
// that says which payload type each entity has.
func (r *reader) read(rec *Record) {
	switch r.entity {
	case EntityCustomer:
		rec.Customer = r.customer()
	case EntityCompany:
		rec.Company = r.company()
	case EntityProduct:
		rec.Product = r.product()
	case EntityOrder:
		rec.Order = r.order()
	case EntityTicket:
		rec.Ticket = r.ticket()
	}
}
