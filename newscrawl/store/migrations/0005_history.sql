-- Windows of the past read through the batch cursor (-a since=... -a until=...), one row per edition's
-- listing and window (since .. until, both inclusive, as UTC ISO instants). reached is the cursor (the
-- raw data-timestamp of the oldest card) down to which every card of the window was read and every
-- article behind them stored, remembered as gone or owed in failures; reached_at is that card's
-- publishing time. A run of the same window enters the listing at reached instead of at until. done:
-- the walk passed since (or the listing's end) and nothing above it is outstanding.
CREATE TABLE history (
    language TEXT NOT NULL,
    listing TEXT NOT NULL,
    since TEXT NOT NULL,
    until TEXT NOT NULL,
    reached TEXT,
    reached_at TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    run_id INTEGER,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (language, listing, since, until)
);
