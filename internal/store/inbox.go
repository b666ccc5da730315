package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Inbox row kinds (inbox.kind).
const (
	InboxCreated  = "created"
	InboxChanged  = "changed"
	InboxArchived = "archived"
	InboxMerged   = "merged"
)

// InboxValue is one side of a changed property: nil is no value.
type InboxValue = *string

// InboxChange is a property's old and new value in an inbox row.
type InboxChange struct {
	Old InboxValue `json:"old"`
	New InboxValue `json:"new"`
}

// InboxRow is one observed change of a HubSpot record, a row of table inbox.
type InboxRow struct {
	ObjectType ObjectType
	HubSpotID  string
	// ERPID is the ID map's key; empty is NULL (a record the ERP does not
	// know).
	ERPID      string
	Kind       string
	Changes    map[string]InboxChange
	MergedIDs  []string
	ModifiedAt time.Time
	// UpdatedBy and Source are HubSpot's (the user; the property history's
	// sourceType or hs_object_source), empty when it says nothing.
	UpdatedBy string
	Source    string
}

// InboxState is what the inbox last observed of a record (table
// inbox_state).
type InboxState struct {
	HubSpotID  string
	Properties map[string]string
	Synced     map[string]string
	MergedIDs  []string
	ModifiedAt time.Time
	ArchivedAt *time.Time
	// ObservedAt is when the inbox last read the record (the store's
	// clock), as id_map.last_synced_at; not written by RecordInbox.
	ObservedAt time.Time
}

// Watermark is how far the inbox has read an object type's changes.
type Watermark struct {
	// ModifiedUntil is the latest modification time processed; zero before
	// the first record.
	ModifiedUntil time.Time
}

// Now returns the store's time: the database's clock, moved forward by
// Options.Offset.
func (s *Store) Now(ctx context.Context) (time.Time, error) { return s.clock(ctx, s.pool) }

// InboxWatermark returns objectType's watermark in portal; a zero
// Watermark when there is none yet.
func (s *Store) InboxWatermark(ctx context.Context, portal int64, objectType ObjectType) (Watermark, error) {
	var w Watermark
	var until *time.Time
	err := s.pool.QueryRow(ctx, `SELECT modified_until FROM inbox_watermarks WHERE portal_id = $1 AND object_type = $2`,
		portal, string(objectType)).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return Watermark{}, nil
	}
	if err != nil {
		return Watermark{}, inboxErr("read the watermark", err)
	}
	if until != nil {
		w.ModifiedUntil = until.UTC()
	}
	return w, nil
}

// InboxStates returns what the inbox last observed of the given records,
// by HubSpot ID; records it never observed are absent.
func (s *Store) InboxStates(ctx context.Context, portal int64, objectType ObjectType, ids []string) (map[string]InboxState, error) {
	out := make(map[string]InboxState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT hubspot_id, properties, synced, merged_ids, modified_at, archived_at, observed_at
FROM inbox_state WHERE portal_id = $1 AND object_type = $2 AND hubspot_id = ANY($3)`, portal, string(objectType), ids)
	if err != nil {
		return nil, inboxErr("read inbox_state", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st InboxState
		var props, synced []byte
		if err := rows.Scan(&st.HubSpotID, &props, &synced, &st.MergedIDs, &st.ModifiedAt, &st.ArchivedAt, &st.ObservedAt); err != nil {
			return nil, inboxErr("read inbox_state", err)
		}
		if err := json.Unmarshal(props, &st.Properties); err != nil {
			return nil, fmt.Errorf("store: inbox_state %s %s: properties: %w", objectType, st.HubSpotID, err)
		}
		if err := json.Unmarshal(synced, &st.Synced); err != nil {
			return nil, fmt.Errorf("store: inbox_state %s %s: synced: %w", objectType, st.HubSpotID, err)
		}
		st.ModifiedAt = st.ModifiedAt.UTC()
		out[st.HubSpotID] = st
	}
	if err := rows.Err(); err != nil {
		return nil, inboxErr("read inbox_state", err)
	}
	return out, nil
}

// LeasedKeys returns which of erpIDs of entity have an outbox row a sync
// cycle holds right now (pending or failed, lease not expired): the cycle
// may have written the record to HubSpot without having recorded it in the
// ID map yet, which it does in the same transaction that ends the lease.
func (s *Store) LeasedKeys(ctx context.Context, entity string, erpIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(erpIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT erp_id FROM outbox
WHERE entity = $1 AND erp_id = ANY($2) AND state IN ('pending', 'failed') AND lease_expires_at > `+sqlNow(3),
		entity, erpIDs, s.offset())
	if err != nil {
		return nil, inboxErr("read the outbox's leases", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, inboxErr("read the outbox's leases", err)
	}
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// InboxBatch is what one page of an inbox read records, in one
// transaction: the changes, the records' new states, and the watermark.
type InboxBatch struct {
	ObjectType ObjectType
	Rows       []InboxRow
	States     []InboxState
	// ModifiedUntil, when not zero, moves the watermark forward to it (never
	// back).
	ModifiedUntil time.Time
}

// RecordInbox writes b in one transaction. A row already in the inbox (the
// same record, modification time and kind) is not written again; a state
// older than the one kept is not kept. It returns the rows written.
func (s *Store) RecordInbox(ctx context.Context, portal int64, b InboxBatch) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, inboxErr("begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	now, err := s.clock(ctx, tx)
	if err != nil {
		return 0, inboxErr("read the clock", err)
	}
	written := 0
	if len(b.Rows) > 0 {
		n := len(b.Rows)
		ids, erp, kinds, changes, merged, by, src := make([]string, n), make([]*string, n), make([]string, n),
			make([]string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		mod := make([]time.Time, n)
		for i, r := range b.Rows {
			c := r.Changes
			if c == nil {
				c = map[string]InboxChange{}
			}
			j, err := json.Marshal(c)
			if err != nil {
				return 0, fmt.Errorf("store: inbox %s %s: changes: %w", b.ObjectType, r.HubSpotID, err)
			}
			ids[i], erp[i], kinds[i], changes[i], mod[i] = r.HubSpotID, nullable(r.ERPID), r.Kind, string(j), r.ModifiedAt
			by[i], src[i] = nullable(r.UpdatedBy), nullable(r.Source)
			if merged[i], err = mergedJSON(r.MergedIDs); err != nil {
				return 0, err
			}
		}
		tag, err := tx.Exec(ctx, `
INSERT INTO inbox (portal_id, object_type, hubspot_id, erp_id, kind, changes, merged_ids, modified_at, updated_by_user_id, source, observed_at)
SELECT $1, $2, h, e, k, c::jsonb, CASE WHEN m IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(m::jsonb)) END, t, u, s, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::text[]) WITH ORDINALITY AS x(h, e, k, c, m, t, u, s, n)
ORDER BY n
ON CONFLICT (portal_id, object_type, hubspot_id, modified_at, kind) DO NOTHING`,
			portal, string(b.ObjectType), now, ids, erp, kinds, changes, merged, mod, by, src)
		if err != nil {
			return 0, inboxErr("insert inbox rows", err)
		}
		written = int(tag.RowsAffected())
	}
	if len(b.States) > 0 {
		n := len(b.States)
		ids, props, synced, merged := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
		mod, arch := make([]time.Time, n), make([]*time.Time, n)
		for i, st := range b.States {
			p, err := json.Marshal(orEmpty(st.Properties))
			if err != nil {
				return 0, err
			}
			sy, err := json.Marshal(orEmpty(st.Synced))
			if err != nil {
				return 0, err
			}
			ids[i], props[i], synced[i], mod[i], arch[i] = st.HubSpotID, string(p), string(sy), st.ModifiedAt, st.ArchivedAt
			if merged[i], err = mergedJSON(st.MergedIDs); err != nil {
				return 0, err
			}
		}
		_, err := tx.Exec(ctx, `
INSERT INTO inbox_state AS s (portal_id, object_type, hubspot_id, properties, synced, merged_ids, modified_at, archived_at, observed_at)
SELECT DISTINCT ON (h) $1, $2, h, p::jsonb, y::jsonb, CASE WHEN m IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(m::jsonb)) END, t, a, $3
FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[]) WITH ORDINALITY AS x(h, p, y, m, t, a, n)
ORDER BY h, n DESC
ON CONFLICT (portal_id, object_type, hubspot_id) DO UPDATE
SET properties = excluded.properties, synced = excluded.synced, merged_ids = excluded.merged_ids,
    modified_at = excluded.modified_at, archived_at = coalesce(excluded.archived_at, s.archived_at), observed_at = excluded.observed_at
WHERE s.modified_at <= excluded.modified_at`,
			portal, string(b.ObjectType), now, ids, props, synced, merged, mod, arch)
		if err != nil {
			return 0, inboxErr("save inbox_state", err)
		}
	}
	if !b.ModifiedUntil.IsZero() {
		_, err := tx.Exec(ctx, `
INSERT INTO inbox_watermarks AS w (portal_id, object_type, modified_until, checked_at) VALUES ($1, $2, $3, NULL)
ON CONFLICT (portal_id, object_type) DO UPDATE
SET modified_until = greatest(w.modified_until, excluded.modified_until)`, portal, string(b.ObjectType), b.ModifiedUntil)
		if err != nil {
			return 0, inboxErr("move the watermark", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, inboxErr("commit", err)
	}
	return written, nil
}

// LockInboxType takes this process's hold on polling one object type, so
// that several syncd processes on one schema poll each type once between
// them instead of each spending HubSpot's search budget on the same
// records. ok is false, with nothing to release, while another process
// holds it. The hold is a PostgreSQL session advisory lock on a connection
// kept for it: a process that dies lets go with its connection.
func (s *Store) LockInboxType(ctx context.Context, portal int64, objectType ObjectType) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, inboxErr("lock "+string(objectType), err)
	}
	const key = `hashtext('syncd.inbox.' || current_schema() || '.' || ($1::bigint)::text || '.' || $2::text)`
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+key+`)`, portal, string(objectType)).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, inboxErr("lock "+string(objectType), err)
		}
		return nil, false, nil
	}
	return func() {
		// An unlock that fails (the connection broke) ends the session, and
		// the lock with it: the connection is not handed back to the pool.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`, portal, string(objectType)); err != nil {
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
			return
		}
		conn.Release()
	}, true, nil
}

// InboxChecked records that a read of objectType that started at
// startedAt (the store's time, Now) reached the end of HubSpot's changes.
func (s *Store) InboxChecked(ctx context.Context, portal int64, objectType ObjectType, startedAt time.Time) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO inbox_watermarks AS w (portal_id, object_type, modified_until, checked_at) VALUES ($1, $2, NULL, $3)
ON CONFLICT (portal_id, object_type) DO UPDATE SET checked_at = greatest(w.checked_at, excluded.checked_at)`,
		portal, string(objectType), startedAt)
	if err != nil {
		return inboxErr("record the check", err)
	}
	return nil
}

// DeleteConsumedInbox deletes inbox rows consumed longer than retention ago
// (the store's clock) and returns how many. Retention 0 keeps them all.
func (s *Store) DeleteConsumedInbox(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM inbox WHERE consumed_at IS NOT NULL AND consumed_at < `+sqlNow(1)+` - $2::interval`,
		s.offset(), retention)
	if err != nil {
		return 0, inboxErr("delete consumed rows", err)
	}
	return tag.RowsAffected(), nil
}

// InboxBacklog is the inbox's state for one object type: unconsumed rows
// and the watermark.
type InboxBacklog struct {
	ObjectType ObjectType `json:"object_type"`
	Unconsumed int        `json:"unconsumed"`
	// Oldest is the observation time of the oldest unconsumed row.
	Oldest *time.Time `json:"oldest_unconsumed,omitempty"`
	// ModifiedUntil and CheckedAt are the watermark's; nil before the first.
	ModifiedUntil *time.Time `json:"modified_until,omitempty"`
	CheckedAt     *time.Time `json:"checked_at,omitempty"`
	// WatermarkAge is the store's time less CheckedAt; 0 when never checked.
	WatermarkAge time.Duration `json:"-"`
}

// InboxBacklogs returns the inbox's backlog and watermark per object type
// that has either, in object type order.
func (s *Store) InboxBacklogs(ctx context.Context) ([]InboxBacklog, error) {
	rows, err := s.pool.Query(ctx, `
WITH b AS (
    SELECT object_type, count(*) AS n, min(observed_at) AS oldest FROM inbox WHERE consumed_at IS NULL GROUP BY object_type
), w AS (
    SELECT object_type, max(modified_until) AS until, max(checked_at) AS checked
    FROM inbox_watermarks GROUP BY object_type
)
SELECT coalesce(b.object_type, w.object_type), coalesce(b.n, 0), b.oldest, w.until, w.checked,
       extract(epoch FROM `+sqlNow(1)+` - w.checked)
FROM b FULL JOIN w ON b.object_type = w.object_type
ORDER BY 1`, s.offset())
	if err != nil {
		return nil, inboxErr("read the backlog", err)
	}
	defer rows.Close()
	var out []InboxBacklog
	for rows.Next() {
		var b InboxBacklog
		var t string
		var age *float64
		if err := rows.Scan(&t, &b.Unconsumed, &b.Oldest, &b.ModifiedUntil, &b.CheckedAt, &age); err != nil {
			return nil, inboxErr("read the backlog", err)
		}
		b.ObjectType = ObjectType(t)
		if age != nil {
			b.WatermarkAge = max(0, time.Duration(*age*float64(time.Second)))
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, inboxErr("read the backlog", err)
	}
	return out, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mergedJSON is a record's merged IDs as a JSON array, nil when it has
// none.
func mergedJSON(ids []string) (*string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return new(string(m)), nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func inboxErr(what string, err error) error {
	if err = notMigrated(err); errors.Is(err, ErrNotMigrated) {
		return err
	}
	return fmt.Errorf("store: inbox: %s: %w", what, err)
}
