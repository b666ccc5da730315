-- +goose Up
-- A row whose referenced record has an open outbox row that another process
-- holds, or that waits for its retry, waits for that row instead of failing;
-- waiting_for names it. A row written without the fields syncd refused
-- (sync.invalid_field = "skip") keeps them in warnings. See docs/outbox.md.
ALTER TABLE outbox ADD COLUMN waiting_for bigint;
ALTER TABLE outbox ADD COLUMN warnings text[];

COMMENT ON COLUMN outbox.waiting_for IS 'While the row is pending: the id of the outbox row of a record it references (customer_id, company_id, order_id, an item''s sku) that must reach HubSpot first, because another process holds it or it waits for its retry. The row is retried when that row is recorded, without spending an attempt. NULL otherwise.';
COMMENT ON COLUMN outbox.warnings IS 'Values syncd did not sync as sent although the row is done: fields it refused and left out (sync.invalid_field = "skip"), and repairs such as a restored leading 0 or further numbers of a phone cell; one message per entry, naming the row, entity, key and field. NULL when none.';

-- Rows waiting for another row, found when that row is recorded.
CREATE INDEX outbox_waiting_for_idx ON outbox (waiting_for)
    WHERE waiting_for IS NOT NULL;
-- Open product rows by SKU: order items name products by SKU or ERP key,
-- and a claim takes the product rows its orders need.
CREATE INDEX outbox_product_sku_idx ON outbox ((btrim(payload ->> 'sku')))
    WHERE entity = 'product' AND state IN ('pending', 'failed');
-- The newest rows with warnings, for syncd status.
CREATE INDEX outbox_warnings_idx ON outbox (id)
    WHERE warnings IS NOT NULL;

-- +goose Down
DROP INDEX outbox_warnings_idx;
DROP INDEX outbox_product_sku_idx;
DROP INDEX outbox_waiting_for_idx;
ALTER TABLE outbox DROP COLUMN warnings;
ALTER TABLE outbox DROP COLUMN waiting_for;
