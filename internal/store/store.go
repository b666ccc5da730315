// Package store holds every SQL statement syncd runs: outbox claims with
// FOR UPDATE SKIP LOCKED and a lease, coalescing per (entity, erp_id), the
// ID map, the associations syncd has made, and the runs log. It uses a pgx
// pool whose search_path is syncd's schema, so statements name tables
// unqualified.
//
// Every time the store writes or compares (due rows, leases, backoff,
// processed_at, the ID map's and the runs' times) is the database's clock,
// the one the ERP's rows take their created_at and next_attempt_at from:
// host clocks that disagree can then neither delay fresh rows nor misjudge
// another process's lease. Tests move it forward with Options.Offset, so
// that backoffs and leases pass without waiting.
package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Outbox row states.
const (
	StatePending    = "pending"
	StateDone       = "done"
	StateFailed     = "failed"
	StateDead       = "dead"
	StateSuperseded = "superseded"
)

// Options configures a Store.
type Options struct {
	// Offset, when set, moves the store's clock (the database's) forward by
	// what it returns: tests pass their fake clock's Advanced, so that time
	// they make pass passes for the store too. Nil in production.
	Offset func() time.Duration
	// Jitter returns a number in [0, 1) that spreads retry times; a
	// math/rand/v2 source when nil.
	Jitter func() float64
}

// Store is syncd's PostgreSQL access. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	offset func() time.Duration
	jitter func() float64
}

// New returns a Store over pool. The pool's search_path must be syncd's
// schema (see Open).
func New(pool *pgxpool.Pool, opts Options) *Store {
	s := &Store{pool: pool, offset: opts.Offset, jitter: opts.Jitter}
	if s.offset == nil {
		s.offset = func() time.Duration { return 0 }
	}
	if s.jitter == nil {
		s.jitter = rand.Float64
	}
	return s
}

// Open connects to databaseURL with search_path set to schema and returns
// the pool. The caller closes it.
func Open(ctx context.Context, databaseURL, schema string) (*pgxpool.Pool, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	if err := ValidSchema(schema); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", redactParseErr(err))
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return pool, nil
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

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
	if limit <= 0 {
		return nil, nil
	}
	var rows []Row
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('syncd.claim.' || current_schema()))`); err != nil {
			return err
		}
		if err := noJIT(ctx, tx); err != nil {
			return err
		}
		// Read after the lock: a claim that waited for another compares
		// leases with the time it runs at.
		now, err := s.clock(ctx, tx)
		if err != nil {
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
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox rows: %w", err)
	}
	slices.SortFunc(rows, func(a, b Row) int { return cmp.Compare(a.ID, b.ID) })
	return rows, nil
}

// noJIT turns JIT compilation off for the transaction. The claim's
// LATERAL look-ups keep the planner from joining, and it then prices them
// high, at a million open rows high enough to compile them: a quarter of a
// second spent on statements that run in milliseconds.
func noJIT(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SET LOCAL jit = off`)
	return err
}

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

// Backoff returns the delay before retry number attempts (1 for the first
// retry): base doubled per attempt, capped at max, with equal jitter (half
// fixed, half random from j in [0, 1)) so that rows failed together do not
// retry together.
func Backoff(base, max time.Duration, attempts int, j float64) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := float64(base) * math.Pow(2, float64(attempts-1))
	if d > float64(max) || math.IsInf(d, 0) {
		d = float64(max)
	}
	return time.Duration(d/2 + d/2*j)
}

// Retry says how failed rows are retried.
type Retry struct {
	MaxAttempts int           // a data failure at this attempt count makes the row dead
	Base        time.Duration // first retry delay
	Max         time.Duration // longest retry delay
}

// Failure is one row that could not be processed.
type Failure struct {
	ID       int64
	Attempts int // the row's attempts as claimed
	Error    string
	// Transient marks failures that are not the row's fault (HubSpot rate
	// limits, outages): the row is retried after a backoff but its attempts
	// are not counted, so an outage never makes rows dead.
	Transient bool
}

// Mapping is one ID map row.
type Mapping struct {
	PortalID   int64
	ObjectType string // contact, company, deal, line_item, product, ticket
	ERPID      string
	HubSpotID  string
	// Properties are the values syncd last wrote (all of them, not only the
	// last changes).
	Properties    map[string]string
	FirstSyncedAt time.Time
	LastSyncedAt  time.Time
	ArchivedAt    *time.Time
}

// Association is an association syncd has created.
type Association struct {
	PortalID      int64
	FromType      string
	FromHubSpotID string
	ToType        string
	ToHubSpotID   string
	TypeID        int
}

// Outcome is what one cycle learnt, written in one transaction by Record.
type Outcome struct {
	// Keys are the cycle's outbox keys with the ID map rows they produced.
	Keys []KeyOutcome
	// Associations are recorded as made.
	Associations []Association
	// Unassociated are associations syncd removed from HubSpot; their
	// rows are deleted.
	Unassociated []Association
	// Done rows reached HubSpot.
	Done []int64
	// Superseded rows were replaced by a newer row of the same key.
	Superseded []int64
	// Failed rows are retried later, or made dead at the attempt limit.
	Failed []Failure
	// Waiting rows reference a record whose own outbox row must be synced
	// first; see Wait.
	Waiting []Wait
	// Warnings are kept on Done rows, by row id: values the row's record
	// was written without, or repaired.
	Warnings map[int64][]string
}

// Wait is a row that waits for another: a record it references has an open
// outbox row (For) that another process holds, that waits for its retry,
// or that failed in this cycle. The row goes back to pending without
// spending an attempt, with waiting_for = For, and comes due when For can
// be claimed: at once when For is no longer open, else at For's
// next_attempt_at or lease expiry, whichever is later. Recording For (done,
// failed, superseded, dead or waiting itself) brings the waiting rows due
// with it. References point one way (tickets to orders to customers to
// companies, orders to products), so rows never wait for each other in a
// circle, and a row whose For goes dead is retried and then fails as it
// would without that row.
type Wait struct {
	ID  int64
	For int64
}

// KeyOutcome is what a cycle did for one outbox key (entity, erp_id).
type KeyOutcome struct {
	// Rows are the key's outbox rows the cycle claimed.
	Rows []int64
	// Mappings are upserted into the ID map (set ArchivedAt for archives):
	// the key's record and records that belong to it (line items).
	Mappings []Mapping
	// Written names the ID map rows of the records the cycle wrote, or may
	// have written, in HubSpot for the key, failed writes included: a
	// write HubSpot applied may have lost its answer.
	Written []MapKey
}

// MapKey names one ID map row.
type MapKey struct {
	PortalID   int64
	ObjectType string
	ERPID      string
}

// Recorded counts what Record did to outbox rows.
type Recorded struct {
	Done, Superseded, Failed, Dead int
	// Lost counts rows whose lease owner had changed (the lease expired and
	// another process claimed them); Record leaves those alone.
	Lost int
	// Reopened counts keys the cycle wrote to HubSpot after losing their
	// lease: their newest row is open again, to be written in full.
	Reopened int
	// Waiting counts rows that now wait for another row; WaitingDue those
	// of them that are due at once, because the row they wait for was
	// recorded meanwhile.
	Waiting, WaitingDue int
}

// Record writes a cycle's outcome in one transaction: ID map rows,
// associations, and the final state of owner's rows. A row no longer leased
// by owner is left alone and counted as Lost.
//
// A key with a lost row belongs to another process, which may have written
// a newer row to HubSpot before this cycle's write arrived. Its Mappings
// then only add ID map rows the map lacks, without synced values, and when
// the cycle wrote for the key (Written), the last synced values of those
// ID map rows are cleared and the key is reopened: its newest row, if done,
// goes back to pending, and its open rows leased by a process still at work
// lose their lease, so that process, finding its rows lost when it records,
// does the same after its own writes. The next cycle then writes the newest
// state in full, after every write this cycle made. The outbox rows are
// locked for the transaction, so the check cannot race with another
// process's claim or record.
//
// A transaction that deadlocks with another process's is retried.
func (s *Store) Record(ctx context.Context, owner string, retry Retry, out Outcome) (Recorded, error) {
	var rec Recorded
	var err error
	for range 3 {
		rec, err = s.record(ctx, owner, retry, out)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "40P01" && pe.Code != "40001" {
			break
		}
	}
	if err != nil {
		return Recorded{}, fmt.Errorf("store: record cycle outcome: %w", err)
	}
	return rec, nil
}

func (s *Store) record(ctx context.Context, owner string, retry Retry, out Outcome) (Recorded, error) {
	var rec Recorded
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		lost, err := lockRows(ctx, tx, owner, out)
		if err != nil {
			return err
		}
		now, err := s.clock(ctx, tx)
		if err != nil {
			return err
		}
		var held, stale []Mapping
		var cleared []MapKey
		var reopen []KeyOutcome
		for _, k := range out.Keys {
			if !slices.ContainsFunc(k.Rows, func(id int64) bool { return lost[id] != nil }) {
				held = append(held, k.Mappings...)
				continue
			}
			for _, m := range k.Mappings {
				m.Properties = map[string]string{}
				stale = append(stale, m)
			}
			if len(k.Written) > 0 {
				cleared = append(cleared, k.Written...)
				reopen = append(reopen, k)
			}
		}
		if err := upsertMappings(ctx, tx, now, held, conflictReplace); err != nil {
			return err
		}
		if err := clearSynced(ctx, tx, cleared); err != nil {
			return err
		}
		if err := upsertMappings(ctx, tx, now, stale, conflictKeep); err != nil {
			return err
		}
		if err := deleteAssociations(ctx, tx, out.Unassociated); err != nil {
			return err
		}
		if err := insertAssociations(ctx, tx, now, out.Associations); err != nil {
			return err
		}
		if len(out.Done) > 0 {
			warnings := make([]*string, len(out.Done))
			for i, id := range out.Done {
				if ws := out.Warnings[id]; len(ws) > 0 {
					b, err := json.Marshal(ws)
					if err != nil {
						return err
					}
					j := string(b)
					warnings[i] = &j
				}
			}
			tag, err := tx.Exec(ctx, `
UPDATE outbox o SET state = 'done', processed_at = $1, last_error = NULL, waiting_for = NULL,
       warnings = (SELECT array_agg(w ORDER BY n) FROM jsonb_array_elements_text(u.warnings::jsonb) WITH ORDINALITY AS e(w, n)),
       lease_owner = NULL, lease_expires_at = NULL
FROM unnest($2::bigint[], $3::text[]) AS u(id, warnings)
WHERE o.id = u.id AND o.lease_owner = $4`, now, out.Done, warnings, owner)
			if err != nil {
				return fmt.Errorf("mark done: %w", err)
			}
			rec.Done = int(tag.RowsAffected())
			rec.Lost += len(out.Done) - rec.Done
		}
		if len(out.Superseded) > 0 {
			tag, err := tx.Exec(ctx, `
UPDATE outbox SET state = 'superseded', processed_at = $1, waiting_for = NULL,
       lease_owner = NULL, lease_expires_at = NULL
WHERE id = ANY($2) AND lease_owner = $3`, now, out.Superseded, owner)
			if err != nil {
				return fmt.Errorf("mark superseded: %w", err)
			}
			rec.Superseded = int(tag.RowsAffected())
			rec.Lost += len(out.Superseded) - rec.Superseded
		}
		if len(out.Failed) > 0 {
			n := len(out.Failed)
			ids := make([]int64, n)
			states := make([]string, n)
			attempts := make([]int32, n)
			next := make([]time.Time, n)
			msgs := make([]string, n)
			for i, f := range out.Failed {
				ids[i], msgs[i] = f.ID, f.Error
				a := f.Attempts
				if !f.Transient {
					a++
				}
				attempts[i] = int32(a)
				states[i] = StateFailed
				if !f.Transient && retry.MaxAttempts > 0 && a >= retry.MaxAttempts {
					states[i] = StateDead
				}
				next[i] = now.Add(Backoff(retry.Base, retry.Max, max(a, 1), s.jitter()))
			}
			r, err := tx.Query(ctx, `
UPDATE outbox o
SET state = u.state, attempts = u.attempts, next_attempt_at = u.next, last_error = u.msg,
    processed_at = CASE WHEN u.state = 'dead' THEN $1::timestamptz END, waiting_for = NULL, warnings = NULL,
    lease_owner = NULL, lease_expires_at = NULL
FROM unnest($2::bigint[], $3::text[], $4::int[], $5::timestamptz[], $6::text[]) AS u(id, state, attempts, next, msg)
WHERE o.id = u.id AND o.lease_owner = $7
RETURNING o.state`, now, ids, states, attempts, next, msgs, owner)
			if err != nil {
				return fmt.Errorf("mark failed: %w", err)
			}
			got, err := pgx.CollectRows(r, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("mark failed: %w", err)
			}
			for _, st := range got {
				if st == StateDead {
					rec.Dead++
				} else {
					rec.Failed++
				}
			}
			rec.Lost += n - len(got)
		}
		if len(out.Waiting) > 0 {
			n, due, err := markWaiting(ctx, tx, now, owner, out.Waiting)
			if err != nil {
				return err
			}
			rec.Waiting, rec.WaitingDue = n, due
			rec.Lost += len(out.Waiting) - n
		}
		if err := wakeWaiting(ctx, tx, now, out); err != nil {
			return err
		}
		for _, k := range reopen {
			if err := reopenKey(ctx, tx, now, k.Rows, lost); err != nil {
				return err
			}
			rec.Reopened++
		}
		return nil
	})
	return rec, err
}

// markWaiting puts owner's waiting rows back to pending with waiting_for
// set, due when the row they wait for can be claimed (see Wait), and
// returns how many it updated. It runs after the cycle's own rows are
// marked, so that a row waiting for one that failed in this cycle comes
// due with that row's retry; lockRows has locked the rows waited for, so
// that their state cannot change under it. It also returns how many of
// them are due at once.
func markWaiting(ctx context.Context, tx pgx.Tx, now time.Time, owner string, ws []Wait) (n, due int, err error) {
	ids, fors := make([]int64, len(ws)), make([]int64, len(ws))
	for i, w := range ws {
		ids[i], fors[i] = w.ID, w.For
	}
	r, err := tx.Query(ctx, `
UPDATE outbox o
SET state = 'pending', waiting_for = u.wait_for, warnings = NULL,
    next_attempt_at = CASE WHEN w.state IN ('pending', 'failed')
                           THEN greatest(w.next_attempt_at, coalesce(w.lease_expires_at, $1), $1)
                           ELSE $1 END,
    lease_owner = NULL, lease_expires_at = NULL
FROM unnest($2::bigint[], $3::bigint[]) AS u(id, wait_for)
LEFT JOIN outbox w ON w.id = u.wait_for
WHERE o.id = u.id AND o.lease_owner = $4
RETURNING o.next_attempt_at <= $1`, now, ids, fors, owner)
	if err == nil {
		var isDue bool
		_, err = pgx.ForEachRow(r, []any{&isDue}, func() error {
			n++
			if isDue {
				due++
			}
			return nil
		})
	}
	if err != nil {
		return 0, 0, fmt.Errorf("mark waiting: %w", err)
	}
	return n, due, nil
}

// wakeWaiting brings the rows that wait for rows out records due with
// them: at once for a row no longer open, else at its next attempt. Rows
// another transaction has locked are left to it: that transaction is
// recording them (and, for a waiting row, has locked the row it waits for,
// so it sees the state this one leaves).
func wakeWaiting(ctx context.Context, tx pgx.Tx, now time.Time, out Outcome) error {
	var ids []int64
	ids = append(ids, out.Done...)
	ids = append(ids, out.Superseded...)
	for _, f := range out.Failed {
		ids = append(ids, f.ID)
	}
	for _, w := range out.Waiting {
		ids = append(ids, w.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
WITH waiters AS (
    SELECT id FROM outbox
    WHERE waiting_for = ANY($2) AND state IN ('pending', 'failed')
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o
SET next_attempt_at = CASE WHEN w.state IN ('pending', 'failed') THEN greatest(w.next_attempt_at, $1) ELSE $1 END
FROM waiters, outbox w
WHERE o.id = waiters.id AND w.id = o.waiting_for`, now, ids)
	if err != nil {
		return fmt.Errorf("wake waiting rows: %w", err)
	}
	return nil
}

// lockRows locks every outbox row out names, and the rows its waiting rows
// wait for, in id order so that two recording processes wait for each
// other rather than deadlock, and returns the keys of the rows owner no
// longer leases, by row id (rows waited for are not owner's to lose).
func lockRows(ctx context.Context, tx pgx.Tx, owner string, out Outcome) (map[int64]*Key, error) {
	var ids, waitedFor []int64
	ids = append(ids, out.Done...)
	ids = append(ids, out.Superseded...)
	for _, f := range out.Failed {
		ids = append(ids, f.ID)
	}
	for _, k := range out.Keys {
		ids = append(ids, k.Rows...)
	}
	for _, w := range out.Waiting {
		ids = append(ids, w.ID)
		waitedFor = append(waitedFor, w.For)
	}
	lost := map[int64]*Key{}
	if len(ids) == 0 {
		return lost, nil
	}
	r, err := tx.Query(ctx, `
SELECT id, entity, erp_id, id = ANY($1) AND lease_owner IS DISTINCT FROM $2 FROM outbox
WHERE id = ANY($1) OR id = ANY($3)
ORDER BY id FOR UPDATE`, ids, owner, waitedFor)
	if err != nil {
		return nil, fmt.Errorf("lock outbox rows: %w", err)
	}
	var id int64
	var k Key
	var gone bool
	_, err = pgx.ForEachRow(r, []any{&id, &k.Entity, &k.ERPID, &gone}, func() error {
		if gone {
			kk := k
			lost[id] = &kk
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock outbox rows: %w", err)
	}
	return lost, nil
}

// reopenKey makes the key of rows (one of which is in lost) process again:
// its newest row that is done, pending or failed, if done, becomes pending,
// and its open rows leased by another process are released. Rows older
// than the cycle's own are not the newest state and stay as they are.
func reopenKey(ctx context.Context, tx pgx.Tx, now time.Time, rows []int64, lost map[int64]*Key) error {
	var key *Key
	for _, id := range rows {
		if k := lost[id]; k != nil {
			key = k
			break
		}
	}
	if key == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `
WITH newest AS (
    SELECT id, state FROM outbox
    WHERE entity = $1 AND erp_id = $2 AND id >= $3 AND state IN ('pending', 'failed', 'done')
    ORDER BY id DESC LIMIT 1
    FOR UPDATE
)
UPDATE outbox o
SET state = 'pending', processed_at = NULL, next_attempt_at = $4
FROM newest
WHERE o.id = newest.id AND newest.state = 'done'`, key.Entity, key.ERPID, slices.Min(rows), now)
	if err == nil {
		_, err = tx.Exec(ctx, `
UPDATE outbox SET lease_owner = NULL, lease_expires_at = NULL
WHERE entity = $1 AND erp_id = $2 AND state IN ('pending', 'failed') AND lease_owner IS NOT NULL`, key.Entity, key.ERPID)
	}
	if err != nil {
		return fmt.Errorf("reopen %s %s: %w", key.Entity, key.ERPID, err)
	}
	return nil
}

// clearSynced empties the last synced values of the ID map rows keys name,
// keeping their HubSpot IDs, so that the next write of each sends every
// property.
func clearSynced(ctx context.Context, tx pgx.Tx, keys []MapKey) error {
	if len(keys) == 0 {
		return nil
	}
	n := len(keys)
	portals, types, erp := make([]int64, n), make([]string, n), make([]string, n)
	for i, k := range keys {
		portals[i], types[i], erp[i] = k.PortalID, k.ObjectType, k.ERPID
	}
	_, err := tx.Exec(ctx, `
UPDATE id_map m SET synced_properties = '{}'::jsonb
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(p, t, e)
WHERE m.portal_id = u.p AND m.object_type = u.t AND m.erp_id = u.e`, portals, types, erp)
	if err != nil {
		return fmt.Errorf("clear id_map synced values: %w", err)
	}
	return nil
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
		portals[i], types[i], erp[i], hs[i], archived[i] = m.PortalID, m.ObjectType, m.ERPID, m.HubSpotID, m.ArchivedAt
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
		p[i], ft[i], fid[i], tt[i], tid[i], typ[i] = a.PortalID, a.FromType, a.FromHubSpotID, a.ToType, a.ToHubSpotID, int32(a.TypeID)
	}
	return
}

// AssociationsFrom returns the associations syncd has recorded from the
// records fromIDs of fromType to records of toType, in portal.
func (s *Store) AssociationsFrom(ctx context.Context, portal int64, fromType string, fromIDs []string, toType string) ([]Association, error) {
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
func (s *Store) mappingsKeyed(ctx context.Context, portal int64, objectType, col string, keys []string) (map[string]Mapping, error) {
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
func (s *Store) Mappings(ctx context.Context, portal int64, objectType string, erpIDs []string) (map[string]Mapping, error) {
	return s.mappingsKeyed(ctx, portal, objectType, "erp_id", erpIDs)
}

// MappingsByHubSpotID returns the ID map rows of objectType in portal whose
// HubSpot ID is in ids, keyed by HubSpot ID.
func (s *Store) MappingsByHubSpotID(ctx context.Context, portal int64, objectType string, ids []string) (map[string]Mapping, error) {
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
	ms, err := s.queryMappings(ctx, `WHERE portal_id = $1 AND object_type = 'line_item' AND order_erp_id = ANY($2)
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

// StartRun logs the start of a cycle and returns its run ID.
func (s *Store) StartRun(ctx context.Context, owner string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO runs (owner, started_at) VALUES ($1, `+sqlNow(2)+`) RETURNING id`, owner, s.offset()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: start run: %w", err)
	}
	return id, nil
}

// FinishRun logs the end of run id with its counts (any JSON-encodable
// value) and the error that stopped it, if any.
func (s *Store) FinishRun(ctx context.Context, id int64, counts any, runErr error) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("store: finish run: %w", err)
	}
	var msg *string
	if runErr != nil {
		m := runErr.Error()
		msg = &m
	}
	_, err = s.pool.Exec(ctx, `UPDATE runs SET finished_at = `+sqlNow(2)+`, counts = $3::jsonb, error = $4 WHERE id = $1`, id, s.offset(), string(b), msg)
	if err != nil {
		return fmt.Errorf("store: finish run: %w", err)
	}
	return nil
}

// StateCounts returns how many outbox rows are in each state.
func (s *Store) StateCounts(ctx context.Context) (map[string]int, error) {
	r, err := s.pool.Query(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count outbox rows: %w", notMigrated(err))
	}
	out := map[string]int{}
	var st string
	var n int
	_, err = pgx.ForEachRow(r, []any{&st, &n}, func() error { out[st] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("store: count outbox rows: %w", notMigrated(err))
	}
	return out, nil
}
