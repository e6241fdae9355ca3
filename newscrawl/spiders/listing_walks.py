"""report_feed's walks of its listings from now, a part of its spider class: a listing's first page, then
its infinite-scroll batches down to the run's window (or a page of known cards, or ``max_pages``), and the
errback of every listing page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scrapy.http import Request, Response

from newscrawl import parsing
from newscrawl.dates import utc_now
from newscrawl.encoding import decoded
from newscrawl.failures import failure_reason
from newscrawl.items import FeedEntry
from newscrawl.ledger import BEGINNING, WalkPlan
from newscrawl.middlewares import EMPTY_IS_END
from newscrawl.render import Renderer, page_url
from newscrawl.site import language_of, listing_for
from newscrawl.spiders.cards import card_moment, older_than, page_links
from newscrawl.spiders.host import WalkHost

if TYPE_CHECKING:
    from datetime import datetime

    from twisted.python.failure import Failure

    from newscrawl.arguments import Arguments

# The spider's own logger: these are its walks, and their log lines keep its name.
logger = logging.getLogger("newscrawl.spiders.report_feed")


class ListingWalks(WalkHost):
    """The walks from now of ``ReportFeedSpider``'s feed and category listings (the spider defines what is
    declared here for the type checker: its state, and the window and history walks of ``PastWalks`` that
    go on from these or share their errback; what every walk calls is declared in ``host.py``)."""

    if TYPE_CHECKING:
        args: Arguments
        renderer: Renderer
        walks: dict[tuple[str, str], WalkPlan]

        def _history_request(self, lang: str) -> Iterator[Request]: ...

        def _window_lost(
            self, lang: str, listing: str, walk: str, page: int, url: str, reason: str
        ) -> None: ...

    def parse_listing(
        self,
        response: Response,
        lang: str | None = None,
        listing: str | None = None,
        page: int = 1,
        data_url: str | None = None,
    ) -> Iterator[Request | FeedEntry]:
        """A page of a listing (the feed or a category, first page or infinite-scroll batch): its cards,
        their articles' requests, and the next batch.

        @url https://report.az/en/finance
        @returns items 2
        @returns requests 1
        @scrapes url language title published_at listing listing_url position
        """
        lang = lang or language_of(response.url)
        listing = listing or listing_for(response.url) or "feed"
        text = decoded(response)
        self._count("newscrawl/listing_pages", lang)
        walk = self._walk(lang, listing)
        entries = parsing.parse_cards(text, listing=listing, seen_at=utc_now())
        if not entries:
            rendered = self.renderer.rerender(response) if page == 1 else None
            if rendered is not None:
                logger.debug("%s has no cards as served; asking Splash to render it", response.url)
                yield rendered
            elif page == 1:
                # A listing's first page always has cards: an empty one is a fault, not the end.
                self._listing_lost(lang, listing, page, response.url, "empty_listing")
            else:
                self._end_walk(lang, listing, page, "an empty batch", BEGINNING)
                if listing == "feed":
                    yield from self._history_request(lang)
            return
        fresh = [e for e in entries if not older_than(e, walk.floor)]
        all_known = yield from self._cards(fresh, lang, page_links(text))
        data_url = data_url or parsing.load_more_url(text)
        cursor = parsing.last_card_timestamp(text)
        if len(fresh) < len(entries):
            self._end_walk(lang, listing, page, "a card older than since", walk.floor)
        elif all_known and walk.stop_on_known:
            self._end_walk(lang, listing, page, "a page of known articles", walk.floor)
        elif page >= (limit := self._page_limit(walk)):
            self._end_walk(lang, listing, page, f"max_pages={limit}", None)
            level = logging.WARNING if self.args.since is None else logging.INFO
            logger.log(
                level,
                "%s (%s) stopped at max_pages=%d before reaching %s: its older cards were not read, and the "
                "default window of the next run starts before them (-a max_pages=N reads further)",
                listing,
                lang,
                limit,
                walk.floor.isoformat(),
            )
        elif data_url is None or cursor is None:
            oldest = min((card_moment(e) for e in entries if e.published_at), default=None)
            self._end_walk(lang, listing, page, "no infinite-scroll endpoint on the page", oldest)
        else:
            yield self._next_batch(lang, listing, page, data_url, cursor)
            return
        if listing == "feed":
            # The ordinary walk of the edition's feed is over: the history walk may go on from its frontier.
            yield from self._history_request(lang)

    def _next_batch(self, lang: str, listing: str, page: int, data_url: str, cursor: str) -> Request:
        return self.make_request(
            parsing.next_batch_url(data_url, cursor),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"lang": lang, "listing": listing, "page": page + 1, "data_url": data_url},
            # An empty batch that stays empty when asked again is the listing's end, not a fault.
            meta={EMPTY_IS_END: True},
        )

    def _page_limit(self, walk: WalkPlan) -> int:
        if walk.recheck:
            return max(self.args.max_pages, self.ledger.policy.recheck_max_pages)
        return self.args.max_pages

    def _walk(self, lang: str, listing: str) -> WalkPlan:
        plan = self.walks.get((lang, listing))
        if plan is None:
            plan = self.walks[lang, listing] = self.ledger.walk_started(lang, listing)
        return plan

    def _end_walk(self, lang: str, listing: str, page: int, reason: str, floor: datetime | None) -> None:
        logger.debug("%s (%s) stops at page %d: %s", listing, lang, page, reason)
        self.ledger.walk_ended(lang, listing, page, reason, floor)

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kwargs = request.cb_kwargs
        reason, _ = failure_reason(failure)
        if "walk" in kwargs:
            url = page_url(request)
            self._window_lost(kwargs["lang"], kwargs["listing"], kwargs["walk"], kwargs["page"], url, reason)
            return
        self._listing_lost(kwargs["lang"], kwargs["listing"], kwargs["page"], page_url(request), reason)

    def _listing_lost(self, lang: str, listing: str, page: int, url: str, reason: str) -> None:
        """A listing page failed after retries: the walk is cut off there, and says so."""
        self._count("newscrawl/listings/failed", lang)
        logger.warning("%s (%s) cut off at page %d (%s): %s", listing, lang, page, reason, url)
        self.ledger.listing_failed(reason)
        self._end_walk(lang, listing, page, f"failed: {reason}", None)
