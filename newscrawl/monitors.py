"""Monitors (spidermon) run at the end of every crawl: did the run end well, is the site still giving
what it gave in its own recent runs? docs/monitors.md has the settings and the alerts.

``MonitorSuite`` runs when the spider closes. A monitor fails when:

- the outcome (``newscrawl/outcome``) is not ``complete``;
- a must-have field is below its floor (``NEWSCRAWL_MONITOR_FIELD_FLOORS``), or, once the store holds
  ``NEWSCRAWL_MONITOR_BASELINE_RUNS`` complete runs, a field's coverage fell below their median by more
  than its margin (newscrawl/drift.py); judged from ``NEWSCRAWL_MONITOR_MIN_ARTICLES`` articles;
- listing pages of an edition gave no cards, or fewer per page than the baseline by more than
  ``NEWSCRAWL_MONITOR_CARDS_MARGIN``;
- the share of 4xx/5xx responses is above ``NEWSCRAWL_MONITOR_MAX_ERROR_SHARE``;
- no new article was stored by the runs of the last ``NEWSCRAWL_MONITOR_NEW_ARTICLES_HOURS`` hours of
  crawl clock, once those runs' windows reach that far back.

A failure is one ERROR line (newscrawl/monitorlog.py) and is kept in the crawl stats, which the ``runs``
table stores: ``newscrawl/monitors/passed``, ``newscrawl/monitors/failed`` and
``newscrawl/monitors/failed/<name>``. The ledger records the run when the spider closes, before
spidermon's handler runs the monitors, so the ``RecordResults`` action has it store the stats again with
the monitors' results. The alert actions (newscrawl/alerts.py) run once when a monitor failed.
"""

# spidermon's decorators carry no types.
# mypy: allow-untyped-decorators
from __future__ import annotations

import json
import logging
from dataclasses import fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from spidermon import Monitor, monitors
from spidermon.core.actions import Action
from spidermon.core.suites import MonitorSuite as BaseMonitorSuite

from newscrawl import alerts, drift
from newscrawl.extensions import loss_line
from newscrawl.items import Article
from newscrawl.ledger import Ledger
from newscrawl.store import Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# The Article fields whose coverage is compared with the baseline (fetched_at is set on every article).
FIELDS = tuple(field.name for field in fields(Article) if field.name != "fetched_at")


class _NewscrawlMonitor(Monitor):
    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.data.stats
        return stats

    @property
    def settings(self) -> Any:
        return self.data.crawler.settings


@monitors.name("Outcome")
class OutcomeMonitor(_NewscrawlMonitor):
    """Anything but ``complete`` (partial, blocked, unreachable, shutdown, ...) is worth an alert."""

    @monitors.name("The run ends complete")
    def test_outcome(self) -> None:
        outcome = self.stats.get("newscrawl/outcome") or self.stats.get("finish_reason") or "unknown"
        if outcome != "complete":
            losses = loss_line(self.stats)
            reason = self.stats.get("finish_reason")
            detail = f" (finish reason {reason})" if reason and reason != outcome else ""
            self.fail(f"the run ended {outcome}{detail}" + (f"; {losses}" if losses else ""))


@monitors.name("Field coverage")
class FieldCoverageMonitor(_NewscrawlMonitor):
    """Coverage per Article field against the median of the baseline runs, and the absolute floors."""

    @monitors.name("Every field keeps its coverage")
    def test_field_coverage(self) -> None:
        count = drift.articles(self.stats)
        minimum = self.settings.getint("NEWSCRAWL_MONITOR_MIN_ARTICLES")
        if count < minimum:
            self.skipTest(f"{count} articles, coverage is judged from {minimum}")
            return
        floors = {k: float(v) for k, v in self.settings.getdict("NEWSCRAWL_MONITOR_FIELD_FLOORS").items()}
        margins = {field: self.settings.getfloat("NEWSCRAWL_MONITOR_COVERAGE_MARGIN") for field in FIELDS}
        margins.update(
            {k: float(v) for k, v in self.settings.getdict("NEWSCRAWL_MONITOR_COVERAGE_MARGINS").items()}
        )
        current = drift.coverage(self.stats, set(FIELDS) | set(floors))
        low = drift.below_floors(current, floors)
        baseline = _baseline(self)
        if baseline is not None:
            past = [drift.coverage(run, FIELDS) for run in baseline]  # a field a run lacked: 0
            low += drift.coverage_drops(current, past, count, margins)
        if low:
            self.fail(f"field coverage dropped: {', '.join(low)}")


@monitors.name("Listings")
class ListingCardsMonitor(_NewscrawlMonitor):
    """Cards per listing page, per edition, against the median of the baseline runs; none at all fails."""

    @monitors.name("Listing pages give their usual cards")
    def test_listings_give_cards(self) -> None:
        current = drift.cards_per_page(self.stats)
        empty = [lang for lang, cards in current.items() if not cards]
        if empty:
            self.fail(f"listing pages gave no cards in: {', '.join(empty)}")
        baseline = _baseline(self)
        if baseline is None:
            return
        margin = self.settings.getfloat("NEWSCRAWL_MONITOR_CARDS_MARGIN")
        low = drift.cards_drops(current, [drift.cards_per_page(run) for run in baseline], margin)
        if low:
            self.fail(f"fewer cards per listing page: {', '.join(low)}")


def _baseline(monitor: _NewscrawlMonitor) -> list[dict[str, Any]] | None:
    """The stats of the baseline runs, or None while the store holds fewer than
    ``NEWSCRAWL_MONITOR_BASELINE_RUNS`` of them (then only the absolute floors are checked; logged once
    per run)."""
    meta = monitor.data.meta
    if "newscrawl/baseline" not in meta:
        wanted = monitor.settings.getint("NEWSCRAWL_MONITOR_BASELINE_RUNS")
        minimum = monitor.settings.getint("NEWSCRAWL_MONITOR_MIN_ARTICLES")
        ledger = monitor.data.crawler.get_extension(Ledger)
        runs = []
        if ledger is not None and wanted > 0:
            runs = ledger.store.baseline_runs(monitor.data.spider.name, wanted, minimum, ledger.run_id)
        if len(runs) < wanted:
            logger.info(
                "Drift baseline: %d of %d complete runs of %d+ articles so far; until then only the "
                "absolute floors are checked",
                len(runs),
                wanted,
                minimum,
            )
            meta["newscrawl/baseline"] = None
        else:
            meta["newscrawl/baseline"] = [run.stats for run in runs]
    baseline: list[dict[str, Any]] | None = meta["newscrawl/baseline"]
    return baseline


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
    """Puts the monitors' results into the crawl stats and records the run again."""

    def run_action(self) -> None:
        stats = self.data.crawler.stats
        failed = self.result.monitors_failed_results
        stats.set_value("newscrawl/monitors/passed", len(self.result.monitors_passed_results))
        stats.set_value("newscrawl/monitors/failed", len(failed))
        for result in failed:
            name = result.monitor.name
            stats.set_value(f"newscrawl/monitors/failed/{name}", 1)
        ledger = self.data.crawler.get_extension(Ledger)
        if ledger is not None:
            ledger.record_stats()


class MonitorSuite(BaseMonitorSuite):
    monitors = [  # noqa: RUF012 - spidermon reads these class attributes
        OutcomeMonitor,
        FieldCoverageMonitor,
        ListingCardsMonitor,
        HttpErrorShareMonitor,
        NewArticlesMonitor,
        InvalidItemsMonitor,
    ]
    monitors_finished_actions = [RecordResults]  # noqa: RUF012

    def __init__(self, *args: Any, crawler: Crawler | None = None, **kwargs: Any) -> None:
        # The alert channels switched on in the settings (newscrawl/alerts.py): a report file after
        # every run, the webhook and the email once per run that failed a monitor.
        settings = crawler.settings if crawler is not None else None
        kwargs.setdefault("monitors_finished_actions", alerts.report_actions(settings))
        kwargs.setdefault("monitors_failed_actions", alerts.alert_actions(settings))
        super().__init__(*args, crawler=crawler, **kwargs)
