package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

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

// Dead reports whether recording f makes its row dead: a failure that is
// the row's own at the attempt limit.
func (r Retry) Dead(f Failure) bool {
	return !f.Transient && r.MaxAttempts > 0 && f.Attempts+1 >= r.MaxAttempts
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
	// was written without (refused, or kept by HubSpot in a conflict), or
	// repaired.
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
				if retry.Dead(f) {
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
		portals[i], types[i], erp[i] = k.PortalID, string(k.ObjectType), k.ERPID
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
