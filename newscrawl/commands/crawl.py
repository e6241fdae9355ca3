"""``scrapy crawl`` that checks spider arguments and the store before anything starts, and exits non-zero
after a run that was blocked or could not reach the site, so cron and Scrapyd see the failure."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.python.failure import Failure

from newscrawl.origin import OriginSettingsError, check_origin
from newscrawl.render import RenderSettingsError, check_splash
from newscrawl.replay import ReplaySettingsError, check_settings
from newscrawl.spiders import ArgumentError
from newscrawl.store import Store, StoreError

if TYPE_CHECKING:
    import argparse

# Close reasons after which the process exits non-zero.
FAILED_REASONS = frozenset({"blocked", "unreachable", "splash_unavailable"})


class Command(ScrapyCrawlCommand):
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
                raise UsageError(str(exc), print_help=False) from None
        try:
            # A bad snapshot directory or a locked or unwritable store stops the run here, in one
            # sentence, not in a traceback or once per item.
            check_settings(self.settings)
            check_origin(self.settings)
            Store.open(self.settings["NEWSCRAWL_SQLITE"]).close()
            # A render mode that needs Splash stops here, in one sentence, when Splash does not answer.
            check_splash(self.settings, opts.spargs.get("render"))
        except (ReplaySettingsError, OriginSettingsError, StoreError, RenderSettingsError) as exc:
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
