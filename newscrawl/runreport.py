"""The runs table as text: what ``scrapy runs`` prints, one line per crawl from the store's ``runs`` table.

``reason`` is Scrapy's finish reason (``finished``, ``shutdown``, ``blocked``, ...), ``outcome`` the
project's verdict (``complete``, ``partial``, ...; see newscrawl/commands/crawl.py). Every count is read
from the run's stats; a key a run did not set (an older run, a run that stopped at start) counts as 0,
and a run that has not finished (still running, or killed) says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from newscrawl.site import LANGUAGES
from newscrawl.store import Run

COLUMNS = (
    "start (UTC)",
    "duration",
    "reason",
    "outcome",
    "new",
    "changed",
    "skipped",
    "feed entries",
    "failures",
)
TEXT_COLUMNS = 4  # left-aligned; the counts after them are right-aligned
FAILED_PREFIX = "newscrawl/failed/"


def failures(stats: Mapping[str, Any]) -> int:
    """Sum of the ``newscrawl/failed/*`` counters, each counted once (not again per language).

    >>> failures({"newscrawl/failed/timeout": 2, "newscrawl/failed/timeout/en": 2,
    ...           "newscrawl/failed/http_500": 1})
    3
    >>> failures({"newscrawl/failed/timeout/en": 2, "newscrawl/failed/timeout/ru": 1})
    3
    >>> failures({"newscrawl/articles/requested": 5})
    0
    """
    keys = {key for key in stats if key.startswith(FAILED_PREFIX)}
    total = 0
    for key in keys:
        parent, _, last = key.rpartition("/")
        if last in LANGUAGES and parent in keys:
            continue  # the per-language split of a total already counted
        total += _int(stats[key])
    return total


def duration(run: Run) -> str:
    """Wall time of a finished run, ``-`` for one that has not finished.

    >>> start, end = "2026-01-29T17:00:00+00:00", "2026-01-29T17:03:07+00:00"
    >>> r = Run(1, "report_feed", start, end, None, {}, {}, "finished")
    >>> duration(r)
    '3m07s'
    >>> duration(Run(1, "report_feed", "2026-01-29T17:00:00+00:00", None, None, {}, {}, None))
    '-'
    """
    if not run.finished_at:
        return "-"
    elapsed = datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
    seconds = int(elapsed.total_seconds())
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def row(run: Run) -> tuple[str, ...]:
    """One run as the table's cells."""
    stats = run.stats
    reason = run.finish_reason or ("unfinished" if not run.finished_at else "-")
    return (
        run.started_at.replace("T", " ").removesuffix("+00:00"),
        duration(run),
        reason,
        run.outcome or "-",
        str(_int(stats.get("newscrawl/stored/articles/new"))),
        str(_int(stats.get("newscrawl/stored/articles/changed"))),
        str(_int(stats.get("newscrawl/articles/skipped_known"))),
        str(_int(stats.get("newscrawl/feed_entries"))),
        str(failures(stats)),
    )


def table(runs: Iterable[Run]) -> str:
    """Runs as an aligned text table, in the order given, with a header line.

    >>> r = Run(7, "report_feed", "2026-01-29T17:00:00+00:00", "2026-01-29T17:00:42+00:00", None, {},
    ...         {"newscrawl/stored/articles/new": 60, "newscrawl/feed_entries": 135}, "finished", "complete")
    >>> print(table([r]))
    start (UTC)          duration  reason    outcome   new  changed  skipped  feed entries  failures
    2026-01-29 17:00:00  42s       finished  complete   60        0        0           135         0
    """
    rows = [COLUMNS, *(row(run) for run in runs)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(COLUMNS))]
    lines = []
    for cells in rows:
        parts = [
            cell.ljust(width) if i < TEXT_COLUMNS else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
