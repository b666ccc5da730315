package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// clock returns the store's time for a transaction: the database's clock
// as it reads it (clock_timestamp(), not the transaction's start, which may
// lie before a lock it waited for), moved forward by Options.Offset.
func (s *Store) clock(ctx context.Context, tx querier) (time.Time, error) {
	now, err := s.clockAfter(ctx, tx, "")
	if err != nil {
		return time.Time{}, fmt.Errorf("read the database's clock: %w", err)
	}
	return now, nil
}

// clockAfter is clock read in one statement with the calls in from (a FROM
// list of functions, such as a lock and sqlNoJIT), after they have
// returned: PostgreSQL runs the functions of FROM before it computes the
// select list, so a lock waited for lies before the time read. It saves a
// round trip per call. Its error is the statement's, for the caller to
// name what failed.
func (s *Store) clockAfter(ctx context.Context, tx querier, from string) (time.Time, error) {
	q := `SELECT clock_timestamp() + $1::interval`
	if from != "" {
		q += ` FROM ` + from
	}
	var now time.Time
	if err := tx.QueryRow(ctx, q, s.offset()).Scan(&now); err != nil {
		return time.Time{}, err
	}
	return now.UTC(), nil
}

// querier is what clock reads with: a transaction, or the pool for a time
// outside one.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// sqlNow is the store's time in a single statement: the statement's start
// on the database's clock, moved forward by parameter $n, which is
// s.offset().
func sqlNow(n int) string {
	return fmt.Sprintf("(statement_timestamp() + $%d::interval)", n)
}
