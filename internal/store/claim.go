package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Row is one claimed outbox row.
type Row struct {
	ID        int64
	Entity    string
	ERPID     string
	Op        string
	Payload   []byte // raw jsonb; nil when the column is NULL
	CreatedAt time.Time
	State     string // state before the claim: pending or failed
	Attempts  int
	LastError string
}

// Key is the coalescing key of a row.
type Key struct {
	Entity string
	ERPID  string
}

// Key returns the row's coalescing key.
func (r Row) Key() Key { return Key{r.Entity, r.ERPID} }

// Claim leases up to limit keys' worth of outbox rows to owner for lease.
// A key (entity, erp_id) is claimable when one of its rows is pending, or
// failed with next_attempt_at passed, and no row of the key is leased by
// anyone until after now. Keys are taken in the order of their claimable
// rows' (next_attempt_at, id), which an index serves: a claim reads the
// rows it takes and the few it skips (rows in flight in other processes),
// never the whole backlog. Every open row (pending or failed) of a claimed
// key is claimed with it, so that all rows of one key go to one claimer and
// coalesce to the newest. Rows are returned in id order. Claims by
// concurrent processes never overlap: claim transactions are serialised per
// schema by an advisory lock, and rows locked by other transactions are
// skipped (FOR UPDATE SKIP LOCKED).
func (s *Store) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]Row, error) {
	return s.ClaimWithRefs(ctx, owner, limit, lease, nil)
}

// ClaimWithRefs claims as Claim does, and then the claimable keys of the
// records the claimed rows reference, as refs names them (a customer's
// company, an order's customer, company and products, a ticket's order),
// and theirs in turn, so that a cycle writes a record and the records it
// references together: the referenced keys are taken in the same
// transaction, whatever their place in the backlog. A referenced key that
// is leased, or whose rows all wait for their retry, is left alone; the
// engine then makes the referencing row wait for it (see Outcome.Waiting).
// The claim may therefore hold more than limit keys.
func (s *Store) ClaimWithRefs(ctx context.Context, owner string, limit int, lease time.Duration, refs func(Row) []Ref) ([]Row, error) {
	return s.claimWithRefs(ctx, owner, limit, lease, refs, true)
}

// PeekClaim returns the rows ClaimWithRefs would claim now, with the same
// statements, and claims nothing: the claim runs in a transaction that is
// rolled back, so no lease, no woken waiting row and no other change is
// ever committed or seen by another process. Claims of other processes
// wait for it as for any claim (the advisory lock), for the milliseconds
// the statements take. It is what a dry run (`syncd plan`) plans with.
// The rows it returns are not leased: another process may claim them
// before the caller is done with them.
func (s *Store) PeekClaim(ctx context.Context, limit int, refs func(Row) []Ref) ([]Row, error) {
	return s.claimWithRefs(ctx, "syncd-plan", limit, time.Minute, refs, false)
}

// errPeeked rolls back a claim made only to look at it.
var errPeeked = errors.New("store: claim peeked")

func (s *Store) claimWithRefs(ctx context.Context, owner string, limit int, lease time.Duration, refs func(Row) []Ref, commit bool) ([]Row, error) {
	if limit <= 0 {
		return nil, nil
	}
	var rows []Row
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if !commit {
			defer func() {
				if err == nil {
					err = errPeeked
				}
			}()
		}
		// The clock is read after the lock: a claim that waited for another
		// compares leases with the time it runs at.
		now, err := s.clockAfter(ctx, tx, `pg_advisory_xact_lock(hashtext('syncd.claim.' || current_schema())), `+sqlNoJIT)
		if err != nil {
			return fmt.Errorf("take the claims' lock: %w", err)
		}
		if _, err := tx.Exec(ctx, sqlWakeWaiting, now); err != nil {
			return err
		}
		rows, err = collectClaimed(tx.Query(ctx, sqlClaim, now, limit, owner, now.Add(lease)))
		if err != nil || refs == nil {
			return err
		}
		more, err := claimRefs(ctx, tx, now, owner, now.Add(lease), rows, refs)
		rows = append(rows, more...)
		return err
	})
	if errors.Is(err, errPeeked) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox rows: %w", err)
	}
	slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	return rows, nil
}

// sqlNoJIT, a function call for a FROM list (see clockAfter), turns JIT
// compilation off for the rest of the transaction. The claim's LATERAL
// look-ups keep the planner from joining, and it then prices them high, at
// a million open rows high enough to compile them: a quarter of a second
// spent on statements that run in milliseconds.
const sqlNoJIT = `set_config('jit', 'off', true)`

// collectClaimed reads the rows a claim statement returns.
func collectClaimed(r pgx.Rows, err error) ([]Row, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, func(r pgx.CollectableRow) (Row, error) {
		var o Row
		var lastErr *string
		err := r.Scan(&o.ID, &o.Entity, &o.ERPID, &o.Op, &o.Payload, &o.CreatedAt, &o.State, &o.Attempts, &lastErr)
		if lastErr != nil {
			o.LastError = *lastErr
		}
		return o, err
	})
}

// sqlWakeWaiting brings due, at $1, the waiting rows whose row waited for
// is no longer open (done, dead, superseded) or can be claimed now. The
// transaction that records or releases that row wakes its waiters itself,
// but it skips waiters another transaction has locked at that moment, so a
// wake can be missed; every claim therefore looks again first, and a row
// never waits longer than it must. Waiters locked elsewhere are skipped
// here too: the next claim looks again. It reads only the waiting rows
// (outbox_waiting_for_idx) and their rows by primary key.
const sqlWakeWaiting = `
WITH due AS (
    SELECT o.id
    FROM outbox o
    JOIN outbox w ON w.id = o.waiting_for
    WHERE o.waiting_for IS NOT NULL AND o.state = 'pending' AND o.next_attempt_at > $1
      AND (w.state NOT IN ('pending', 'failed')
           OR (w.next_attempt_at <= $1 AND (w.lease_expires_at IS NULL OR w.lease_expires_at <= $1)))
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET next_attempt_at = $1
FROM due WHERE o.id = due.id`

// sqlClaim takes the first $2 claimable rows in the order of
// outbox_claimable_idx, and leases every open row of their keys. Rows
// leased by others, and rows of keys another row of which is leased, are
// skipped as the index is read; they are the rows in flight, not the
// backlog. Every per-key look-up is a LATERAL subquery that PostgreSQL
// cannot turn into a join (an aggregate, a locking clause), so that it is
// an index look-up per key whatever the planner estimates, never a scan of
// every open row.
var sqlClaim = `
WITH cand AS (
    SELECT o.entity, o.erp_id
    FROM outbox o
    CROSS JOIN LATERAL (
        SELECT bool_or(l.lease_expires_at > $1) AS leased
        FROM outbox l
        WHERE l.entity = o.entity AND l.erp_id = o.erp_id AND l.state IN ('pending', 'failed')
    ) k
    WHERE o.state IN ('pending', 'failed')
      AND o.next_attempt_at <= $1
      AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= $1)
      AND k.leased IS NOT TRUE
    ORDER BY o.next_attempt_at, o.id
    LIMIT $2
), keys AS (
    SELECT DISTINCT entity, erp_id FROM cand
)` + sqlLeaseKeys("$3", "$4")

// sqlLeaseKeys follows common table expressions that end with keys (entity,
// erp_id): it locks the open rows of those keys, skipping rows other
// transactions hold, leases them to owner until until (parameters), and
// returns them in id order, as collectClaimed reads them.
func sqlLeaseKeys(owner, until string) string {
	return `, claimable AS (
    SELECT c.id
    FROM keys k
    CROSS JOIN LATERAL (
        SELECT o.id FROM outbox o
        WHERE o.entity = k.entity AND o.erp_id = k.erp_id AND o.state IN ('pending', 'failed')
        FOR UPDATE SKIP LOCKED
    ) c
), claimed AS (
    UPDATE outbox o
    SET lease_owner = ` + owner + `, lease_expires_at = ` + until + `
    FROM claimable c
    WHERE o.id = c.id
    RETURNING o.id, o.entity, o.erp_id, o.op, o.payload, o.created_at, o.state, o.attempts, o.last_error
)
SELECT * FROM claimed ORDER BY id`
}

// Release gives back owner's leases on ids without changing their state,
// so that another process (or the next cycle) can claim them at once. It
// is what a graceful stop calls for rows it has not finished.
func (s *Store) Release(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `
WITH released AS (
    UPDATE outbox SET lease_owner = NULL, lease_expires_at = NULL
    WHERE id = ANY($1) AND lease_owner = $2
    RETURNING id
)
`+sqlWakeReleased(sqlNow(3)), ids, owner, s.offset())
	if err != nil {
		return fmt.Errorf("store: release outbox rows: %w", err)
	}
	return nil
}

// sqlWakeReleased follows a CTE released (the ids of rows whose lease was
// given back) and makes the rows waiting for them due at now (a
// parameter): a released row can be claimed at once, and its waiters with
// it. Released rows themselves are left to the CTE: a statement must not
// update a row twice.
func sqlWakeReleased(now string) string {
	return `UPDATE outbox w SET next_attempt_at = ` + now + `
FROM released r
WHERE w.waiting_for = r.id AND w.state IN ('pending', 'failed') AND w.next_attempt_at > ` + now + `
  AND w.id NOT IN (SELECT id FROM released)`
}

// ExtendLease moves owner's leases on ids to now+lease, for cycles that
// run longer than expected. It returns how many rows owner still held; a
// row whose lease expired and was claimed by another process is not
// taken back.
func (s *Store) ExtendLease(ctx context.Context, owner string, ids []int64, lease time.Duration) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `
UPDATE outbox SET lease_expires_at = `+sqlNow(3)+` + $4::interval
WHERE id = ANY($1) AND lease_owner = $2 AND state IN ('pending', 'failed')`, ids, owner, s.offset(), lease)
	if err != nil {
		return 0, fmt.Errorf("store: extend outbox leases: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ReleaseAll gives back every lease owner holds.
func (s *Store) ReleaseAll(ctx context.Context, owner string) error {
	_, err := s.pool.Exec(ctx, `
WITH released AS (
    UPDATE outbox SET lease_owner = NULL, lease_expires_at = NULL
    WHERE lease_owner = $1 AND state IN ('pending', 'failed')
    RETURNING id
)
`+sqlWakeReleased(sqlNow(2)), owner, s.offset())
	if err != nil {
		return fmt.Errorf("store: release outbox rows: %w", err)
	}
	return nil
}
