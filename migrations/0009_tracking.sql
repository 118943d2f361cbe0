-- Issue 9, shipments to the door.
-- The exception queue holds several entries per order: the order's own (it waits for stock
-- or a person: entry 'order:<order id>') and one per lost or returned shipment
-- ('shipment:<shipment id>'); room for more kinds (at_risk, late) keyed the same way.
CREATE TABLE exception_entries (
    entry_id     TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    shipment_id  TEXT,
    reason       TEXT NOT NULL,
    lines        TEXT NOT NULL,
    since        TEXT NOT NULL,
    resolved_at  TEXT,
    resolution   TEXT
);
INSERT INTO exception_entries (entry_id, order_id, kind, reason, lines, since, resolved_at,
                               resolution)
SELECT 'order:' || order_id, order_id, kind, reason, lines, since, resolved_at, resolution
FROM exceptions;
DROP TABLE exceptions;
ALTER TABLE exception_entries RENAME TO exceptions;
CREATE INDEX IF NOT EXISTS exceptions_of_order ON exceptions (order_id);
CREATE INDEX IF NOT EXISTS exceptions_by_kind ON exceptions (kind, since);
-- When the carrier delivered a shipment (its time).
ALTER TABLE shipments ADD COLUMN delivered_at TEXT;
-- Each carrier's tracking webhook secret (HMAC-SHA256). Kept here, not in the event log:
-- events are immutable and replayed for audits, a secret must be replaceable and never
-- copied into every rebuild or export. Set by PUT /carriers/{code}/tracking-secret or
-- `dom carriers secret CODE`; never answered by any GET.
CREATE TABLE IF NOT EXISTS carrier_secrets (
    carrier  TEXT PRIMARY KEY,
    secret   TEXT NOT NULL,
    set_at   TEXT NOT NULL
);
