-- Followers that are not running normally (failing to reach their store, or
-- stalled on an event they cannot apply), so /ready in any process shows them.
CREATE TABLE IF NOT EXISTS follower_status (
    name             TEXT PRIMARY KEY,
    state            TEXT NOT NULL,
    error            TEXT,
    notification_id  BIGINT,
    topic            TEXT,
    since            TEXT
);
-- Reactions a policy parked, one table per context the parking is recorded in
-- (each is its own projection, rebuilt on its own).
CREATE TABLE IF NOT EXISTS parked_orders (
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
CREATE TABLE IF NOT EXISTS parked_fulfilment (
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
