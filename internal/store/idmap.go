package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ObjectType is the ID map's object_type: the kind of HubSpot record an
// ID map row, or an end of an association, names. The engine's table of
// object types gives each its value; the id_map table's CHECK lists the
// values the schema accepts.
type ObjectType string

// LineItems is the object type of line items: LineItemsOfOrders reads
// them by their order, through the order_erp_id column the schema derives
// for this type only.
const LineItems ObjectType = "line_item"

// Mapping is one ID map row.
type Mapping struct {
	PortalID   int64
	ObjectType ObjectType
	ERPID      string
	HubSpotID  string
	// Properties are the values syncd last wrote (all of them, not only the
	// last changes).
	Properties    map[string]string
	FirstSyncedAt time.Time
	LastSyncedAt  time.Time
	ArchivedAt    *time.Time
}

// MapKey names one ID map row.
type MapKey struct {
	PortalID   int64
	ObjectType ObjectType
	ERPID      string
}

// What an ID map upsert does to a row the map already holds for the key.
const (
	// conflictReplace overwrites it.
	conflictReplace = iota
	// conflictArchived overwrites it only when it is archived.
	conflictArchived
	// conflictKeep leaves it alone.
	conflictKeep
)

func upsertMappings(ctx context.Context, tx pgx.Tx, now time.Time, ms []Mapping, onConflict int) error {
	if len(ms) == 0 {
		return nil
	}
	n := len(ms)
	portals := make([]int64, n)
	types := make([]string, n)
	erp := make([]string, n)
	hs := make([]string, n)
	props := make([]string, n)
	archived := make([]*time.Time, n)
	for i, m := range ms {
		portals[i], types[i], erp[i], hs[i], archived[i] = m.PortalID, string(m.ObjectType), m.ERPID, m.HubSpotID, m.ArchivedAt
		p := m.Properties
		if p == nil {
			p = map[string]string{}
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		props[i] = string(b)
	}
	conflict := `DO UPDATE
SET hubspot_id = excluded.hubspot_id,
    last_synced_at = excluded.last_synced_at,
    synced_properties = excluded.synced_properties,
    archived_at = excluded.archived_at,
    first_synced_at = CASE WHEN m.hubspot_id = excluded.hubspot_id THEN m.first_synced_at ELSE excluded.first_synced_at END`
	switch onConflict {
	case conflictArchived:
		conflict += `
WHERE m.archived_at IS NOT NULL`
	case conflictKeep:
		conflict = `DO NOTHING`
	}
	// ON CONFLICT cannot touch one row twice in a statement; the last
	// mapping of a key wins, as in a loop.
	_, err := tx.Exec(ctx, `
INSERT INTO id_map AS m (portal_id, object_type, erp_id, hubspot_id, first_synced_at, last_synced_at, synced_properties, archived_at)
SELECT DISTINCT ON (p, t, e) p, t, e, h, $1, $1, j::jsonb, a
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) WITH ORDINALITY AS u(p, t, e, h, j, a, n)
ORDER BY p, t, e, n DESC
ON CONFLICT (portal_id, object_type, erp_id) `+conflict,
		now, portals, types, erp, hs, props, archived)
	if err != nil {
		return fmt.Errorf("upsert id_map: %w", err)
	}
	return nil
}

// SaveMappings upserts ID map rows outside a cycle's final transaction, for
// records whose HubSpot ID must be known before the cycle ends (a record
// created for a reference).
func (s *Store) SaveMappings(ctx context.Context, ms []Mapping) error {
	return s.saveMappings(ctx, ms, conflictReplace)
}

// AddMappings inserts ID map rows for keys the map does not hold, or holds
// only archived; a live row is left as it is. It is for records learnt on
// the side (a product an order item needs), where the key's own outbox row
// may be synced at the same time by another process: what that row
// records is newer than what the side learnt.
func (s *Store) AddMappings(ctx context.Context, ms []Mapping) error {
	return s.saveMappings(ctx, ms, conflictArchived)
}

func (s *Store) saveMappings(ctx context.Context, ms []Mapping, onConflict int) error {
	if len(ms) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now, err := s.clock(ctx, tx)
		if err != nil {
			return err
		}
		return upsertMappings(ctx, tx, now, ms, onConflict)
	})
}

const sqlMappingCols = `portal_id, object_type, erp_id, hubspot_id, synced_properties, first_synced_at, last_synced_at, archived_at`

// queryMappings returns the id_map rows that cond (a WHERE clause, with any
// ORDER BY) selects.
func (s *Store) queryMappings(ctx context.Context, cond string, args ...any) ([]Mapping, error) {
	r, err := s.pool.Query(ctx, `SELECT `+sqlMappingCols+` FROM id_map
`+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read id_map: %w", err)
	}
	ms, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (Mapping, error) {
		var m Mapping
		var props []byte
		err := r.Scan(&m.PortalID, &m.ObjectType, &m.ERPID, &m.HubSpotID, &props, &m.FirstSyncedAt, &m.LastSyncedAt, &m.ArchivedAt)
		if err != nil {
			return m, err
		}
		m.Properties = map[string]string{}
		if err := json.Unmarshal(props, &m.Properties); err != nil {
			return m, fmt.Errorf("id_map %s %s: synced_properties: %w", m.ObjectType, m.ERPID, err)
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read id_map: %w", err)
	}
	return ms, nil
}

// mappingsKeyed returns the id_map rows of objectType in portal whose column
// col (erp_id or hubspot_id) is in keys, keyed by that column's value.
func (s *Store) mappingsKeyed(ctx context.Context, portal int64, objectType ObjectType, col string, keys []string) (map[string]Mapping, error) {
	out := make(map[string]Mapping, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	ms, err := s.queryMappings(ctx, `WHERE portal_id = $1 AND object_type = $2 AND `+col+` = ANY($3)`, portal, objectType, keys)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		k := m.ERPID
		if col == "hubspot_id" {
			k = m.HubSpotID
		}
		out[k] = m
	}
	return out, nil
}

// Mappings returns the ID map rows of objectType in portal for erpIDs,
// keyed by ERP ID; keys without a row are absent. Archived rows are
// included (ArchivedAt set).
func (s *Store) Mappings(ctx context.Context, portal int64, objectType ObjectType, erpIDs []string) (map[string]Mapping, error) {
	return s.mappingsKeyed(ctx, portal, objectType, "erp_id", erpIDs)
}

// MappingsByHubSpotID returns the ID map rows of objectType in portal whose
// HubSpot ID is in ids, keyed by HubSpot ID.
func (s *Store) MappingsByHubSpotID(ctx context.Context, portal int64, objectType ObjectType, ids []string) (map[string]Mapping, error) {
	return s.mappingsKeyed(ctx, portal, objectType, "hubspot_id", ids)
}

// LineItemsOfOrders returns the ID-map rows of the line items of the
// given orders in portal, archived ones included, keyed by order ERP ID.
// One query serves the whole cycle.
func (s *Store) LineItemsOfOrders(ctx context.Context, portal int64, orderERPIDs []string) (map[string][]Mapping, error) {
	out := make(map[string][]Mapping)
	if len(orderERPIDs) == 0 {
		return out, nil
	}
	// The type is in the statement's text, not a parameter, so that the
	// planner uses the partial index on order_erp_id.
	ms, err := s.queryMappings(ctx, `WHERE portal_id = $1 AND object_type = '`+string(LineItems)+`' AND order_erp_id = ANY($2)
ORDER BY erp_id`, portal, orderERPIDs)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		order := m.ERPID[:strings.LastIndexByte(m.ERPID, '/')] // as order_erp_id
		out[order] = append(out[order], m)
	}
	return out, nil
}
