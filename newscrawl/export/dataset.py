"""The dataset directory: which part file holds which row, and how an export replaces files safely.

``_export_state.json`` in the dataset directory records every part file with its partition, size and
statistics (rows, rows with a value per column, articles per category: the card is written from them),
the positions of the store's change logs the export read up to (``marks``), and the key map
(``_export_keys-<n>.arrow``: which part holds which key). That is what makes an export exactly once and
incremental:

- A full export writes every selected row of the store into new part files and drops all older ones.
- An incremental export reads only the keys the store's change logs list after the marks. It writes
  their rows that are still selected into new part files (``part-<n+1>``), and rewrites the older files
  that held earlier versions of them without them. Each key lives in one file, so each row is there once,
  and the cost follows what changed, not the size of the store.

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
from pathlib import Path
from typing import Any

from newscrawl.export.parts import KeyMap
from newscrawl.export.plan import Plan, TableChanges
from newscrawl.export.selection import ExportError
from newscrawl.export.source import Source
from newscrawl.export.tables import TABLES
from newscrawl.schemas import SCHEMA_VERSION

STATE_FILE = "_export_state.json"
STATE_VERSION = 2
KEYS_PREFIX = "_export_keys-"
KEYS_NUMBER = re.compile(r"_export_keys-(\d+)\.arrow$")


def _atomic_json(path: Path, data: Any, durable: bool = True) -> None:
    """Replace path with data as JSON in one rename; ``durable``: on the disk before the rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        # Compact and in one write: with indent, json falls back to its pure-Python encoder.
        handle.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(tmp, path)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace path with data in one rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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
        elif any(
            p.is_file() and not p.name.endswith(".tmp") and not p.name.startswith(KEYS_PREFIX)
            for p in self.root.rglob("*")
        ):
            raise ExportError(
                f"{self.root} already holds files that are not a newscrawl export; "
                "choose an empty or new directory"
            )
        for table in TABLES:
            for leftover in (self.root / table.name).rglob(".*.tmp"):
                leftover.unlink()
        self._drop_other_keys()

    def _drop_other_keys(self) -> None:
        """Remove key maps the state does not name (older ones, or one of an export killed before its
        state was saved)."""
        for path in self.root.glob(f"{KEYS_PREFIX}*"):
            if path.name != self.state.get("keys"):
                path.unlink()

    def files(self) -> dict[str, dict[str, Any]]:
        """Part file (relative path) -> what the state records of it."""
        files: dict[str, dict[str, Any]] = self.state.get("files", {})
        return files

    def check_incremental(
        self, fmt: str, gzipped: bool, selection: dict[str, Any], marks: dict[str, int] | None
    ) -> None:
        """An incremental export must use the options of the export it continues, and both must know
        the store's change logs (``marks``)."""
        if not self.state:
            return
        schema = self.state.get("schema", "1")
        if schema != SCHEMA_VERSION:
            raise ExportError(
                f"{self.root} follows item schema {schema}, this newscrawl writes {SCHEMA_VERSION} "
                "(docs/schema-changelog.md); run without --incremental to rewrite it"
            )
        if self.state.get("version") != STATE_VERSION:
            raise ExportError(
                f"{self.root} was written by an earlier newscrawl (export state {self.state.get('version')}, "
                f"now {STATE_VERSION}); run without --incremental once to rewrite it"
            )
        if marks is None:
            raise ExportError(
                "the store has no change log yet (its schema predates migration 0007); run a crawl on it "
                "once to migrate it, or export without --incremental"
            )
        if self.state.get("marks") is None:
            raise ExportError(
                f"{self.root} was exported from the store before it kept a change log; "
                "run without --incremental once"
            )
        before = (self.state.get("format"), bool(self.state.get("gzip")), self.state.get("selection"))
        if before != (fmt, gzipped, selection):
            raise ExportError(
                f"{self.root} was exported with other options ({self._options(*before)}); "
                "repeat those options with --incremental, or run without --incremental to rewrite it"
            )
        missing = [name for name in [*self.files(), self.state["keys"]] if not (self.root / name).is_file()]
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
        source: Source,
        *,
        fmt: str,
        gzipped: bool,
        incremental: bool,
        selection: dict[str, Any],
        exported_at: str,
    ) -> dict[str, TableChanges]:
        """Bring the directory to exactly the selected rows of the store; return what changed per table."""
        continuing = incremental and bool(self.state)  # the first export into a directory is a full one
        old_files = self.files() if continuing else {}
        keymap = KeyMap.read(self.root / self.state["keys"]) if continuing else KeyMap()
        plan = Plan(self, source, fmt, gzipped, old_files, keymap)
        try:
            changes = {table.name: plan.table(table, continuing) for table in TABLES}
            keys = self.state.get("keys") if continuing else None
            if plan.dropped or plan.added or keys is None:  # while the last parts are written
                keys = f"{KEYS_PREFIX}{int(self.state.get('keys_generation', 0)) + 1}.arrow"
                keymap.replaced(plan.dropped, plan.added).write(self.root / keys)
        finally:
            plan.close()
        deletes = sorted(name for name in self.files() if name not in plan.files)
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
            "marks": source.marks,
            "keys": keys,
            "keys_generation": int(KEYS_NUMBER.match(keys).group(1)),  # type: ignore[union-attr]
            "files": dict(sorted(plan.files.items())),
            "history": history[-100:],
            "pending": {"renames": plan.renames, "deletes": deletes},
        }
        self.state = state
        _atomic_json(self.state_path, state)
        self._finish_pending()
        return changes

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
        # Not forced to the disk: should this state be lost, the next export finds the pending work of
        # the one before, already done, and does it again (each step can be repeated).
        _atomic_json(self.state_path, self.state, durable=False)
        self._drop_other_keys()

    def part_files(self) -> list[tuple[str, str]]:
        """(table, relative path) of every part, sorted."""
        return sorted((name.split("/", 1)[0], name) for name in self.files())
