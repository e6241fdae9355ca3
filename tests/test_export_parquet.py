"""Typed Parquet parts: written from the item schemas' types, read back by pyarrow against them."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newscrawl.export.source import raw_schema
from newscrawl.export.tables import ARTICLES, FEED_ENTRIES
from newscrawl.export.writers import arrow_schema, check_parquet, prepared, write_part
from newscrawl.schemas import SCHEMA_VERSION

CARD = (
    "https://report.az/en/finance/x",
    "feed",
    "Oil prices rise",
    "2026-01-29T15:08:00+04:00",
    None,
    None,
    ["photo"],
    "https://report.az/en/latest-news",
    0,
    "2026-01-29T17:00:00+00:00",
    "2026-01-30T17:00:00+00:00",
)


def parquet_rows(*cards: tuple[object, ...]) -> pa.Table:
    """Cards as a raw table (``newscrawl.export.source``), prepared for Parquet."""
    rows = [{**dict(zip(FEED_ENTRIES.names, card, strict=True)), "_language": "en"} for card in cards]
    return prepared(FEED_ENTRIES, pa.Table.from_pylist(rows, schema=raw_schema(FEED_ENTRIES)), "parquet")


def test_a_part_is_typed_and_reads_back_against_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "part-0.parquet"
    write_part(FEED_ENTRIES, parquet_rows(CARD, (*CARD[:6], [], *CARD[7:])), path, "parquet", False)
    assert check_parquet(FEED_ENTRIES, path, 2) is None
    table = pq.read_table(path)
    assert table.schema.metadata[b"newscrawl.schema_version"] == SCHEMA_VERSION.encode()
    row = table.to_pylist()[0]
    assert row["media"] == ["photo"] and row["position"] == 0
    assert row["published_at"].isoformat() == "2026-01-29T11:08:00+00:00"
    assert table.column("media").to_pylist()[1] == []


def test_a_part_of_other_types_or_rows_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "part-0.parquet"
    write_part(FEED_ENTRIES, parquet_rows(CARD), path, "parquet", False)
    assert check_parquet(FEED_ENTRIES, path, 3) == "part-0.parquet holds 1 rows, not 3"
    # A part as exports before item schema 2.0 wrote it: times and lists as text.
    old = {
        name: pa.array([str(value) if value is not None else None])
        for name, value in zip(FEED_ENTRIES.names, CARD, strict=True)
    }
    pq.write_table(pa.table(old), path)
    problem = check_parquet(FEED_ENTRIES, path, 1)
    assert problem is not None and "published_at" in problem and "media" in problem


def test_translations_are_a_struct_of_the_three_languages() -> None:
    kind = arrow_schema(ARTICLES).field("translations").type
    assert kind == pa.struct([("az", pa.string()), ("en", pa.string()), ("ru", pa.string())])
