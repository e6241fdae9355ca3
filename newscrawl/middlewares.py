"""Downloader middlewares of newscrawl."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro

from newscrawl.render import page_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

BLOCKING_STATUSES = frozenset({403, 429})
# Request meta: an empty answer that stays empty after the retries is a real end (an infinite-scroll
# batch past the listing's last card), handed to the callback instead of failing.
EMPTY_IS_END = "newscrawl_empty_is_end"
_EMPTY_TRIES = "newscrawl_empty_retries"


class EmptyBody(IgnoreRequest):
    """A page answered 200 with nothing in it, every time it was asked."""


class EmptyBodyMiddleware:
    """Treats a 200 whose body is empty or only whitespace as a failed fetch (reason ``empty_body``).

    A page of the site is never empty: an empty 200 is a glitch of a server or a proxy, and taking it for
    a page would drop its article (no title) or end a listing walk early. It is asked again up to
    ``RETRY_TIMES`` times (stats ``newscrawl/empty_body/retried``); still empty, the request fails with
    :class:`EmptyBody`, so its errback logs it, counts it and owes it to the next run. An infinite-scroll
    batch past the last card is empty by design: one still empty after the retries (meta
    ``EMPTY_IS_END``) goes to its callback as the listing's end, confirmed.
    """

    def __init__(self, crawler: Crawler, retries: int) -> None:
        self.crawler = crawler
        self.retries = max(0, retries)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("RETRY_TIMES"))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 200 or not _blank(response.body) or not _spider_page(request):
            return response
        stats = self.crawler.stats
        assert stats is not None
        tries = int(request.meta.get(_EMPTY_TRIES, 0))
        if tries < self.retries:
            stats.inc_value("newscrawl/empty_body/retried")
            logger.debug("%s answered 200 with an empty body; again (%d)", page_url(request), tries + 1)
            retry = request.replace(dont_filter=True)
            retry.meta[_EMPTY_TRIES] = tries + 1
            return retry
        if request.meta.get(EMPTY_IS_END):
            stats.inc_value("newscrawl/empty_body/confirmed_end")
            return response
        raise EmptyBody(f"empty body after {tries + 1} tries: {page_url(request)}")


def _blank(body: bytes) -> bool:
    """Whether a body is empty or only whitespace, without copying a whole page on every response.

    >>> _blank(b""), _blank(b" \\n\\t "), _blank(b"<html>"), _blank(b" " * 300 + b"x")
    (True, True, False, False)
    """
    return not body[:256].strip() and not body.strip()


def _spider_page(request: Request) -> bool:
    """Whether a request is one of the spider's pages (robots.txt and Splash's own calls are not)."""
    return request.callback is not None and request.callback is not NO_CALLBACK


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
