"""The store's file: opening it (one sentence for every way that fails), migrating it, batching commits.

Migrations are the numbered SQL files in ``migrations/``; ``PRAGMA user_version`` holds how many have
run. Append a file, never edit one that was released.
"""

from __future__ import annotations

import json
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any, Self

from newscrawl.exceptions import StoreError

# Short, so that a second crawl on the same file fails at open instead of waiting behind the first.
OPEN_BUSY_TIMEOUT_MS = 200
# Once open, a reader (sqlite3 shell, Datasette) may hold the file briefly: wait for it.
BUSY_TIMEOUT_MS = 10_000

MIGRATIONS: tuple[str, ...] = tuple(
    sql.read_text(encoding="utf-8")
    for sql in sorted(
        resources.files("newscrawl.store").joinpath("migrations").iterdir(), key=lambda p: p.name
    )
    if sql.name.endswith(".sql")
)
SCHEMA_VERSION = len(MIGRATIONS)

_TABLES = (
    "stories",
    "articles",
    "tags",
    "translations",
    "url_aliases",
    "feed_entries",
    "gone",
    "runs",
    "walks",
    "coverage",
    "failures",
)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _error_for(path: Path, exc: Exception) -> StoreError:
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return StoreError(
            f"another crawl is writing to {path}; wait for it or set NEWSCRAWL_SQLITE to another file"
        )
    if "not a database" in message or "malformed" in message:
        return StoreError(
            f"{path} is not a SQLite database; move it aside or set NEWSCRAWL_SQLITE to another file"
        )
    return StoreError(
        f"cannot write the SQLite store {path} ({exc}); "
        "set NEWSCRAWL_SQLITE to a file in a writable directory"
    )


class Database:
    """A connection to one store file: opening, migrating, the write lock and batched commits."""

    def __init__(self, connection: sqlite3.Connection, path: Path, batch_size: int | None = None) -> None:
        self.connection = connection
        self.path = path
        # None: the caller commits (the ledger, which must not commit an item before its JSON line).
        self.batch_size = None if batch_size is None else max(1, batch_size)
        self.pending = 0

    # -- opening and closing --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, batch_size: int | None = None) -> Self:
        """Open (creating on first use) and migrate the store at path, or raise StoreError."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory of the SQLite store {path} ({exc.strerror}); "
                "set NEWSCRAWL_SQLITE to a file in a writable directory"
            ) from None
        try:
            # Autocommit at the driver level: this class issues BEGIN/COMMIT itself to batch writes.
            connection = sqlite3.connect(path, timeout=OPEN_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _error_for(path, exc) from None
        store = cls(connection, path, batch_size)
        try:
            store._prepare()
        except sqlite3.Error as exc:
            connection.close()
            raise _error_for(path, exc) from None
        except StoreError:
            connection.close()
            raise
        return store

    def _prepare(self) -> None:
        execute = self.connection.execute
        version = int(execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this newscrawl understands "
                f"({SCHEMA_VERSION}); upgrade newscrawl or set NEWSCRAWL_SQLITE to another file"
            )
        execute(f"PRAGMA busy_timeout = {OPEN_BUSY_TIMEOUT_MS}")
        # The write-lock probe: a second crawl on the same file fails here, once, before any item.
        execute("BEGIN IMMEDIATE")
        try:
            version = int(execute("PRAGMA user_version").fetchone()[0])
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    execute(statement)
            execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            execute("COMMIT")
        except BaseException:
            execute("ROLLBACK")
            raise
        if execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            raise sqlite3.OperationalError("database is locked")
        # In WAL mode NORMAL survives a killed process; only a power cut can lose the last commits.
        execute("PRAGMA synchronous = NORMAL")
        execute("PRAGMA foreign_keys = ON")
        execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def commit(self) -> None:
        """Commit the open batch, if any."""
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")
        self.pending = 0

    def close(self) -> None:
        """Commit and close; a second call does nothing."""
        try:
            self.commit()
        except sqlite3.ProgrammingError:  # already closed
            return
        self.connection.close()

    def _write(self) -> None:
        """Enter the batch's transaction before a write."""
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN IMMEDIATE")

    def _wrote(self) -> None:
        self.pending += 1
        if self.batch_size is not None and self.pending >= self.batch_size:
            self.commit()

    def _resolve(self, url: str) -> str:
        row = self.connection.execute("SELECT url FROM url_aliases WHERE alias_url = ?", (url,)).fetchone()
        return str(row[0]) if row else url

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        execute = self.connection.execute
        # Table names come from the fixed tuple above, never from input.
        return {table: int(execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in _TABLES}


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit the open transaction)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
