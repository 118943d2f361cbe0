-- Shipments by location and state: each location's pick list.
CREATE TABLE IF NOT EXISTS shipments (
    shipment_id   TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    location      TEXT NOT NULL,
    status        TEXT NOT NULL,
    lines         TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    carrier       TEXT,
    service       TEXT,
    tracking_number TEXT
);
CREATE INDEX IF NOT EXISTS shipments_by_location ON shipments (location, status, requested_at);
