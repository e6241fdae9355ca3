"""Datasets exported from the store: Parquet, JSON Lines or CSV, partitioned by language and day.

``export_dataset`` checks the command line (``selection``), reads the store in one read-only transaction
as Arrow tables (``source``), brings the dataset directory to exactly those rows (``dataset``, ``parts``:
full or incremental, each row once, safe against a killed export), writes the part files (``writers``),
then the Frictionless Data Package (``package``), the card (``card``) and the chart (``chart``).
``scrapy export`` (``newscrawl/commands/export.py``) is its command.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.export import card, chart, package
from newscrawl.export.dataset import Dataset, atomic_write
from newscrawl.export.plan import TableChanges
from newscrawl.export.selection import ExportError, Selection, check_categories, open_store, parse_selection
from newscrawl.export.source import Extras, Source
from newscrawl.export.tables import TABLES
from newscrawl.export.writers import FORMATS

__all__ = ["FORMATS", "ExportError", "ExportResult", "Selection", "export_dataset", "parse_selection"]

# Settings the card quotes under "How it was collected".
COLLECTION_SETTINGS = (
    "ROBOTSTXT_OBEY",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "USER_AGENT",
    "NEWSCRAWL_PROJECT_URL",  # the only link to the project the card and the Data Package make
)


@dataclass(frozen=True, slots=True)
class ExportResult:
    root: Path
    rows: dict[str, int]
    changes: dict[str, TableChanges]

    def summary(self) -> str:
        """One line per table for the command's output."""
        lines = []
        for table in TABLES:
            change = self.changes[table.name]
            lines.append(
                f"{table.name}: {self.rows[table.name]} rows ({change.new} new, {change.changed} changed, "
                f"{change.removed} removed); {len(change.written)} part file(s) written, "
                f"{len(change.rewritten)} rewritten, {len(change.deleted)} deleted"
            )
        return "\n".join(lines)


def _default_settings() -> dict[str, Any]:
    from newscrawl import settings

    return {name: getattr(settings, name, None) for name in COLLECTION_SETTINGS}


def export_dataset(
    store: str | Path,
    output: str | Path,
    *,
    fmt: str = "parquet",
    gzipped: bool = False,
    selection: Selection | None = None,
    incremental: bool = False,
    settings: Mapping[str, Any] | None = None,
    now: str | None = None,
) -> ExportResult:
    """Export the store at ``store`` into the directory ``output``; ExportError names what to fix."""
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if gzipped and fmt == "parquet":
        raise ExportError("--gzip applies to jsonl and csv; Parquet files are compressed already")
    selection = selection or Selection()
    exported_at = now or datetime.now(UTC).replace(microsecond=0).isoformat()
    connection = open_store(store)
    try:
        check_categories(connection, selection)
        dataset = Dataset(Path(output))
        dataset.open()
        chosen = selection.describe()
        # One read transaction from the first SELECT to the last row written: one picture of the store.
        source = Source(connection, selection)
        if incremental:
            dataset.check_incremental(fmt, gzipped, chosen, source.marks)
        changes = dataset.export(
            source,
            fmt=fmt,
            gzipped=gzipped,
            incremental=incremental,
            selection=chosen,
            exported_at=exported_at,
        )
        extras = source.extras()
        source.close()
    except sqlite3.Error as exc:
        raise ExportError(
            f"cannot read the store {store} ({exc}); check that it is a newscrawl store"
        ) from None
    except OSError as exc:
        raise ExportError(
            f"writing {output} failed ({exc.strerror or exc}); free some space or choose another directory"
        ) from None
    finally:
        connection.close()
    found = card.facts(dataset.files())
    try:
        _describe(dataset, found, extras, str(store), {**_default_settings(), **(settings or {})})
    except OSError as exc:
        raise ExportError(
            f"writing {output} failed ({exc.strerror or exc}); free some space or choose another directory"
        ) from None
    rows = {table.name: found.rows[table.name] for table in TABLES}
    return ExportResult(root=dataset.root, rows=rows, changes=changes)


def _describe(
    dataset: Dataset, found: card.Facts, extras: Extras, source: str, settings: Mapping[str, Any]
) -> None:
    """Write the schemas, datapackage.json, README.md and overview.svg of the dataset as it now is
    (``found``: its counts, ``card.facts``)."""
    root = dataset.root
    state = dataset.state
    first, last = card.date_range(found.per_day)
    span = f"{first} to {last}" if first else "no articles"
    title = "report.az news articles in Azerbaijani, English and Russian"
    description = (
        f"Articles, headline cards and cross-language stories of report.az, publication days {span}, "
        "crawled by newscrawl. See README.md."
    )
    (root / "schemas").mkdir(exist_ok=True)
    for relative, data in package.schema_files().items():
        atomic_write(root / relative, data)
    descriptor = package.package(
        dataset,
        title=title,
        description=description,
        created=state["exported_at"],
        homepage=settings.get("NEWSCRAWL_PROJECT_URL") or None,
    )
    atomic_write(root / "datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=1).encode())
    text = card.render(found, extras, state=state, source=source, settings=settings)
    atomic_write(root / "README.md", text.encode("utf-8"))
    atomic_write(root / "overview.svg", chart.overview_svg(found.per_day, f"{title}, {span}"))
    (root / "overview.png").unlink(missing_ok=True)  # drawn by exports before 2026-12
