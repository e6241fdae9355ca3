"""Every card each listing page shows, counted for the Listings drift monitor (newscrawl/monitors.py).

The spider counts only the cards inside the run's window (``newscrawl/feed_entries``), so its cards per
page follow the publishing rate (az edition of a 200-article simulated site, seed 3: 6.8 per page on
the first crawl, 1.4 on each of three incremental runs after 60 articles were added, the markup unchanged;
counted here: 6.5, then 10.7 to 11.0). This spider middleware counts the cards the page itself
holds, before any window: ``newscrawl/listing_cards/<lang>`` over ``newscrawl/listing_cards_pages/<lang>``.
It parses each listing page's cards a second time (listing pages are a small share of a run's pages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy.http import Response

from newscrawl import parsing
from newscrawl.encoding import decoded

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class CardCountMiddleware:
    """Counts the cards of every listing page and batch answered 200 (drops nothing)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_spider_input(self, response: Response, spider: Spider) -> None:
        kwargs: dict[str, Any] = response.request.cb_kwargs if response.request is not None else {}
        if "listing" not in kwargs or "lang" not in kwargs or response.status != 200:
            return
        cards = parsing.parse_cards(decoded(response), listing=kwargs["listing"])
        lang = kwargs["lang"]
        self.stats.inc_value(f"newscrawl/listing_cards/{lang}", len(cards))
        self.stats.inc_value(f"newscrawl/listing_cards_pages/{lang}")
