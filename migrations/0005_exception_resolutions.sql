-- An exception a person resolved with a note stays on record for the order's detail,
-- out of the queue, until the order's next decision.
ALTER TABLE exceptions ADD COLUMN resolved_at TEXT;
ALTER TABLE exceptions ADD COLUMN resolution TEXT;
