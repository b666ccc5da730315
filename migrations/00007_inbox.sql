-- +goose Up
-- The way back: what people change in HubSpot, for the ERP to read. syncd
-- polls HubSpot's search on the last-modified property of each configured
-- object type ([inbox] in the config) and writes one inbox row per observed
-- change; the ERP reads the rows and sets consumed_at. See docs/inbox.md.
CREATE TABLE inbox (
    id                 bigserial   PRIMARY KEY,
    portal_id          bigint      NOT NULL,
    object_type        text        NOT NULL CHECK (object_type IN ('contact', 'company', 'deal', 'ticket')),
    hubspot_id         text        NOT NULL,
    erp_id             text,
    kind               text        NOT NULL CHECK (kind IN ('created', 'changed', 'archived', 'merged')),
    changes            jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(changes) = 'object'),
    merged_ids         text[],
    modified_at        timestamptz NOT NULL,
    updated_by_user_id text,
    source             text,
    observed_at        timestamptz NOT NULL DEFAULT now(),
    consumed_at        timestamptz,
    UNIQUE (portal_id, object_type, hubspot_id, modified_at, kind)
);

COMMENT ON TABLE inbox IS 'One row per change syncd observed on a HubSpot record (the [inbox] settings name the object types and properties): what people and other integrations changed, created, archived or merged in HubSpot, never syncd''s own writes. The ERP reads unconsumed rows and sets consumed_at; syncd deletes consumed rows after inbox.retention. See docs/inbox.md.';
COMMENT ON COLUMN inbox.id IS 'Increasing row number: the order syncd observed the changes in.';
COMMENT ON COLUMN inbox.portal_id IS 'The HubSpot account (portal) ID, as in id_map.portal_id.';
COMMENT ON COLUMN inbox.object_type IS 'contact, company, deal or ticket, as in id_map.object_type.';
COMMENT ON COLUMN inbox.hubspot_id IS 'The HubSpot record ID (hs_object_id); for kind merged, the surviving record''s ID.';
COMMENT ON COLUMN inbox.erp_id IS 'The ERP key from the ID map (id_map.erp_id); for kind merged, the key of the surviving record or of a record merged into it. NULL for records the ERP does not know (created in HubSpot).';
COMMENT ON COLUMN inbox.kind IS 'created: a record neither in the ID map nor observed before; changed: properties changed; archived: a record of the ID map archived in HubSpot (not by syncd); merged: records merged into the one named by hubspot_id (merged_ids).';
COMMENT ON COLUMN inbox.changes IS 'The changed properties: {"property": {"old": value, "new": value}}, values as HubSpot''s strings or null. old is what syncd last knew: the value it last wrote (id_map.synced_properties) or last observed, null when it knew none; new is HubSpot''s value. For archived: {}.';
COMMENT ON COLUMN inbox.merged_ids IS 'For kind merged: the HubSpot IDs merged into hubspot_id (hs_merged_object_ids); NULL otherwise.';
COMMENT ON COLUMN inbox.modified_at IS 'HubSpot''s modification time of the record (lastmodifieddate, hs_lastmodifieddate), or its archive time for kind archived. With object_type and hubspot_id it makes a change unique: the same change observed twice is one row.';
COMMENT ON COLUMN inbox.updated_by_user_id IS 'The HubSpot user who made the change (hs_updated_by_user_id, else the property history''s updatedByUserId) when HubSpot says; NULL for integrations and automation.';
COMMENT ON COLUMN inbox.source IS 'Where the change came from when HubSpot says: for changed rows the source of the newest changed value in HubSpot''s property history (sourceType: CRM_UI, INTEGRATION, API, IMPORT, WORKFLOW, …); for created and merged rows where the record came from (hs_object_source); NULL otherwise.';
COMMENT ON COLUMN inbox.observed_at IS 'When syncd observed the change (the database''s clock).';
COMMENT ON COLUMN inbox.consumed_at IS 'Set by the ERP when it has handled the row; NULL while unconsumed. syncd never sets it; it deletes consumed rows older than inbox.retention.';

-- Unconsumed rows in order, for the ERP's reads and the backlog figures.
CREATE INDEX inbox_unconsumed_idx ON inbox (object_type, id) WHERE consumed_at IS NULL;
-- Consumed rows by age, for retention.
CREATE INDEX inbox_consumed_idx ON inbox (consumed_at) WHERE consumed_at IS NOT NULL;

-- How far the inbox has read HubSpot's changes, per account and object type.
CREATE TABLE inbox_watermarks (
    portal_id      bigint      NOT NULL,
    object_type    text        NOT NULL CHECK (object_type IN ('contact', 'company', 'deal', 'ticket')),
    modified_until timestamptz,
    checked_at     timestamptz,
    PRIMARY KEY (portal_id, object_type)
);

COMMENT ON TABLE inbox_watermarks IS 'How far syncd has read HubSpot''s changes, one row per HubSpot account and object type. The next inbox cycle searches from modified_until less inbox.overlap (HubSpot''s search lags its writes), so a change is read more than once and recorded once. Deleting a row makes the next cycle read the object type''s whole history again; what the inbox already holds is not repeated (inbox_state).';
COMMENT ON COLUMN inbox_watermarks.portal_id IS 'The HubSpot account (portal) ID.';
COMMENT ON COLUMN inbox_watermarks.object_type IS 'contact, company, deal or ticket.';
COMMENT ON COLUMN inbox_watermarks.modified_until IS 'The latest HubSpot modification time of a record syncd has processed (HubSpot''s clock); NULL before the first record.';
COMMENT ON COLUMN inbox_watermarks.checked_at IS 'When the last inbox cycle that read the object type to the end started (syncd''s clock): every change made before this less HubSpot''s search lag is in the inbox; NULL until a read reaches the end. Its age is the watermark age of syncd status and the metrics.';

-- What syncd last observed of each record, so that "old" is right and a
-- change read again in the overlap is not reported again.
CREATE TABLE inbox_state (
    portal_id   bigint      NOT NULL,
    object_type text        NOT NULL CHECK (object_type IN ('contact', 'company', 'deal', 'ticket')),
    hubspot_id  text        NOT NULL,
    properties  jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(properties) = 'object'),
    synced      jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(synced) = 'object'),
    merged_ids  text[],
    modified_at timestamptz NOT NULL,
    archived_at timestamptz,
    observed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, object_type, hubspot_id)
);

COMMENT ON TABLE inbox_state IS 'What the inbox last observed of each HubSpot record it read, one row per record: the old value of the record''s next change, and the proof that a change read again (overlap windows, restarted searches) is already in the inbox. Internal to syncd; deleting rows makes the next changes of those records report the ID map''s values (or none) as old.';
COMMENT ON COLUMN inbox_state.portal_id IS 'The HubSpot account (portal) ID.';
COMMENT ON COLUMN inbox_state.object_type IS 'contact, company, deal or ticket.';
COMMENT ON COLUMN inbox_state.hubspot_id IS 'The HubSpot record ID.';
COMMENT ON COLUMN inbox_state.properties IS 'The values of the inbox''s properties as last observed, a JSON object of strings; a property without a value is absent.';
COMMENT ON COLUMN inbox_state.synced IS 'The ID map''s synced values of those properties when they were observed: when id_map.synced_properties differs later, syncd has written since, and the value it wrote is the old value.';
COMMENT ON COLUMN inbox_state.merged_ids IS 'hs_merged_object_ids as last observed, so that a merge is reported once.';
COMMENT ON COLUMN inbox_state.modified_at IS 'HubSpot''s modification time of the version observed: a version not newer is not processed again.';
COMMENT ON COLUMN inbox_state.archived_at IS 'When HubSpot archived the record, once the inbox reported it; NULL otherwise.';
COMMENT ON COLUMN inbox_state.observed_at IS 'When syncd last observed the record (the database''s clock).';

-- +goose Down
DROP TABLE inbox_state;
DROP TABLE inbox_watermarks;
DROP TABLE inbox;
