"""The three exported tables as data: their columns, types, descriptions, keys and partitioning.

Everything that describes a table lives here once; the writers, the Data Package and the dataset card
read it. A column that holds an item field takes its type, description and constraints from the item's
JSON Schema (``newscrawl/schemas/``, through ``newscrawl.schemas.derived``); only the columns the store
adds (story, versions, first and last seen) are described here. In Parquet, times are UTC instants
(``timestamp[us, tz=UTC]``), lists ``list<string>``, ``translations`` a ``struct<az, en, ru>``; in JSON Lines
times are the ISO 8601 text the store holds (publication times in Baku time ``+04:00``), lists and objects
native JSON; in CSV lists and objects are JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from newscrawl.schemas import ARTICLE, FEED_ENTRY
from newscrawl.schemas import field as schema_field
from newscrawl.schemas.derived import arrow_type, constraints, frictionless_type

# Frictionless Table Schema field types used here.
STRING, INTEGER, BOOLEAN, DATETIME, ARRAY, OBJECT = (
    "string",
    "integer",
    "boolean",
    "datetime",
    "array",
    "object",
)
_ARROW = {
    STRING: pa.string(),
    INTEGER: pa.int64(),
    BOOLEAN: pa.bool_(),
    DATETIME: pa.timestamp("us", tz="UTC"),
}

# Hive partition keys of the partitioned tables: folder names, not columns inside the files.
PARTITION_KEYS: tuple[str, ...] = ("language", "date")
# The folder name Hive, Spark, pyarrow and DuckDB read as a null partition value.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # Frictionless Table Schema type
    description: str
    arrow: pa.DataType
    constraints: dict[str, Any] = field(default_factory=dict)


def _own(name: str, kind: str, description: str) -> Column:
    """A column the store adds to the items, described here."""
    return Column(name, kind, description, _ARROW[kind])


def _item(schema: dict[str, Any], name: str, description: str | None = None) -> Column:
    """A column that holds an item field: type, description and constraints from the item's schema.

    >>> _item(ARTICLE, "tags").arrow, _item(FEED_ENTRY, "position").constraints
    (ListType(list<element: string>), {'required': True})
    """
    item_field = schema_field(schema, name)
    return Column(
        name,
        frictionless_type(item_field),
        description or item_field.description,
        arrow_type(item_field),
        constraints(item_field),
    )


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partitioned: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called name.

        >>> ARTICLES.column("body").type
        'string'
        """
        return next(column for column in self.columns if column.name == name)


_PARTITION_NOTE = (
    " Partitioned Hive style by `language` (az, en, ru) and `date` (the publication day in Baku time, "
    f"YYYY-MM-DD, `{NULL_PARTITION}` when unknown): the two are folder names, not columns in the files."
)

ARTICLES = Table(
    name="articles",
    title="Articles",
    description="One row per canonical article URL, holding the latest version the crawler stored."
    + _PARTITION_NOTE,
    key=("url",),
    partitioned=True,
    columns=(
        _item(ARTICLE, "url", "Canonical URL of the article: the key, unique in the table."),
        _own("story_id", INTEGER, "The story this article tells; `stories` lists its other languages."),
        *(
            _item(ARTICLE, name)
            for name in (
                "site_id",
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
                "source_agency_text",
                "translations",
            )
        ),
        _own("content_hash", STRING, "SHA-256 of the content fields; changes with every edit."),
        _own("version", INTEGER, "1 for the first version stored, +1 for every change of content."),
        _own("first_seen", DATETIME, "First fetch of this URL by the crawler, UTC."),
        _own("last_seen", DATETIME, "Latest fetch of this URL by the crawler, UTC."),
        _own("changed_at", DATETIME, "When the crawler first fetched this version, UTC."),
        _item(ARTICLE, "fetched_at", "Time of the fetch this row comes from, UTC."),
    ),
)

FEED_ENTRIES = Table(
    name="feed_entries",
    title="Feed entries",
    description="One row per headline card per listing (Latest News feed, category page, home page, "
    "sidebar) as last seen." + _PARTITION_NOTE,
    key=("url", "listing"),
    partitioned=True,
    columns=(
        _item(FEED_ENTRY, "url"),
        _item(
            FEED_ENTRY,
            "listing",
            "Where the card was seen: feed, category:<slug>, home or sidebar. With url, the key.",
        ),
        *(
            _item(FEED_ENTRY, name)
            for name in ("title", "published_at", "category", "image_url", "media", "listing_url", "position")
        ),
        _own("first_seen", DATETIME, "First time the crawler saw this card on this listing, UTC."),
        _own("last_seen", DATETIME, "Latest time the crawler saw this card on this listing, UTC."),
    ),
)

STORIES = Table(
    name="stories",
    title="Stories",
    description="Links the versions of one story across languages: one row per exported article, "
    "grouped by story_id. Not partitioned.",
    key=("url",),
    partitioned=False,
    columns=(
        _own("story_id", INTEGER, "Story id: rows with the same id are the same story."),
        _item(ARTICLE, "language"),
        _item(ARTICLE, "url", "Canonical URL of the article (the key; see `articles`)."),
        _item(ARTICLE, "title", "Headline in that language."),
        _item(ARTICLE, "published_at"),
    ),
)

TABLES: tuple[Table, ...] = (ARTICLES, FEED_ENTRIES, STORIES)
