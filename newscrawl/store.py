"""The SQLite store: its schema, its migrations and every SQL statement of the project.

A crawl reaches it only through its owner, :class:`newscrawl.ledger.Ledger`, which opens it at start (so
that a locked, unwritable or foreign file stops the run with one sentence) and decides when to commit.
Used on its own, a store commits every ``batch_size`` writes, or when told to (``commit``, ``close``).
The schema is described table by table in ``docs/store.md``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from itemadapter import ItemAdapter

from newscrawl.dates import utc_now
from newscrawl.exceptions import StoreError

if TYPE_CHECKING:
    from newscrawl.items import Article, FeedEntry

# Short, so that a second crawl on the same file fails at open instead of waiting behind the first.
OPEN_BUSY_TIMEOUT_MS = 200
# Once open, a reader (sqlite3 shell, Datasette) may hold the file briefly: wait for it.
BUSY_TIMEOUT_MS = 10_000

# Everything an editor can change on the page. Not url, language or site_id (identity), not fetched_at
# (changes on every visit): a re-fetch of an untouched page must hash the same.
CONTENT_FIELDS: tuple[str, ...] = (
    "title",
    "lead",
    "body",
    "word_count",
    "published_at",
    "modified_at",
    "category",
    "category_slug",
    "tags",
    "author",
    "image_url",
    "images",
    "has_video",
    "source_agency",
    "translations",
)

# Ordered migrations: user_version N means the first N have run. Append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
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
    """,
    # 2: what makes every run complete. The card an article was stored for (a card counts as known only
    # against it, never against a feed entry that a killed run committed first); the run that wrote it;
    # each listing walk and how it ended; articles that failed and are owed to the next run; and how many
    # bytes of each JSON Lines file the store has committed.
    """
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
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_ARTICLE_COLUMNS = (
    "url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at, "
    "category, category_slug, author, image_url, images, has_video, source_agency, content_hash, "
    "first_seen, last_seen, fetched_at, changed_at, card_title, card_published_at, run_id"
)
_INSERT_ARTICLE = f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 25)})"
_UPDATE_ARTICLE = (
    "UPDATE articles SET story_id = ?, site_id = ?, language = ?, title = ?, lead = ?, body = ?, "
    "word_count = ?, published_at = ?, modified_at = ?, category = ?, category_slug = ?, author = ?, "
    "image_url = ?, images = ?, has_video = ?, source_agency = ?, content_hash = ?, last_seen = ?, "
    "fetched_at = ?, previous_hash = content_hash, previous_changed_at = changed_at, changed_at = ?, "
    "card_title = ?, card_published_at = ?, run_id = ?, version = version + 1 WHERE url = ?"
)
_TABLES = (
    "stories",
    "articles",
    "tags",
    "translations",
    "url_aliases",
    "feed_entries",
    "gone",
    "runs",
    "walks",
    "failures",
)


@dataclass(frozen=True, slots=True)
class Run:
    """A finished crawl as recorded in the ``runs`` table."""

    id: int
    spider: str
    started_at: str
    finished_at: str | None
    clock: str | None
    args: dict[str, Any]
    stats: dict[str, Any]
    finish_reason: str | None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """What a listing card says of its article: enough to tell whether the article changed since."""

    title: str | None
    published_at: str | None
    language: str = ""
    listing: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """An article owed to the next run (table ``failures``)."""

    url: str
    link: str
    language: str
    listing: str | None
    title: str | None
    published_at: str | None
    reason: str
    status: int | None
    attempts: int

    @property
    def card(self) -> Card:
        return Card(self.title, self.published_at, self.language, self.listing)


@dataclass(frozen=True, slots=True)
class Walk:
    """How the latest walk of a listing ended (table ``walks``)."""

    run_id: int
    end_reason: str | None
    complete: bool
    floor: str | None


def content_hash(article: Any) -> str:
    """Hash of an article's content fields (``CONTENT_FIELDS``), independent of when it was fetched.

    >>> from newscrawl.items import Article
    >>> a = Article(url="https://report.az/en/x/y", title="T", body="B", fetched_at="2026-01-29T17:00:00")
    >>> b = Article(url="https://report.az/en/x/y", title="T", body="B", fetched_at="2026-01-30T09:00:00")
    >>> content_hash(a) == content_hash(b)
    True
    >>> content_hash(a) == content_hash(Article(url=a.url, title="T2", body="B"))
    False
    """
    adapter = ItemAdapter(article)
    content = {field: adapter.get(field) for field in CONTENT_FIELDS}
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _error_for(path: Path, exc: Exception) -> StoreError:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return StoreError(
            f"another crawl is writing to {path}; wait for it or set NEWSCRAWL_SQLITE to another file"
        )
    if "not a database" in message or "malformed" in message:
        return StoreError(
            f"{path} is not a SQLite database; move it aside or set NEWSCRAWL_SQLITE to another file"
        )
    return StoreError(
        f"cannot write the SQLite store {path} ({exc}); "
        "set NEWSCRAWL_SQLITE to a file in a writable directory"
    )


class Store:
    """The SQLite store of one crawl: articles, stories, feed entries, aliases, 404s and runs."""

    def __init__(self, connection: sqlite3.Connection, path: Path, batch_size: int | None = None) -> None:
        self.connection = connection
        self.path = path
        # None: the caller commits (the ledger, which must not commit an item before its JSON line).
        self.batch_size = None if batch_size is None else max(1, batch_size)
        self.pending = 0

    # -- opening and closing --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, batch_size: int | None = None) -> Store:
        """Open (creating on first use) and migrate the store at path, or raise StoreError."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory of the SQLite store {path} ({exc.strerror}); "
                "set NEWSCRAWL_SQLITE to a file in a writable directory"
            ) from None
        try:
            # Autocommit at the driver level: this class issues BEGIN/COMMIT itself to batch writes.
            connection = sqlite3.connect(path, timeout=OPEN_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _error_for(path, exc) from None
        store = cls(connection, path, batch_size)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            connection.close()
            raise _error_for(path, exc) from None
        except StoreError:
            connection.close()
            raise
        return store

    def _prepare(self) -> None:
        execute = self.connection.execute
        version = int(execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this newscrawl understands "
                f"({SCHEMA_VERSION}); upgrade newscrawl or set NEWSCRAWL_SQLITE to another file"
            )
        execute(f"PRAGMA busy_timeout = {OPEN_BUSY_TIMEOUT_MS}")
        # The write-lock probe: a second crawl on the same file fails here, once, before any item.
        execute("BEGIN IMMEDIATE")
        try:
            version = int(execute("PRAGMA user_version").fetchone()[0])
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    execute(statement)
            execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            execute("COMMIT")
        except BaseException:
            execute("ROLLBACK")
            raise
        if execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            raise sqlite3.OperationalError("database is locked")
        # In WAL mode NORMAL survives a killed process; only a power cut can lose the last commits.
        execute("PRAGMA synchronous = NORMAL")
        execute("PRAGMA foreign_keys = ON")
        execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def commit(self) -> None:
        """Commit the open batch, if any."""
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")
        self.pending = 0

    def close(self) -> None:
        """Commit and close; a second call does nothing."""
        try:
            self.commit()
        except sqlite3.ProgrammingError:  # already closed
            return
        self.connection.close()

    def _write(self) -> None:
        """Enter the batch's transaction before a write."""
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN IMMEDIATE")

    def _wrote(self) -> None:
        self.pending += 1
        if self.batch_size is not None and self.pending >= self.batch_size:
            self.commit()

    # -- articles ---------------------------------------------------------------------------------------

    def _resolve(self, url: str) -> str:
        row = self.connection.execute("SELECT url FROM url_aliases WHERE alias_url = ?", (url,)).fetchone()
        return str(row[0]) if row else url

    def upsert_article(
        self,
        article: Article | Mapping[str, Any],
        card: Card | None = None,
        run_id: int | None = None,
    ) -> Literal["new", "changed", "unchanged"]:
        """Insert or update an article; keeps first_seen, and on a change the previous hash and time.

        ``card`` is the listing card the article was fetched for: a later card counts as known only while
        it reads the same.
        """
        adapter = ItemAdapter(article)
        url: str = adapter["url"]
        seen = adapter.get("fetched_at") or utc_now()
        digest = content_hash(article)
        card_title, card_published = (card.title, card.published_at) if card else (None, None)
        execute = self.connection.execute
        self._write()
        row = execute("SELECT content_hash, story_id FROM articles WHERE url = ?", (url,)).fetchone()
        if row is not None and row[0] == digest:
            execute(
                "UPDATE articles SET last_seen = ?, fetched_at = ?, card_title = coalesce(?, card_title), "
                "card_published_at = CASE WHEN ? IS NULL THEN card_published_at ELSE ? END, run_id = ? "
                "WHERE url = ?",
                (seen, adapter.get("fetched_at"), card_title, card_title, card_published, run_id, url),
            )
            self._wrote()
            return "unchanged"
        translations: dict[str, str] = dict(adapter.get("translations") or {})
        story_id = self._story_for(url, translations.values(), None if row is None else int(row[1]))
        values = (
            story_id,
            adapter.get("site_id"),
            adapter["language"],
            adapter.get("title"),
            adapter.get("lead"),
            adapter.get("body"),
            adapter.get("word_count"),
            adapter.get("published_at"),
            adapter.get("modified_at"),
            adapter.get("category"),
            adapter.get("category_slug"),
            adapter.get("author"),
            adapter.get("image_url"),
            _json(adapter.get("images")),
            None if adapter.get("has_video") is None else int(bool(adapter.get("has_video"))),
            adapter.get("source_agency"),
            digest,
        )
        bookkeeping = (card_title, card_published, run_id)
        if row is None:
            execute(
                _INSERT_ARTICLE, (url, *values, seen, seen, adapter.get("fetched_at"), seen, *bookkeeping)
            )
        else:
            execute(_UPDATE_ARTICLE, (*values, seen, adapter.get("fetched_at"), seen, *bookkeeping, url))
            execute("DELETE FROM tags WHERE article_url = ?", (url,))
            execute("DELETE FROM translations WHERE article_url = ?", (url,))
        tags = adapter.get("tags") or ()
        if tags:
            self.connection.executemany(
                "INSERT INTO tags (article_url, position, tag) VALUES (?, ?, ?)", _indexed(url, tags)
            )
        if translations:
            self.connection.executemany(
                "INSERT INTO translations (article_url, language, url) VALUES (?, ?, ?)",
                [(url, language, other) for language, other in translations.items()],
            )
        self._wrote()
        return "new" if row is None else "changed"

    def _story_for(self, url: str, translations: Iterable[str], current: int | None) -> int:
        """The story id of url: shared with its translations, merging stories that turn out to be one."""
        execute = self.connection.execute
        found: set[int] = set() if current is None else {current}
        others = [self._resolve(other) for other in translations]
        if others:
            marks = ", ".join("?" * len(others))
            query = f"SELECT story_id FROM articles WHERE url IN ({marks})"
            found.update(int(r[0]) for r in execute(query, others))
        # Articles stored earlier that named this one as their translation.
        query = (
            "SELECT a.story_id FROM translations t JOIN articles a ON a.url = t.article_url WHERE t.url = ?"
        )
        found.update(int(r[0]) for r in execute(query, (url,)))
        if not found:
            return int(execute("INSERT INTO stories DEFAULT VALUES").lastrowid or 0)
        story_id = min(found)
        merged = sorted(found - {story_id})
        if merged:
            marks = ", ".join("?" * len(merged))
            execute(f"UPDATE articles SET story_id = ? WHERE story_id IN ({marks})", (story_id, *merged))
            execute(f"DELETE FROM stories WHERE id IN ({marks})", merged)
        return story_id

    def article_hash(self, url: str) -> str | None:
        """Content hash of the stored article at url (or at the URL it is an alias of), None if unknown."""
        row = self.connection.execute(
            "SELECT content_hash FROM articles WHERE url = ?", (self._resolve(url),)
        ).fetchone()
        return None if row is None else str(row[0])

    def url_for_site_id(self, site_id: str, language: str) -> str | None:
        """URL of the first stored article with this site id in this language."""
        row = self.connection.execute(
            "SELECT url FROM articles WHERE site_id = ? AND language = ? ORDER BY id LIMIT 1",
            (site_id, language),
        ).fetchone()
        return None if row is None else str(row[0])

    def add_alias(self, alias_url: str, url: str) -> None:
        """Record alias_url as another address of the article at url."""
        if alias_url == url:
            return
        self._write()
        self.connection.execute(
            "INSERT INTO url_aliases (alias_url, url, first_seen) VALUES (?, ?, ?) "
            "ON CONFLICT (alias_url) DO UPDATE SET url = excluded.url",
            (alias_url, self._resolve(url), utc_now()),
        )
        self._wrote()

    def story_id(self, url: str) -> int | None:
        """Story id of the stored article at url."""
        row = self.connection.execute(
            "SELECT story_id FROM articles WHERE url = ?", (self._resolve(url),)
        ).fetchone()
        return None if row is None else int(row[0])

    def search(self, query: str, limit: int = 20) -> list[str]:
        """URLs of the articles whose title or body match an FTS5 query, best match first."""
        rows = self.connection.execute(
            "SELECT a.url FROM articles_fts f JOIN articles a ON a.id = f.rowid "
            "WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ?",
            (query, limit),
        )
        return [str(r[0]) for r in rows]

    # -- cards: known, gone, failed -----------------------------------------------------------------------

    def card_known(self, url: str, card: Card, before_run: int | None = None) -> bool:
        """Whether the article behind a card needs no request: stored (or remembered as gone) for a card
        that read the same, by a run before ``before_run``.

        The comparison is against the card the article itself was stored for, never against the latest
        feed entry: a killed run may have committed a corrected card without the corrected article.
        """
        execute = self.connection.execute
        target = self._resolve(url)
        run_limit = before_run if before_run is not None else -1
        card_values = (card.title, card.published_at)
        row = execute(
            "SELECT 1 FROM articles WHERE url = ? AND card_title IS ? AND card_published_at IS ? "
            "AND (? < 0 OR run_id IS NULL OR run_id < ?) "
            "UNION ALL SELECT 1 FROM gone WHERE url IN (?, ?) AND title IS ? AND published_at IS ? LIMIT 1",
            (target, card.title, card.published_at, run_limit, run_limit, *(url, target), *card_values),
        ).fetchone()
        return row is not None

    def remember_gone(self, url: str, card: Card, status: int) -> None:
        """Record that the article page at url answered status (a 404), with the card that linked it."""
        self._write()
        self.connection.execute(
            "INSERT INTO gone (url, title, published_at, status, seen_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET title = excluded.title, published_at = excluded.published_at, "
            "status = excluded.status, seen_at = excluded.seen_at",
            (url, card.title, card.published_at, int(status), utc_now()),
        )
        self._wrote()

    def settle_failure(self, url: str) -> None:
        """The article owed at url was stored or answered 404: nothing is owed any more."""
        self._write()
        self.connection.execute("DELETE FROM failures WHERE url = ?", (url,))
        self._wrote()

    def record_failure(
        self,
        url: str,
        card: Card,
        reason: str,
        status: int | None,
        run_id: int | None,
        link: str | None = None,
    ) -> None:
        """Owe the article at url to the next run: it failed (after retries) or was never requested.
        ``link`` is the URL as the site links it (an old-design page keeps a trailing slash)."""
        now = utc_now()
        self._write()
        self.connection.execute(
            "INSERT INTO failures (url, link, language, listing, title, published_at, reason, status, "
            "first_failed, last_failed, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, status = excluded.status, "
            "attempts = attempts + 1, last_failed = excluded.last_failed, run_id = excluded.run_id, "
            "listing = coalesce(excluded.listing, listing)",
            (
                url,
                link or url,
                card.language,
                card.listing,
                card.title,
                card.published_at,
                reason,
                status,
                now,
                now,
                run_id,
            ),
        )
        self._wrote()

    def failures(self) -> list[Failure]:
        """Articles owed by earlier runs, oldest failure first."""
        rows = self.connection.execute(
            "SELECT url, link, language, listing, title, published_at, reason, status, attempts "
            "FROM failures ORDER BY first_failed, url"
        )
        return [Failure(*row) for row in rows]

    # -- feed entries ----------------------------------------------------------------------------------

    def upsert_feed_entry(self, entry: FeedEntry | Mapping[str, Any]) -> Literal["new", "seen"]:
        """Insert a card, or refresh a stored one (same url and listing) keeping its first_seen."""
        adapter = ItemAdapter(entry)
        seen = adapter.get("seen_at") or utc_now()
        key = (adapter["url"], adapter.get("listing") or "")
        card = (
            adapter.get("language"),
            adapter.get("title"),
            adapter.get("published_at"),
            adapter.get("category"),
            adapter.get("image_url"),
            _json(adapter.get("media")),
            adapter.get("listing_url"),
            adapter.get("position"),
        )
        self._write()
        inserted = self.connection.execute(
            "INSERT INTO feed_entries (url, listing, language, title, published_at, category, image_url, "
            "media, listing_url, position, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url, listing) DO NOTHING",
            (*key, *card, seen, seen),
        ).rowcount
        if not inserted:
            self.connection.execute(
                "UPDATE feed_entries SET language = ?, title = ?, published_at = ?, category = ?, "
                "image_url = ?, media = ?, listing_url = ?, position = ?, last_seen = ? "
                "WHERE url = ? AND listing = ?",
                (*card, seen, *key),
            )
        self._wrote()
        return "new" if inserted else "seen"

    # -- listing walks ------------------------------------------------------------------------------------

    def start_walk(self, run_id: int, language: str, listing: str) -> None:
        """Record that a run began to walk a listing; until it ends, the walk is incomplete."""
        self._write()
        self.connection.execute(
            "INSERT INTO walks (run_id, language, listing, started_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (run_id, language, listing, utc_now()),
        )
        self._wrote()

    def end_walk(
        self, run_id: int, language: str, listing: str, pages: int, reason: str, floor: str | None
    ) -> None:
        """Record how a walk ended; ``floor`` (the oldest moment it covers) is None for a cut-off walk."""
        self._write()
        self.connection.execute(
            "UPDATE walks SET ended_at = ?, pages = ?, end_reason = ?, complete = ?, floor = ? "
            "WHERE run_id = ? AND language = ? AND listing = ?",
            (utc_now(), pages, reason, int(floor is not None), floor, run_id, language, listing),
        )
        self._wrote()

    def spoil_walk(self, run_id: int, language: str, listing: str) -> None:
        """Mark a walk incomplete: an article behind one of its cards failed."""
        self._write()
        self.connection.execute(
            "UPDATE walks SET complete = 0, floor = NULL WHERE run_id = ? AND language = ? AND listing = ?",
            (run_id, language, listing),
        )
        self._wrote()

    def last_walk(self, language: str, listing: str, before_run: int) -> Walk | None:
        """The latest walk of a listing by a run before ``before_run``, complete or not."""
        row = self.connection.execute(
            "SELECT run_id, end_reason, complete, floor FROM walks "
            "WHERE language = ? AND listing = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1",
            (language, listing, before_run),
        ).fetchone()
        return None if row is None else Walk(int(row[0]), row[1], bool(row[2]), row[3])

    # -- JSON Lines offsets -------------------------------------------------------------------------------

    def feed_offset(self, path: str) -> int | None:
        """How many bytes of the JSON Lines file at path the store has committed, None if never recorded."""
        row = self.connection.execute("SELECT size FROM feed_offsets WHERE path = ?", (path,)).fetchone()
        return None if row is None else int(row[0])

    def set_feed_offsets(self, sizes: Mapping[str, int], run_id: int | None) -> None:
        """Record file sizes; call inside the transaction that commits the items behind those bytes."""
        if not sizes:
            return
        self._write()
        self.connection.executemany(
            "INSERT INTO feed_offsets (path, size, run_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, run_id = excluded.run_id, "
            "updated_at = excluded.updated_at",
            [(path, size, run_id, utc_now()) for path, size in sizes.items()],
        )

    # -- runs ---------------------------------------------------------------------------------------------

    def start_run(self, spider: str, args: Mapping[str, Any], clock: str) -> int:
        """Record the start of a crawl and return its run id (committed at once)."""
        self._write()
        cursor = self.connection.execute(
            "INSERT INTO runs (spider, started_at, clock, args) VALUES (?, ?, ?, ?)",
            (spider, utc_now(), clock, _json(dict(args))),
        )
        self.commit()
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, stats: Mapping[str, Any], reason: str, outcome: str) -> None:
        """Record the end of a crawl with its stats, finish reason and outcome (committed at once)."""
        self._write()
        self.connection.execute(
            "UPDATE runs SET finished_at = ?, stats = ?, finish_reason = ?, outcome = ? WHERE id = ?",
            (utc_now(), _json(dict(stats)), reason, outcome, run_id),
        )
        self.commit()

    def previous_run(self, spider: str, *, clean: bool = False) -> Run | None:
        """The latest finished run of spider; with ``clean``, the latest whose finish reason is
        ``finished`` (a run stopped by a signal, a block or the network never counts)."""
        row = self.connection.execute(
            "SELECT id, spider, started_at, finished_at, clock, args, stats, finish_reason, outcome "
            "FROM runs "
            "WHERE spider = ? AND finished_at IS NOT NULL AND (? = 0 OR finish_reason = 'finished') "
            "ORDER BY id DESC LIMIT 1",
            (spider, int(clean)),
        ).fetchone()
        if row is None:
            return None
        return Run(
            id=int(row[0]),
            spider=row[1],
            started_at=row[2],
            finished_at=row[3],
            clock=row[4],
            args=json.loads(row[5]),
            stats=json.loads(row[6]) if row[6] else {},
            finish_reason=row[7],
            outcome=row[8],
        )

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        execute = self.connection.execute
        # Table names come from the fixed tuple above, never from input.
        return {table: int(execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in _TABLES}


def recent_runs(path: str | Path, limit: int = 10) -> list[Run]:
    """The last ``limit`` runs of every spider, newest first, finished or not.

    Opens the file read-only and takes no lock, so it answers while a crawl is writing; raises StoreError
    for a missing or foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"there is no store at {path}; run a crawl first, "
            "or point NEWSCRAWL_DATA_DIR or NEWSCRAWL_SQLITE at the store"
        )
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT id, spider, started_at, finished_at, clock, args, stats, finish_reason, outcome "
                "FROM runs ORDER BY id DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
    except sqlite3.Error as exc:
        if "no such table" in str(exc):
            raise StoreError(
                f"{path} is not a newscrawl store; set NEWSCRAWL_SQLITE to the store's file"
            ) from None
        raise _error_for(path, exc) from None
    return [
        Run(
            id=int(row[0]),
            spider=row[1],
            started_at=row[2],
            finished_at=row[3],
            clock=row[4],
            args=json.loads(row[5]),
            stats=json.loads(row[6]) if row[6] else {},
            finish_reason=row[7],
            outcome=row[8],
        )
        for row in rows
    ]


def _indexed(url: str, tags: Iterable[str]) -> list[tuple[str, int, str]]:
    return [(url, position, tag) for position, tag in enumerate(tags)]


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit the open transaction)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
