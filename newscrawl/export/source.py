"""Reading the store for an export: the selected rows as Arrow tables, and what changed since an export.

Everything is read inside one read transaction (``Source``), so an export is one consistent picture of
the store. Columns are named explicitly: columns the store gains later do not change the export.

Rows come back as *raw* Arrow tables: the exported table's columns in order, typed as in Parquet except
times, which stay the ISO 8601 text the store holds (the Parquet writer makes instants of them; JSON Lines
and CSV write the text). SQLite builds ``tags`` and ``translations`` as JSON (``json_group_array``,
``json_group_object``) and Arrow's JSON reader types them with the rest of the JSON columns, so no Python
object is made per list. Two more columns, ``_language`` and ``_date``, carry each row's partition. A full
export reads batches in the order of an index (language, publication time, key), which keeps each
partition's rows together; rows read by key are sorted by partition, publication time and key.

Incremental exports read the change logs the store keeps (migration 0007: ``article_changes``,
``feed_entry_changes``): every write of a row gives its key a new, higher sequence number, and an export
records the highest it has read (``marks``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from newscrawl.export.selection import Selection, where
from newscrawl.export.tables import ARTICLES, DATETIME, FEED_ENTRIES, STORIES, Table
from newscrawl.site import language_of

PARTITION_COLUMNS = ("_language", "_date")
BATCH_ROWS = 5_000  # rows a full export holds in memory at a time (some 20 KB of memory each)
_CHUNK = 500  # keys per IN (...) query, well under SQLite's limit on bound parameters
# The publication day as the site states it (Baku time): the first ten characters of published_at, when
# they are a day.
_DAY = (
    "CASE WHEN {t}.published_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
    "THEN substr({t}.published_at, 1, 10) END"
)
_ARTICLE_SQL = (
    "SELECT a.url, a.story_id, a.site_id, a.title, a.lead, a.body, a.word_count, a.published_at, "
    "a.modified_at, a.category, a.category_slug, "
    "(SELECT json_group_array(tag) FROM (SELECT tag FROM tags WHERE article_url = a.url ORDER BY position)), "
    "a.author, a.image_url, coalesce(a.images, '[]'), a.has_video, "
    "nullif(a.source_agency, ''), {agency_text}, "  # '' in stores not yet migrated to 0006
    "(SELECT json_group_object(language, url) FROM "
    "(SELECT language, url FROM translations WHERE article_url = a.url ORDER BY language)), "
    "a.content_hash, a.version, a.first_seen, a.last_seen, a.changed_at, a.fetched_at, "
    f"a.language, {_DAY.format(t='a')} FROM articles a"
)
_FEED_SQL = (
    "SELECT f.url, f.listing, f.title, f.published_at, f.category, f.image_url, coalesce(f.media, '[]'), "
    f"f.listing_url, f.position, f.first_seen, f.last_seen, f.language, {_DAY.format(t='f')} "
    "FROM feed_entries f"
)
# A card shows a category name, not a slug: it matches the names the selected articles carry, or a
# category listing of a selected slug.
_CARD_CATEGORY_SQL = (
    "(category IN (SELECT DISTINCT category FROM articles WHERE category_slug IN ({slugs})) "
    "OR substr(listing, 10) IN ({slugs}))"
)


def raw_schema(table: Table) -> pa.Schema:
    """The schema of a raw table: Parquet's types with times as text, then the partition columns.

    >>> raw_schema(FEED_ENTRIES).field("published_at").type, raw_schema(FEED_ENTRIES).names[-1]
    (DataType(string), '_date')
    """
    fields = [pa.field(c.name, pa.string() if c.type == DATETIME else c.arrow) for c in table.columns]
    if table.partitioned:
        fields += [pa.field(name, pa.string()) for name in PARTITION_COLUMNS]
    return pa.schema(fields)


def key_array(table: Table, raw: pa.Table) -> pa.Array:
    """Each row's key as one string: the url, or for feed entries "url listing"."""
    if table is FEED_ENTRIES:
        return pc.binary_join_element_wise(raw.column("url"), raw.column("listing"), " ").combine_chunks()
    return raw.column("url").combine_chunks()


def _raw(table: Table, rows: Sequence[Sequence[Any]], ordered: bool = False) -> pa.Table:
    """Rows of SQL values (the table's columns, then language and day; JSON text for lists and objects)
    as a raw table, sorted unless they come ``ordered``."""
    schema = raw_schema(table)
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    nested = [i for i, f in enumerate(schema) if pa.types.is_list(f.type) or pa.types.is_struct(f.type)]
    parsed = _parse_json(schema, nested, columns)
    arrays = []
    for i, kind in enumerate(schema.types):
        if i in parsed:
            arrays.append(parsed[i])
        elif pa.types.is_boolean(kind):
            arrays.append(pa.array(columns[i], pa.int64()).cast(kind))
        else:
            arrays.append(pa.array(columns[i], kind))
    raw = pa.Table.from_arrays(arrays, schema=schema)
    return raw if ordered else sort(table, raw)


def _parse_json(schema: pa.Schema, nested: list[int], columns: Sequence[Sequence[Any]]) -> dict[int, Any]:
    """The JSON columns, parsed by Arrow's JSON reader in one pass over one line per row."""
    if not nested:
        return {}
    if not columns[0]:
        return {i: pa.array([], schema.types[i]) for i in nested}
    lines = [
        "{" + ",".join(f'"c{i}":{value}' for i, value in zip(nested, values, strict=True)) + "}"
        for values in zip(*(columns[i] for i in nested), strict=True)
    ]
    data = "\n".join(lines).encode("utf-8")
    fields = pa.schema([pa.field(f"c{i}", schema.types[i]) for i in nested])
    block = max(1 << 20, 2 * max(map(len, lines)) + 2)  # a block must hold a whole line
    parsed = pj.read_json(
        pa.BufferReader(data),
        read_options=pj.ReadOptions(block_size=block),
        parse_options=pj.ParseOptions(explicit_schema=fields),
    )
    return {i: parsed.column(f"c{i}").combine_chunks() for i in nested}


def sort(table: Table, raw: pa.Table) -> pa.Table:
    """A raw table in export order: partition, then publication time and key (stories: story, language,
    url)."""
    names = (
        ("story_id", "language", "url")
        if table is STORIES
        else (*PARTITION_COLUMNS, "published_at", *table.key)
    )
    return raw.take(pc.sort_indices(raw, sort_keys=[(name, "ascending", "at_start") for name in names]))


def stories_of(articles: pa.Table) -> pa.Table:
    """The stories table of a raw articles table: one row per article, ordered by story."""
    columns = [articles.column("_language" if name == "language" else name) for name in STORIES.names]
    return sort(STORIES, pa.Table.from_arrays(columns, schema=raw_schema(STORIES)))


@dataclass(frozen=True, slots=True)
class Extras:
    """What the card says beyond the exported rows: 404s, crawl runs, failures."""

    gone: list[tuple[str, str | None, str | None, int]]  # url, title, published_at, status
    runs: int
    first_run: str | None
    last_run: str | None
    reasons: dict[str | None, int]  # finish reason (None: unfinished) -> runs
    failures: int | None  # rows of a `failures` table, when the store has one


class Source:
    """One read transaction on the store, for one export; ``close`` ends it."""

    def __init__(self, connection: sqlite3.Connection, selection: Selection) -> None:
        self.connection = connection
        self.selection = selection
        connection.execute("BEGIN")
        self.tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        columns = {str(r[1]) for r in connection.execute("PRAGMA table_info(articles)")}
        agency_text = "a.source_agency_text" if "source_agency_text" in columns else "NULL"
        self._article_sql = _ARTICLE_SQL.format(agency_text=agency_text)
        # The change logs' positions now, or None for a store older than migration 0007.
        self.marks: dict[str, int] | None = None
        if {"article_changes", "feed_entry_changes"} <= self.tables:
            self.marks = {
                name: int(connection.execute(f"SELECT coalesce(max(seq), 0) FROM {log}").fetchone()[0])
                for name, log in (("articles", "article_changes"), ("feed_entries", "feed_entry_changes"))
            }

    def close(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")

    # -- rows ---------------------------------------------------------------------------------------------

    @staticmethod
    def _articles_where(selection: Selection, params: list[Any], by_key: bool) -> str:
        return where(selection, category_sql="category_slug IN ({slugs})", params=params, by_key=by_key)

    @staticmethod
    def _feed_where(selection: Selection, params: list[Any], by_key: bool) -> str:
        condition = where(selection, category_sql=_CARD_CATEGORY_SQL, params=params, by_key=by_key)
        if selection.categories:
            params.extend(selection.categories)  # the second {slugs}
        return condition

    def _query(self, table: Table, selection: Selection, by_key: bool = False) -> tuple[str, str, list[Any]]:
        sql, conditions = (
            (self._article_sql, self._articles_where) if table is ARTICLES else (_FEED_SQL, self._feed_where)
        )
        params: list[Any] = []
        return sql, conditions(selection, params, by_key), params

    def batches(self, table: Table) -> Iterator[pa.Table]:
        """Every selected row of the articles or the feed entries, as raw tables of about ``BATCH_ROWS``
        rows each, in export order within each language: the rows of one partition follow each other
        (an index of migration 0007 gives the articles that order; SQLite sorts the small rows of the
        cards). Memory holds one batch."""
        for language in self.selection.languages:
            sql, condition, params = self._query(table, replace(self.selection, languages=(language,)))
            t = "a" if table is ARTICLES else "f"
            order = f"{t}.published_at, {t}.url" + (", f.listing" if table is FEED_ENTRIES else "")
            cursor = self.connection.execute(f"{sql} WHERE {condition} ORDER BY {order}", params)
            while rows := cursor.fetchmany(BATCH_ROWS):
                yield _raw(table, rows, ordered=True)

    def rows(self, table: Table, keys: Iterable[str]) -> pa.Table:
        """The selected rows of a table among ``keys`` as a sorted raw table."""
        if table is STORIES:
            return stories_of(self.rows(ARTICLES, keys))
        sql, condition, params = self._query(table, self.selection, by_key=True)
        found: list[Any] = []
        wanted = set(keys)
        # Cards are found by URL (SQLite would scan the table for a list of (url, listing) pairs), then
        # kept when their listing is one of the keys.
        urls = sorted(wanted) if table is ARTICLES else sorted({key.split(" ", 1)[0] for key in wanted})
        alias = "a" if table is ARTICLES else "f"
        for start in range(0, len(urls), _CHUNK):
            chunk = urls[start : start + _CHUNK]
            match = f"{alias}.url IN ({', '.join('?' * len(chunk))})"
            rows = self.connection.execute(f"{sql} WHERE {match} AND {condition}", [*chunk, *params])
            found += rows if table is ARTICLES else (r for r in rows if f"{r[0]} {r[1]}" in wanted)
        return _raw(table, found)

    def changed(self, table: Table, since: dict[str, int]) -> set[str]:
        """Keys of a table written since the marks of an earlier export (selected or not, present or
        deleted), up to this transaction's marks."""
        assert self.marks is not None
        if table is FEED_ENTRIES:
            query = "SELECT url || ' ' || listing FROM feed_entry_changes WHERE seq > ? AND seq <= ?"
            bounds = (since["feed_entries"], self.marks["feed_entries"])
        else:  # a story row is an article's
            query = "SELECT url FROM article_changes WHERE seq > ? AND seq <= ?"
            bounds = (since["articles"], self.marks["articles"])
        return {str(r[0]) for r in self.connection.execute(query, bounds)}

    # -- the card's other facts ---------------------------------------------------------------------------

    def extras(self) -> Extras:
        execute = self.connection.execute
        gone = [
            (str(r[0]), r[1], r[2], int(r[3]))
            for r in execute("SELECT url, title, published_at, status FROM gone ORDER BY url")
            if language_of(str(r[0])) in self.selection.languages
        ]
        count, first, last = execute(
            "SELECT count(*), (SELECT started_at FROM runs ORDER BY id LIMIT 1), "
            "(SELECT started_at FROM runs ORDER BY id DESC LIMIT 1) FROM runs"
        ).fetchone()
        reasons = {r[0]: int(r[1]) for r in execute("SELECT finish_reason, count(*) FROM runs GROUP BY 1")}
        failures = (
            int(execute("SELECT count(*) FROM failures").fetchone()[0]) if "failures" in self.tables else None
        )
        return Extras(gone, int(count), first, last, reasons, failures)
