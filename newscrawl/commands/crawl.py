"""``scrapy crawl`` that checks spider arguments and the store before anything starts, and exits non-zero
after a run that was blocked or could not reach the site, so cron and Scrapyd see the failure.

A refusal at start is printed to stderr and, when ``LOG_FILE`` is set (Scrapyd sets it to the job's log),
also logged there: Scrapyd copies a job's stderr only into its own scrapyd.log and lists a job that exited
2 as "finished", so the job's log is where its outcome must be readable.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.python.failure import Failure

from newscrawl import runlock
from newscrawl.replay import ReplaySettingsError, check_settings
from newscrawl.spiders import ArgumentError
from newscrawl.store import Store, StoreError

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

# Close reasons after which the process exits non-zero.
FAILED_REASONS = frozenset({"blocked", "unreachable"})


class Command(ScrapyCrawlCommand):
    # The run lock's file descriptor, open until the process exits (see newscrawl/runlock.py).
    lock_fd: int | None = None

    def _log_refusal(self, message: str) -> None:
        # Without LOG_FILE the log handler writes to stderr too: the sentence would appear twice.
        if self.settings is not None and self.settings.get("LOG_FILE"):
            logger.error(message)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        spidercls = self.crawler_process.spider_loader.load(args[0])
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(**opts.spargs)
            except ArgumentError as exc:
                self._log_refusal(str(exc))
                raise UsageError(str(exc), print_help=False) from None
        try:
            # A bad snapshot directory or a locked or unwritable store stops the run here, in one
            # sentence, not in a traceback or once per item.
            check_settings(self.settings)
            Store.open(self.settings["NEWSCRAWL_SQLITE"]).close()
            self.lock_fd = runlock.hold(self.settings["NEWSCRAWL_SQLITE"])
        except (ReplaySettingsError, StoreError) as exc:
            self._log_refusal(str(exc))
            print(f"scrapy crawl: error: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        crawler = self.crawler_process.create_crawler(spidercls)
        deferred = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(getattr(deferred, "result", None), Failure):
            self.exitcode = 1
            return
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or reason in FAILED_REASONS:
            self.exitcode = 1
