"""The dataset directory: which part file holds which row, and how an export replaces files safely.

``_export_state.json`` in the dataset directory records, for every part file, the key and a fingerprint
of every row it holds. That is what makes an export exactly once and incremental:

- A full export writes every selected row of the store into new part files and drops all older ones.
- An incremental export keeps every row whose fingerprint is unchanged where it is, writes new and
  changed rows into new part files (``part-<n+1>``), and rewrites the older files that held the previous
  versions of changed rows without them. Each key lives in one file, so each row is there once.

Files are written under hidden temporary names (``.part-3.parquet.tmp``, which DuckDB's ``*.parquet``
globs and pyarrow skip), then the new state is saved with the list of renames and deletions still to do,
then they are done: rewritten files first (same name, atomic), then deletions, then new files (a full
export deletes every old file first). A row is thus never visible twice. An export killed before the
state is saved leaves only temporary files, which the next export removes; one killed after finishes on
the next export.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.export.source import Entry, ExportError, TableRows
from newscrawl.export.tables import NULL_PARTITION, PARTITION_KEYS, TABLES, Table
from newscrawl.export.writers import extension, write_part
from newscrawl.schemas import SCHEMA_VERSION

STATE_FILE = "_export_state.json"
STATE_VERSION = 1
_PART = re.compile(r"part-(\d+)\.")


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


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        # Compact and in one write: with indent, json falls back to its pure-Python encoder, slow over 100k
        # row keys.
        handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace path with data in one rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _next_part(folder: str, *taken: dict[str, Any]) -> int:
    """The next free part number in folder.

    >>> _next_part("stories", {"stories/part-0.csv": 0, "articles/part-4.csv": 0}, {"stories/part-2.csv": 0})
    3
    """
    numbers = [
        int(match.group(1))
        for files in taken
        for name in files
        if name.rpartition("/")[0] == folder and (match := _PART.match(name.rpartition("/")[2]))
    ]
    return max(numbers, default=-1) + 1


class Dataset:
    """A dataset directory and its export state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state: dict[str, Any] = {}

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    def open(self) -> None:
        """Create or check the directory, finish an interrupted commit, drop leftovers of a killed export."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-probe.tmp"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ExportError(
                f"cannot write to {self.root} ({exc.strerror or exc}); "
                "choose an output directory you can write to"
            ) from None
        if self.state_path.exists():
            try:
                self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise ExportError(
                    f"{self.state_path} is damaged; delete {self.root} and export again"
                ) from None
            self._finish_pending()
        elif any(p.is_file() and not p.name.endswith(".tmp") for p in self.root.rglob("*")):
            raise ExportError(
                f"{self.root} already holds files that are not a newscrawl export; "
                "choose an empty or new directory"
            )
        for table in TABLES:
            for leftover in (self.root / table.name).rglob(".*.tmp"):
                leftover.unlink()

    def files(self) -> dict[str, dict[str, str]]:
        """Part file (relative path) -> {row key: fingerprint}."""
        files: dict[str, dict[str, str]] = self.state.get("files", {})
        return files

    def check_incremental(self, fmt: str, gzipped: bool, selection: dict[str, Any]) -> None:
        """An incremental export must use the options of the export it continues."""
        if not self.state:
            return
        schema = self.state.get("schema", "1")
        if schema != SCHEMA_VERSION:
            raise ExportError(
                f"{self.root} follows item schema {schema}, this newscrawl writes {SCHEMA_VERSION} "
                "(docs/schema-changelog.md); run without --incremental to rewrite it"
            )
        before = (self.state.get("format"), bool(self.state.get("gzip")), self.state.get("selection"))
        if before != (fmt, gzipped, selection):
            raise ExportError(
                f"{self.root} was exported with other options ({self._options(*before)}); "
                "repeat those options with --incremental, or run without --incremental to rewrite it"
            )
        missing = [name for name in self.files() if not (self.root / name).is_file()]
        if missing:
            raise ExportError(
                f"{self.root} lacks {len(missing)} part file(s) that its export state lists "
                f"(such as {missing[0]}); "
                "run without --incremental to rewrite it"
            )

    @staticmethod
    def _options(fmt: Any, gzipped: Any, selection: Any) -> str:
        parts = [f"--format {fmt}"] + (["--gzip"] if gzipped else [])
        if isinstance(selection, dict):
            for name in ("since", "until"):
                if selection.get(name):
                    parts.append(f"--{name} {selection[name]}")
            if selection.get("languages"):
                parts.append(f"--lang {','.join(selection['languages'])}")
            if selection.get("categories"):
                parts.append(f"--category {','.join(selection['categories'])}")
        return " ".join(parts)

    # -- planning and committing ---------------------------------------------------------------------

    def export(
        self,
        rows: dict[str, TableRows],
        *,
        fmt: str,
        gzipped: bool,
        incremental: bool,
        selection: dict[str, Any],
        exported_at: str,
    ) -> dict[str, TableChanges]:
        """Bring the directory to exactly ``rows``; return what changed per table."""
        old_files = self.files() if incremental else {}
        ext = extension(fmt, gzipped)
        new_files: dict[str, dict[str, str]] = {}
        renames: list[tuple[str, str]] = []
        old_hashes: dict[str, Any] = self.state.get("hashes", {}) if incremental else {}
        hashes: dict[str, Any] = {}
        changes: dict[str, TableChanges] = {}
        for table in TABLES:
            change = changes[table.name] = TableChanges()
            source = rows[table.name]
            current = {entry.key: entry for entry in source.entries}
            prints = {key: entry.fingerprint for key, entry in current.items()}
            previous: dict[str, str] = {}
            kept: set[str] = set()
            for name, keys in old_files.items():
                if name.split("/", 1)[0] != table.name:
                    continue
                previous.update(keys)
                stay = {k: fp for k, fp in keys.items() if prints.get(k) == fp}
                kept.update(stay)
                if len(stay) == len(keys):
                    new_files[name] = keys
                    hashes[name] = old_hashes[name]
                elif stay:
                    kept_keys = [k for k in keys if k in stay]
                    self._write(table, source, kept_keys, name, fmt, gzipped, hashes)
                    renames.append((temporary(name), name))
                    new_files[name] = stay
                    change.rewritten.append(name)
            fresh: dict[str, list[Entry]] = defaultdict(list)
            for key, entry in current.items():
                if key in kept:
                    continue
                fresh[partition_dir(table, entry.partition)].append(entry)
                if key not in previous:
                    change.new += 1
                else:
                    change.changed += 1
            change.unchanged = len(kept)
            change.removed = len(set(previous) - set(current))
            for folder, entries in sorted(fresh.items()):
                name = f"{folder}/part-{_next_part(folder, old_files, new_files)}{ext}"
                self._write(table, source, [entry.key for entry in entries], name, fmt, gzipped, hashes)
                renames.append((temporary(name), name))
                new_files[name] = {entry.key: entry.fingerprint for entry in entries}
                change.written.append(name)
        deletes = sorted(name for name in self.files() if name not in new_files)
        for name in deletes:
            changes[name.split("/", 1)[0]].deleted.append(name)
        if not incremental:
            # A full export may move rows between files both ways: every old file goes before a new one
            # comes, so that no row is ever in two files at once (rows are briefly missing instead).
            deletes = sorted(self.files())
        history = [*self.state.get("history", []), {"exported_at": exported_at, "incremental": incremental}]
        history[-1]["tables"] = {name: change.summary() for name, change in changes.items()}
        state = {
            "version": STATE_VERSION,
            "schema": SCHEMA_VERSION,
            "format": fmt,
            "gzip": gzipped,
            "selection": selection,
            "exported_at": exported_at,
            "files": new_files,
            "hashes": {name: hashes[name] for name in sorted(new_files)},
            "history": history[-100:],
            "pending": {"renames": renames, "deletes": deletes},
        }
        self.state = state
        _atomic_json(self.state_path, state)
        self._finish_pending()
        return changes

    def _write(
        self,
        table: Table,
        source: TableRows,
        keys: list[str],
        name: str,
        fmt: str,
        gzipped: bool,
        hashes: dict[str, Any],
    ) -> None:
        values = [row.values for row in source.load(keys)]
        hashes[name] = write_part(table, values, self.root / temporary(name), fmt, gzipped)

    def _finish_pending(self) -> None:
        pending = self.state.get("pending")
        if not pending:
            return
        renames = [(self.root / tmp, self.root / name) for tmp, name in pending["renames"]]
        # Incremental: rewritten files only lose rows, so they go first (an atomic replace of an existing
        # name), then deletions, then new files. Full: every old file is in the deletions. Either way no
        # row is ever visible in two files at once.
        deleting = {self.root / name for name in pending["deletes"]}
        replacing = [(tmp, final) for tmp, final in renames if final.exists() and final not in deleting]
        adding = [pair for pair in renames if pair not in replacing]
        for tmp, final in replacing:
            if tmp.exists():
                os.replace(tmp, final)
        for name in pending["deletes"]:
            path = self.root / name
            path.unlink(missing_ok=True)
            for parent in path.parents:
                if parent == self.root or any(parent.iterdir()):
                    break
                parent.rmdir()
        for tmp, final in adding:
            if tmp.exists():
                os.replace(tmp, final)
        del self.state["pending"]
        _atomic_json(self.state_path, self.state)

    def part_files(self) -> list[tuple[str, str]]:
        """(table, relative path) of every part, sorted."""
        return sorted((name.split("/", 1)[0], name) for name in self.files())
