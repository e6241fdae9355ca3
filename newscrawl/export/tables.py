"""The three exported tables as data: their columns, types, descriptions, keys and partitioning.

Everything that describes a table lives here once; the writers, the Data Package and the dataset card
read it. Times stay the ISO 8601 text the store holds (publication times in Baku time ``+04:00``, crawler
times in UTC), so they round-trip exactly; multi-valued fields are JSON in Parquet and CSV and native
arrays and objects in JSON Lines.
"""

from __future__ import annotations

from dataclasses import dataclass

# Frictionless Table Schema field types used here.
STRING, INTEGER, BOOLEAN, DATETIME, ARRAY, OBJECT = (
    "string",
    "integer",
    "boolean",
    "datetime",
    "array",
    "object",
)

# Hive partition keys of the partitioned tables: folder names, not columns inside the files.
PARTITION_KEYS: tuple[str, ...] = ("language", "date")
# The folder name Hive, Spark, pyarrow and DuckDB read as a null partition value.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    description: str


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
        Column("url", STRING, "Canonical URL of the article: the key, unique in the table."),
        Column("story_id", INTEGER, "The story this article tells; `stories` lists its other languages."),
        Column("site_id", STRING, "The site's own numeric id of the article (shared by its aliases)."),
        Column("title", STRING, "Headline."),
        Column("lead", STRING, "First paragraph of the body."),
        Column("body", STRING, "Article text, paragraphs separated by a blank line."),
        Column("word_count", INTEGER, "Words in the body."),
        Column("published_at", DATETIME, "Publication time as the site states it, Baku time (+04:00)."),
        Column("modified_at", DATETIME, "Last update time the site states, Baku time; empty if none."),
        Column("category", STRING, "Category display name in the article's language."),
        Column("category_slug", STRING, "Category slug from the URL (see newscrawl/site.py)."),
        Column("tags", ARRAY, "Tags in page order."),
        Column("author", STRING, "Author as the page's JSON-LD names it, often a desk."),
        Column("image_url", STRING, "URL of the main photo."),
        Column("images", ARRAY, "URLs of the photos inside the body."),
        Column("has_video", BOOLEAN, "Whether the page embeds a video."),
        Column(
            "source_agency",
            STRING,
            "Agency the article credits ('Report informs via ...'); empty when Report is the source.",
        ),
        Column(
            "translations",
            OBJECT,
            "Other-language versions the page links to: language code to URL (may not be crawled).",
        ),
        Column("content_hash", STRING, "SHA-256 of the content fields; changes with every edit."),
        Column("version", INTEGER, "1 for the first version stored, +1 for every change of content."),
        Column("first_seen", DATETIME, "First fetch of this URL by the crawler, UTC."),
        Column("last_seen", DATETIME, "Latest fetch of this URL by the crawler, UTC."),
        Column("changed_at", DATETIME, "When the crawler first fetched this version, UTC."),
        Column("fetched_at", DATETIME, "Time of the fetch this row comes from, UTC."),
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
        Column("url", STRING, "Canonical URL of the article the card links to."),
        Column(
            "listing",
            STRING,
            "Where the card was seen: feed, category:<slug>, home or sidebar. With url, the key.",
        ),
        Column("title", STRING, "Headline on the card."),
        Column("published_at", DATETIME, "Time on the card, Baku time (+04:00)."),
        Column("category", STRING, "Category name on the card, if shown."),
        Column("image_url", STRING, "Thumbnail URL."),
        Column("media", ARRAY, "Media markers on the card: photo, video."),
        Column("listing_url", STRING, "URL of the listing page or batch the card was on."),
        Column("position", INTEGER, "0-based position of the card in its page or batch."),
        Column("first_seen", DATETIME, "First time the crawler saw this card on this listing, UTC."),
        Column("last_seen", DATETIME, "Latest time the crawler saw this card on this listing, UTC."),
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
        Column("story_id", INTEGER, "Story id: rows with the same id are the same story."),
        Column("language", STRING, "az, en or ru."),
        Column("url", STRING, "Canonical URL of the article (the key; see `articles`)."),
        Column("title", STRING, "Headline in that language."),
        Column("published_at", DATETIME, "Publication time, Baku time (+04:00)."),
    ),
)

TABLES: tuple[Table, ...] = (ARTICLES, FEED_ENTRIES, STORIES)
