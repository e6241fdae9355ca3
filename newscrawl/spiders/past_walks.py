"""report_feed's walks of the past, a part of its spider class: a window (``-a since=... -a until=...``)
through the batch cursor and continuous history (``-a history``). Where the cursor fails they go on through
the daily archive (spiders/archive_walk.py) or from the listing's first page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scrapy.http import Request, Response

from newscrawl import parsing
from newscrawl.dates import BAKU, utc_now
from newscrawl.encoding import decoded
from newscrawl.history import HistoryReading
from newscrawl.items import FeedEntry
from newscrawl.ledger import HISTORY_WALK
from newscrawl.middlewares import EMPTY_IS_END
from newscrawl.seen import url_key
from newscrawl.site import SITE, canonical_url
from newscrawl.spiders.cards import card_moment, listing_endpoint, not_older, page_links
from newscrawl.spiders.host import WalkHost

if TYPE_CHECKING:
    from datetime import date

    from newscrawl.arguments import Arguments
    from newscrawl.store import Card

# The spider's own logger: these are its walks, and their log lines keep its name.
logger = logging.getLogger("newscrawl.spiders.report_feed")

HISTORY = HISTORY_WALK  # the walk that continues the archive backwards (-a history)


class PastWalks(WalkHost):
    """The window and history walks of ``ReportFeedSpider`` (which defines what is declared here for the
    type checker: its state and the daily-archive walk of
    ``ArchiveWalk``; what every walk calls is declared in ``host.py``)."""

    if TYPE_CHECKING:
        args: Arguments
        since: datetime
        decided: dict[int, bool]
        bounds: dict[tuple[str, str], tuple[datetime, datetime]]
        history_spent: int
        history_read: dict[str, HistoryReading]
        started: float
        archive_missing: set[tuple[str, str]]

        def _article_request(self, url: str, link: str, card: Card) -> Request: ...

        def _archive_request(
            self, lang: str, listing: str, walk: str, day: date, found: bool, missed: int
        ) -> Request: ...

    # -- a window of the past ----------------------------------------------------------------------

    def _window_requests(self, until: datetime) -> Iterator[Request]:
        """Enter each listing of the window at ``until`` through the batch cursor, or where an earlier run
        of the same window stopped; owed articles of the window first."""
        logger.info(
            "Reading %s from %s back to %s through the batch cursor",
            ",".join(self.args.languages),
            until.isoformat(),
            self.since.isoformat(),
        )
        for failure in self.ledger.owed(self.args.languages):
            if failure.published_at is None:
                continue
            if not self.since <= datetime.fromisoformat(failure.published_at) <= until:
                continue
            self.decided[url_key(failure.url)] = False
            self._count("newscrawl/articles/owed", failure.language)
            yield self._article_request(failure.url, failure.link, failure.card)
        # Latest News lists every article; categories only when asked for by name.
        wanted = sorted(self.args.categories or ())
        for lang in self.args.languages:
            for listing in ["feed", *(f"category:{slug}" for slug in wanted)]:
                slug = listing.removeprefix("category:")
                if listing != "feed" and SITE[lang].category(slug) is None:
                    continue
                part = self.ledger.window_started(lang, listing, listing, self.since, until)
                if part.done:
                    logger.info("%s (%s): this window was read completely by an earlier run", listing, lang)
                    continue
                self.bounds[lang, listing] = (self.since, until)
                data_url = listing_endpoint(lang, None if listing == "feed" else slug)
                cursor = part.reached or parsing.cursor_after(until)
                if part.reached:
                    logger.info(
                        "%s (%s): resuming the window below %s, where an earlier run stopped",
                        listing,
                        lang,
                        part.reached_at,
                    )
                yield self._window_batch(lang, listing, listing, data_url, cursor, page=1)

    def _history_request(self, lang: str) -> Iterator[Request]:
        """Continuous history: after the ordinary Latest News walk of an edition, continue backwards from
        the edition's history frontier (where the ordinary walks' coverage begins, the first time)."""
        oldest = self.args.history
        if oldest is None:
            return
        if self._history_budget_spent():
            budget = self.args.history_budget
            logger.info("History (%s): the budget of %s is spent before its walk", lang, budget)
            return
        part = self.ledger.history_started(lang, oldest)
        if part is None:
            logger.info("History (%s): no walk has covered a stretch yet to continue from", lang)
            return
        if part.done:
            logger.info("History (%s): complete down to %s", lang, oldest.isoformat())
            return
        assert part.reached is not None and part.reached_at is not None
        frontier = datetime.fromisoformat(part.reached_at)
        self.bounds[lang, HISTORY] = (oldest, frontier)
        logger.info(
            "History (%s): continuing back from %s toward %s", lang, frontier.isoformat(), oldest.isoformat()
        )
        yield self._window_batch(lang, "feed", HISTORY, listing_endpoint(lang, None), part.reached, page=1)

    def _window_batch(
        self,
        lang: str,
        listing: str,
        walk: str,
        data_url: str,
        cursor: str,
        page: int,
        fallback: bool = False,
    ) -> Request:
        return self.make_request(
            parsing.next_batch_url(data_url, cursor),
            callback=self.parse_window,
            errback=self.listing_failed,
            cb_kwargs={
                "lang": lang,
                "listing": listing,
                "walk": walk,
                "page": page,
                "data_url": data_url,
                "asked": cursor,
                "fallback": fallback,
            },
            meta={EMPTY_IS_END: True},
            # After the articles already asked for: the walk keeps pace with its articles, so a run cut
            # short has little read and not yet settled, and its resume re-reads little.
            priority=-1,
        )

    def parse_window(
        self,
        response: Response,
        lang: str,
        listing: str,
        walk: str,
        page: int,
        data_url: str,
        asked: str | None = None,
        fallback: bool = False,
    ) -> Iterator[Request | FeedEntry]:
        """A page of a window walk (or of the history walk): a batch below a cursor, or (``fallback``) a
        listing's first page and its batches when the site did not honour the cursor. Only cards published
        within the walk's bounds are kept; a card older than its lower bound ends the walk."""
        text = decoded(response)
        self._count("newscrawl/listing_pages", lang)
        self._count("newscrawl/window/pages" if walk != HISTORY else "newscrawl/history/pages", lang)
        if walk == HISTORY:
            self.history_spent += 1
        entries = parsing.parse_cards(text, listing=listing, seen_at=utc_now())
        if not entries:
            if asked is None:
                self._window_lost(lang, listing, walk, page, response.url, "empty_listing")
            else:
                self._end_window(lang, listing, walk, page, "an empty batch", complete=True)
            return
        if asked is not None and (newer := not_older(entries, asked)):
            yield from self._cursor_ignored(lang, listing, walk, page, response.url, asked, newer, fallback)
            return
        lower, upper = self.bounds[lang, walk]
        dated = [e for e in entries if e.published_at is not None]
        if len(dated) < len(entries):
            self._count("newscrawl/skipped/no_date", lang)
        inside = [e for e in dated if lower <= card_moment(e) <= upper]
        yield from self._cards(inside, lang, page_links(text))
        cursor = parsing.last_card_timestamp(text)
        oldest = min(card_moment(e) for e in dated) if dated else None
        if walk == HISTORY:
            self._history_page(lang, inside, oldest)
        if inside and cursor is not None and oldest is not None:
            urls = frozenset(canonical_url(e.url) for e in inside if e.url)
            self.ledger.window_page(lang, walk, cursor, oldest, urls)
        else:
            self.ledger.window_counted(lang, walk)
        if asked is None:  # a listing's first page names its own endpoint
            data_url = parsing.load_more_url(text) or data_url
        if oldest is not None and oldest < lower:
            self._end_window(lang, listing, walk, page, "a card older than since", complete=True)
        elif cursor is None:
            self._end_window(lang, listing, walk, page, "no cursor on the page", complete=False)
        elif walk == HISTORY and self._history_budget_spent():
            self._end_window(lang, listing, walk, page, "the history budget is spent", complete=False)
        else:
            yield self._window_batch(lang, listing, walk, data_url, cursor, page + 1, fallback)

    def _end_window(self, lang: str, listing: str, walk: str, page: int, reason: str, complete: bool) -> None:
        logger.debug("%s (%s, %s) stops at page %d: %s", listing, lang, walk, page, reason)
        self.ledger.window_ended(lang, walk, complete=complete)
        if walk == HISTORY:
            self._history_progress(lang)

    def _history_budget_spent(self) -> bool:
        return self.args.history_budget.spent(self.history_spent, time.monotonic() - self.started)

    def _history_page(self, lang: str, inside: list[FeedEntry], oldest: datetime | None) -> None:
        """A page of the history walk: its position, articles a day and ETA go into the stats that the
        periodic progress line shows."""
        assert self.args.history is not None
        reading = self.history_read.setdefault(lang, HistoryReading(self.args.history))
        reading.page(max((card_moment(e) for e in inside), default=None), oldest, len(inside))
        estimate = reading.estimate(self._seconds_per_request())
        if estimate is not None:
            assert self.crawler.stats is not None
            for key, value in estimate.stats(lang).items():
                self.crawler.stats.set_value(key, value)

    def _seconds_per_request(self) -> float:
        """The crawl's current pace: DOWNLOAD_DELAY, or the run's own seconds per response when slower."""
        assert self.crawler.stats is not None
        delay = max(self.crawler.settings.getfloat("DOWNLOAD_DELAY"), 0.0)
        responses = int(self.crawler.stats.get_value("response_received_count", 0))
        observed = (time.monotonic() - self.started) / responses if responses else 0.0
        return max(delay, observed)

    def _history_progress(self, lang: str) -> None:
        """At the end of an edition's history walk: its frontier, how many articles a day it reaches
        there, and the time to the history date at the current pace."""
        frontier = self.ledger.history_frontier(lang)
        oldest = self.args.history
        if frontier is None or oldest is None:
            return
        part = frontier[0]
        reached = datetime.fromisoformat(part.reached_at) if part.reached_at else None
        if part.done or reached is None:
            logger.info("History (%s): complete down to %s", lang, oldest.isoformat())
            return
        reading = self.history_read.get(lang) or HistoryReading(oldest)
        reading.reached = reached  # the settled frontier, not merely the oldest card read
        pace = self._seconds_per_request()
        estimate = reading.estimate(pace)
        if estimate is None:
            logger.info("History (%s): frontier %s, toward %s", lang, reached.isoformat(), oldest.isoformat())
            return
        budget = self.args.history_budget
        if budget.pages is not None:
            runs = estimate.pages_left / max(budget.pages / max(len(self.args.languages), 1), 1)
        else:
            runs = estimate.seconds_left / max((budget.minutes or 1) * 60, 1)
        logger.info(
            "History (%s): frontier %s, %.0f articles a day there, %.1f days to go to %s: about %.0f listing "
            "pages, %.1f hours of requests at %.2f s a request, about %.0f runs at a budget of %s",
            lang,
            reached.isoformat(),
            estimate.per_day,
            estimate.days_left,
            oldest.date().isoformat(),
            estimate.pages_left,
            estimate.seconds_left / 3600,
            pace,
            runs,
            budget,
        )

    def _window_lost(self, lang: str, listing: str, walk: str, page: int, url: str, reason: str) -> None:
        """A page of a window walk failed after retries: the walk is cut off there and resumes later."""
        self._count("newscrawl/listings/failed", lang)
        logger.warning("%s (%s) cut off at page %d (%s): %s", listing, lang, page, reason, url)
        self.ledger.listing_failed(reason)
        self._end_window(lang, listing, walk, page, f"failed: {reason}", complete=False)

    def _cursor_ignored(
        self,
        lang: str,
        listing: str,
        walk: str,
        page: int,
        url: str,
        asked: str,
        newer: list[FeedEntry],
        fallback: bool,
    ) -> Iterator[Request]:
        """Asked for cards older than a cursor, the site answered newer ones: nothing of the page is kept.
        Latest News goes on through the daily archive from the cursor's day, a category (or a feed whose
        archive is missing) from the listing's first page down to the window; when even the cursors of the
        listing's own cards are ignored, the walk is cut off, and says so."""
        archive = listing == "feed" and not fallback and (lang, walk) not in self.archive_missing
        logger.warning(
            "%s (%s) asked for cards older than %s and got one published %s (%s): the site ignored the "
            "cursor; %s",
            listing,
            lang,
            asked,
            newer[0].published_at,
            url,
            "cutting the walk off"
            if fallback
            else "reading the daily archive instead"
            if archive
            else "walking down from the listing's first page instead",
        )
        if fallback:
            self._window_lost(lang, listing, walk, page, url, "cursor_ignored")
            return
        # Counted as a failure of the route, not of the run: the fallback may still read the window.
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newscrawl/failed/cursor_ignored")
        self.crawler.stats.inc_value(f"newscrawl/failed/cursor_ignored/{lang}")
        if archive:
            moment = parsing.cursor_moment(asked)
            assert moment is not None  # _not_older found newer cards: the cursor parsed
            day = (moment - timedelta(seconds=1)).astimezone(BAKU).date()
            yield self._archive_request(lang, listing, walk, day, found=False, missed=0)
            return
        yield self._first_page(lang, listing, walk)

    def _first_page(self, lang: str, listing: str, walk: str) -> Request:
        slug = listing.removeprefix("category:")
        first = SITE[lang].feed_url if listing == "feed" else SITE[lang].category_url(slug)
        return self.make_request(
            first,
            callback=self.parse_window,
            errback=self.listing_failed,
            cb_kwargs={
                "lang": lang,
                "listing": listing,
                "walk": walk,
                "page": 1,
                "data_url": listing_endpoint(lang, None if listing == "feed" else slug),
                "asked": None,
                "fallback": True,
            },
            priority=-1,
        )
