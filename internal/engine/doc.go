// Package engine runs syncd's sync cycle: claim outbox rows → coalesce per
// (entity, erp_id) → decode and normalise (internal/outbox) → resolve
// HubSpot IDs (ID map, then a batch read by the ERP-ID property, then
// natural keys) → diff against the last synced values → batched writes in
// dependency order → associations → record IDs and values in the ID map and
// mark the rows, in one transaction.
//
// The engine prints nothing; it logs through the injected logrus logger and
// returns a Summary for the caller to render.
//
// # Failures
//
// A row whose data is wrong (decode errors, HubSpot validation errors for
// its input) fails alone with a last_error that names the outbox row, the
// entity, the key and the field; the rest of its batch goes on. A batch
// HubSpot refuses as a whole without saying which input is wrong is split
// in halves until the bad input is found. Rate limits and outages leave the
// rows failed with a backoff but do not count an attempt. Setup problems
// (authentication, scopes, a missing ERP-ID property) stop the cycle with a
// *SetupError that says what to run, and a spent daily allowance with a
// *DailyLimitError; the claimed rows are released either way. While the
// daily allowance stays spent, cycles claim nothing and record no run
// until it resets. A mapped
// record that a HubSpot user has deleted is created again.
//
// # Conflicts
//
// By default the ERP's value of a property is written over whatever
// HubSpot holds. A property configured hubspot_wins ([conflicts.<type>])
// is first read from HubSpot for updates of mapped records whose change
// touches it (checkConflicts, conflicts.go: one batch read per 100
// records, only those properties, no call when nothing touches one); a
// value that is no longer what syncd last wrote is left out of the update
// and the ERP's value kept as a warning on the row, while the ID map keeps
// syncd's last written value. Records found on their first sync, and
// properties syncd never wrote, have no last write to compare with and
// are written as under erp_wins.
//
// # Idempotence
//
// New records are written with batch upsert on the unique ERP-ID property,
// and records never seen are first looked up by that property (a batch
// read, which sees writes at once, unlike search). A cycle that dies
// between its HubSpot writes and its final transaction, or two processes
// sharing an outbox, therefore never create a record twice.
//
// A product an order item names but nobody has synced is created with the
// SKU as its ERP ID only if absent (batch create): when HubSpot answers
// that the ERP-ID value exists, because another process synced the
// product's own row meanwhile, the record is taken as it is, never
// overwritten with the order item's name and price. Its ID map row is only
// added when the map has none, so it never replaces the values the product
// row recorded.
//
// # Several processes
//
// A cycle whose lease ran out may still be writing when another process
// claims its rows and syncs a newer row of the same key, and its stale
// write may reach HubSpot last. The final transaction locks the cycle's
// outbox rows and checks the leases: for a key whose rows the cycle no
// longer holds, it records no synced values (it only adds ID map rows the
// map lacks), and when the cycle wrote for that key it clears the key's
// last synced values (keeping the HubSpot IDs) and opens the key's newest
// row again: a done row goes back to pending, and open rows another
// process holds lose their lease, so that process does the same when it
// records. The next cycle then writes the newest state in full, after
// every stale write: the newest state wins.
//
// # References across claims
//
// The claim takes, with the rows it picks, the open rows of the records
// they reference (claimRefs names them: a customer's company, an order's
// customer, company and products, a ticket's order), so a cycle writes a
// record before the records that point at it. A reference that is still
// not in HubSpot after the ID map and a read by the ERP-ID property, but
// whose record has an open outbox row (another process holds it, it waits
// for its retry, or it failed in this cycle), makes the item wait
// (waitOrFail): it writes nothing, and Record puts its row back to pending
// with waiting_for, without spending an attempt; recording or releasing
// the row waited for brings it due. Only a reference no open row and no
// HubSpot record satisfies fails the item.
//
// # Object types and kinds
//
// The table in types.go has one row per HubSpot object type syncd writes:
// the outbox entity it comes from, HubSpot's name for it, the ID map's
// object_type, the write order, and the association type IDs syncd makes
// from its records to others'. Code reads the row (contactType.hubspot,
// dealType.idMap, ticketType.assocTypeIDs(dealType)) rather than naming a
// type; only the stage mappers (stages.go) name the two types that have
// pipelines.
//
// Each outbox entity is written by one kind: a function in the type's own
// file (companies.go, contacts.go, products.go, deals.go with lineitems.go,
// tickets.go), named beside the table in syncs:
//
//	productType: syncProducts, // products.go
//
// Kinds run in the rows' write order; New fails unless every entity the
// outbox accepts has a row and a kind. The sync function receives the
// cycle's items of the entity (one per key, coalesced, decoded; rows that
// failed to decode never reach it). For a plain object it calls
// c.syncObjects with an objectSpec naming the row and the natural keys to
// match never-seen records by (match.go); that resolves, plans and diffs
// (objects.go), writes in batches (batch.go) and sets each item's outcome.
// Kinds with references use refs.go: c.resolveReference and c.resolveRefs
// find the HubSpot IDs of records other kinds own (this cycle's results,
// then the ID map, then a batch read by the ERP-ID property), and
// c.refsFailed handles their errors (a database error stops the cycle, a
// HubSpot one delays the items). associations.go creates associations
// once (c.associate; the associations table remembers what was sent), and
// c.replaceAssociations also removes those syncd made earlier to other
// records of that type (a customer moved to another company). Extra ID-map
// rows (line items) go to item.extraMappings; they are recorded with the
// item's row. An item is failed with item.fail (data) or item.retryLater
// (transient); returning an error from sync stops the cycle and should be
// a *SetupError (errors.go).
//
// # Plans
//
// Engine.Plan (`syncd plan`) runs the same cycle dry. Every write a cycle
// makes, to HubSpot or to the database, goes through the cycle's writer
// c.w (gate.go): a real cycle's sends it, a plan's counts it and answers
// as HubSpot would, so that the rest of the cycle runs on. Reads (c.e.hs,
// c.e.st) are made for real either way. A kind that wrote past c.w would
// write during a plan.
//
// Adding an object type (quotes, say) is listed file by file in
// docs/architecture.md.
package engine
