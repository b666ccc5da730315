-- +goose Up
-- The deal and ticket pipelines syncd last read from HubSpot, per account
-- and object type, so that every process of the schema, a newly started
-- `syncd run --once` included, maps ERP statuses to stages without reading
-- them again while the read is younger than sync.pipeline_refresh. See
-- docs/operations.md, Limits.
CREATE TABLE pipelines (
    portal_id   bigint      NOT NULL,
    object_type text        NOT NULL CHECK (object_type IN ('deals', 'tickets')),
    pipelines   jsonb       NOT NULL CHECK (jsonb_typeof(pipelines) = 'array'),
    read_at     timestamptz NOT NULL,
    PRIMARY KEY (portal_id, object_type)
);

COMMENT ON TABLE pipelines IS 'HubSpot''s deal and ticket pipelines with their stages as syncd last read them, one row per HubSpot account and object type, shared by every syncd process of this schema. Used while younger than sync.pipeline_refresh; read again at once when a configured pipeline or stage is missing from it or HubSpot refuses a stage taken from it (the row is then deleted). A cache: deleting rows costs one HubSpot read each.';
COMMENT ON COLUMN pipelines.portal_id IS 'The HubSpot account (portal) ID the pipelines belong to, as in id_map.portal_id.';
COMMENT ON COLUMN pipelines.object_type IS 'deals or tickets: the HubSpot object type whose pipelines these are.';
COMMENT ON COLUMN pipelines.pipelines IS 'The live pipelines as HubSpot''s pipelines API returned them, archived pipelines and stages left out: [{"id", "label", "displayOrder", "stages": [{"id", "label", "displayOrder", "metadata": {…}}]}].';
COMMENT ON COLUMN pipelines.read_at IS 'When syncd read the pipelines from HubSpot (the reading process''s clock).';

-- +goose Down
DROP TABLE pipelines;
