"""Writing one part file of a table in Parquet, JSON Lines (optionally gzip) or CSV.

Parquet goes through pyarrow with an explicit schema, so a part whose column is all null keeps its type.
CSV is RFC 4180 with a header, UTF-8, every text field quoted and null left empty and unquoted, so an
empty string ("") and a null stay apart for readers that care.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscrawl.export.tables import ARRAY, BOOLEAN, INTEGER, OBJECT, Table

FORMATS: tuple[str, ...] = ("parquet", "jsonl", "csv")
MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "jsonl": "application/jsonl", "csv": "text/csv"}
_ARROW_TYPES = {INTEGER: pa.int64(), BOOLEAN: pa.bool_()}


def extension(fmt: str, gzipped: bool) -> str:
    """File name ending of a part.

    >>> extension("jsonl", True), extension("parquet", False)
    ('.jsonl.gz', '.parquet')
    """
    return f".{fmt}" + (".gz" if gzipped else "")


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(c.name, _ARROW_TYPES.get(c.type, pa.string())) for c in table.columns])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _flat_rows(table: Table, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Rows with arrays and objects as JSON text, for Parquet and CSV.

    >>> from newscrawl.export.tables import FEED_ENTRIES
    >>> _flat_rows(FEED_ENTRIES, [("u", "feed", "T", None, None, None, ["photo"], None, 0, None, None)])[0][6]
    '["photo"]'
    """
    encoded = [i for i, column in enumerate(table.columns) if column.type in (ARRAY, OBJECT)]
    if not encoded:
        return rows
    flat = []
    for values in rows:
        row = list(values)
        for i in encoded:
            if row[i] is not None:
                row[i] = _json(row[i])
        flat.append(row)
    return flat


def csv_field(value: Any) -> str:
    """One CSV field: numbers bare, text always quoted, null empty.

    >>> [csv_field(v) for v in (None, "", 'say "hi"\\nbye', 3, True)]
    ['', '""', '"say ""hi""\\nbye"', '3', 'true']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def _write_parquet(table: Table, rows: Sequence[Sequence[Any]], handle: IO[bytes]) -> None:
    flat = _flat_rows(table, rows)
    columns = {name: [row[i] for row in flat] for i, name in enumerate(table.names)}
    pq.write_table(pa.table(columns, schema=arrow_schema(table)), handle)


def _write_text(table: Table, rows: Sequence[Sequence[Any]], fmt: str, handle: IO[str]) -> None:
    if fmt == "jsonl":
        for values in rows:
            handle.write(_json(dict(zip(table.names, values, strict=True))) + "\n")
        return
    handle.write(",".join(csv_field(name) for name in table.names) + "\r\n")
    for values in _flat_rows(table, rows):
        handle.write(",".join(csv_field(value) for value in values) + "\r\n")


def write_part(
    table: Table, rows: Sequence[Sequence[Any]], path: Path, fmt: str, gzipped: bool
) -> tuple[int, str]:
    """Write rows (values in table column order) to path; return its size and SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        with path.open("wb") as raw:
            _write_parquet(table, rows, raw)
    else:
        text = io.StringIO(newline="")
        _write_text(table, rows, fmt, text)
        data = text.getvalue().encode("utf-8")
        # mtime=0: the same rows give the same bytes, whatever the day.
        path.write_bytes(gzip.compress(data, mtime=0) if gzipped else data)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()
