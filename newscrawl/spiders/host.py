"""What every walk of ``ReportFeedSpider`` calls on the spider, declared once for the type checker.

``ListingWalks``, ``PastWalks`` and ``ArchiveWalk`` are parts of the spider class; the spider defines all
of this (``listing_failed`` is ``ListingWalks``'). At run time the class is empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Generator

    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from twisted.python.failure import Failure

    from newscrawl.items import FeedEntry
    from newscrawl.ledger import Ledger


class WalkHost:
    if TYPE_CHECKING:
        crawler: Crawler

        @property
        def ledger(self) -> Ledger: ...

        def make_request(self, url: str, **kwargs: Any) -> Request: ...

        def listing_failed(self, failure: Failure) -> None: ...

        def _count(self, key: str, lang: str) -> None: ...

        def _cards(
            self, entries: list[FeedEntry], lang: str, links: dict[str, str]
        ) -> Generator[Request | FeedEntry, None, bool]: ...
