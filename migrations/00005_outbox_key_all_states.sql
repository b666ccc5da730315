-- +goose Up
-- syncd backfill skips a row when the outbox already holds the same entity,
-- erp_id and payload, in any state: done rows included, which the partial
-- outbox_key_idx leaves out. Without this index that check scans the whole
-- outbox once per chunk, and on fresh statistics-less growth the planner
-- may even scan it once per row.
CREATE INDEX outbox_entity_erp_id_idx ON outbox (entity, erp_id);

-- +goose Down
DROP INDEX outbox_entity_erp_id_idx;
