-- How far `dom relay` has published each context's event log to a JetStream stream:
-- written only after JetStream acknowledged every message up to notification_id.
-- updated_at is fixed-width ISO-8601 UTC text. /ready shows each row beside the
-- context's latest notification id.
CREATE TABLE IF NOT EXISTS relay_positions (
    stream           TEXT NOT NULL,
    context          TEXT NOT NULL,
    notification_id  BIGINT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (stream, context)
);
