package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Association is an association syncd has created.
type Association struct {
	PortalID      int64
	FromType      ObjectType
	FromHubSpotID string
	ToType        ObjectType
	ToHubSpotID   string
	TypeID        int
}

func insertAssociations(ctx context.Context, tx pgx.Tx, now time.Time, as []Association) error {
	if len(as) == 0 {
		return nil
	}
	p, ft, fid, tt, tid, typ := associationArrays(as)
	_, err := tx.Exec(ctx, `
INSERT INTO associations (portal_id, from_type, from_hubspot_id, to_type, to_hubspot_id, type_id, created_at)
SELECT p, ft, fid, tt, tid, typ, $1
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) AS u(p, ft, fid, tt, tid, typ)
ON CONFLICT DO NOTHING`, now, p, ft, fid, tt, tid, typ)
	if err != nil {
		return fmt.Errorf("insert associations: %w", err)
	}
	return nil
}

func deleteAssociations(ctx context.Context, tx pgx.Tx, as []Association) error {
	if len(as) == 0 {
		return nil
	}
	p, ft, fid, tt, tid, typ := associationArrays(as)
	_, err := tx.Exec(ctx, `
DELETE FROM associations a
USING unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(p, ft, fid, tt, tid, typ)
WHERE a.portal_id = u.p AND a.from_type = u.ft AND a.from_hubspot_id = u.fid
  AND a.to_type = u.tt AND a.to_hubspot_id = u.tid AND a.type_id = u.typ`, p, ft, fid, tt, tid, typ)
	if err != nil {
		return fmt.Errorf("delete associations: %w", err)
	}
	return nil
}

func associationArrays(as []Association) (p []int64, ft, fid, tt, tid []string, typ []int32) {
	n := len(as)
	p = make([]int64, n)
	ft, fid, tt, tid = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	typ = make([]int32, n)
	for i, a := range as {
		p[i], ft[i], fid[i], tt[i], tid[i], typ[i] = a.PortalID, string(a.FromType), a.FromHubSpotID, string(a.ToType), a.ToHubSpotID, int32(a.TypeID)
	}
	return
}

// AssociationsFrom returns the associations syncd has recorded from the
// records fromIDs of fromType to records of toType, in portal.
func (s *Store) AssociationsFrom(ctx context.Context, portal int64, fromType ObjectType, fromIDs []string, toType ObjectType) ([]Association, error) {
	if len(fromIDs) == 0 {
		return nil, nil
	}
	r, err := s.pool.Query(ctx, `
SELECT portal_id, from_type, from_hubspot_id, to_type, to_hubspot_id, type_id
FROM associations
WHERE portal_id = $1 AND from_type = $2 AND from_hubspot_id = ANY($3) AND to_type = $4
ORDER BY from_hubspot_id, to_hubspot_id, type_id`, portal, fromType, fromIDs, toType)
	if err != nil {
		return nil, fmt.Errorf("store: read associations: %w", err)
	}
	out, err := pgx.CollectRows(r, scanAssociation)
	if err != nil {
		return nil, fmt.Errorf("store: read associations: %w", err)
	}
	return out, nil
}

func scanAssociation(r pgx.CollectableRow) (Association, error) {
	var a Association
	var t int32
	err := r.Scan(&a.PortalID, &a.FromType, &a.FromHubSpotID, &a.ToType, &a.ToHubSpotID, &t)
	a.TypeID = int(t)
	return a, err
}

// KnownAssociations returns which of as are already recorded.
func (s *Store) KnownAssociations(ctx context.Context, as []Association) (map[Association]bool, error) {
	out := make(map[Association]bool)
	if len(as) == 0 {
		return out, nil
	}
	p, ft, fid, tt, tid, typ := associationArrays(as)
	r, err := s.pool.Query(ctx, `
SELECT a.portal_id, a.from_type, a.from_hubspot_id, a.to_type, a.to_hubspot_id, a.type_id
FROM associations a
JOIN unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(p, ft, fid, tt, tid, typ)
  ON a.portal_id = u.p AND a.from_type = u.ft AND a.from_hubspot_id = u.fid
 AND a.to_type = u.tt AND a.to_hubspot_id = u.tid AND a.type_id = u.typ`, p, ft, fid, tt, tid, typ)
	if err != nil {
		return nil, fmt.Errorf("store: read associations: %w", err)
	}
	got, err := pgx.CollectRows(r, scanAssociation)
	if err != nil {
		return nil, fmt.Errorf("store: read associations: %w", err)
	}
	for _, a := range got {
		out[a] = true
	}
	return out, nil
}
