-- What makes every run complete. The card an article was stored for (a card counts as known only
-- against it, never against a feed entry that a killed run committed first); the run that wrote it;
-- each listing walk and how it ended; articles that failed and are owed to the next run; and how many
-- bytes of each JSON Lines file the store has committed.
ALTER TABLE articles ADD COLUMN card_title TEXT;
ALTER TABLE articles ADD COLUMN card_published_at TEXT;
ALTER TABLE articles ADD COLUMN run_id INTEGER;
UPDATE articles SET
    card_title = (SELECT f.title FROM feed_entries f WHERE f.url = articles.url
                  ORDER BY f.last_seen DESC, f.rowid DESC LIMIT 1),
    card_published_at = (SELECT f.published_at FROM feed_entries f WHERE f.url = articles.url
                         ORDER BY f.last_seen DESC, f.rowid DESC LIMIT 1);
ALTER TABLE runs ADD COLUMN outcome TEXT;
CREATE TABLE walks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    language TEXT NOT NULL,
    listing TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    end_reason TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    floor TEXT,
    PRIMARY KEY (run_id, language, listing)
);
CREATE INDEX walks_listing ON walks(language, listing, run_id);
CREATE TABLE failures (
    url TEXT PRIMARY KEY,
    link TEXT NOT NULL,
    language TEXT NOT NULL,
    listing TEXT,
    title TEXT,
    published_at TEXT,
    reason TEXT NOT NULL,
    status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 1,
    first_failed TEXT NOT NULL,
    last_failed TEXT NOT NULL,
    run_id INTEGER
);
CREATE TABLE feed_offsets (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    run_id INTEGER,
    updated_at TEXT NOT NULL
);
