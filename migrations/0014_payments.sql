-- The payments context (issue 10): each payment's state, and the reactions its policy
-- parked (one table per context, as 0004).
CREATE TABLE IF NOT EXISTS payments (
    payment_id        TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL,
    channel           TEXT NOT NULL,
    channel_order_id  TEXT NOT NULL,
    method            TEXT NOT NULL,
    provider          TEXT NOT NULL,
    reference         TEXT NOT NULL,
    status            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    amount            TEXT NOT NULL,
    arrived           TEXT NOT NULL,
    captured          TEXT NOT NULL,
    refunded          TEXT NOT NULL,
    due_on            TEXT,
    expires_at        TEXT,
    version           INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_order ON payments (order_id);
CREATE INDEX IF NOT EXISTS payments_by_method ON payments (method, status);
CREATE TABLE IF NOT EXISTS parked_payments (
    policy      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    topic       TEXT NOT NULL,
    error       TEXT NOT NULL,
    events      TEXT NOT NULL,
    retries     INTEGER NOT NULL,
    since       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (policy, subject)
);
