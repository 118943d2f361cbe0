-- Sourcing decisions with their explanations, and the exception queue.
CREATE TABLE IF NOT EXISTS routing_decisions (
    order_id        TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    decided_at      TEXT NOT NULL,
    strategy        TEXT,
    policy_version  INTEGER,
    fallback        TEXT,
    record          TEXT NOT NULL,
    PRIMARY KEY (order_id, attempt)
);
CREATE TABLE IF NOT EXISTS exceptions (
    order_id  TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    lines     TEXT NOT NULL,
    since     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exceptions_by_kind ON exceptions (kind, since);
