package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/migrations"
)

// The queries of this file serve what watches a running syncd: the metrics
// endpoint, the readiness probe and the status page. They only read.

// BacklogCount is the outbox rows of one entity in one state.
type BacklogCount struct {
	Entity string
	State  string
	Rows   int
	// InProgress counts the pending and failed rows a cycle holds under
	// a lease that has not expired.
	InProgress int
	// Waiting counts the pending rows that wait for another row.
	Waiting int
	// Warned counts the done rows with warnings.
	Warned int
}

// Backlog is the outbox at a glance, per entity.
type Backlog struct {
	// Now is the store's clock (the database's) when the counts were
	// taken; the oldest pending row's age is Now less its created_at.
	Now time.Time
	// Counts has one element per entity and state with rows, ordered by
	// entity, then state.
	Counts []BacklogCount
	// OldestPending is the created_at of the oldest pending row of each
	// entity that has pending rows.
	OldestPending map[string]time.Time
}

// Backlog counts the outbox rows by entity and state in one statement, with
// the rows in progress, waiting and warned, and the oldest pending row of
// each entity. It reads every row of the outbox (done rows included), as
// `syncd status` does.
func (s *Store) Backlog(ctx context.Context) (*Backlog, error) {
	r, err := s.pool.Query(ctx, `
SELECT `+sqlNow(1)+`, entity, state, count(*),
       count(*) FILTER (WHERE state IN ('pending', 'failed') AND lease_expires_at > `+sqlNow(1)+`),
       count(*) FILTER (WHERE state = 'pending' AND waiting_for IS NOT NULL),
       count(*) FILTER (WHERE state = 'done' AND warnings IS NOT NULL),
       min(created_at) FILTER (WHERE state = 'pending')
FROM outbox
GROUP BY entity, state
ORDER BY entity, state`, s.offset())
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: count the outbox: %w", err))
	}
	out := &Backlog{OldestPending: map[string]time.Time{}}
	var c BacklogCount
	var now time.Time
	var oldest *time.Time
	_, err = pgx.ForEachRow(r, []any{&now, &c.Entity, &c.State, &c.Rows, &c.InProgress, &c.Waiting, &c.Warned, &oldest}, func() error {
		out.Now = now.UTC()
		out.Counts = append(out.Counts, c)
		if oldest != nil {
			out.OldestPending[c.Entity] = *oldest
		}
		return nil
	})
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: count the outbox: %w", err))
	}
	if out.Now.IsZero() {
		// No rows: the statement returned no time either.
		if err := s.pool.QueryRow(ctx, `SELECT `+sqlNow(1), s.offset()).Scan(&out.Now); err != nil {
			return nil, fmt.Errorf("store: count the outbox: %w", err)
		}
		out.Now = out.Now.UTC()
	}
	return out, nil
}

// SchemaLevel is where the schema's migrations stand.
type SchemaLevel struct {
	// Current is the newest migration applied to the schema; 0 when none
	// is, or the schema has no version table.
	Current int64
	// Latest is the newest migration this binary holds.
	Latest int64
}

// Migrated reports whether the schema has every migration this binary
// holds.
func (l SchemaLevel) Migrated() bool { return l.Current >= l.Latest }

// SchemaLevel reads the schema's migration version from goose's version
// table, without creating it or taking the migration lock, so that a probe
// can ask while `syncd migrate` runs. The error is for a database that did
// not answer.
func (s *Store) SchemaLevel(ctx context.Context) (SchemaLevel, error) {
	lvl := SchemaLevel{Latest: LatestMigration()}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, VersionTable).Scan(&exists); err != nil {
		return lvl, fmt.Errorf("store: read the migration version: %w", err)
	}
	if !exists {
		return lvl, nil
	}
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM `+VersionTable).Scan(&lvl.Current); err != nil {
		return lvl, fmt.Errorf("store: read the migration version: %w", err)
	}
	return lvl, nil
}

// LatestMigration returns the version of the newest migration file this
// binary embeds.
func LatestMigration() int64 {
	var latest int64
	names, _ := fs.Glob(migrations.FS, "*.sql")
	for _, n := range names {
		v, err := strconv.ParseInt(strings.SplitN(n, "_", 2)[0], 10, 64)
		if err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// KeyRecord is an id_map row found for an ERP key, with its link into
// HubSpot's UI (the view id_map_links).
type KeyRecord struct {
	PortalID     int64
	ObjectType   ObjectType
	ERPID        string
	HubSpotID    string
	ObjectTypeID string // HubSpot's object type ID, such as 0-1
	URL          string
	LastSyncedAt time.Time
	ArchivedAt   *time.Time
}

// KeyLookup is what the store knows of one ERP key.
type KeyLookup struct {
	ERPID string
	// Records are the id_map rows of the key in the object types asked
	// for, in every portal, and for a deal its line items; ordered by
	// object type, portal and ERP key.
	Records []KeyRecord
	// Rows are the newest outbox row of the key in each entity asked for
	// that has one, in the order the entities were given.
	Rows []OutboxRow
}

// LookupKey finds erpID in the id_map, in objectTypes (contact, company,
// ...; every type when empty), and the newest outbox row of the key in
// each of entities (customer, company, ...).
func (s *Store) LookupKey(ctx context.Context, erpID string, objectTypes []ObjectType, entities []string) (*KeyLookup, error) {
	if strings.TrimSpace(erpID) == "" {
		return nil, errors.New("store: look up an ERP key: the key is empty")
	}
	types := make([]string, len(objectTypes))
	for i, t := range objectTypes {
		types[i] = string(t)
	}
	out := &KeyLookup{ERPID: erpID}
	r, err := s.pool.Query(ctx, `
SELECT l.portal_id, l.object_type, l.erp_id, l.hubspot_id, l.object_type_id, l.hubspot_url, l.last_synced_at, l.archived_at
FROM id_map_links l
JOIN id_map m USING (portal_id, object_type, erp_id)
WHERE (l.erp_id = $1 AND (cardinality($2::text[]) = 0 OR l.object_type = ANY($2)))
   OR (m.order_erp_id = $1 AND (cardinality($2::text[]) = 0 OR 'deal' = ANY($2)))
ORDER BY l.object_type, l.portal_id, l.erp_id`, erpID, types)
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: look up ERP key %q: %w", erpID, err))
	}
	out.Records, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (KeyRecord, error) {
		var k KeyRecord
		err := r.Scan(&k.PortalID, &k.ObjectType, &k.ERPID, &k.HubSpotID, &k.ObjectTypeID, &k.URL, &k.LastSyncedAt, &k.ArchivedAt)
		return k, err
	})
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: look up ERP key %q: %w", erpID, err))
	}
	for _, e := range entities {
		r, err := s.pool.Query(ctx, `SELECT `+sqlOutboxRowCols+` FROM `+sqlOutboxRowFrom+`
WHERE o.entity = $1 AND o.erp_id = $2 ORDER BY o.id DESC LIMIT 1`, e, erpID)
		if err != nil {
			return nil, notMigrated(fmt.Errorf("store: look up ERP key %q: %w", erpID, err))
		}
		rows, err := pgx.CollectRows(r, scanOutboxRow)
		if err != nil {
			return nil, notMigrated(fmt.Errorf("store: look up ERP key %q: %w", erpID, err))
		}
		out.Rows = append(out.Rows, rows...)
	}
	return out, nil
}
