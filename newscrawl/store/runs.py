"""Crawl runs: when each started and ended, its arguments, stats, finish reason and outcome."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from newscrawl.dates import BAKU, utc_now
from newscrawl.exceptions import StoreError
from newscrawl.store.db import Database, _error_for, _json


@dataclass(frozen=True, slots=True)
class Run:
    """A finished crawl as recorded in the ``runs`` table."""

    id: int
    spider: str
    started_at: str
    finished_at: str | None
    clock: str | None
    args: dict[str, Any]
    stats: dict[str, Any]
    finish_reason: str | None
    outcome: str | None = None


class Runs(Database):
    """The run records of a store."""

    def start_run(self, spider: str, args: Mapping[str, Any], clock: str) -> int:
        """Record the start of a crawl and return its run id (committed at once)."""
        self._write()
        cursor = self.connection.execute(
            "INSERT INTO runs (spider, started_at, clock, args) VALUES (?, ?, ?, ?)",
            (spider, utc_now(), clock, _json(dict(args))),
        )
        self.commit()
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, stats: Mapping[str, Any], reason: str, outcome: str) -> None:
        """Record the end of a crawl with its stats, finish reason and outcome (committed at once)."""
        self._write()
        self.connection.execute(
            "UPDATE runs SET finished_at = ?, stats = ?, finish_reason = ?, outcome = ? WHERE id = ?",
            (utc_now(), _json(dict(stats)), reason, outcome, run_id),
        )
        self.commit()

    def previous_run(self, spider: str, *, clean: bool = False) -> Run | None:
        """The latest finished run of spider; with ``clean``, the latest whose finish reason is
        ``finished`` (a run stopped by a signal, a block or the network never counts)."""
        row = self.connection.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs "
            "WHERE spider = ? AND finished_at IS NOT NULL AND (? = 0 OR finish_reason = 'finished') "
            "ORDER BY id DESC LIMIT 1",
            (spider, int(clean)),
        ).fetchone()
        if row is None:
            return None
        return _run(row)

    def baseline_runs(
        self, spider: str, limit: int, min_articles: int, exclude: int | None = None
    ) -> list[Run]:
        """The last ``limit`` runs of spider that ended ``complete`` with at least ``min_articles``
        articles scraped, newest first, other than run ``exclude``: the drift monitors' baseline."""
        rows = self.connection.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE spider = ? AND outcome = 'complete' AND id != ? "
            "AND coalesce(json_extract(stats, '$.\"spidermon_item_scraped_count/Article\"'), 0) >= ? "
            "ORDER BY id DESC LIMIT ?",
            (spider, exclude or -1, min_articles, max(0, limit)),
        )
        return [_run(row) for row in rows]


def recent_runs(path: str | Path, limit: int = 10) -> list[Run]:
    """The last ``limit`` runs of every spider, newest first, finished or not.

    Opens the file read-only and takes no lock, so it answers while a crawl is writing; raises StoreError
    for a missing or foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"there is no store at {path}; run a crawl first, "
            "or point NEWSCRAWL_DATA_DIR or NEWSCRAWL_SQLITE at the store"
        )
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?",
                (max(0, limit),),
            ).fetchall()
    except sqlite3.Error as exc:
        if "no such table" in str(exc):
            raise StoreError(
                f"{path} is not a newscrawl store; set NEWSCRAWL_SQLITE to the store's file"
            ) from None
        raise _error_for(path, exc) from None
    return [_run(row) for row in rows]


_RUN_COLUMNS = "id, spider, started_at, finished_at, clock, args, stats, finish_reason, outcome"


def _run(row: tuple[Any, ...]) -> Run:
    return Run(
        id=int(row[0]),
        spider=row[1],
        started_at=row[2],
        finished_at=row[3],
        clock=row[4],
        args=json.loads(row[5]),
        stats=json.loads(row[6]) if row[6] else {},
        finish_reason=row[7],
        outcome=row[8],
    )


def history_lines(path: str | Path) -> list[str]:
    """One line per edition's history frontier and per window of the past (table ``history``), for
    ``scrapy runs``; none for a store without them. Read-only, like :func:`recent_runs`."""
    path = Path(path)
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT language, listing, since, until, reached_at, done, pages FROM history "
                "ORDER BY until = 'frontier' DESC, language, listing, until"
            ).fetchall()
    except sqlite3.Error:
        return []  # a store from before the history table, or none
    lines = []

    def baku(moment: str) -> str:
        return datetime.fromisoformat(moment).astimezone(BAKU).isoformat()

    for language, listing, since, until, reached_at, done, pages in rows:
        since = baku(since)
        state = "complete" if done else f"back to {reached_at or '-'}"
        if until == "frontier":
            lines.append(f"history {language}: {state}, toward {since} ({pages} listing pages so far)")
        else:
            window = f"{since} .. {baku(until)}"
            lines.append(f"window {language} {listing} {window}: {state} ({pages} listing pages)")
    return lines
