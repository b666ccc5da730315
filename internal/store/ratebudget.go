package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/governor"
)

const (
	// rateSlot is the resolution of the shared rate budget. A call counts
	// for its whole slot, so a window is held for up to one slot longer
	// than HubSpot's: 1 % of a ten-second window, 10 % of a search second.
	rateSlot = 100 * time.Millisecond
	// rateKeep is how long counted calls stay in rate_ledger.
	rateKeep = time.Minute
)

// RateLedger is the HubSpot rate budget shared by every syncd process that
// uses the same schema: the governor.Ledger over table rate_ledger. It is
// safe for concurrent use by any number of processes.
type RateLedger struct {
	pool *pgxpool.Pool
}

var _ governor.Ledger = (*RateLedger)(nil)

// NewRateLedger returns the shared rate budget in the schema of pool's
// search_path.
func NewRateLedger(pool *pgxpool.Pool) *RateLedger {
	return &RateLedger{pool: pool}
}

// RateLedger returns the shared rate budget in the store's schema.
func (s *Store) RateLedger() *RateLedger { return NewRateLedger(s.pool) }

// Reserve counts one call of budget at now when the calls counted in the
// window of p.Window ending at now, by every process, are fewer than
// p.Limit and not ahead of p's pace, and returns a zero Wait and the calls
// in the window, this one included. Otherwise it counts nothing and
// returns how long until the call fits: until enough counted calls have
// left the window, or the pace allows the call. A call counts from the
// start of its 100 ms slot to the end of the slot a window later, so the
// calls counted in any rolling window are never more than p.Limit. Calls
// counted at a later time than now (by a process whose clock runs ahead)
// count too.
//
// Reserve runs one short transaction, serialised per schema and budget by
// an advisory lock, and deletes calls older than a minute on the way. It
// fails when the database does, when the schema lacks rate_ledger, or when
// p.Limit or p.Window is not positive.
func (l *RateLedger) Reserve(ctx context.Context, budget governor.Budget, now time.Time, p governor.Pace) (governor.Reservation, error) {
	window, limit := p.Window, p.Limit
	if limit <= 0 || window <= 0 {
		return governor.Reservation{}, fmt.Errorf("store: shared rate budget: limit %d per %s is not positive", limit, window)
	}
	name := budget.String()
	slot := now.UnixNano() / int64(rateSlot)
	span := int64((window + rateSlot - 1) / rateSlot)
	first := slot - span // the oldest slot that may hold a call within the window
	keep := slot - max(span, int64(rateKeep/rateSlot))

	var res governor.Reservation
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('syncd.rate.' || current_schema() || '.' || $1))`, name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rate_ledger WHERE budget = $1 AND slot < $2`, name, keep); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT slot, calls FROM rate_ledger WHERE budget = $1 AND slot >= $2 ORDER BY slot`, name, first)
		if err != nil {
			return err
		}
		type count struct {
			slot  int64
			calls int
		}
		counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (count, error) {
			var c count
			err := r.Scan(&c.slot, &c.calls)
			return c, err
		})
		if err != nil {
			return err
		}
		total := 0
		times := make([]time.Time, len(counts))
		calls := make([]int, len(counts))
		for i, c := range counts {
			total += c.calls
			times[i], calls[i] = time.Unix(0, c.slot*int64(rateSlot)), c.calls
		}
		if total >= limit {
			// Wait until the oldest slots holding total-limit+1 calls have
			// left the window: slot k leaves it when the current slot
			// passes k+span, which is always after now since k >= first.
			excess, seen := total-limit+1, 0
			for _, c := range counts {
				seen += c.calls
				if seen >= excess {
					res.Wait = time.Unix(0, (c.slot+span+1)*int64(rateSlot)).Sub(now)
					break
				}
			}
			return nil
		}
		if res.Wait = governor.PaceWait(now, p.Interval, p.Tolerance, times, calls); res.Wait > 0 {
			return nil
		}
		res.InWindow = total + 1
		_, err = tx.Exec(ctx, `INSERT INTO rate_ledger (budget, slot, calls) VALUES ($1, $2, 1)
			ON CONFLICT (budget, slot) DO UPDATE SET calls = rate_ledger.calls + 1`, name, slot)
		return err
	})
	if err != nil {
		if err := notMigratedMsg(err, "store: shared rate budget: table rate_ledger is missing: run 'syncd migrate up'"); errors.Is(err, ErrNotMigrated) {
			return governor.Reservation{}, err
		}
		return governor.Reservation{}, fmt.Errorf("store: shared rate budget: %w", err)
	}
	return res, nil
}
