// Package outboxtest writes outbox rows into a pgtest schema the way an ERP
// does, and reads counts and rows back for test checks.
package outboxtest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/syncd/syncd/internal/pgtest"
)

// Insert writes one outbox row with a JSON payload and returns its id.
func Insert(t testing.TB, db *pgtest.DB, entity, erpID, payload string) int64 {
	t.Helper()
	var id int64
	err := db.Pool.QueryRow(context.Background(),
		`INSERT INTO outbox (entity, erp_id, payload) VALUES ($1, $2, $3::jsonb) RETURNING id`, entity, erpID, payload).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Row is one outbox row to insert. A nil Payload makes it a delete; any
// other is marshalled to JSON for an upsert.
type Row struct {
	Entity, ERPID string
	Payload       any
}

// InsertRows writes rows into the outbox in one statement, so that they
// become claimable together.
func InsertRows(t testing.TB, db *pgtest.DB, rows []Row) {
	t.Helper()
	var ents, ids, ops []string
	var payloads []*string
	for _, r := range rows {
		ents, ids = append(ents, r.Entity), append(ids, r.ERPID)
		if r.Payload == nil {
			ops, payloads = append(ops, "delete"), append(payloads, nil)
			continue
		}
		b, err := json.Marshal(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		p := string(b)
		ops, payloads = append(ops, "upsert"), append(payloads, &p)
	}
	_, err := db.Pool.Exec(context.Background(), `INSERT INTO outbox (entity, erp_id, op, payload)
SELECT e, i, o, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(e, i, o, p)`, ents, ids, ops, payloads)
	if err != nil {
		t.Fatal(err)
	}
}

// Count runs a query that selects one integer and returns it.
func Count(t testing.TB, db *pgtest.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Strings runs a query that selects one text column and returns its rows,
// for describing rows in test messages.
func Strings(t testing.TB, db *pgtest.DB, sql string, args ...any) []string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}
