-- Change logs for incremental exports (docs/datasets.md). Every insert, update or delete of an article or
-- a feed entry gives its key a new, strictly increasing sequence number (AUTOINCREMENT never reuses one),
-- kept once per key: the latest. An export remembers the highest number it has written; the next
-- incremental export reads only the keys above it, instead of the whole store. Triggers keep the logs, so
-- every writer (the crawl, the archive re-extraction, story merges, migrations to come) is covered.
-- The tags and translations of an article change only with its row, which the update trigger sees.
CREATE TABLE article_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE
);
CREATE TABLE feed_entry_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    listing TEXT NOT NULL,
    UNIQUE (url, listing)
);
INSERT INTO article_changes (url) SELECT url FROM articles ORDER BY id;
INSERT INTO feed_entry_changes (url, listing) SELECT url, listing FROM feed_entries ORDER BY rowid;
CREATE TRIGGER article_changes_insert AFTER INSERT ON articles BEGIN
    INSERT OR REPLACE INTO article_changes (url) VALUES (new.url);
END;
CREATE TRIGGER article_changes_update AFTER UPDATE OF
    url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at, category,
    category_slug, author, image_url, images, has_video, source_agency, source_agency_text, content_hash,
    version, first_seen, last_seen, changed_at, fetched_at
ON articles BEGIN
    INSERT OR REPLACE INTO article_changes (url) VALUES (new.url);
END;
CREATE TRIGGER article_changes_rename AFTER UPDATE OF url ON articles WHEN old.url != new.url BEGIN
    INSERT OR REPLACE INTO article_changes (url) VALUES (old.url);
END;
CREATE TRIGGER article_changes_delete AFTER DELETE ON articles BEGIN
    INSERT OR REPLACE INTO article_changes (url) VALUES (old.url);
END;
CREATE TRIGGER feed_entry_changes_insert AFTER INSERT ON feed_entries BEGIN
    INSERT OR REPLACE INTO feed_entry_changes (url, listing) VALUES (new.url, new.listing);
END;
CREATE TRIGGER feed_entry_changes_update AFTER UPDATE ON feed_entries BEGIN
    INSERT OR REPLACE INTO feed_entry_changes (url, listing) VALUES (new.url, new.listing);
END;
CREATE TRIGGER feed_entry_changes_rekey AFTER UPDATE OF url, listing ON feed_entries
WHEN old.url != new.url OR old.listing != new.listing BEGIN
    INSERT OR REPLACE INTO feed_entry_changes (url, listing) VALUES (old.url, old.listing);
END;
CREATE TRIGGER feed_entry_changes_delete AFTER DELETE ON feed_entries BEGIN
    INSERT OR REPLACE INTO feed_entry_changes (url, listing) VALUES (old.url, old.listing);
END;
-- A full export reads each edition in publication order, a partition (language, day) after the other,
-- in batches: this index gives that order without sorting the articles and their bodies. Feed entries are
-- small rows that SQLite sorts quickly, and a card is written far more often than it is exported: they
-- have no such index.
CREATE INDEX articles_language_published ON articles(language, published_at, url);
