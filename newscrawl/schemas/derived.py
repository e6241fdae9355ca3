"""What other formats say about the item fields, derived from the item schemas so nothing is typed twice.

- ``frictionless_type``: the Table Schema type of an exported column (``newscrawl/export/tables.py``);
- ``arrow_type``: its Parquet (Arrow) type;
- ``store_description``: the Datasette description of a store column that holds an item field;
- ``markdown_fields``: the field table of the README (``tools/sync_fields.py`` writes it, a test checks it).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from newscrawl.schemas import ARTICLE, FEED_ENTRY, SCHEMA_VERSION, Field, fields

_FRICTIONLESS = {"integer": "integer", "boolean": "boolean", "array": "array", "object": "object"}


def frictionless_type(item_field: Field) -> str:
    """The Frictionless Table Schema type of a field.

    >>> from newscrawl.schemas import field
    >>> frictionless_type(field(ARTICLE, "published_at")), frictionless_type(field(ARTICLE, "tags"))
    ('datetime', 'array')
    """
    if item_field.type == "string":
        return "datetime" if item_field.format == "date-time" else "string"
    return _FRICTIONLESS[item_field.type]


def arrow_type(item_field: Field) -> pa.DataType:
    """The Arrow type of a field in Parquet: instants as UTC timestamps, lists and objects as such.

    >>> from newscrawl.schemas import field
    >>> [str(arrow_type(field(ARTICLE, n))) for n in ("published_at", "tags", "word_count", "has_video")]
    ['timestamp[us, tz=UTC]', 'list<element: string>', 'int64', 'bool']
    >>> arrow_type(field(ARTICLE, "translations"))
    StructType(struct<az: string, en: string, ru: string>)
    """
    if item_field.format == "date-time":
        return pa.timestamp("us", tz="UTC")
    if item_field.type == "array":
        # "element": the child name of the Parquet LIST spec, so a file read back has the same schema.
        return pa.list_(pa.field("element", pa.string()))
    if item_field.type == "object":
        names = item_field.schema["properties"]
        return pa.struct([(name, pa.string()) for name in names])
    return {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}[item_field.type]


def constraints(item_field: Field) -> dict[str, Any]:
    """The Table Schema constraints of a field: required when never null, its enumeration.

    >>> from newscrawl.schemas import field
    >>> constraints(field(FEED_ENTRY, "title")), constraints(field(FEED_ENTRY, "category"))
    ({'required': True}, {})
    """
    result: dict[str, Any] = {}
    if not item_field.nullable:
        result["required"] = True
    if "enum" in item_field.schema:
        result["enum"] = item_field.schema["enum"]
    return result


def store_description(item_field: Field) -> str:
    """A store column's description: the field's, with how SQLite holds what it has no type for.

    >>> from newscrawl.schemas import field
    >>> store_description(field(ARTICLE, "has_video"))
    'Whether the page embeds a video. 1 or 0 in SQLite.'
    """
    text = item_field.description
    if item_field.type == "boolean":
        return f"{text} 1 or 0 in SQLite."
    if item_field.type in ("array", "object"):
        return f"{text} JSON text in SQLite."
    return text


def _type_text(item_field: Field) -> str:
    kind = item_field.type
    if item_field.format:
        kind = f"{kind} ({item_field.format})"
    if item_field.type == "array":
        inner = item_field.schema["items"]
        kind = f"list of {inner.get('format') or inner['type']}"
        if "enum" in inner:
            kind += ": " + ", ".join(inner["enum"])
    if "enum" in item_field.schema:
        kind += ": " + ", ".join(item_field.schema["enum"])
    if item_field.type == "object":
        kind = "object of " + ", ".join(item_field.schema["properties"]) + " (uri)"
    return kind + (" or null" if item_field.nullable else "")


def markdown_fields() -> str:
    """The README's field tables, one per item, from the schemas."""
    lines = [
        f"Item schema version {SCHEMA_VERSION} (`newscrawl/schemas/`, changes in "
        '[docs/schema-changelog.md](docs/schema-changelog.md)). Absent: a scalar is `null`, never `""`; '
        "a list is `[]`; `translations` is `{}`.",
        "",
    ]
    for title, schema in (("Article", ARTICLE), ("FeedEntry", FEED_ENTRY)):
        lines += [f"| `{title}` field | type | meaning |", "|---|---|---|"]
        for item_field in fields(schema):
            description = item_field.description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"| `{item_field.name}` | {_type_text(item_field)} | {description} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# Store tables whose columns hold item fields, and the columns whose description stays the store's own.
STORE_TABLES: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "articles": (ARTICLE, frozenset({"url", "fetched_at"})),
    "feed_entries": (FEED_ENTRY, frozenset({"url"})),
}
