"""Writing one part file of a table in Parquet, JSON Lines (optionally gzip) or CSV.

Parquet goes through pyarrow with the table's Arrow schema (derived from the item schemas): times as UTC
instants, lists as ``list<string>``, ``translations`` as ``struct<az, en, ru>``, integers and booleans native;
a part whose column is all null keeps its type. JSON Lines are native JSON (times as the store's ISO 8601
text). CSV is RFC 4180 with a header, UTF-8, every text field quoted, lists and objects as JSON text, and
null left empty and unquoted, so an empty string ("") and a null stay apart for readers that care.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscrawl.export.tables import ARRAY, OBJECT, Table
from newscrawl.schemas import SCHEMA_VERSION

FORMATS: tuple[str, ...] = ("parquet", "jsonl", "csv")
MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "jsonl": "application/jsonl", "csv": "text/csv"}
# Key of the Parquet file metadata that names the item schema version the file follows.
SCHEMA_VERSION_KEY = b"newscrawl.schema_version"


def extension(fmt: str, gzipped: bool) -> str:
    """File name ending of a part.

    >>> extension("jsonl", True), extension("parquet", False)
    ('.jsonl.gz', '.parquet')
    """
    return f".{fmt}" + (".gz" if gzipped else "")


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table's Parquet parts, with the item schema version in its metadata.

    >>> from newscrawl.export.tables import FEED_ENTRIES
    >>> arrow_schema(FEED_ENTRIES).field("media").type
    ListType(list<element: string>)
    """
    if table.name not in _SCHEMAS:
        fields = [pa.field(c.name, c.arrow) for c in table.columns]
        _SCHEMAS[table.name] = pa.schema(fields, metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode()})
    return _SCHEMAS[table.name]


_SCHEMAS: dict[str, pa.Schema] = {}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _flat_rows(table: Table, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Rows with arrays and objects as JSON text, for CSV.

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


def instants(texts: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """ISO 8601 texts as UTC instants; a text without an offset is taken as UTC, as the crawler writes.

    >>> texts = pa.array(["2026-01-29T15:08:00+04:00", None, "2026-01-29T11:08:00"])
    >>> [str(v) for v in instants(texts, pa.timestamp("us", tz="UTC")).to_pylist()]
    ['2026-01-29 11:08:00+00:00', 'None', '2026-01-29 11:08:00+00:00']
    """
    try:
        return pc.cast(texts, kind)
    except pa.ArrowInvalid:  # a naive text (older stores): parsed one by one
        parsed = [None if v is None else datetime.fromisoformat(v) for v in texts.to_pylist()]
        return pa.array([v if v is None or v.tzinfo else v.replace(tzinfo=UTC) for v in parsed], kind)


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


def parquet_table(table: Table, raw: pa.Table) -> pa.Table:
    """A raw table (``newscrawl.export.source``) as an Arrow table of the table's Parquet schema."""
    schema = arrow_schema(table)
    arrays = []
    for column in schema:
        values = raw.column(column.name)
        arrays.append(instants(values, column.type) if pa.types.is_timestamp(column.type) else values)
    return pa.Table.from_arrays(arrays, schema=schema)


def python_rows(table: Table, raw: pa.Table) -> list[tuple[Any, ...]]:
    """A raw table as rows of Python values in column order, for the text formats: times as the store's
    text, lists as lists, translations as an object of the languages it has."""
    columns = []
    for column in table.columns:
        values = raw.column(column.name).to_pylist()
        if column.type == OBJECT:
            values = [v if v is None else {k: t for k, t in v.items() if t is not None} for v in values]
        columns.append(values)
    return list(zip(*columns, strict=True))


def check_parquet(table: Table, path: Path, rows: int, data: pa.Buffer | None = None) -> str | None:
    """What is wrong with a Parquet part (the file at path, or its bytes ``data`` before they are written
    there), read back by pyarrow: its schema against the table's (types and schema version) and its row
    count; None when nothing is."""
    metadata = pq.read_metadata(path if data is None else pa.BufferReader(data))
    schema = metadata.schema.to_arrow_schema()
    expected = arrow_schema(table)
    if not schema.equals(expected, check_metadata=True):
        wrong = [f.name for f in expected if f.name not in schema.names or schema.field(f.name) != f]
        return f"{path.name} has other columns or types than {table.name} ({', '.join(wrong) or 'metadata'})"
    if metadata.num_rows != rows:
        return f"{path.name} holds {metadata.num_rows} rows, not {rows}"
    return None


def _write_text(table: Table, rows: Sequence[Sequence[Any]], fmt: str, handle: IO[str]) -> None:
    if fmt == "jsonl":
        for values in rows:
            handle.write(_json(dict(zip(table.names, values, strict=True))) + "\n")
        return
    handle.write(",".join(csv_field(name) for name in table.names) + "\r\n")
    for values in _flat_rows(table, rows):
        handle.write(",".join(csv_field(value) for value in values) + "\r\n")


def prepared(table: Table, raw: pa.Table, fmt: str) -> pa.Table:
    """The rows of a raw table as ``write_part`` takes them for fmt: typed for Parquet, raw for the text
    formats. Prepared once per table, then sliced into parts."""
    return parquet_table(table, raw) if fmt == "parquet" else raw


# Below this many rows a part is written without dictionary pages, which only pay off with repeats, and
# without column statistics, which let a reader skip a file that is read in a moment anyway.
_SMALL_PART_ROWS = 64


def write_part(table: Table, rows: pa.Table, path: Path, fmt: str, gzipped: bool) -> tuple[int, str | None]:
    """Write prepared rows (``prepared``) to path; return its size and, for the text formats, its
    SHA-256 (the Data Package states it; Frictionless does not check it on Parquet). A Parquet part is read
    back by pyarrow and checked against the table's schema before it is written; ValueError says what is
    wrong. The folder of path must exist."""
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        large = rows.num_rows >= _SMALL_PART_ROWS
        pq.write_table(rows, sink, use_dictionary=large, write_statistics=large)
        data = sink.getvalue()
        problem = check_parquet(table, path, rows.num_rows, data)
        if problem is not None:
            raise ValueError(problem)
        with path.open("wb") as handle:
            handle.write(memoryview(data))
        return data.size, None
    text = io.StringIO(newline="")
    _write_text(table, python_rows(table, rows), fmt, text)
    data = text.getvalue().encode("utf-8")
    # mtime=0: the same rows give the same bytes, whatever the day.
    data = gzip.compress(data, mtime=0) if gzipped else data
    path.write_bytes(data)
    return len(data), hashlib.sha256(data).hexdigest()
