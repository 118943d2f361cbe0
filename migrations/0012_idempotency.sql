-- Answers to requests sent with an Idempotency-Key (api/http/idempotency.py), one row per
-- claim (domain/claims.py: credential, route and key). The claim itself is an event saved
-- with the command; this row only keeps its answer for replays, and a lease while a request
-- with the key runs, so other processes answer 409 instead of racing. Losing a row loses no
-- guarantee: the claim in the event store still stops the command from running twice.
-- Timestamps are fixed-width ISO-8601 UTC text.
CREATE TABLE IF NOT EXISTS idempotency_answers (
    claim_id         TEXT PRIMARY KEY,
    fingerprint      TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    in_flight_until  TEXT,
    status           INTEGER,
    headers          TEXT,
    body             TEXT,
    context          TEXT,
    position         INTEGER
);
CREATE INDEX IF NOT EXISTS idempotency_answers_by_expiry ON idempotency_answers (expires_at);
