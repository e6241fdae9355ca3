"""The data contract: one JSON Schema (2020-12) per item, the single source of truth for its fields.

``article.json`` and ``feed_entry.json`` give each field's type, format, enumeration and nullability, and
a ``version`` (semantic versioning; ``docs/schema-changelog.md`` says what changed). Everything else that
describes the fields reads them from here: the validation during the crawl (spidermon's
``ItemValidationPipeline`` through ``SPIDERMON_VALIDATION_SCHEMAS``), the exported Data Package and Parquet
types (``newscrawl/export/tables.py``), the Datasette descriptions and the README's field list
(``tools/field_list.py``).

The rule for absence is the same in both: a scalar nobody found is null (never ""), a list with nothing in
it is [] (never null), an object of optional keys (``translations``) is {}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


def _load(name: str) -> dict[str, Any]:
    # importlib.resources reads inside a zipped egg too (Scrapyd), where a file path would not exist.
    data: dict[str, Any] = json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
    return data


ARTICLE: dict[str, Any] = _load("article.json")
FEED_ENTRY: dict[str, Any] = _load("feed_entry.json")
# The schemas by item class name, as spidermon's ItemValidationPipeline looks them up.
SCHEMAS: dict[str, dict[str, Any]] = {"Article": ARTICLE, "FeedEntry": FEED_ENTRY}
SCHEMA_VERSION: str = ARTICLE["version"]


@dataclass(frozen=True, slots=True)
class Field:
    """One property of an item schema, read for the tables, docs and types derived from it."""

    name: str
    type: str  # the JSON type without null: string, integer, boolean, array, object
    nullable: bool
    format: str | None
    description: str
    schema: dict[str, Any]

    @property
    def item_type(self) -> str | None:
        """The JSON type of an array's items, None for other fields."""
        items: dict[str, Any] = self.schema.get("items", {})
        value = items.get("type")
        return None if value is None else str(value)


def fields(schema: dict[str, Any]) -> list[Field]:
    """The properties of a schema in their order.

    >>> [(f.name, f.type, f.nullable, f.format) for f in fields(ARTICLE)][7:9]
    [('published_at', 'string', False, 'date-time'), ('modified_at', 'string', True, 'date-time')]
    """
    result = []
    for name, prop in schema["properties"].items():
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        (kind,) = [t for t in types if t != "null"]
        result.append(Field(name, kind, "null" in types, prop.get("format"), prop["description"], prop))
    return result


def field(schema: dict[str, Any], name: str) -> Field:
    """One property of a schema by name.

    >>> field(FEED_ENTRY, "media").item_type
    'string'
    """
    return next(f for f in fields(schema) if f.name == name)


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of schema that checks formats (date-time, uri) as the crawl does.

    >>> v = validator(FEED_ENTRY)
    >>> [e.message for e in v.iter_errors({"url": "x"})][:1]
    ["'language' is a required property"]
    """
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
