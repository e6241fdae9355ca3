"""The item schemas (newscrawl/schemas/): every golden item fits them, each malformed shape does not."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from newscrawl.items import Article, FeedEntry
from newscrawl.schemas import ARTICLE, FEED_ENTRY, SCHEMA_VERSION, fields, validator

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "expected"
GOLDENS = sorted(EXPECTED.rglob("*.json"))


def items_of(path: Path) -> list[dict[str, Any]]:
    value = json.loads(path.read_text(encoding="utf-8"))
    return [value] if isinstance(value, dict) else value


def errors(schema: dict[str, Any], item: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(item)
    ]


def test_the_schemas_are_2020_12_and_share_one_version() -> None:
    for schema in (ARTICLE, FEED_ENTRY):
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["version"] == SCHEMA_VERSION
    changelog = (Path(__file__).resolve().parents[1] / "docs" / "schema-changelog.md").read_text()
    assert f"## {SCHEMA_VERSION}" in changelog


@pytest.mark.parametrize(("item_class", "schema"), [(Article, ARTICLE), (FeedEntry, FEED_ENTRY)])
def test_item_fields_are_the_schema_properties(item_class: type, schema: dict[str, Any]) -> None:
    names = [f.name for f in dataclasses.fields(item_class)]
    assert names == [f.name for f in fields(schema)] == schema["required"]


@pytest.mark.parametrize("path", GOLDENS, ids=[p.relative_to(EXPECTED).as_posix() for p in GOLDENS])
def test_every_golden_item_validates(path: Path) -> None:
    for item in items_of(path):
        schema = ARTICLE if "body" in item else FEED_ENTRY
        assert errors(schema, item) == [], item["url"]


def golden_article() -> dict[str, Any]:
    return next(item for path in GOLDENS for item in items_of(path) if "body" in item)


@pytest.mark.parametrize(
    ("field", "value", "validator_name"),
    [
        ("source_agency", "", "minLength"),  # absent scalar spelled ""
        ("author", "", "minLength"),
        ("site_id", "", "pattern"),
        ("tags", None, "type"),  # a null list
        ("images", None, "type"),
        ("translations", None, "type"),
        ("word_count", "12", "type"),  # a wrong type
        ("has_video", 1, "type"),
        ("published_at", "29 January 2026", "format"),
        ("language", "de", "enum"),
        ("image_url", "not a url", "format"),
    ],
)
def test_each_malformed_article_shape_is_rejected(field: str, value: Any, validator_name: str) -> None:
    item = golden_article()
    assert errors(ARTICLE, item) == []
    item[field] = value
    found = list(validator(ARTICLE).iter_errors(item))
    assert [(list(e.absolute_path), e.validator) for e in found] == [([field], validator_name)]


def test_a_missing_or_extra_key_is_rejected() -> None:
    item = golden_article()
    del item["lead"]
    item["extra"] = 1
    assert {e.validator for e in validator(ARTICLE).iter_errors(item)} == {"required", "additionalProperties"}


@pytest.mark.parametrize(
    ("field", "value"), [("media", None), ("media", ["gallery"]), ("listing", "category:"), ("position", -1)]
)
def test_each_malformed_feed_entry_shape_is_rejected(field: str, value: Any) -> None:
    item = next(item for path in GOLDENS for item in items_of(path) if "listing" in item)
    item[field] = value
    assert [list(e.absolute_path)[:1] for e in validator(FEED_ENTRY).iter_errors(item)] == [[field]]


def test_readme_and_datasette_descriptions_are_written_from_the_schemas() -> None:
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("sync_fields", root / "tools" / "sync_fields.py")
    assert spec is not None and spec.loader is not None
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    readme = (root / "README.md").read_text(encoding="utf-8")
    metadata = (root / "datasette" / "metadata.yml").read_text(encoding="utf-8")
    assert sync.readme(readme) == readme, "run make fields"
    assert sync.metadata(metadata) == metadata, "run make fields"
    for item_field in fields(ARTICLE):
        assert f"| `{item_field.name}` |" in readme
