"""Downloader middlewares of newscrawl."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from newscrawl.render import page_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

BLOCKING_STATUSES = frozenset({403, 429})


class BlockedMiddleware:
    """Closes the spider with the reason ``blocked`` after a burst of 403/429 answers in a row.

    A protected site answers a crawler it dislikes with 403 or 429 for every page; going on would only
    hammer it and record hundreds of false "missing" pages. Any other answer resets the count. The
    blocked responses themselves are dropped (``IgnoreRequest``), never handed to the spider.
    """

    def __init__(self, crawler: Crawler, threshold: int) -> None:
        self.crawler = crawler
        self.threshold = threshold
        self.in_a_row = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getint("NEWSCRAWL_BLOCKED_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured("NEWSCRAWL_BLOCKED_THRESHOLD is 0: blocked-burst detection is off")
        return cls(crawler, threshold)

    def process_request(self, request: Request) -> None:
        if self.closing:
            # The engine closes the spider in a task of its own: until it runs, requests the spider
            # yields in the meantime are not sent to a site that is blocking the crawler.
            raise IgnoreRequest(f"Not sent (blocked): the crawl is stopping, {page_url(request)}")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in BLOCKING_STATUSES:
            self.in_a_row = 0
            return response
        self.in_a_row += 1
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/blocked/{response.status}")
        if self.in_a_row >= self.threshold and not self.closing:
            self.closing = True
            logger.error(
                "%s answered %d requests in a row with 403/429 (last: %s): the site is blocking this "
                "crawler, so the crawl stops. Slow down (e.g. -s DOWNLOAD_DELAY=10), try again later, or "
                "render the pages through a browser.",
                page_url(request).split("/")[2],
                self.in_a_row,
                page_url(request),
            )
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))
        raise IgnoreRequest(f"HTTP {response.status} (blocked) for {page_url(request)}")
