-- +goose Up
-- The outbox: the ERP inserts (entity, erp_id, op, payload); syncd owns every
-- other column. See docs/outbox.md.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity           text        NOT NULL,
    erp_id           text        NOT NULL,
    op               text        NOT NULL DEFAULT 'upsert' CHECK (op IN ('upsert', 'delete')),
    payload          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    state            text        NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'done', 'failed', 'dead', 'superseded')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    processed_at     timestamptz,
    lease_owner      text,
    lease_expires_at timestamptz
);

COMMENT ON TABLE outbox IS 'Changes the ERP asks syncd to send to HubSpot. The ERP inserts entity, erp_id, op and payload; syncd writes every other column.';
COMMENT ON COLUMN outbox.id IS 'Identity; the order of changes. Named in every error syncd reports about the row.';
COMMENT ON COLUMN outbox.entity IS 'customer, company, order, ticket or product.';
COMMENT ON COLUMN outbox.erp_id IS 'The ERP''s own key of the entity (text).';
COMMENT ON COLUMN outbox.op IS 'upsert (default) or delete.';
COMMENT ON COLUMN outbox.payload IS 'The entity''s current state as a JSON object (see docs/outbox.md).';
COMMENT ON COLUMN outbox.created_at IS 'When the ERP wrote the row.';
COMMENT ON COLUMN outbox.state IS 'pending: not yet processed; done: in HubSpot; failed: will be retried at next_attempt_at; dead: gave up after the maximum attempts; superseded: a newer row for the same entity and erp_id was processed instead.';
COMMENT ON COLUMN outbox.attempts IS 'Failed attempts so far.';
COMMENT ON COLUMN outbox.next_attempt_at IS 'A failed row is not retried before this time (exponential backoff with jitter).';
COMMENT ON COLUMN outbox.last_error IS 'Why the last attempt failed, naming the row, entity, key and field, and what to do.';
COMMENT ON COLUMN outbox.processed_at IS 'When the row reached done, dead or superseded.';
COMMENT ON COLUMN outbox.lease_owner IS 'The syncd process holding the row while it processes it.';
COMMENT ON COLUMN outbox.lease_expires_at IS 'After this time another process may claim the row (its owner is presumed dead).';

-- Rows a cycle may claim; done, dead and superseded rows stay out of the index.
CREATE INDEX outbox_claimable_idx ON outbox (next_attempt_at, id)
    WHERE state IN ('pending', 'failed');
-- Coalescing looks up all open rows of one key.
CREATE INDEX outbox_key_idx ON outbox (entity, erp_id, id)
    WHERE state IN ('pending', 'failed');

-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One notification per statement; the payload is the schema, so that
    -- several syncd schemas in one database wake only their own daemon.
    PERFORM pg_notify('syncd_outbox', TG_TABLE_SCHEMA);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

COMMENT ON FUNCTION outbox_notify() IS 'Wakes syncd run (LISTEN syncd_outbox) when the ERP inserts outbox rows; the payload is the schema name.';

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- The ID map: one row per HubSpot record syncd knows. See docs/id-map.md.
CREATE TABLE id_map (
    portal_id         bigint      NOT NULL,
    object_type       text        NOT NULL
                      CHECK (object_type IN ('contact', 'company', 'deal', 'line_item', 'product', 'ticket')),
    erp_id            text        NOT NULL,
    hubspot_id        text        NOT NULL,
    first_synced_at   timestamptz NOT NULL DEFAULT now(),
    last_synced_at    timestamptz NOT NULL DEFAULT now(),
    archived_at       timestamptz,
    synced_properties jsonb       NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (portal_id, object_type, erp_id)
);

COMMENT ON TABLE id_map IS 'One row per HubSpot record syncd knows: the ERP key and the HubSpot record ID, per HubSpot account.';
COMMENT ON COLUMN id_map.portal_id IS 'The HubSpot account (portal) ID; IDs from a sandbox never mix with production.';
COMMENT ON COLUMN id_map.object_type IS 'contact, company, deal, line_item, product or ticket.';
COMMENT ON COLUMN id_map.erp_id IS 'The ERP key (outbox.erp_id); line items: <order erp_id>/<line_id>.';
COMMENT ON COLUMN id_map.hubspot_id IS 'The HubSpot record ID (hs_object_id).';
COMMENT ON COLUMN id_map.first_synced_at IS 'When syncd first learnt the HubSpot ID.';
COMMENT ON COLUMN id_map.last_synced_at IS 'When syncd last wrote to or matched the record.';
COMMENT ON COLUMN id_map.archived_at IS 'When syncd archived the record in HubSpot (ERP delete); NULL while it is live.';
COMMENT ON COLUMN id_map.synced_properties IS 'The HubSpot property values syncd last wrote, as a JSON object of strings; the next run sends only properties whose value differs.';

CREATE INDEX id_map_hubspot_id_idx ON id_map (portal_id, object_type, hubspot_id);
CREATE INDEX id_map_hubspot_id_only_idx ON id_map (hubspot_id);

-- Associations syncd has created, so that the same one is never sent twice.
CREATE TABLE associations (
    portal_id       bigint      NOT NULL,
    from_type       text        NOT NULL,
    from_hubspot_id text        NOT NULL,
    to_type         text        NOT NULL,
    to_hubspot_id   text        NOT NULL,
    type_id         integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, from_type, from_hubspot_id, to_type, to_hubspot_id, type_id)
);

COMMENT ON TABLE associations IS 'Associations syncd has created in HubSpot; one row per direction and type as sent.';
COMMENT ON COLUMN associations.portal_id IS 'The HubSpot account (portal) ID.';
COMMENT ON COLUMN associations.from_type IS 'Object type of the source record (contact, company, deal, line_item, product, ticket).';
COMMENT ON COLUMN associations.from_hubspot_id IS 'HubSpot record ID of the source record.';
COMMENT ON COLUMN associations.to_type IS 'Object type of the target record.';
COMMENT ON COLUMN associations.to_hubspot_id IS 'HubSpot record ID of the target record.';
COMMENT ON COLUMN associations.type_id IS 'HubSpot association type ID (HUBSPOT_DEFINED), e.g. 1 = contact to primary company, 279 = contact to company (unlabeled).';
COMMENT ON COLUMN associations.created_at IS 'When syncd created the association.';

-- Sync cycles, for operators.
CREATE TABLE runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner       text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    counts      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error       text
);

COMMENT ON TABLE runs IS 'One row per sync cycle.';
COMMENT ON COLUMN runs.id IS 'Identity.';
COMMENT ON COLUMN runs.owner IS 'The syncd process that ran the cycle (host and process ID).';
COMMENT ON COLUMN runs.started_at IS 'When the cycle started.';
COMMENT ON COLUMN runs.finished_at IS 'When the cycle finished; NULL while it runs or when the process died.';
COMMENT ON COLUMN runs.counts IS 'The cycle summary: rows, created, updated, unchanged, deleted, failed, dead, superseded, HubSpot calls.';
COMMENT ON COLUMN runs.error IS 'The error that stopped the cycle, if any (never a credential).';

CREATE INDEX runs_started_at_idx ON runs (started_at DESC);

-- Analysts' view: the ID map with HubSpot's object type IDs and record links.
CREATE VIEW id_map_links AS
SELECT m.portal_id,
       m.object_type,
       m.erp_id,
       m.hubspot_id,
       t.object_type_id,
       'https://app.hubspot.com/contacts/' || m.portal_id || '/record/' || t.object_type_id || '/' || m.hubspot_id AS hubspot_url,
       m.first_synced_at,
       m.last_synced_at,
       m.archived_at
FROM id_map m
JOIN (VALUES ('contact', '0-1'), ('company', '0-2'), ('deal', '0-3'),
             ('ticket', '0-5'), ('product', '0-7'), ('line_item', '0-8'))
     AS t (object_type, object_type_id) USING (object_type);

COMMENT ON VIEW id_map_links IS 'The ID map with HubSpot object type IDs and a link to each record in HubSpot''s UI.';
COMMENT ON COLUMN id_map_links.object_type_id IS 'HubSpot''s object type ID: 0-1 contact, 0-2 company, 0-3 deal, 0-5 ticket, 0-7 product, 0-8 line item.';
COMMENT ON COLUMN id_map_links.hubspot_url IS 'Link to the record in HubSpot: https://app.hubspot.com/contacts/{portal_id}/record/{object_type_id}/{hubspot_id}.';

-- +goose Down
DROP VIEW id_map_links;
DROP TABLE runs;
DROP TABLE associations;
DROP TABLE id_map;
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
DROP TABLE outbox;
