package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQLSource reads the rows of the user's query, in one read-only
// transaction with a repeatable-read snapshot, so the rows are one
// consistent picture of the ERP however long the import takes and the
// query cannot change anything. Each row is converted to JSON by
// PostgreSQL (to_jsonb), so numbers keep their digits, timestamps their
// offset, and a json/jsonb column (json_agg of an order's lines) arrives
// as nested JSON.
type SQLSource struct {
	// ctx is OpenSQL's: it bounds the query, which starts on the first Next.
	ctx    context.Context
	tx     pgx.Tx
	query  string
	rows   pgx.Rows
	header []string
	n      int64
}

// OpenSQL runs query on conn. query is one SELECT (or WITH … SELECT)
// statement; a trailing semicolon is allowed. The caller closes the source
// and then conn.
func OpenSQL(ctx context.Context, conn *pgx.Conn, query string) (*SQLSource, error) {
	q := strings.TrimRight(strings.TrimSpace(query), "; \t\r\n")
	if q == "" {
		return nil, fmt.Errorf("the query is empty")
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("source database: %w", err)
	}
	s := &SQLSource{ctx: ctx, tx: tx}
	// Describing the query names its columns before any row is read, so
	// that a mapping mistake costs no scan of the ERP's tables.
	sd, err := tx.Prepare(ctx, "", q)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("query: %w", err)
	}
	for _, f := range sd.Fields {
		s.header = append(s.header, f.Name)
	}
	s.query = "SELECT to_jsonb(q) FROM (" + q + "\n) AS q"
	return s, nil
}

// Header returns the query's column names.
func (s *SQLSource) Header() []string { return s.header }

// Next returns the next row, numbered from 1, or io.EOF.
func (s *SQLSource) Next() (Record, error) {
	if s.rows == nil {
		// The query runs from the first Next, after the mapping is checked.
		rows, err := s.tx.Query(s.ctx, s.query)
		if err != nil {
			return Record{}, fmt.Errorf("query: %w", err)
		}
		s.rows = rows
	}
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return Record{}, fmt.Errorf("query: %w", err)
		}
		return Record{}, errEOF
	}
	s.n++
	var raw []byte
	if err := s.rows.Scan(&raw); err != nil {
		return Record{}, fmt.Errorf("query row %d: %w", s.n, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return Record{}, fmt.Errorf("query row %d: %w", s.n, err)
	}
	values := make([]any, len(s.header))
	for i, h := range s.header {
		values[i] = obj[h]
	}
	return Record{Line: s.n, Values: values}, nil
}

// Progress returns the rows read; the total is not known (-1).
func (s *SQLSource) Progress() (done, total int64) { return s.n, -1 }

// Close ends the query and its transaction.
func (s *SQLSource) Close() error {
	if s.rows != nil {
		s.rows.Close()
	}
	return s.tx.Rollback(context.Background())
}
