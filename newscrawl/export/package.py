"""``datapackage.json``: a Frictionless Data Package describing every table, field and part file.

Each part file is a resource of its own (``articles-en-2026-01-29-part-0``): Frictionless reads a list of
paths as one concatenated file, which Parquet files and CSV files with headers are not. The resources of a
table share one Table Schema, ``schemas/<table>.json``; the package's ``tables`` property says which
resources form which table and how they are partitioned.
"""

from __future__ import annotations

import json
from typing import Any

from newscrawl.export.dataset import Dataset
from newscrawl.export.tables import NULL_PARTITION, PARTITION_KEYS, TABLES, Table
from newscrawl.export.writers import MEDIA_TYPES
from newscrawl.schemas import SCHEMA_VERSION

PACKAGE_NAME = "newscrawl-report-az"


def table_schema(table: Table) -> dict[str, Any]:
    """The Frictionless Table Schema of a table's part files."""
    fields = []
    for column in table.columns:
        field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
        rules = {**column.constraints, **({"required": True} if column.name in table.key else {})}
        if rules:
            field["constraints"] = rules
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields, "primaryKey": list(table.key)}
    if table.partitioned:
        # Only the union of a table's files is unique by key; the per-file schema says what it can check.
        schema["description"] = table.description
    return schema


def resource_name(relative: str) -> str:
    """A resource name from a part path, in the characters Frictionless allows.

    >>> resource_name("articles/language=en/date=2026-01-29/part-0.parquet")
    'articles-en-2026-01-29-part-0'
    >>> resource_name("articles/language=ru/date=__HIVE_DEFAULT_PARTITION__/part-2.jsonl.gz")
    'articles-ru-unknown-part-2'
    >>> resource_name("stories/part-1.csv")
    'stories-part-1'
    """
    parts = relative.replace(NULL_PARTITION, "unknown").split("/")
    values = [part.split("=", 1)[-1] for part in parts[:-1]]
    return "-".join([*values, parts[-1].split(".", 1)[0]]).lower()


def package(
    dataset: Dataset, *, title: str, description: str, created: str, homepage: str | None = None
) -> dict[str, Any]:
    """The descriptor. Its ``version`` is the item schema version (``newscrawl/schemas/``) the files follow:
    it changes when a field does, as Frictionless asks of a package version."""
    fmt = dataset.state["format"]
    gzipped = bool(dataset.state.get("gzip"))
    resources = []
    for table_name, relative in dataset.part_files():
        info = dataset.files()[relative]
        bytes_, sha256 = info["bytes"], info["sha256"]
        resource: dict[str, Any] = {
            "name": resource_name(relative),
            "path": relative,
            "format": fmt,
            "mediatype": MEDIA_TYPES[fmt],
            "schema": f"schemas/{table_name}.json",
        }
        if fmt != "parquet":
            # Frictionless checks size and hash of what it reads as bytes; it reads Parquet through pyarrow.
            resource.update({"encoding": "utf-8", "bytes": bytes_, "hash": f"sha256:{sha256}"})
        if gzipped:
            resource["compression"] = "gz"
        resources.append(resource)
    tables = {
        table.name: {
            "title": table.title,
            "description": table.description,
            "schema": f"schemas/{table.name}.json",
            "partitions": list(PARTITION_KEYS) if table.partitioned else [],
            "resources": [r["name"] for r in resources if r["path"].split("/", 1)[0] == table.name],
        }
        for table in TABLES
    }
    descriptor: dict[str, Any] = {
        "name": PACKAGE_NAME,
        "title": title,
        "description": description,
        "version": SCHEMA_VERSION,
        "created": created,
    }
    if homepage:
        descriptor["homepage"] = homepage
    return {
        **descriptor,
        "sources": [{"title": "Report.az news agency", "path": "https://report.az/"}],
        "keywords": ["news", "Azerbaijan", "multilingual", "az", "en", "ru"],
        "tables": tables,
        "resources": resources,
    }


def schema_files() -> dict[str, bytes]:
    """Relative path -> JSON bytes of every table's schema."""
    return {
        f"schemas/{table.name}.json": json.dumps(table_schema(table), ensure_ascii=False, indent=1).encode()
        for table in TABLES
    }
