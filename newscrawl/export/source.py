"""Reading the store for an export: a read-only connection, the selection, and the rows of each table.

The store is opened read-only (a crawl may be writing), and every table is read inside one transaction,
so an export is one consistent picture of the store. Columns are named explicitly: columns the store
gains later do not change the export.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.export.tables import ARTICLES, FEED_ENTRIES, STORIES
from newscrawl.site import LANGUAGES, SITE, language_of


class ExportError(Exception):
    """The export cannot run; the message is one sentence that names the fix."""


# A row ready for a writer: its key, its partition (language, day) or None, and its column values.
@dataclass(frozen=True, slots=True)
class Row:
    key: str
    partition: tuple[str, str | None] | None
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which articles and cards to export: publication days (inclusive), languages, category slugs."""

    since: date | None = None
    until: date | None = None
    languages: tuple[str, ...] = LANGUAGES
    categories: tuple[str, ...] = ()  # empty: every category

    def describe(self) -> dict[str, Any]:
        """The selection as JSON-ready data, as the state file and the card record it.

        >>> Selection(since=date(2026, 1, 1), languages=("en",)).describe()
        {'since': '2026-01-01', 'until': None, 'languages': ['en'], 'categories': []}
        """
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "languages": list(self.languages),
            "categories": list(self.categories),
        }


def _day(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ExportError(f"--{name} must be a day written YYYY-MM-DD, such as 2026-01-29 (got {value!r})")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ExportError(f"--{name} {value!r} is not a calendar day; write it YYYY-MM-DD") from None


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def parse_selection(
    since: str | None = None, until: str | None = None, lang: str | None = None, category: str | None = None
) -> Selection:
    """Check the command-line selection; category slugs are checked against the store later.

    >>> parse_selection(since="2026-01-28", lang="en,ru").languages
    ('en', 'ru')
    >>> parse_selection(lang="de")
    Traceback (most recent call last):
    ...
    newscrawl.export.source.ExportError: --lang must be a comma list of az, en, ru (got 'de')
    >>> parse_selection(since="yesterday")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.export.source.ExportError: --since must be a day written YYYY-MM-DD, such as 2026-01-29 ...
    """
    first, last = _day("since", since), _day("until", until)
    if first is not None and last is not None and last < first:
        raise ExportError(f"--until {last} is before --since {first}; swap them or widen the range")
    languages = _list(lang) or LANGUAGES
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        raise ExportError(f"--lang must be a comma list of {', '.join(LANGUAGES)} (got {lang!r})")
    return Selection(since=first, until=last, languages=languages, categories=_list(category))


def open_store(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the store at path, or ExportError naming the fix."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(
            f"there is no store at {path}; run `scrapy crawl report_feed` first "
            "or point NEWSCRAWL_SQLITE (or --store) at the crawl's SQLite file"
        )
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise ExportError(
            f"{path} cannot be read as a SQLite store ({exc}); point --store at a newscrawl store"
        ) from None
    missing = {"articles", "feed_entries", "stories"} - tables
    if missing:
        connection.close()
        raise ExportError(
            f"{path} is not a newscrawl store (no table {', '.join(sorted(missing))}); "
            "point --store at the file a crawl wrote"
        )
    return connection


def check_categories(connection: sqlite3.Connection, selection: Selection) -> None:
    """Category slugs must be known to the site model or present in the store."""
    if not selection.categories:
        return
    known = {category.slug for language in SITE.values() for category in language.categories}
    known.update(r[0] for r in connection.execute("SELECT DISTINCT category_slug FROM articles") if r[0])
    unknown = [slug for slug in selection.categories if slug not in known]
    if unknown:
        raise ExportError(
            f"--category {', '.join(unknown)} is not a category slug of report.az; "
            f"use slugs such as {', '.join(sorted(known)[:6])} (all are in newscrawl/site.py)"
        )


def _where(selection: Selection, *, category_sql: str | None, params: list[Any]) -> str:
    clauses = [f"language IN ({', '.join('?' * len(selection.languages))})"]
    params.extend(selection.languages)
    if selection.since is not None:
        clauses.append("substr(published_at, 1, 10) >= ?")
        params.append(selection.since.isoformat())
    if selection.until is not None:
        clauses.append("substr(published_at, 1, 10) <= ?")
        params.append(selection.until.isoformat())
    if selection.categories and category_sql is not None:
        clauses.append(category_sql.replace("{slugs}", ", ".join("?" * len(selection.categories))))
        params.extend(selection.categories)
    return " AND ".join(clauses)


def _day_of(published_at: str | None) -> str | None:
    """The publication day as the site states it (Baku time), or None.

    >>> _day_of("2026-01-29T23:40:00+04:00"), _day_of(None), _day_of("soon")
    ('2026-01-29', None, None)
    """
    if not published_at or not re.match(r"\d{4}-\d{2}-\d{2}", published_at):
        return None
    return published_at[:10]


def _json_or(value: str | None, default: Any) -> Any:
    return default if value is None else json.loads(value)


def _grouped(rows: Iterable[Sequence[Any]]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped


_ARTICLE_SQL = (
    "SELECT url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at, "
    "category, category_slug, author, image_url, images, has_video, source_agency, source_agency_text, "
    "content_hash, version, first_seen, last_seen, changed_at, fetched_at FROM articles"
)
# What an article row of the export holds besides its content, which content_hash stands for: the store
# computes that hash over exactly the content columns the export writes (newscrawl.store.CONTENT_FIELDS),
# so comparing these few columns finds every changed row without reading a single body.
_ARTICLE_INDEX_SQL = (
    "SELECT url, language, published_at, story_id, title, category, site_id, content_hash, version, "
    "first_seen, last_seen, changed_at, fetched_at FROM articles"
)
_CHUNK = 500  # URLs per IN (...) query, well under SQLite's limit on bound parameters


def _added_columns(connection: sqlite3.Connection) -> dict[str, str]:
    """Article columns of later migrations that this store lacks (it was not crawled since), as NULL.

    The export opens the store read-only and does not migrate it.
    """
    have = {str(row[1]) for row in connection.execute("PRAGMA table_info(articles)")}
    return {name: f"NULL AS {name}" for name in ("source_agency_text",) if name not in have}


def _with_columns(sql: str, added: dict[str, str]) -> str:
    for name, replacement in added.items():
        sql = sql.replace(f" {name},", f" {replacement},")
    return sql


def _digest(partition: Any, values: Any) -> str:
    # repr of tuples of str, int, bool, None, lists and dicts built in a fixed order is deterministic, and
    # several times faster than json.dumps over 100k rows.
    encoded = repr((partition, values)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()


def fingerprint(row: Row) -> str:
    """A short digest of everything exported for a row (values and partition).

    >>> fingerprint(Row("u", ("en", "2026-01-29"), ("u", 1))) == fingerprint(Row("u", ("en", None), ("u", 1)))
    False
    """
    return _digest(row.partition, row.values)


@dataclass(frozen=True, slots=True)
class Entry:
    """A row of a table as the export plans with it: key, partition and fingerprint, no values."""

    key: str
    partition: tuple[str, str | None] | None
    fingerprint: str


class TableRows:
    """The rows of one table: their entries in export order, and their values on demand."""

    def __init__(self, rows: list[Row]) -> None:
        self.entries = [Entry(row.key, row.partition, fingerprint(row)) for row in rows]
        self._rows = {row.key: row for row in rows}

    def load(self, keys: Sequence[str]) -> list[Row]:
        """Rows of keys, in that order."""
        return [self._rows[key] for key in keys]


class StoredArticles(TableRows):
    """Articles: entries from a light query; bodies and the rest read only for the rows to be written."""

    def __init__(self, connection: sqlite3.Connection, selection: Selection) -> None:
        params: list[Any] = []
        where = _where(selection, category_sql="category_slug IN ({slugs})", params=params)
        self.connection = connection
        self.entries = []
        # (url, language, day, story_id, title, published_at, category) for stories, the card and the chart.
        self.facts: list[tuple[str, str, str | None, int, str | None, str | None, str | None]] = []
        query = f"{_ARTICLE_INDEX_SQL} WHERE {where} ORDER BY published_at, url"
        for r in connection.execute(query, params):
            url, language, published_at, story_id, title, category = r[:6]
            partition = (language, _day_of(published_at))
            self.entries.append(Entry(url, partition, _digest(partition, r[3:4] + r[6:])))
            self.facts.append((url, language, partition[1], story_id, title, published_at, category))

    def load(self, keys: Sequence[str]) -> list[Row]:
        found: dict[str, Row] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ", ".join("?" * len(chunk))
            tags = _grouped(
                self.connection.execute(
                    f"SELECT article_url, tag FROM tags WHERE article_url IN ({marks}) "
                    "ORDER BY article_url, position",
                    chunk,
                )
            )
            translations = _grouped(
                self.connection.execute(
                    f"SELECT article_url, language, url FROM translations WHERE article_url IN ({marks}) "
                    "ORDER BY article_url, language",
                    chunk,
                )
            )
            sql = _with_columns(_ARTICLE_SQL, _added_columns(self.connection))
            for r in self.connection.execute(f"{sql} WHERE url IN ({marks})", chunk):
                found[r[0]] = _article_row(r, tags, translations)
        return [found[key] for key in keys]


def _article_row(r: Sequence[Any], tags: dict[str, list[Any]], translations: dict[str, list[Any]]) -> Row:
    (url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at) = r[:10]
    (category, slug, author, image_url, images, has_video, agency, agency_text, digest, version) = r[10:20]
    values = (
        url,
        story_id,
        site_id,
        title,
        lead,
        body,
        word_count,
        published_at,
        modified_at,
        category,
        slug,
        [t[0] for t in tags.get(url, ())],
        author,
        image_url,
        _json_or(images, []),
        None if has_video is None else bool(has_video),
        agency or None,  # "" in stores not yet migrated to 0006
        agency_text,
        {t[0]: t[1] for t in translations.get(url, ())},
        digest,
        version,
        *r[20:24],
    )
    return Row(url, (language, _day_of(published_at)), values)


def article_coverage(connection: sqlite3.Connection, selection: Selection) -> list[tuple[str, int]]:
    """(column, articles holding a value) for every column of the articles table, counted in SQL."""
    params: list[Any] = []
    where = _where(selection, category_sql="category_slug IN ({slugs})", params=params)
    special = {
        "tags": "EXISTS (SELECT 1 FROM tags WHERE article_url = url)",
        "translations": "EXISTS (SELECT 1 FROM translations t WHERE t.article_url = articles.url)",
        "images": "images IS NOT NULL AND images NOT IN ('', '[]')",
        **{name: "0" for name in _added_columns(connection)},
    }
    counts = ", ".join(
        f"count(CASE WHEN {special.get(name, f'{name} IS NOT NULL AND {name} != ' + repr(''))} THEN 1 END)"
        for name in ARTICLES.names
    )
    row = connection.execute(f"SELECT {counts} FROM articles WHERE {where}", params).fetchone()
    return list(zip(ARTICLES.names, (int(n) for n in row), strict=True))


def read_feed_entries(connection: sqlite3.Connection, selection: Selection) -> list[Row]:
    params: list[Any] = []
    # A card shows a category name, not a slug: it matches the names the selected articles carry, or a
    # category listing of a selected slug.
    category_sql = (
        "(category IN (SELECT DISTINCT category FROM articles WHERE category_slug IN ({slugs})) "
        "OR substr(listing, 10) IN ({slugs}))"
    )
    where = _where(selection, category_sql=category_sql, params=params)
    if selection.categories:
        params.extend(selection.categories)  # the second {slugs}
    query = (
        "SELECT url, listing, language, title, published_at, category, image_url, media, listing_url, "
        f"position, first_seen, last_seen FROM feed_entries WHERE {where} ORDER BY published_at, url, listing"
    )
    rows = []
    for r in connection.execute(query, params):
        url, listing, language, title, published_at, category, image_url, media = r[:8]
        values = (url, listing, title, published_at, category, image_url, _json_or(media, []), *r[8:12])
        rows.append(Row(f"{url} {listing}", (language, _day_of(published_at)), values))
    return rows


def stories_of(articles: StoredArticles) -> list[Row]:
    """The stories table: one row per exported article, ordered by story."""
    rows = [
        Row(url, None, (story_id, language, url, title, published_at))
        for url, language, _day, story_id, title, published_at, _category in articles.facts
    ]
    rows.sort(key=lambda row: (row.values[0], row.values[1] or "", row.key))
    return rows


@dataclass
class Snapshot:
    """Everything an export reads from the store, in one read transaction that stays open while the
    export writes (``StoredArticles.load`` reads bodies from it)."""

    tables: dict[str, TableRows]
    articles: StoredArticles
    feed_entries: list[Row]
    article_coverage: list[tuple[str, int]]
    gone: list[tuple[str, str | None, str | None, int, str]]
    runs: list[tuple[int, str, str | None, str | None]]
    failures: int | None  # rows of a `failures` table, when the store has one


def read_snapshot(connection: sqlite3.Connection, selection: Selection) -> Snapshot:
    """Start the read transaction (the caller ends it) and read everything but the article bodies."""
    connection.execute("BEGIN")
    articles = StoredArticles(connection, selection)
    feed_entries = read_feed_entries(connection, selection)
    gone = [
        (str(r[0]), r[1], r[2], int(r[3]), str(r[4]))
        for r in connection.execute("SELECT url, title, published_at, status, seen_at FROM gone ORDER BY url")
        if language_of(str(r[0])) in selection.languages
    ]
    runs = [
        (int(r[0]), str(r[1]), r[2], r[3])
        for r in connection.execute("SELECT id, started_at, finished_at, finish_reason FROM runs ORDER BY id")
    ]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    failures = (
        int(connection.execute("SELECT count(*) FROM failures").fetchone()[0])
        if "failures" in tables
        else None
    )
    return Snapshot(
        tables={
            ARTICLES.name: articles,
            FEED_ENTRIES.name: TableRows(feed_entries),
            STORIES.name: TableRows(stories_of(articles)),
        },
        articles=articles,
        feed_entries=feed_entries,
        article_coverage=article_coverage(connection, selection),
        gone=gone,
        runs=runs,
        failures=failures,
    )
