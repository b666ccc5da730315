-- +goose Up
-- A line item's key is <order erp_id>/<line_id>, and a line_id holds no /,
-- so its order is everything before the last /. Finding an order's line
-- items by that column, rather than by a key prefix, is exact (order "A"
-- does not take the line items of order "A/B") and uses an index.
ALTER TABLE id_map ADD COLUMN order_erp_id text GENERATED ALWAYS AS (
    CASE WHEN object_type = 'line_item'
         THEN left(erp_id, length(erp_id) - strpos(reverse(erp_id), '/'))
    END) STORED;

CREATE INDEX id_map_line_items_by_order ON id_map (portal_id, order_erp_id)
    WHERE object_type = 'line_item';

COMMENT ON COLUMN id_map.order_erp_id IS 'For line items, the ERP id of their order (the key before its last /); NULL for other objects. Join it to the deal row of the same portal_id and erp_id.';

-- +goose Down
DROP INDEX id_map_line_items_by_order;
ALTER TABLE id_map DROP COLUMN order_erp_id;
