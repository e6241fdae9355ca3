"""Planning one export: which rows go into which part file, written under temporary names.

A full export writes every selected row; an incremental one reads the keys the store's change logs list
since the last export, writes their selected rows into new parts, and writes again, without them, the
older parts that held them. Part numbers grow per folder, so a new part never takes an older one's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newscrawl.export import source
from newscrawl.export.parts import KeyMap, Partition, Stats, partition_dir, partitions, temporary
from newscrawl.export.selection import ExportError
from newscrawl.export.source import Source, key_array, stories_of
from newscrawl.export.tables import ARTICLES, STORIES, Table
from newscrawl.export.writers import arrow_schema, extension, prepared, write_part

if TYPE_CHECKING:
    from newscrawl.export.dataset import Dataset

WRITERS = os.cpu_count() or 1  # threads writing part files
# Rows per part file at most. A changed row makes its part be written again without it: the stories table,
# which is not partitioned, would otherwise be one part as large as the dataset. New stories take new ids,
# so the stories of recent articles sit in the last parts.
PART_ROWS = 20_000
_PART = re.compile(r"part-(\d+)\.")


@dataclass
class TableChanges:
    new: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    written: list[str] = field(default_factory=list)  # part files written by this export
    rewritten: list[str] = field(default_factory=list)  # older parts rewritten without superseded rows
    deleted: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "written": self.written,
            "rewritten": self.rewritten,
            "deleted": self.deleted,
        }


def next_parts(names: Iterable[str]) -> dict[str, int]:
    """Folder -> the next free part number in it, after the parts named.

    >>> next_parts(["stories/part-0.csv", "articles/x/part-4.csv", "stories/part-2.csv"])
    {'stories': 3, 'articles/x': 5}
    """
    numbers: dict[str, int] = {}
    for name in names:
        folder, _, base = name.rpartition("/")
        if match := _PART.match(base):
            numbers[folder] = max(numbers.get(folder, 0), int(match.group(1)) + 1)
    return numbers


@dataclass(frozen=True, slots=True)
class Part:
    """A part file to write: its name, partition, rows (raw) and statistics."""

    name: str
    partition: Partition
    rows: pa.Table  # prepared for the format (``newscrawl.export.writers.prepared``)
    keys: pa.Array
    stats: dict[str, Any]


class Plan:
    """The part files of one export, written under their temporary names as the tables are planned.

    Parts are written by a few threads: pyarrow encodes and compresses without holding the GIL."""

    def __init__(
        self,
        dataset: Dataset,
        source: Source,
        fmt: str,
        gzipped: bool,
        old_files: dict[str, dict[str, Any]],
        keymap: KeyMap,
    ) -> None:
        self.dataset, self.source, self.fmt, self.gzipped = dataset, source, fmt, gzipped
        self.ext = extension(fmt, gzipped)
        self.keymap = keymap
        self.files: dict[str, dict[str, Any]] = dict(old_files)
        # Numbered after every part the directory has, kept or not: a new part never takes the name of one
        # this export deletes, so the deletions can be done again after a crash without harm.
        self.numbers = next_parts(dataset.files())
        self.renames: list[tuple[str, str]] = []
        self.dropped: list[str] = []  # files of the old key map rewritten or deleted
        self.added: dict[str, tuple[Table, pa.Array]] = {}
        self.stories: list[pa.Table] = []  # the stories columns of the articles written
        self.pool = ThreadPoolExecutor(max_workers=WRITERS)
        self.writing: list[tuple[str, Future[tuple[int, str | None]]]] = []
        self.writing_rows = 0

    def table(self, table: Table, incremental: bool) -> TableChanges:
        change = TableChanges()
        if not incremental and table is not STORIES:
            carried: pa.Table | None = None
            for batch in self.source.batches(table):
                # The last partition of a batch may go on in the next one: it waits for it.
                rows = batch if carried is None else pa.concat_tables([carried, batch])
                *_, (_, start, _) = partitions(table, rows)
                carried = rows.slice(start)
                self._add(table, rows.slice(0, start), change, [])
            if carried is not None:
                self._add(table, carried, change, [])
        else:
            changed = self.source.changed(table, self.dataset.state["marks"]) if incremental else set()
            held = self.keymap.holders(table, changed) if changed else {}
            previous = set().union(*held.values()) if held else set()
            parts = self._without(table, held)
            change.rewritten += [part.name for part in parts]
            now: set[str] = set()
            for current in self._changed_rows(table, changed):
                now.update(key_array(table, current).to_pylist())
                self._add(table, current, change, parts)
                parts = []
            change.changed = len(now & previous)
            change.removed = len(previous - now)
            change.new -= change.changed
        rows = sum(info["rows"] for name, info in self.files.items() if name.split("/", 1)[0] == table.name)
        change.unchanged = rows - change.new - change.changed
        return change

    def _changed_rows(self, table: Table, changed: set[str]) -> Iterator[pa.Table]:
        """The selected rows of the changed keys, ``BATCH_ROWS`` keys at a time (a re-extraction of the
        archive may change every article). Stories: one table, from the articles just read."""
        if table is STORIES:  # TABLES lists the articles first
            yield stories_of(pa.concat_tables(self.stories)) if self.stories else self.source.rows(table, ())
            return
        keys = sorted(changed)
        for start in range(0, max(len(keys), 1), source.BATCH_ROWS):
            yield self.source.rows(table, keys[start : start + source.BATCH_ROWS])

    def _add(self, table: Table, current: pa.Table, change: TableChanges, parts: list[Part]) -> None:
        """Write the rows of a raw table into new parts, one per partition, with parts already planned."""
        if table is ARTICLES:
            self.stories.append(current.select(["story_id", "url", "title", "published_at", "_language"]))
        change.new += current.num_rows
        stats, keys = Stats(table, current), key_array(table, current)
        rows = prepared(table, current, self.fmt)
        for partition, first, rows_in_partition in partitions(table, current):
            folder = partition_dir(table, partition)
            end = first + rows_in_partition
            for start in range(first, end, PART_ROWS):
                length = min(PART_ROWS, end - start)
                number = self.numbers[folder] = self.numbers.get(folder, 0) + 1
                name = f"{folder}/part-{number - 1}{self.ext}"
                part = Part(
                    name,
                    partition,
                    rows.slice(start, length),
                    keys.slice(start, length),
                    stats.of(start, length),
                )
                parts.append(part)
                change.written.append(name)
        self._write(table, parts)

    def _without(self, table: Table, held: dict[str, set[str]]) -> list[Part]:
        """The older parts that held keys now leaving them (changed or removed), again without those keys;
        a part none of whose keys stays is left out (it is then deleted)."""
        holding = self.keymap.keys_of(held)
        kept: list[tuple[str, pa.Array, pa.Array, Partition]] = []
        for name, leaving in sorted(held.items()):
            self.dropped.append(name)
            gone = pa.array(sorted(leaving), pa.string())
            staying = holding[name].filter(pc.invert(pc.is_in(holding[name], value_set=gone)))
            partition = self.files.pop(name)["partition"]
            if len(staying):
                kept.append(
                    (name, staying, gone, None if partition is None else (partition[0], partition[1]))
                )

        def read_back(name: str, gone: pa.Array) -> pa.Table:
            # The staying rows are unchanged since this part was written: read them back from it.
            rows = pq.read_table(self.dataset.root / name, schema=arrow_schema(table))
            return rows.filter(pc.invert(pc.is_in(key_array(table, rows), value_set=gone)))

        if self.fmt == "parquet":  # read by the writing threads: pyarrow reads without the GIL
            read = list(self.pool.map(read_back, [k[0] for k in kept], [k[2] for k in kept]))
        else:  # the text formats are read back from the store, whose staying rows are as written
            read = [self.source.rows(table, staying.to_pylist()) for _, staying, _, _ in kept]
        parts = []
        for (name, staying, _, partition), rows in zip(kept, read, strict=True):
            if rows.num_rows != len(staying):
                raise ExportError(
                    f"{self.dataset.root / name} does not hold the rows its export state lists; "
                    "run without --incremental to rewrite the dataset"
                )
            data = rows if self.fmt == "parquet" else prepared(table, rows, self.fmt)
            parts.append(Part(name, partition, data, key_array(table, rows), Stats.whole(table, rows)))
        return parts

    def _write(self, table: Table, parts: list[Part]) -> None:
        """Record parts and hand them to the writing threads. The rows in the writers' hands stay under
        two batches: the next batch is read while this one is written, and a small export's parts are
        written while the rest of the export goes on."""
        rows = sum(part.rows.num_rows for part in parts)
        if self.writing and self.writing_rows + rows > 2 * source.BATCH_ROWS:
            self.collect()
        for folder in {part.name.rpartition("/")[0] for part in parts}:
            (self.dataset.root / folder).mkdir(parents=True, exist_ok=True)
        for part in parts:
            self.files[part.name] = {
                "partition": None if part.partition is None else list(part.partition),
                "bytes": None,  # known once written
                "sha256": None,
                **part.stats,
            }
            self.renames.append((temporary(part.name), part.name))
            self.added[part.name] = (table, part.keys)
            self.writing.append((part.name, self.pool.submit(self._write_part, table, part)))
        self.writing_rows += rows

    def _write_part(self, table: Table, part: Part) -> tuple[int, str | None]:
        try:
            return write_part(
                table, part.rows, self.dataset.root / temporary(part.name), self.fmt, self.gzipped
            )
        except ValueError as exc:
            raise ExportError(f"{part.name}: {exc}; delete {self.dataset.root} and export again") from None

    def collect(self) -> None:
        """Wait for the parts being written; record their sizes and hashes."""
        writing, self.writing, self.writing_rows = self.writing, [], 0
        for name, future in writing:
            self.files[name]["bytes"], self.files[name]["sha256"] = future.result()

    def close(self) -> None:
        """Wait for every part (``collect``) and end the writing threads."""
        try:
            self.collect()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
