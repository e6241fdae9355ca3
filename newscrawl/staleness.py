"""Staleness: a store that stops growing, noticed by the scheduler even when no run fails loudly.

``python -m newscrawl.schedule`` calls :func:`check` after it queued (or skipped) a job. It reads the
store's ``runs`` table read-only and alerts when

- no run ended ``complete`` for ``NEWSCRAWL_STALE_HOURS`` hours (default 6; counted from the last complete
  run's end, or from the first run's start when none ever completed), or
- the last ``NEWSCRAWL_STALE_PARTIAL_RUNS`` finished runs (default 3) all ended ``partial``.

Scrapyd lists a partial run (exit code 3) as "finished"; the store knows better. One alert per episode:
the last complete run's end (or the first run's start) is remembered in ``<store>.stale`` and the same
episode is not alerted again. The alert goes out through the channels of the crawl's alerts, read from
the same environment variables (newscrawl/notify.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from newscrawl.notify import notify
from newscrawl.store.runs import Run, recent_runs

logger = logging.getLogger("newscrawl.schedule")

DEFAULT_HOURS = 6.0
DEFAULT_PARTIAL_RUNS = 3
HISTORY = 200  # runs read from the store, newest first


def stale_reasons(
    runs: Sequence[Run], now: datetime, hours: float, partial_runs: int
) -> tuple[list[str], str | None]:
    """Why the store is stale (empty: it is not) and the start of the episode (the last complete run's
    end, or the first run's start), from runs newest first.

    >>> def run(i, start, end, outcome):
    ...     return Run(i, "report_feed", start, end, None, {}, {}, "finished", outcome)
    >>> now = datetime.fromisoformat("2026-01-29T20:00:00+00:00")
    >>> runs = [run(3, "2026-01-29T19:45:00+00:00", "2026-01-29T19:46:00+00:00", "partial"),
    ...         run(2, "2026-01-29T19:30:00+00:00", "2026-01-29T19:31:00+00:00", "partial"),
    ...         run(1, "2026-01-29T10:00:00+00:00", "2026-01-29T10:01:00+00:00", "complete")]
    >>> reasons, since = stale_reasons(runs, now, 6, 3)
    >>> reasons
    ['no run complete for 9.98 h (more than 6 h): the last one ended 2026-01-29T10:01:00+00:00']
    >>> stale_reasons(runs, now, 12, 2)[0]
    ['the last 2 runs all ended partial']
    >>> stale_reasons(runs, now, 12, 3)[0]
    []
    """
    if not runs:
        return [], None
    reasons = []
    complete = next((r for r in runs if r.outcome == "complete" and r.finished_at), None)
    since = complete.finished_at if complete is not None else runs[-1].started_at
    assert since is not None
    age = now - datetime.fromisoformat(since)
    if age > timedelta(hours=hours):
        last = f"the last one ended {since}" if complete is not None else f"the first run started {since}"
        elapsed = age.total_seconds() / 3600
        reasons.append(f"no run complete for {elapsed:.2f} h (more than {hours:g} h): {last}")
    finished = [r for r in runs if r.finished_at]
    latest = finished[:partial_runs]
    if partial_runs > 0 and len(latest) == partial_runs and all(r.outcome == "partial" for r in latest):
        reasons.append(f"the last {partial_runs} runs all ended partial")
    return reasons, since


def check(store: Path, now: datetime, environ: Mapping[str, str]) -> bool:
    """Alert once per episode when the store is stale; True when an alert went out."""
    if not store.is_file():
        logger.info("no store at %s yet: staleness is judged once a run has started there", store)
        return False
    hours = float(environ.get("NEWSCRAWL_STALE_HOURS") or DEFAULT_HOURS)
    partial_runs = int(environ.get("NEWSCRAWL_STALE_PARTIAL_RUNS") or DEFAULT_PARTIAL_RUNS)
    runs = recent_runs(store, HISTORY)  # StoreError: one sentence
    reasons, since = stale_reasons(runs, now, hours, partial_runs)
    if not reasons:
        return False
    marker = store.with_name(store.name + ".stale")
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == since:
        logger.info("stale since %s, already alerted: %s", since, "; ".join(reasons))
        return False
    subject = f"newscrawl: the store {store} is stale"
    lines = [subject, *(f"- {reason}" for reason in reasons), "last runs (newest first):"]
    lines += [
        f"- run {r.id} {r.spider}: started {r.started_at}, {r.outcome or 'unfinished'}" for r in runs[:5]
    ]
    text = "\n".join(lines)
    logger.error("%s", "; ".join([subject, *reasons]))
    sent = notify(subject, text, environ)
    try:
        marker.write_text(f"{since}\n", encoding="utf-8")
    except OSError as exc:
        logger.warning("cannot write %s (%s): the next check alerts again", marker, exc)
    return sent
