"""Extensions of newscrawl."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newscrawl.history import history_progress
from newscrawl.site import LANGUAGES

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# The per-language counters the spider keeps, in the order a progress line shows them.
COUNTERS: tuple[tuple[str, str], ...] = (
    ("listing pages", "newscrawl/listing_pages"),
    ("articles", "newscrawl/articles/requested"),
    ("known", "newscrawl/articles/skipped_known"),
    ("feed entries", "newscrawl/feed_entries"),
)


def progress_line(stats: Mapping[str, Any], elapsed: float) -> str:
    """One line: per language, listing pages, articles requested, skipped as known and feed entries, and
    where its history walk has come (newscrawl/history.py).

    >>> stats = {"newscrawl/articles/requested/en": 12, "newscrawl/listing_pages/en": 4,
    ...          "response_received_count": 16}
    >>> progress_line(stats, 8.0)
    'en: 4 listing pages, 12 articles, 0 known, 0 feed entries | 16 responses, 2.0/s'
    """
    parts = []
    for lang in LANGUAGES:
        values = [stats.get(f"{key}/{lang}", 0) for _, key in COUNTERS]
        if any(values):
            counts = ", ".join(f"{value} {label}" for (label, _), value in zip(COUNTERS, values, strict=True))
            history = history_progress(stats, lang)
            parts.append(f"{lang}: {counts}" + (f", {history}" if history else ""))
    responses = stats.get("response_received_count", 0)
    rate = responses / elapsed if elapsed > 0 else 0.0
    parts.append(f"{responses} responses, {rate:.1f}/s")
    return " | ".join(parts)


# Every way an article, a card or a listing page can be lost, each counted by reason.
LOSS_PREFIXES: tuple[str, ...] = ("newscrawl/failed/", "newscrawl/dropped/", "newscrawl/skipped/")
# Drops that are the normal business of an incremental crawl, not losses.
NOT_LOSSES = frozenset({"duplicate", "alias", "feed_entry_duplicate", "feed_entry_seen"})


def loss_line(stats: Mapping[str, Any]) -> str:
    """The totals of every loss counter, by family and reason.

    >>> loss_line({"newscrawl/failed/http_5xx": 2, "newscrawl/dropped/missing_title": 1,
    ...            "newscrawl/dropped/duplicate": 9, "newscrawl/failed/http_5xx/en": 2})
    'failed: http_5xx 2 | dropped: missing_title 1'
    >>> loss_line({"newscrawl/dropped/duplicate": 3})
    ''
    """
    parts = []
    for prefix in LOSS_PREFIXES:
        reasons = {
            key[len(prefix) :]: value
            for key, value in sorted(stats.items())
            if key.startswith(prefix)
            and "/" not in key[len(prefix) :]
            and key[len(prefix) :] not in NOT_LOSSES
        }
        if reasons:
            family = prefix.rstrip("/").rsplit("/", 1)[1]
            parts.append(f"{family}: " + ", ".join(f"{reason} {count}" for reason, count in reasons.items()))
    return " | ".join(parts)


class Progress:
    """Logs a progress line every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds and a summary at the end."""

    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("NEWSCRAWL_PROGRESS_INTERVAL is 0: no progress lines")
        assert crawler.stats is not None
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        logger.info("Progress: %s", progress_line(self.stats.get_stats(), time.monotonic() - self.started))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        elapsed = time.monotonic() - self.started
        stats = self.stats.get_stats()
        logger.info("Finished (%s) in %.0f s: %s", reason, elapsed, progress_line(stats, elapsed))
        losses = loss_line(stats)
        if losses:
            logger.warning("Not stored, by reason: %s", losses)
