// Package emulator is an in-memory HubSpot CRM: a separate implementation of
// HubSpot's wire contract for syncd's tests and demos. It shares no types
// with syncd's HubSpot client, so a misunderstanding in one is caught by the
// other and by HubSpot's official OpenAPI specs.
//
// It is a library first: New returns an http.Handler for httptest.NewServer.
// ListenAndServe runs it as a server for `syncd emulator`.
//
//	srv := emulator.New(emulator.Options{SearchLag: 2 * time.Second, Now: clock.Now})
//	ts := httptest.NewServer(srv)
//
// # What it serves
//
//   - Records of contacts, companies, deals, tickets, products and line_items,
//     addressed by plural name, singular name or type ID (0-1, 0-2, 0-3, 0-5,
//     0-7, 0-8), under /crm/objects/2026-09, /crm/objects/2026-03 and
//     /crm/v3/objects: create, read, list, update, archive; batch create, read,
//     update, upsert and archive; search; merge; contacts' GDPR delete.
//   - Associations under /crm/objects/{2026-09,2026-03}, /crm/v4/objects,
//     /crm/associations/{2026-09,2026-03}, /crm/v4/associations, labels and
//     limit configurations also under /crm/associations/v4, and the v3 batch
//     endpoints and types list. A configured limit (maxToObjectIds, 1–10,000)
//     refuses new associations of that type beyond it with a 400.
//   - Properties and property groups under /crm/properties/{2026-09,2026-03}
//     and /crm/v3/properties; pipelines and stages under
//     /crm/pipelines/{2026-09,2026-03} and /crm/v3/pipelines.
//   - Property validation rules under /crm/property-validations/{2026-09,2026-03}
//     and /crm/v3/property-validations.
//   - Account details and daily usage under /account-info/{2026-09,2026-03,v3}.
//   - Control routes under /_emulator/ (no auth, not counted, not limited):
//     POST reset, GET stats, GET and PUT config, GET and PUT faults, GET dump.
//   - A latency (Options.Latency, config "latency") added to every HubSpot
//     answer after the rate limits have counted the request, waited through
//     Options.Sleep so that tests can hold it on an injected clock.
//
// Routes lists every operation. Success codes follow each version's spec:
// batch writes with failed inputs answer 207 in 2026-03, v3 and v4, whose
// specs declare it; 2026-09 declares no 207, so the emulator answers its
// usual 200 or 201 with errors[] and numErrors in the body.
//
// # Behaviour kept from HubSpot
//
// Bearer auth with HubSpot's 401 body; per-token scopes with the 403
// MISSING_SCOPES body (2026-09 needs both the object scope and e-commerce for
// products and line items, older versions either). Record IDs are digit
// strings from a fixed start per object type (contacts 10000001, companies
// 20000001, deals 30000001, tickets 40000001, products 50000001, line items
// 60000001), so they are deterministic and an ID of the wrong type misses.
// Contact email is stored lower-cased and unique case-insensitively (409
// "Contact already exists. Existing ID: N"), and so are a contact's additional
// emails (hs_additional_emails, filled by merges), which email lookups, upserts
// and searches also match; every hasUniqueValue property is unique too (at
// most 10 per object). Writes are validated per property type
// with HubSpot's 400 body (stringified list in message plus errors[] with
// codes PROPERTY_DOESNT_EXIST, INVALID_OPTION, INVALID_INTEGER, INVALID_DATE,
// INVALID_EMAIL, ...); values read back as strings. Batches take at most 100
// inputs; the same ID twice is HubSpot's "Duplicate IDs found in batch input"
// 400. Search honours filter groups (5), filters (6 per group, 18 in all),
// every operator, one sort, query, limit (200), the 10,000-result cap and
// SearchLag; enumeration values match case-sensitively, other strings not,
// except that IN and NOT_IN values must be lower-case to match any string. Deal and ticket stages must belong to their pipeline; the
// default pipelines are deals "default" (7 stages) and tickets "0" (4).
// Line items copy name and price from hs_product_id when not given and get
// amount = quantity × price − discount × quantity (or × (1 − percentage)).
// Burst limits per token in a rolling 10-second window by tier (100, 190,
// 250), the daily allowance per account reset at midnight in the account's
// time zone, search at 5 per second without rate headers, with HubSpot's
// X-HubSpot-RateLimit-* headers and 429 bodies byte for byte.
//
// Every write but an association's sets the last-modified property
// (lastmodifieddate on contacts, hs_lastmodifieddate elsewhere) and updatedAt
// to the millisecond, which search filters and sorts on. A request with the
// extension header UserHeader (X-Emulator-User-Id) acts as that HubSpot user,
// as a change in HubSpot's UI: hs_updated_by_user_id (and
// hs_created_by_user_id on create), source CRM_UI; writes without it are an
// integration's and clear hs_updated_by_user_id.
//
// # Where it knowingly differs from HubSpot
//
//   - Webhooks, owners, quotes, custom objects, the limits-tracking API,
//     the association high-usage report and pipeline audits are not served.
//   - propertiesWithHistory keeps the last 20 values written through the API
//     (source type API, or CRM_UI with updatedByUserId under UserHeader);
//     calculated values show only their current value.
//   - Only a fixed set of default properties exists per object (relations
//     notes §4.4), not the hundreds of a real portal; calculated properties
//     are limited to hs_object_id, created and modified dates, hs_email_domain,
//     num_associated_contacts and num_associated_deals,
//     deal closed/won/probability and hs_tcv, ticket id/closed/closed_date,
//     and line item amount, hs_pre_discount_amount and hs_total_discount.
//     companies' industry is free text, not HubSpot's long enumeration.
//   - Search "query" matches a case-insensitive substring of the object's
//     searchable properties; HubSpot tokenises. Phone searches have no
//     hs_searchable_calculated_* properties.
//   - A labeled association also stores the pair's unlabeled type, and a new
//     primary (1, 5, 26) replaces the old one; no primary is set
//     automatically.
//   - Archiving a record removes its associations, and archiving a deal
//     archives its line items; restore is not possible.
//   - The account is fixed: portal 12345678 (Options.PortalID), time zone
//     Asia/Bangkok, company currency THB with USD and EUR as additional
//     currencies (for Thai demos), data hosting na1.
//   - Correlation IDs are deterministic, not random.
//
// # Open questions in HubSpot's documentation, and the choice made
//
// Where the facts are unsettled the emulator takes the stricter reading:
//
//   - 207 in 2026-09: not declared by the spec, so never sent (see above).
//   - Partial success on batch create and upsert needs an objectWriteTraceId on
//     every input, and is never available for upserts by email; otherwise the
//     first failing input fails the whole request and nothing is written.
//     Batch update always reports failed inputs in errors[] (HubSpot's v3
//     changelog: 207 when some inputs fail). Results echo objectWriteTraceId.
//   - Duplicate unique values inside one batch create or upsert (two inputs
//     with the same email or external ID) get the duplicate-IDs 400.
//   - A custom unique value used by another record: 409 CONFLICT, message
//     "A <object> with <property> "<value>" already exists. Existing ID: N".
//   - Requested properties without a value: null in 2026-09 (nullable in its
//     spec), omitted in 2026-03 and v3.
//   - List limit above 100, batch above 100 inputs, search limit above 200,
//     after at or beyond 10,000: 400 VALIDATION_ERROR.
//   - Writing a read-only property: 400 with code READ_ONLY_VALUE (including
//     line item amount, which HubSpot calculates).
//   - Date properties accept YYYY-MM-DD or midnight-UTC epoch milliseconds and
//     read back as YYYY-MM-DD; other times are INVALID_DATE. No warnings[].
//   - Required on create: deals dealname and dealstage (pipeline defaults to
//     "default"), tickets subject and hs_pipeline_stage (hs_pipeline defaults
//     to "0"), companies name or domain, products name only (the documented
//     hs_sku, hs_folder, price and description requirement is not enforced).
//     Missing ones: 400 "Cannot create object with type: X. The following
//     required properties were missing: [...]" with MISSING_REQUIRED_PROPERTY.
//   - A stage outside the record's pipeline: 400 INVALID_OPTION naming the
//     valid stages of that pipeline; changing the pipeline needs a stage of
//     the new one.
//   - Admin-configured validation rules (set through the property validations
//     API; none at start) are enforced on 2026-09 writes only, as HubSpot's
//     changelog ties the enforcement to that version: a value breaking a rule
//     is a 400 VALIDATION_ERROR with code INVALID_PROPERTY_VALUE per rule.
//     MIN/MAX_LENGTH, MIN/MAX_NUMBER, DECIMAL, ALPHANUMERIC, REGEX, EMAIL,
//     EMAIL_ALLOWED/BLOCKED_DOMAINS, URL and DOMAIN are evaluated; the other
//     rule types are stored but allow every value. Conditional and
//     create-form required properties are not modelled. Rules cannot be
//     deleted (the API has no DELETE); Reset clears them.
//   - Search 429: policyName SECONDLY, message "You have reached your
//     secondly limit."; search counts toward the daily allowance but not the
//     burst window. 429s carry no Retry-After. A 429 is not counted in any
//     window.
//   - Professional daily allowance 625,000; limit_pack is Professional plus
//     one pack (250 per 10 s, 1,625,000 a day).
//   - Association batch limits: 1,000 inputs for read, 2,000 for writes. An
//     input of a batch read with no associations is an OBJECT_NOT_FOUND item
//     error ("No company is associated with contact N.").
//   - Duplicate association creates are idempotent. A line item belongs to
//     one deal: associating it with a second is a 400.
//   - Deal amount is not recomputed from line items unless
//     Options.DealAmountFromLineItems (or config dealAmountFromLineItems) is
//     set; hs_tcv always is.
//   - Line item quantity defaults to 1; discount is a per-unit amount.
//   - Ticket create without hs_pipeline_stage is rejected, not defaulted.
//   - lifecyclestage moves forward only: a backward value is ignored with a
//     success status (as reported for HubSpot); clear it with "" first.
//   - Property names must be lower-case [a-z0-9_] starting with a letter and
//     not start with hs_; a duplicate name is 409 OBJECT_ALREADY_EXISTS; the
//     group must exist. HubSpot-defined properties cannot be changed or
//     archived.
//   - Pipeline labels are unique per object type (409), stage IDs must be
//     lower-case; deal stages need probability 0.0–1.0 and get isClosed true
//     at 0.0 and 1.0 unless told; ticket stages take ticketState OPEN/CLOSED.
//   - DELETE and batch archive of unknown IDs answer 204.
//   - Merge mints a new ID (HubSpot's default outside the Primary ID
//     Preservation beta); the primary's values win, the other's fill gaps,
//     hs_merged_object_ids lists the absorbed IDs, the other contact's email
//     becomes an additional email, and associations move to the new record.
//     Single reads, batch reads and updates by a merged-away ID reach the
//     survivor under its own ID; DELETE of a merged-away ID does nothing.
//     Deals merge only within one pipeline. GDPR delete removes a contact
//     for good and answers 204 for unknown contacts too.
//   - Unknown routes, including trailing slashes, answer HubSpot's HTML 404.
//   - Injected 502 and 504 faults answer with an HTML gateway page, 500 and
//     503 with a JSON error, 429 with the ten-secondly body.
package emulator
