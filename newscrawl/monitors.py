"""Drift monitors (spidermon) run at the end of every crawl: is the site still giving what it gave?

``MonitorSuite`` runs when the spider closes. A monitor fails when:

- the finish reason is not one of ``SPIDERMON_EXPECTED_FINISH_REASONS`` (``finished``);
- a field's coverage (share of the run's articles with a value) is below its threshold in
  ``NEWSCRAWL_MONITOR_FIELD_COVERAGE``, checked once the run stored ``NEWSCRAWL_MONITOR_MIN_ARTICLES``;
- listing pages of an edition were read but gave no cards;
- the share of 4xx/5xx responses is above ``NEWSCRAWL_MONITOR_MAX_ERROR_SHARE``;
- no new article was stored by the runs of the last ``NEWSCRAWL_MONITOR_NEW_ARTICLES_HOURS`` hours of
  crawl clock, once those runs' windows reach that far back.

A failure is logged at ERROR and kept in the crawl stats, which the ``runs`` table stores:
``newscrawl/monitors/passed``, ``newscrawl/monitors/failed`` and ``newscrawl/monitors/failed/<name>``.
The ledger records the run when the spider closes, before spidermon's handler runs the monitors, so the
``RecordResults`` action has it store the stats again with the monitors' results.
"""

# spidermon's decorators carry no types.
# mypy: allow-untyped-decorators
from __future__ import annotations

import json
import logging
import warnings
from datetime import datetime, timedelta
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor
from spidermon.core.actions import Action
from spidermon.core.suites import MonitorSuite as BaseMonitorSuite

from newscrawl.ledger import Ledger
from newscrawl.site import LANGUAGES
from newscrawl.store import Store

logger = logging.getLogger(__name__)

# spidermon 1.27.0 (its last release) logs each monitor's result with Spider.log(), deprecated in Scrapy
# 2.18: a warning in every crawl's log that says nothing about the crawl. pyproject.toml names it too.
warnings.filterwarnings(
    "ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning, module="spidermon"
)


class _NewscrawlMonitor(Monitor):
    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.data.stats
        return stats

    @property
    def settings(self) -> Any:
        return self.data.crawler.settings


@monitors.name("Field coverage")
class FieldCoverageMonitor(_NewscrawlMonitor):
    """Coverage per Article field, from spidermon's ``spidermon_field_coverage/Article/<field>``."""

    @monitors.name("Every field keeps its coverage")
    def test_field_coverage(self) -> None:
        articles = self.stats.get("spidermon_item_scraped_count/Article", 0)
        minimum = self.settings.getint("NEWSCRAWL_MONITOR_MIN_ARTICLES")
        if articles < minimum:
            self.skipTest(f"{articles} articles, coverage is judged from {minimum}")
            return
        rules: dict[str, float] = self.settings.getdict("NEWSCRAWL_MONITOR_FIELD_COVERAGE")
        low = []
        for field, threshold in sorted(rules.items()):
            coverage = self.stats.get(f"spidermon_field_coverage/Article/{field}", 0.0)
            if coverage < float(threshold):
                low.append(f"{field} {coverage:.0%} < {float(threshold):.0%}")
        if low:
            self.fail(f"field coverage below threshold: {', '.join(low)}")


@monitors.name("Listings")
class ListingCardsMonitor(_NewscrawlMonitor):
    @monitors.name("Listing pages give cards")
    def test_listings_give_cards(self) -> None:
        empty = [
            lang
            for lang in LANGUAGES
            if self.stats.get(f"newscrawl/listing_pages/{lang}", 0)
            and not self.stats.get(f"newscrawl/feed_entries/{lang}", 0)
        ]
        if empty:
            self.fail(f"listing pages gave no cards in: {', '.join(empty)}")


@monitors.name("HTTP errors")
class HttpErrorShareMonitor(_NewscrawlMonitor):
    @monitors.name("4xx/5xx responses stay below their share")
    def test_error_share(self) -> None:
        total = self.stats.get("downloader/response_count", 0)
        prefix = "downloader/response_status_count/"
        errors = sum(
            count
            for key, count in self.stats.items()
            if key.startswith(prefix) and key[len(prefix) :].isdigit() and int(key[len(prefix) :]) >= 400
        )
        limit = self.settings.getfloat("NEWSCRAWL_MONITOR_MAX_ERROR_SHARE")
        share = errors / total if total else 0.0
        if share > limit:
            self.fail(f"{errors} of {total} responses were 4xx/5xx ({share:.0%} > {limit:.0%})")


@monitors.name("New articles")
class NewArticlesMonitor(_NewscrawlMonitor):
    @monitors.name("New articles arrive within the window")
    def test_new_articles(self) -> None:
        spider = self.data.spider
        now: datetime | None = getattr(spider, "now", None)
        since: datetime | None = getattr(spider, "since", None)
        ledger = self.data.crawler.get_extension(Ledger)
        if now is None or since is None or ledger is None:
            self.skipTest("the spider keeps no crawl window")
            return
        store = ledger.store
        window = timedelta(hours=self.settings.getfloat("NEWSCRAWL_MONITOR_NEW_ARTICLES_HOURS"))
        new = self.stats.get("newscrawl/stored/articles/new", 0)
        earliest = since
        for clock, args, stats in _previous_runs(store, spider.name, ledger.run_id):
            if clock is None or datetime.fromisoformat(clock) < now - window:
                continue
            new += json.loads(stats or "{}").get("newscrawl/stored/articles/new", 0)
            run_since = json.loads(args or "{}").get("since")
            if run_since:
                earliest = min(earliest, datetime.fromisoformat(run_since))
        if earliest > now - window:
            self.skipTest(f"the runs since {now - window:%Y-%m-%d %H:%M} do not cover the window")
            return
        if not new:
            self.fail(f"no new article in the {window} before {now.isoformat()}")


@monitors.name("Item schemas")
class InvalidItemsMonitor(_NewscrawlMonitor):
    """Share of items that failed their JSON Schema, from spidermon's ``spidermon/validation/items``."""

    @monitors.name("Items fit their schemas")
    def test_invalid_share(self) -> None:
        items = self.stats.get("spidermon/validation/items", 0)
        invalid = self.stats.get("spidermon/validation/items/errors", 0)
        limit = self.settings.getfloat("NEWSCRAWL_MONITOR_MAX_INVALID_SHARE")
        share = invalid / items if items else 0.0
        if share > limit:
            self.fail(f"{invalid} of {items} items do not fit their schema ({share:.1%} > {limit:.1%})")


def _previous_runs(store: Store, spider: str, run_id: int | None) -> list[tuple[str | None, str, str]]:
    rows = store.connection.execute(
        "SELECT clock, args, stats FROM runs WHERE spider = ? AND id != ? AND finished_at IS NOT NULL",
        (spider, run_id or -1),
    )
    return list(rows)


class RecordResults(Action):
    """Puts the monitors' results into the crawl stats, logs failures, and records the run again."""

    def run_action(self) -> None:
        stats = self.data.crawler.stats
        failed = self.result.monitors_failed_results
        stats.set_value("newscrawl/monitors/passed", len(self.result.monitors_passed_results))
        stats.set_value("newscrawl/monitors/failed", len(failed))
        for result in failed:
            name = result.monitor.name
            stats.set_value(f"newscrawl/monitors/failed/{name}", 1)
            logger.error("Monitor failed: %s: %s", name, _reason(result.reason))
        ledger = self.data.crawler.get_extension(Ledger)
        if ledger is not None:
            ledger.record_stats()


def _reason(reason: Any) -> str:
    text = str(reason)
    # unittest puts "AssertionError: " and the values compared before the message.
    return text.strip().splitlines()[-1].removeprefix("AssertionError: ")


class MonitorSuite(BaseMonitorSuite):
    monitors = [  # noqa: RUF012 - spidermon reads these class attributes
        FinishReasonMonitor,
        FieldCoverageMonitor,
        ListingCardsMonitor,
        HttpErrorShareMonitor,
        NewArticlesMonitor,
        InvalidItemsMonitor,
    ]
    monitors_finished_actions = [RecordResults]  # noqa: RUF012
