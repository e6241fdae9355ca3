"""Part files as the export plans them: the partitions of a sorted raw table, what each part holds (its
statistics, from which the card is written without reading the rows again), and the map of which part
holds which key.

The key map is an Arrow IPC file of its own (``_export_keys-<n>.arrow``, ignored by Hive-style readers as
its name starts with ``_``): one row per exported row, its table, key and part file. An incremental export
reads it to find the parts that hold the keys that changed, and writes the next one.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from newscrawl.export.source import PARTITION_COLUMNS
from newscrawl.export.tables import ARTICLES, NULL_PARTITION, PARTITION_KEYS, Table

Partition = tuple[str, str | None] | None


def partitions(table: Table, raw: pa.Table) -> list[tuple[Partition, int, int]]:
    """(partition, first row, rows) of each partition of a sorted raw table, in order; one run of all rows
    with partition None for a table that is not partitioned.

    >>> from newscrawl.export.source import raw_schema
    >>> from newscrawl.export.tables import FEED_ENTRIES
    >>> rows = [{"url": "u", "listing": "feed", "_language": lang, "_date": day}
    ...         for lang, day in [("az", None), ("en", "2026-01-29"), ("en", "2026-01-29")]]
    >>> partitions(FEED_ENTRIES, pa.Table.from_pylist(rows, schema=raw_schema(FEED_ENTRIES)))
    [(('az', None), 0, 1), (('en', '2026-01-29'), 1, 2)]
    """
    if not table.partitioned:
        return [(None, 0, raw.num_rows)] if raw.num_rows else []
    found: list[tuple[Partition, int, int]] = []
    start = 0
    languages, days = (raw.column(name).to_pylist() for name in PARTITION_COLUMNS)
    for (language, day), run in itertools.groupby(zip(languages, days, strict=True)):
        length = sum(1 for _ in run)
        found.append(((language, day), start, length))
        start += length
    return found


def _filled(column: pa.ChunkedArray) -> np.ndarray:
    """Per row, whether the cell holds something: not null, not "", [] or a struct of nulls only."""
    kind = column.type
    if pa.types.is_list(kind):
        mask = pc.greater(pc.list_value_length(column), 0)
    elif pa.types.is_struct(kind):
        chunks = column.combine_chunks()
        held = pc.is_valid(chunks.field(0))
        for i in range(1, kind.num_fields):
            held = pc.or_(held, pc.is_valid(chunks.field(i)))
        mask = pc.and_(pc.is_valid(chunks), held)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        mask = pc.and_(pc.is_valid(column), pc.not_equal(column, ""))
    else:
        mask = pc.is_valid(column)
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=np.int64)


def filled_count(column: pa.ChunkedArray) -> int:
    """How many cells of a column hold something (as ``_filled``), without a mask where the null count
    says it: numbers, booleans and times are filled when not null.

    >>> filled_count(pa.chunked_array([[1, None, 3]])), filled_count(pa.chunked_array([["a", "", None]]))
    (2, 1)
    """
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_timestamp(kind):
        return len(column) - int(column.null_count)
    return int(_filled(column).sum())


class Stats:
    """Running counts of a sorted raw table, to state each part's statistics in O(1) per column."""

    def __init__(self, table: Table, raw: pa.Table) -> None:
        self.table = table
        self._sums = [np.concatenate(([0], np.cumsum(_filled(raw.column(name))))) for name in table.names]
        if table is ARTICLES:
            self._categories(raw)

    def _categories(self, raw: pa.Table) -> None:
        """Each row's category as a number, for counts per part."""
        codes = raw.column("category").combine_chunks().dictionary_encode()
        self._names = [name or "" for name in codes.dictionary.to_pylist()]
        indices = pc.fill_null(codes.indices, len(self._names)).to_numpy(zero_copy_only=False)
        self._names.append("")  # no category
        self._codes = np.asarray(indices, dtype=np.int64)

    @staticmethod
    def whole(table: Table, raw: pa.Table) -> dict[str, Any]:
        """The statistics of a whole part, as ``of`` gives them, counted without running sums."""
        stats: dict[str, Any] = {
            "rows": raw.num_rows,
            "filled": [filled_count(raw.column(name)) for name in table.names],
        }
        if table is ARTICLES:
            categories: dict[str, int] = {}
            for item in pc.value_counts(raw.column("category").combine_chunks()).to_pylist():
                name = item["values"] or ""
                categories[name] = categories.get(name, 0) + int(item["counts"])
            stats["categories"] = categories
        return stats

    def of(self, start: int, length: int) -> dict[str, Any]:
        """Rows, rows with a value per column (in column order) and, for articles, rows per category."""
        end = start + length
        stats: dict[str, Any] = {
            "rows": length,
            "filled": [int(sums[end] - sums[start]) for sums in self._sums],
        }
        if self.table is ARTICLES:
            counts = np.bincount(self._codes[start:end], minlength=len(self._names))
            categories: dict[str, int] = {}
            for code in np.flatnonzero(counts):
                categories[self._names[code]] = categories.get(self._names[code], 0) + int(counts[code])
            stats["categories"] = categories
        return stats


class KeyMap:
    """Which part file holds which key, per table."""

    # Table and file names repeat: dictionary columns make the map quick to read and filter.
    SCHEMA = pa.schema(
        [
            ("table", pa.dictionary(pa.int32(), pa.string())),
            ("key", pa.string()),
            ("file", pa.dictionary(pa.int32(), pa.string())),
        ]
    )

    def __init__(self, data: pa.Table | None = None) -> None:
        self.data = data if data is not None else self.SCHEMA.empty_table()

    @classmethod
    def read(cls, path: Path) -> KeyMap:
        data = feather.read_table(path)
        if data.schema != cls.SCHEMA:
            data = data.cast(cls.SCHEMA)
        return cls(data)

    def write(self, path: Path) -> None:
        """Write the map to path and to the disk: the export state saved next names it."""
        with path.open("wb") as handle:
            feather.write_feather(self.data, handle, compression="lz4")
            handle.flush()
            os.fsync(handle.fileno())

    def holders(self, table: Table, keys: Iterable[str]) -> dict[str, set[str]]:
        """part file -> those of keys it holds."""
        rows = self.data.filter(
            pc.is_in(self.data.column("key"), value_set=pa.array(list(keys), pa.string()))
        )
        found = rows.filter(pc.equal(rows.column("table"), table.name))
        held: dict[str, set[str]] = {}
        for key, name in zip(found.column("key").to_pylist(), found.column("file").to_pylist(), strict=True):
            held.setdefault(name, set()).add(key)
        return held

    def keys_of(self, names: Iterable[str]) -> dict[str, pa.Array]:
        """part file -> every key it holds, for the files named."""
        wanted = pa.array(sorted(names), pa.string())
        files = self.data.column("file").cast(pa.string())
        rows = pa.table({"file": files, "key": self.data.column("key")}).filter(
            pc.is_in(files, value_set=wanted)
        )
        grouped = rows.group_by("file", use_threads=False).aggregate([("key", "list")])
        return {
            str(name): keys.values
            for name, keys in zip(grouped.column("file").to_pylist(), grouped.column("key_list"), strict=True)
        }

    def replaced(self, dropped: Sequence[str], added: Mapping[str, tuple[Table, pa.Array]]) -> KeyMap:
        """A new map without the files dropped (rewritten or deleted) and with the keys of the files
        added (file -> (table, keys))."""
        kept = self.data
        if dropped:
            gone = pa.array(list(dropped), pa.string())
            kept = kept.filter(pc.invert(pc.is_in(kept.column("file"), value_set=gone)))
        pieces = [kept]
        for name, (table, keys) in added.items():
            zeros = pa.array(np.zeros(len(keys), dtype=np.int32))
            pieces.append(
                pa.Table.from_arrays(
                    [
                        pa.DictionaryArray.from_arrays(zeros, pa.array([table.name])),
                        keys.cast(pa.string()),
                        pa.DictionaryArray.from_arrays(zeros, pa.array([name])),
                    ],
                    schema=self.SCHEMA,
                )
            )
        return KeyMap(pa.concat_tables(pieces).unify_dictionaries().combine_chunks())


def partition_dir(table: Table, partition: tuple[str, str | None] | None) -> str:
    """Relative folder of a partition.

    >>> from newscrawl.export.tables import ARTICLES, STORIES
    >>> partition_dir(ARTICLES, ("az", "2026-01-29")), partition_dir(ARTICLES, ("en", None))
    ('articles/language=az/date=2026-01-29', 'articles/language=en/date=__HIVE_DEFAULT_PARTITION__')
    >>> partition_dir(STORIES, None)
    'stories'
    """
    if not table.partitioned or partition is None:
        return table.name
    values = (partition[0], partition[1] or NULL_PARTITION)
    return "/".join([table.name, *(f"{k}={v}" for k, v in zip(PARTITION_KEYS, values, strict=True))])


def temporary(relative: str) -> str:
    """The hidden name a part is written under before the export commits.

    >>> temporary("stories/part-0.parquet")
    'stories/.part-0.parquet.tmp'
    """
    folder, _, name = relative.rpartition("/")
    return f"{folder}/.{name}.tmp" if folder else f".{name}.tmp"
