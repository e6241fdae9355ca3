-- The first schema: articles and stories, tags, translations, aliases, cards, 404s, runs, full-text search.
CREATE TABLE stories (
    id INTEGER PRIMARY KEY
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    story_id INTEGER NOT NULL REFERENCES stories(id),
    site_id TEXT,
    language TEXT NOT NULL,
    title TEXT,
    lead TEXT,
    body TEXT,
    word_count INTEGER,
    published_at TEXT,
    modified_at TEXT,
    category TEXT,
    category_slug TEXT,
    author TEXT,
    image_url TEXT,
    images TEXT,
    has_video INTEGER,
    source_agency TEXT,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    fetched_at TEXT,
    changed_at TEXT NOT NULL,
    previous_hash TEXT,
    previous_changed_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_site_id ON articles(site_id, language);
CREATE INDEX articles_story_id ON articles(story_id);
CREATE INDEX articles_published_at ON articles(published_at);
CREATE TABLE tags (
    article_url TEXT NOT NULL REFERENCES articles(url) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_url, position)
);
CREATE INDEX tags_tag ON tags(tag);
CREATE TABLE translations (
    article_url TEXT NOT NULL REFERENCES articles(url) ON DELETE CASCADE,
    language TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (article_url, language)
);
CREATE INDEX translations_url ON translations(url);
CREATE TABLE url_aliases (
    alias_url TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE TABLE feed_entries (
    url TEXT NOT NULL,
    listing TEXT NOT NULL,
    language TEXT,
    title TEXT,
    published_at TEXT,
    category TEXT,
    image_url TEXT,
    media TEXT,
    listing_url TEXT,
    position INTEGER,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (url, listing)
);
CREATE INDEX feed_entries_last_seen ON feed_entries(url, last_seen);
CREATE TABLE gone (
    url TEXT PRIMARY KEY,
    title TEXT,
    published_at TEXT,
    status INTEGER NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    spider TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    clock TEXT,
    args TEXT NOT NULL,
    stats TEXT,
    finish_reason TEXT
);
CREATE INDEX runs_spider ON runs(spider, finished_at);
-- External-content FTS5: the text lives once, in articles; rowid = articles.id, which an explicit
-- INTEGER PRIMARY KEY keeps stable across VACUUM (a bare rowid would not be). content="articles" in
-- double quotes is the form Datasette looks for to offer its search box.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, content="articles", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
