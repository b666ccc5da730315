package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// States lists every outbox row state, in the order operators read them.
var States = []string{StatePending, StateFailed, StateDead, StateDone, StateSuperseded}

// OutboxRow is one outbox row as an operator sees it; the payload is left
// out.
type OutboxRow struct {
	ID            int64
	Entity        string
	ERPID         string
	Op            string
	State         string
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	ProcessedAt   *time.Time
	// LastError is why the last attempt failed; empty when none did.
	LastError string
	// LeaseOwner is the process holding the row, while LeaseExpiresAt is
	// in the future; empty otherwise.
	LeaseOwner     string
	LeaseExpiresAt *time.Time
	// WaitingFor is the row a pending row waits for (see Wait); nil when
	// it waits for none. Status fills it in; Requeue does not.
	WaitingFor *WaitedRow
	// Warnings are what a done row's record was written without (refused,
	// or kept by HubSpot in a conflict), or with repaired
	// (Outcome.Warnings). Status fills them in.
	Warnings []string
}

// WaitedRow is the outbox row another row waits for.
type WaitedRow struct {
	ID     int64
	Entity string // "" when the row no longer exists
	ERPID  string
	State  string
}

// RunRecord is one row of the runs log.
type RunRecord struct {
	ID         int64
	Owner      string
	StartedAt  time.Time
	FinishedAt *time.Time // nil while the cycle runs, or when its process died
	// Counts is the JSON object FinishRun stored (the engine's summary).
	Counts []byte
	Error  string
}

// StatusQuery says what Status reports.
type StatusQuery struct {
	// Entity limits the counts and the rows to one entity; "" for all.
	Entity string
	// States are the states of the rows listed; failed and dead when empty.
	States []string
	// Limit is how many rows are listed, newest first.
	Limit int
	// Runs is how many runs are listed, newest first.
	Runs int
}

// Status is a snapshot of the outbox and the runs log.
type Status struct {
	// Now is the store clock's time the snapshot refers to.
	Now time.Time
	// Counts has every state of States, with 0 for states without rows.
	Counts map[string]int
	// InProgress counts the pending and failed rows a cycle holds under a
	// lease that has not expired; they are also counted in Counts.
	InProgress int
	// Waiting counts the pending rows that wait for another row (also
	// counted as pending).
	Waiting int
	// Warned counts the done rows with warnings (also counted as done).
	Warned int
	// OldestPending is the pending row written first; nil when none is
	// pending.
	OldestPending *OutboxRow
	// Rows are the newest rows in the queried states, at most Limit.
	Rows []OutboxRow
	// WaitingRows are the newest pending rows that wait for another row,
	// at most Limit.
	WaitingRows []OutboxRow
	// WarnedRows are the newest done rows with warnings, at most Limit.
	WarnedRows []OutboxRow
	// Runs are the newest runs, at most StatusQuery.Runs.
	Runs []RunRecord
}

// Status reads counts per state, the oldest pending row, the newest rows in
// q.States and the last runs, all from one snapshot so that they agree.
// It changes nothing.
func (s *Store) Status(ctx context.Context, q StatusQuery) (*Status, error) {
	states := q.States
	if len(states) == 0 {
		states = []string{StateFailed, StateDead}
	}
	for _, st := range states {
		if !slices.Contains(States, st) {
			return nil, fmt.Errorf("store: status: unknown state %q", st)
		}
	}
	out := &Status{Counts: map[string]int{}}
	for _, st := range States {
		out.Counts[st] = 0
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		now, err := s.clock(ctx, tx)
		if err != nil {
			return err
		}
		out.Now = now
		r, err := tx.Query(ctx, `
SELECT state, count(*),
       count(*) FILTER (WHERE state IN ('pending', 'failed') AND lease_expires_at > $1),
       count(*) FILTER (WHERE state = 'pending' AND waiting_for IS NOT NULL),
       count(*) FILTER (WHERE state = 'done' AND warnings IS NOT NULL)
FROM outbox
WHERE $2 = '' OR entity = $2
GROUP BY state`, now, q.Entity)
		if err != nil {
			return err
		}
		var st string
		var n, leased, waiting, warned int
		if _, err := pgx.ForEachRow(r, []any{&st, &n, &leased, &waiting, &warned}, func() error {
			out.Counts[st] = n
			out.InProgress += leased
			out.Waiting += waiting
			out.Warned += warned
			return nil
		}); err != nil {
			return err
		}

		r, err = tx.Query(ctx, `SELECT `+sqlOutboxRowCols+` FROM `+sqlOutboxRowFrom+`
WHERE o.state = 'pending' AND ($1 = '' OR o.entity = $1)
ORDER BY o.created_at, o.id LIMIT 1`, q.Entity)
		if err != nil {
			return err
		}
		oldest, err := pgx.CollectRows(r, scanOutboxRow)
		if err != nil {
			return err
		}
		if len(oldest) > 0 {
			out.OldestPending = &oldest[0]
		}

		// newest lists the newest rows of the entity that cond (on o, with
		// args from $3) selects, at most q.Limit; none when n, the rows
		// there are, is 0.
		newest := func(n int, cond string, args ...any) ([]OutboxRow, error) {
			if q.Limit <= 0 || n == 0 {
				return nil, nil
			}
			r, err := tx.Query(ctx, `SELECT `+sqlOutboxRowCols+` FROM `+sqlOutboxRowFrom+`
WHERE `+cond+` AND ($1 = '' OR o.entity = $1)
ORDER BY o.id DESC LIMIT $2`, append([]any{q.Entity, q.Limit}, args...)...)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(r, scanOutboxRow)
		}
		if out.Rows, err = newest(1, `o.state = ANY($3)`, states); err != nil {
			return err
		}
		if out.WaitingRows, err = newest(out.Waiting, `o.waiting_for IS NOT NULL AND o.state = 'pending'`); err != nil {
			return err
		}
		if out.WarnedRows, err = newest(out.Warned, `o.warnings IS NOT NULL AND o.state = 'done'`); err != nil {
			return err
		}

		if q.Runs > 0 {
			r, err = tx.Query(ctx, `
SELECT id, owner, started_at, finished_at, counts, coalesce(error, '')
FROM runs ORDER BY started_at DESC, id DESC LIMIT $1`, q.Runs)
			if err != nil {
				return err
			}
			out.Runs, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (RunRecord, error) {
				var run RunRecord
				err := r.Scan(&run.ID, &run.Owner, &run.StartedAt, &run.FinishedAt, &run.Counts, &run.Error)
				return run, err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: status: %w", notMigrated(err))
	}
	return out, nil
}

// sqlOutboxRowCols and sqlOutboxRowFrom select an OutboxRow for
// scanOutboxRow: the row o and the row it waits for, w.
const (
	sqlOutboxRowCols = `o.id, o.entity, o.erp_id, o.op, o.state, o.attempts, o.created_at, o.next_attempt_at, o.processed_at,
       coalesce(o.last_error, ''), coalesce(o.lease_owner, ''), o.lease_expires_at,
       o.waiting_for, coalesce(w.entity, ''), coalesce(w.erp_id, ''), coalesce(w.state, ''), coalesce(o.warnings, '{}')`
	sqlOutboxRowFrom = `outbox o LEFT JOIN outbox w ON w.id = o.waiting_for`
)

func scanOutboxRow(r pgx.CollectableRow) (OutboxRow, error) {
	var o OutboxRow
	var waitID *int64
	var w WaitedRow
	err := r.Scan(&o.ID, &o.Entity, &o.ERPID, &o.Op, &o.State, &o.Attempts, &o.CreatedAt, &o.NextAttemptAt,
		&o.ProcessedAt, &o.LastError, &o.LeaseOwner, &o.LeaseExpiresAt,
		&waitID, &w.Entity, &w.ERPID, &w.State, &o.Warnings)
	if waitID != nil && o.State == StatePending {
		w.ID = *waitID
		o.WaitingFor = &w
	}
	if len(o.Warnings) == 0 {
		o.Warnings = nil
	}
	return o, err
}

// RequeueSelector says which failed or dead rows Requeue puts back. Its
// fields combine: a row must match every one that is set.
type RequeueSelector struct {
	IDs    []int64
	Entity string
	ERPID  string
	// States are failed, dead or both; both when empty.
	States []string
	// All must be set to select rows by States alone, so that an empty
	// selector never requeues every failed and dead row by mistake.
	All bool
	// DryRun reports what would be requeued and changes nothing.
	DryRun bool
}

// Requeued is what Requeue did.
type Requeued struct {
	// Rows are the rows put back to pending (or that would be, on a dry
	// run), as they were before: their state, attempts and last error.
	Rows []OutboxRow
	// Replaced are matching rows left alone because a newer row of their
	// (entity, erp_id) exists: the newer row is the record's state, and
	// syncd marks the older one superseded when it processes the key.
	Replaced []OutboxRow
	// InProgress are matching failed rows a cycle holds right now; they
	// are left alone, since that cycle records their outcome.
	InProgress []OutboxRow
}

// ErrNoSelector is returned by Requeue for a selector that names no row
// and does not set All.
var ErrNoSelector = errors.New("store: requeue: no selector: name ids, an entity, an ERP key, or set All")

// Requeue puts the failed and dead rows sel matches back to pending, to be
// claimed by the next cycle: attempts 0, next_attempt_at now, no
// processed_at. last_error is kept, so the reason stays visible until the
// next attempt overwrites it (or clears it, when the row is done). Only a
// row that is still the newest of its (entity, erp_id) comes back; a row a
// newer one replaces, and a superseded row, never do. Rows are selected,
// locked and updated in one statement; when any is requeued, a running
// `syncd run` is woken through the outbox notification channel.
func (s *Store) Requeue(ctx context.Context, sel RequeueSelector) (Requeued, error) {
	var res Requeued
	if len(sel.IDs) == 0 && sel.Entity == "" && sel.ERPID == "" && !sel.All {
		return res, ErrNoSelector
	}
	states := sel.States
	if len(states) == 0 {
		states = []string{StateFailed, StateDead}
	}
	for _, st := range states {
		if st != StateFailed && st != StateDead {
			return res, fmt.Errorf("store: requeue: state %q cannot be requeued; only failed and dead rows can", st)
		}
	}
	ids := sel.IDs
	if ids == nil {
		ids = []int64{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now, err := s.clock(ctx, tx)
		if err != nil {
			return err
		}
		r, err := tx.Query(ctx, sqlRequeue, now, states, ids, sel.Entity, sel.ERPID, sel.DryRun)
		if err != nil {
			return err
		}
		var o OutboxRow
		var replaced, leased bool
		_, err = pgx.ForEachRow(r, []any{&o.ID, &o.Entity, &o.ERPID, &o.Op, &o.State, &o.Attempts, &o.CreatedAt,
			&o.NextAttemptAt, &o.ProcessedAt, &o.LastError, &o.LeaseOwner, &o.LeaseExpiresAt, &replaced, &leased}, func() error {
			switch {
			case replaced:
				res.Replaced = append(res.Replaced, o)
			case leased:
				res.InProgress = append(res.InProgress, o)
			default:
				res.Rows = append(res.Rows, o)
			}
			return nil
		})
		if err != nil || sel.DryRun || len(res.Rows) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify('syncd_outbox', current_schema())`)
		return err
	})
	if err != nil {
		return Requeued{}, fmt.Errorf("store: requeue: %w", notMigrated(err))
	}
	return res, nil
}

// sqlRequeue selects and locks the matching rows, updates those that are
// the newest of their key and not leased, and returns every matching row
// as it was. A newer row the ERP inserts while this runs is not seen;
// that is harmless, because a cycle claims all open rows of a key together
// and supersedes the older ones.
const sqlRequeue = `
WITH matched AS (
    SELECT ` + sqlOutboxRowColsO + `,
           EXISTS (SELECT 1 FROM outbox n
                   WHERE n.entity = o.entity AND n.erp_id = o.erp_id AND n.id > o.id) AS replaced,
           coalesce(o.lease_expires_at > $1, false) AS leased
    FROM outbox o
    WHERE o.state = ANY($2)
      AND (cardinality($3::bigint[]) = 0 OR o.id = ANY($3))
      AND ($4 = '' OR o.entity = $4)
      AND ($5 = '' OR o.erp_id = $5)
    FOR UPDATE OF o
), requeued AS (
    UPDATE outbox o
    SET state = 'pending', attempts = 0, next_attempt_at = $1, processed_at = NULL,
        lease_owner = NULL, lease_expires_at = NULL
    FROM matched m
    WHERE o.id = m.id AND NOT m.replaced AND NOT m.leased AND NOT $6::boolean
    RETURNING o.id
)
SELECT * FROM matched ORDER BY id`

const sqlOutboxRowColsO = `o.id, o.entity, o.erp_id, o.op, o.state, o.attempts, o.created_at, o.next_attempt_at,
           o.processed_at, coalesce(o.last_error, '') AS last_error, coalesce(o.lease_owner, '') AS lease_owner,
           o.lease_expires_at`

// StateCounts returns how many outbox rows are in each state.
func (s *Store) StateCounts(ctx context.Context) (map[string]int, error) {
	out, err := s.countBy(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count outbox rows: %w", err)
	}
	return out, nil
}
