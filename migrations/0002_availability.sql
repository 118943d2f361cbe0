-- Locations and stock levels: the availability read model.
CREATE TABLE IF NOT EXISTS locations (
    location_id     TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    country         TEXT NOT NULL,
    active          INTEGER NOT NULL,
    priority        INTEGER NOT NULL,
    daily_capacity  INTEGER NOT NULL,
    detail          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS location_channels (
    code     TEXT NOT NULL,
    channel  TEXT NOT NULL,
    PRIMARY KEY (code, channel)
);
CREATE INDEX IF NOT EXISTS location_channels_by_channel ON location_channels (channel, code);
CREATE TABLE IF NOT EXISTS stock_levels (
    item_id        TEXT PRIMARY KEY,
    location_code  TEXT NOT NULL,
    sku            TEXT NOT NULL,
    on_hand        INTEGER NOT NULL,
    reserved       INTEGER NOT NULL,
    safety_stock   INTEGER NOT NULL,
    available      INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS stock_levels_by_sku ON stock_levels (sku, location_code);
CREATE INDEX IF NOT EXISTS stock_levels_by_location ON stock_levels (location_code, sku);
