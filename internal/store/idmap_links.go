package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// IDMapLink is an id_map row with its link into HubSpot's UI, as the view
// id_map_links shows it.
type IDMapLink struct {
	ObjectType string
	ERPID      string
	HubSpotID  string
	URL        string
}

// IDMapLinks returns the first perType id_map rows of each object type,
// by ERP ID, with their links; ordered by object type, then ERP ID.
func (s *Store) IDMapLinks(ctx context.Context, perType int) ([]IDMapLink, error) {
	r, err := s.pool.Query(ctx, `
SELECT object_type, erp_id, hubspot_id, hubspot_url
FROM (SELECT *, row_number() OVER (PARTITION BY object_type ORDER BY erp_id) AS n FROM id_map_links) m
WHERE n <= $1
ORDER BY object_type, erp_id`, perType)
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: read id_map_links: %w", err))
	}
	links, err := pgx.CollectRows(r, func(row pgx.CollectableRow) (IDMapLink, error) {
		var l IDMapLink
		return l, row.Scan(&l.ObjectType, &l.ERPID, &l.HubSpotID, &l.URL)
	})
	if err != nil {
		return nil, notMigrated(fmt.Errorf("store: read id_map_links: %w", err))
	}
	return links, nil
}

// IDMapCounts returns how many id_map rows each object type has; types
// without rows are absent.
func (s *Store) IDMapCounts(ctx context.Context) (map[string]int, error) {
	out, err := s.countBy(ctx, `SELECT object_type, count(*) FROM id_map GROUP BY object_type`)
	if err != nil {
		return nil, fmt.Errorf("store: count id_map rows: %w", err)
	}
	return out, nil
}

// countBy runs query, which selects a text key and a count, and returns
// the counts by key. A missing table is ErrNotMigrated.
func (s *Store) countBy(ctx context.Context, query string) (map[string]int, error) {
	r, err := s.pool.Query(ctx, query)
	if err != nil {
		return nil, notMigrated(err)
	}
	out := map[string]int{}
	var k string
	var n int
	if _, err := pgx.ForEachRow(r, []any{&k, &n}, func() error { out[k] = n; return nil }); err != nil {
		return nil, notMigrated(err)
	}
	return out, nil
}

// MappingsOf returns the id_map rows of objectType, in every portal, whose
// ERP ID is in erpIDs, ordered by ERP ID then portal.
func (s *Store) MappingsOf(ctx context.Context, objectType string, erpIDs []string) ([]Mapping, error) {
	return s.queryMappings(ctx, `WHERE object_type = $1 AND erp_id = ANY($2) ORDER BY erp_id, portal_id`, objectType, erpIDs)
}
