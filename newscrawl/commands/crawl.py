"""``scrapy crawl`` whose exit code tells how the run went, and whose start-up errors are one sentence.

| code | outcome |
|---|---|
| 0 | complete: every article the listings showed is stored, known, or remembered as gone |
| 3 | partial: the run finished, but articles or listing pages failed after retries (counted under
      ``newscrawl/failed/<reason>`` and owed to the next run) |
| 1 | not finished: blocked, unreachable, stopped by a signal, or refused at start (store, snapshot) |
| 2 | a bad spider argument |

The outcome is also kept in the ``runs`` table and in the stat ``newscrawl/outcome``.

A refusal at start is printed to stderr and, when ``LOG_FILE`` is set (Scrapyd sets it to the job's log),
also logged there: Scrapyd copies a job's stderr only into its own scrapyd.log and lists a job that exited
non-zero as "finished", so the job's log is where its outcome must be readable. Without ``LOG_FILE`` the
log goes to stderr as well, and the sentence is printed once. A refusal also goes out as an alert through
the webhook and email settings (newscrawl/notify.py): no spider opened, so spidermon has nothing to run.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newscrawl.dates import utc_now
from newscrawl.exceptions import ArgumentError, NewscrawlError
from newscrawl.notify import channels, notify

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

PARTIAL_EXIT_CODE = 3


def exit_code(reason: str | None, outcome: str | None) -> int:
    """The process exit code of a run that ended with ``reason`` and ``outcome``.

    >>> exit_code("finished", "complete"), exit_code("finished", "partial"), exit_code("blocked", "blocked")
    (0, 3, 1)
    """
    if reason != "finished":
        return 1
    return PARTIAL_EXIT_CODE if outcome == "partial" else 0


class Command(ScrapyCrawlCommand):
    _refusal: str | None = None

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        crawler = self.crawler_process.create_crawler(args[0])
        refused: list[BaseException] = []
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, Deferred):
            # A Deferred-based process builds the spider and crawler at once: a refusal is known now.
            failure = getattr(started, "result", None)
            if isinstance(failure, Failure) and failure.value is not None:
                started.addErrback(lambda _: None)
                refused.append(failure.value)
        elif isinstance(started, asyncio.Future):
            # AsyncCrawlerProcess builds them once its loop runs: the crawl's task ends with the refusal,
            # taken here (so asyncio does not print it as an unretrieved exception with its traceback).
            started.add_done_callback(lambda task: refused.extend(_task_error(task)))
        if not refused:
            self.crawler_process.start()
        if refused:
            error = refused[0]
            if isinstance(error, NewscrawlError):
                self._refuse(str(error), 2 if isinstance(error, ArgumentError) else 1)
            else:
                self._refuse(f"the crawl could not start: {error!r}", 1)
            self._alert_refused(args[0], opts.spargs.get("_job"))
            return
        stats = _stats(crawler)
        reason = stats.get_value("finish_reason") if stats else None
        outcome = stats.get_value("newscrawl/outcome") if stats else None
        self.exitcode = exit_code(reason, outcome)
        if self.crawler_process.bootstrap_failed or getattr(self.crawler_process, "has_exception", False):
            self.exitcode = 1

    def _refuse(self, sentence: str, code: int) -> None:
        self._refusal = sentence
        if self.settings is not None and self.settings.get("LOG_FILE"):
            logger.error("%s", sentence)  # into the log file too, where Scrapyd keeps each job's log
        print(f"scrapy crawl: error: {sentence}", file=sys.stderr)
        self.exitcode = code

    def _alert_refused(self, spider: str, job: str | None) -> None:
        """A run refused at start alerts like a failed one (no spider opened, so spidermon cannot)."""
        if self.settings is None or self._refusal is None:
            return
        where = self.settings.get("LOG_FILE") or "stderr of the crawl (no LOG_FILE)"
        subject = f"newscrawl: {spider} refused at start"
        lines = [
            subject,
            f"run: {spider}{f', job {job}' if job else ''}, refused at {utc_now()}",
            "outcome: refused",
            f"reason: {self._refusal}",
            f"log: {where}",
        ]
        notify(subject, "\n".join(lines), channels(self.settings))


def _task_error(task: asyncio.Future[Any]) -> list[BaseException]:
    if task.cancelled():
        return []
    error = task.exception()
    return [error] if error is not None else []


def _stats(crawler: Crawler) -> StatsCollector | None:
    """The crawl's stats; None when the crawl never started (Scrapy raises on reading them then)."""
    try:
        return crawler.stats
    except RuntimeError:
        return None
