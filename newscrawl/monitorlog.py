"""Monitor results in the crawl log: one line per monitor, a failure at ERROR without a traceback.

spidermon 1.27.0 prints every failed monitor as a unittest traceback at ERROR
(``SpiderMonitorResult.write_errors``), which reads like a crash, and no setting changes that. Its
extension builds the runner in ``_run_suites``; :class:`Spidermon` (in ``EXTENSIONS`` instead of
spidermon's) builds :class:`MonitorRunner`, whose result logs:

- a passing, skipped or succeeding item (monitor or action) at INFO: ``[Spidermon] <name>... OK``;
- a failed monitor at ERROR, once: ``[Spidermon] <name> FAILED: <its message>``;
- an action that raised at ERROR, once: ``[Spidermon] <name> ERROR: <the exception's last line>``.
"""

from __future__ import annotations

import logging
from typing import Any

from spidermon.contrib.scrapy.extensions import Spidermon as BaseSpidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner

from newscrawl.alerts import one_line

logger = logging.getLogger("newscrawl.monitors")

HEADER = "[Spidermon]"


class MonitorResult(SpiderMonitorResult):
    def write_item_result(self, item: Any, extra: Any = None) -> None:
        if self.step[item].status in self.step.error_statuses:
            return  # written once, at ERROR, by write_errors
        super().write_item_result(item, extra)

    def write_errors(self) -> None:
        for status in self.step.error_statuses:
            for result in self.step.items_for_status(status):
                self.log_error(f"{result.item.name} {result.status}: {one_line(result.error)}")

    def log(self, msg: Any, level: int = logging.DEBUG) -> None:
        # Through a logger of our own: Spider.log(), which spidermon uses, is deprecated since Scrapy 2.18.
        logger.log(level, "%s %s", HEADER, msg)


class MonitorRunner(SpiderMonitorRunner):
    def create_result(self) -> MonitorResult:
        return MonitorResult(self.spider)


class Spidermon(BaseSpidermon):
    """spidermon's extension, running its suites with :class:`MonitorRunner`."""

    def _run_suites(self, spider: Any, suites: Any) -> None:
        data = self._generate_data_for_spider(spider)
        for suite in suites:
            MonitorRunner(spider=spider).run(suite, **data)
