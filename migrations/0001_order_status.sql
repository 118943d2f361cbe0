-- Order status read model: one row per order, the list columns plus the
-- detail document. Timestamps are ISO-8601 UTC text with a fixed width, so
-- they sort and compare the same in SQLite and PostgreSQL.
CREATE TABLE IF NOT EXISTS order_status (
    order_id          TEXT PRIMARY KEY,
    channel           TEXT NOT NULL,
    channel_order_id  TEXT NOT NULL,
    status            TEXT NOT NULL,
    customer_email    TEXT NOT NULL,
    customer_name     TEXT NOT NULL,
    placed_at         TEXT NOT NULL,
    currency          TEXT NOT NULL,
    total             TEXT NOT NULL,
    line_count        INTEGER NOT NULL,
    detail            TEXT NOT NULL,
    version           INTEGER NOT NULL,
    applied_events    INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS order_status_by_placed ON order_status (placed_at, order_id);
CREATE INDEX IF NOT EXISTS order_status_by_channel ON order_status (channel, placed_at, order_id);
CREATE INDEX IF NOT EXISTS order_status_by_status ON order_status (status, placed_at, order_id);
CREATE INDEX IF NOT EXISTS order_status_by_email ON order_status (customer_email);
CREATE INDEX IF NOT EXISTS order_status_by_channel_order_id ON order_status (channel_order_id);
