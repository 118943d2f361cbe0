-- Keys the query side signs with (paging cursors), made once per deployment by the first
-- process that needs one and shared by every process reading these models.
CREATE TABLE IF NOT EXISTS read_model_keys (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
