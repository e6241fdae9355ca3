"""report_feed's walk of the daily archive, a part of its spider class: where the site ignores the batch
cursor of a Latest News window (or history) walk, the walk goes on a day at a time, from the cursor's day
down to the window's oldest day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scrapy.http import Request, Response

from newscrawl import parsing
from newscrawl.dates import BAKU
from newscrawl.encoding import decoded
from newscrawl.items import FeedEntry
from newscrawl.ledger import HISTORY_WALK as HISTORY
from newscrawl.site import BASE_URL, SITE, canonical_url
from newscrawl.spiders.cards import card_moment, page_links
from newscrawl.spiders.host import WalkHost

if TYPE_CHECKING:
    from datetime import datetime


# The spider's own logger: this is its walk, and its log lines keep its name.
logger = logging.getLogger("newscrawl.spiders.report_feed")

# Days in a row the daily archive may answer 404 before it counts as missing for an edition.
ARCHIVE_MISSING_DAYS = 3


class ArchiveWalk(WalkHost):
    """The daily-archive walk of ``ReportFeedSpider``, the fallback of its window and history walks
    (``PastWalks``). The spider defines what is declared here for the type checker: its state and the
    window walk's own; what every walk calls is declared in ``host.py``."""

    if TYPE_CHECKING:
        bounds: dict[tuple[str, str], tuple[datetime, datetime]]
        history_spent: int
        archive_missing: set[tuple[str, str]]

        def _history_page(self, lang: str, inside: list[FeedEntry], oldest: datetime | None) -> None: ...

        def _history_budget_spent(self) -> bool: ...

        def _first_page(self, lang: str, listing: str, walk: str) -> Request: ...

        def _end_window(
            self, lang: str, listing: str, walk: str, page: int, reason: str, complete: bool
        ) -> None: ...

    def _archive_request(
        self, lang: str, listing: str, walk: str, day: date, found: bool, missed: int
    ) -> Request:
        return self.make_request(
            f"{BASE_URL}{SITE[lang].prefix}/archive/{day:%Y/%m/%d}",
            callback=self.parse_archive,
            errback=self.listing_failed,
            cb_kwargs={
                "lang": lang,
                "listing": listing,
                "walk": walk,
                "page": 1,
                "day": day.isoformat(),
                "found": found,
                "missed": missed,
            },
            # An empty day answers 404: a page, not a failure.
            meta={"handle_httpstatus_list": [404]},
            priority=-1,
        )

    def parse_archive(
        self,
        response: Response,
        lang: str,
        listing: str,
        walk: str,
        page: int,
        day: str,
        found: bool,
        missed: int,
    ) -> Iterator[Request | FeedEntry]:
        """A day of the daily archive (the fallback of a feed whose cursor is ignored): its cards within
        the walk's bounds, then the day before, down to the window's oldest day."""
        self._count("newscrawl/listing_pages", lang)
        self._count("newscrawl/window/pages" if walk != HISTORY else "newscrawl/history/pages", lang)
        if walk == HISTORY:
            self.history_spent += 1
        lower, upper = self.bounds[lang, walk]
        entries = [] if response.status == 404 else parsing.parse_cards(decoded(response), listing=listing)
        if entries:
            found, missed = True, 0
            dated = [e for e in entries if e.published_at is not None]
            inside = [e for e in dated if lower <= card_moment(e) <= upper]
            text = decoded(response)
            yield from self._cards(inside, lang, page_links(text))
            if walk == HISTORY:
                self._history_page(lang, inside, min((card_moment(e) for e in dated), default=None))
            cursor = parsing.last_card_timestamp(text)
            if inside and cursor is not None:
                oldest = min(card_moment(e) for e in dated)
                urls = frozenset(canonical_url(e.url) for e in inside if e.url)
                self.ledger.window_page(lang, walk, cursor, oldest, urls)
            else:
                self.ledger.window_counted(lang, walk)
        else:
            missed += 1
            self.ledger.window_counted(lang, walk)
        previous = date.fromisoformat(day) - timedelta(days=1)
        last_day = previous < lower.astimezone(BAKU).date()
        if not found and (missed >= ARCHIVE_MISSING_DAYS or last_day):
            # report.az publishes every day: days on end without a page is an archive that is not there,
            # and a window that the archive shows nothing of is checked from page 1, never stored empty.
            self.archive_missing.add((lang, walk))
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newscrawl/failed/archive_missing")
            self.crawler.stats.inc_value(f"newscrawl/failed/archive_missing/{lang}")
            logger.warning(
                "%s (%s): the daily archive answered 404 for %d days in a row, down to %s: it is missing for "
                "this edition; walking down from the listing's first page instead",
                listing,
                lang,
                missed,
                response.url,
            )
            yield self._first_page(lang, listing, walk)
        elif last_day:
            self._end_window(lang, listing, walk, page, "the archive day of since", complete=True)
        elif walk == HISTORY and self._history_budget_spent():
            self._end_window(lang, listing, walk, page, "the history budget is spent", complete=False)
        else:
            yield self._archive_request(lang, listing, walk, previous, found, missed)
