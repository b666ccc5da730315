package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Ref names a record an outbox row references by its ERP key: a key
// (Entity, ERPID), or with BySKU a product an order item names, which is
// the product whose erp_id or payload sku is ERPID.
type Ref struct {
	Entity string
	ERPID  string
	BySKU  bool
}

// maxRefDepth bounds how far a claim follows references: a ticket names an
// order, which names a customer, who names a company. References only
// point that way, so the walk ends by itself; the bound is a guard.
const maxRefDepth = 5

// claimRefs claims the claimable keys that rows reference, then those that
// the rows so claimed reference, and so on, and returns the rows it
// claimed.
func claimRefs(ctx context.Context, tx pgx.Tx, now time.Time, owner string, until time.Time, rows []Row, refs func(Row) []Ref) ([]Row, error) {
	asked := map[Ref]bool{}
	var out []Row
	frontier := rows
	for range maxRefDepth {
		var entities, erpIDs []string
		var bySKU []bool
		for _, r := range frontier {
			for _, ref := range refs(r) {
				if ref.ERPID == "" || asked[ref] {
					continue
				}
				asked[ref] = true
				entities, erpIDs, bySKU = append(entities, ref.Entity), append(erpIDs, ref.ERPID), append(bySKU, ref.BySKU)
			}
		}
		if len(entities) == 0 {
			break
		}
		more, err := collectClaimed(tx.Query(ctx, sqlClaimRefs, now, owner, until, entities, erpIDs, bySKU))
		if err != nil {
			return nil, fmt.Errorf("referenced rows: %w", err)
		}
		out = append(out, more...)
		frontier = more
	}
	return out, nil
}

// sqlRefKeys returns the common table expressions r, the references
// given as the arrays $n, $n+1, $n+2 (entity, erp_id, by SKU), and
// ref_keys, the keys with open rows they name, each with its newest open
// row and whether one of its rows is due or leased at $1. As in sqlClaim,
// every look-up is a LATERAL subquery PostgreSQL cannot turn into a join,
// so it reads outbox_key_idx and outbox_product_sku_idx per reference.
func sqlRefKeys(n int) string {
	return fmt.Sprintf(`
r AS (
    SELECT DISTINCT * FROM unnest($%d::text[], $%d::text[], $%d::boolean[]) AS r(entity, erp_id, by_sku)
), named AS (
    SELECT r.entity AS ref_entity, r.erp_id AS ref_erp_id, r.by_sku, r.entity, r.erp_id FROM r
    UNION
    SELECT r.entity, r.erp_id, r.by_sku, 'product', s.erp_id
    FROM r
    CROSS JOIN LATERAL (
        SELECT DISTINCT o.erp_id FROM outbox o
        WHERE r.by_sku AND o.entity = 'product' AND btrim(o.payload ->> 'sku') = r.erp_id
          AND o.state IN ('pending', 'failed')
    ) s
), ref_keys AS (
    SELECT k.*, a.newest, a.due, a.leased
    FROM named k
    CROSS JOIN LATERAL (
        SELECT max(o.id) AS newest, bool_or(o.next_attempt_at <= $1) AS due, bool_or(o.lease_expires_at > $1) AS leased
        FROM outbox o
        WHERE o.entity = k.entity AND o.erp_id = k.erp_id AND o.state IN ('pending', 'failed')
    ) a
    WHERE a.newest IS NOT NULL
)`, n, n+1, n+2)
}

// sqlClaimRefs leases the open rows of the referenced keys that are
// claimable: a row is due and no row of the key is leased (the keys this
// claim took already are leased by now).
var sqlClaimRefs = `
WITH ` + sqlRefKeys(4) + `, keys AS (
    SELECT DISTINCT entity, erp_id FROM ref_keys WHERE due AND leased IS NOT TRUE
)` + sqlLeaseKeys("$2", "$3")

// OpenRow is the newest open (pending or failed) outbox row of a
// referenced record.
type OpenRow struct {
	ID            int64
	Entity        string
	ERPID         string
	State         string
	NextAttemptAt time.Time
	LeaseOwner    string // "" when none; kept after the lease expires (see Leased)
	// Leased says that a process holds the row, and Later that it waits
	// for its retry, both on the store's clock when OpenRows read it.
	Leased, Later bool
}

// OpenRows returns, for each of refs that names a record with an open
// outbox row, the newest such row. The engine asks it for references it
// could not resolve: a record whose row is open is on its way, and the
// referencing row waits for it rather than fail.
func (s *Store) OpenRows(ctx context.Context, refs []Ref) (map[Ref]OpenRow, error) {
	out := map[Ref]OpenRow{}
	if len(refs) == 0 {
		return out, nil
	}
	entities, erpIDs, bySKU := make([]string, len(refs)), make([]string, len(refs)), make([]bool, len(refs))
	for i, r := range refs {
		entities[i], erpIDs[i], bySKU[i] = r.Entity, r.ERPID, r.BySKU
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now, err := s.clockAfter(ctx, tx, sqlNoJIT)
		if err != nil {
			return fmt.Errorf("read the database's clock: %w", err)
		}
		r, err := tx.Query(ctx, `
WITH `+sqlRefKeys(2)+`
SELECT DISTINCT ON (k.ref_entity, k.ref_erp_id, k.by_sku)
       k.ref_entity, k.ref_erp_id, k.by_sku, o.id, o.entity, o.erp_id, o.state, o.next_attempt_at,
       coalesce(o.lease_owner, ''), coalesce(o.lease_expires_at > $1, false), o.next_attempt_at > $1
FROM ref_keys k JOIN outbox o ON o.id = k.newest
ORDER BY k.ref_entity, k.ref_erp_id, k.by_sku, o.id DESC`, now, entities, erpIDs, bySKU)
		if err != nil {
			return err
		}
		var ref Ref
		var o OpenRow
		_, err = pgx.ForEachRow(r, []any{&ref.Entity, &ref.ERPID, &ref.BySKU, &o.ID, &o.Entity, &o.ERPID, &o.State,
			&o.NextAttemptAt, &o.LeaseOwner, &o.Leased, &o.Later}, func() error {
			out[ref] = o
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read open outbox rows: %w", err)
	}
	return out, nil
}
