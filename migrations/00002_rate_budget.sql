-- +goose Up
-- The HubSpot rate budget shared by every syncd process that uses this
-- schema: how many calls each budget made in each 100 ms slot. Rows older
-- than a minute are deleted as new calls are counted.
CREATE TABLE rate_ledger (
    budget text    NOT NULL CHECK (budget IN ('burst', 'search')),
    slot   bigint  NOT NULL,
    calls  integer NOT NULL CHECK (calls > 0),
    PRIMARY KEY (budget, slot)
);

COMMENT ON TABLE rate_ledger IS 'HubSpot calls made by all syncd processes of this schema, per budget and 100 ms slot, so that together they keep within the account''s burst and search limits. Written by syncd; rows older than a minute are pruned.';
COMMENT ON COLUMN rate_ledger.budget IS 'burst (every call except search, 10-second rolling window) or search (per-second window).';
COMMENT ON COLUMN rate_ledger.slot IS 'Start of the slot in Unix time, in units of 100 ms.';
COMMENT ON COLUMN rate_ledger.calls IS 'Calls made in the slot.';

-- +goose Down
DROP TABLE rate_ledger;
