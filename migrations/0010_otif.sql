-- On Time In Full: one row per order (its promise and what became of it) and one per
-- dispatched shipment (tracked by its carrier, delivered). Timestamps are fixed-width
-- ISO-8601 UTC text, so text order is time order in SQLite and PostgreSQL alike.
CREATE TABLE IF NOT EXISTS otif_orders (
    order_id                   TEXT PRIMARY KEY,
    channel                    TEXT NOT NULL,
    placed_at                  TEXT NOT NULL,
    day                        TEXT,
    ship_by                    TEXT,
    warn_from                  TEXT,
    at_risk_hours              INTEGER NOT NULL,
    deliver_by                 TEXT,
    lines                      TEXT NOT NULL,
    ordered_units              INTEGER NOT NULL,
    cancelled_units            INTEGER NOT NULL,
    shipped_units              INTEGER NOT NULL,
    delivered_units            INTEGER NOT NULL,
    last_dispatch_at           TEXT,
    last_delivery_at           TEXT,
    cancelled_before_dispatch  INTEGER NOT NULL,
    at_risk_at                 TEXT,
    late_at                    TEXT,
    updated_at                 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS otif_orders_by_day ON otif_orders (day, channel);
CREATE INDEX IF NOT EXISTS otif_orders_by_warning ON otif_orders (warn_from);
CREATE TABLE IF NOT EXISTS otif_shipments (
    shipment_id    TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL,
    units          INTEGER NOT NULL,
    dispatched_at  TEXT NOT NULL,
    tracked        INTEGER NOT NULL,
    delivered_at   TEXT
);
CREATE INDEX IF NOT EXISTS otif_shipments_by_order ON otif_shipments (order_id);
-- When the clock may complete a delivered order (its channel's return window after the
-- last delivery); NULL for any other status.
ALTER TABLE order_status ADD COLUMN complete_after TEXT;
CREATE INDEX IF NOT EXISTS order_status_to_complete ON order_status (complete_after);
