from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from newscrawl import parsing
from newscrawl.arguments import Arguments
from newscrawl.dates import BAKU, crawl_clock, utc_now
from newscrawl.encoding import decoded
from newscrawl.exceptions import ArgumentError, RenderSettingsError
from newscrawl.failures import NETWORK_ERRORS, failure_reason
from newscrawl.history import HistoryReading
from newscrawl.items import Article, FeedEntry
from newscrawl.ledger import Ledger, WalkPlan
from newscrawl.render import Renderer, page_url
from newscrawl.replay import snapshot_clock
from newscrawl.seen import url_key
from newscrawl.site import DOMAIN, SITE, canonical_url, language_of
from newscrawl.spiders.archive_walk import ArchiveWalk
from newscrawl.spiders.cards import page_links
from newscrawl.spiders.listing_walks import ListingWalks
from newscrawl.spiders.past_walks import PastWalks
from newscrawl.store import Card

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FIRST_RUN_WINDOW = timedelta(hours=24)
# A later run looks back this far before the previous run's start, so a headline corrected shortly
# after publication is still seen on its card.
LOOKBACK = timedelta(hours=6)


class ReportFeedSpider(ListingWalks, PastWalks, ArchiveWalk, scrapy.Spider):
    """
    Domain
      report.az: the news agency Report, in Azerbaijani (no prefix), English (/en/) and Russian (/ru/).
    Spider arguments
      lang
        Comma list of editions: az, en, ru. Default: all three.
      categories
        ``all`` (default), ``none``, or a comma list of category slugs (newscrawl/site.py) to follow
        besides the Latest News feed.
      since
        Oldest card to read: an ISO date or datetime (Baku time unless an offset is given) or a duration
        back from now (``30m``, ``6h``, ``2d``, ``1w``). Default: 6 hours before the moment up to which
        every listing of the run has been walked completely (the store's ``coverage``), or 24 hours before
        the first run.
      until
        Newest card to read, as ``since`` (an ISO date or datetime, Baku time unless an offset is given,
        or a duration back from now); needs ``since``. The run then reads the window since..until: it
        enters each listing at ``until`` through the infinite-scroll cursor instead of at page 1, reads
        as many batches as the window holds, walks the Latest News feed only unless ``categories`` names
        some, and stores exactly the articles whose cards show them published within the window.
        A window cut short resumes where it stopped when it is asked for again (docs/history.md).
      history
        A date (or the setting ``NEWSCRAWL_HISTORY``): after the ordinary walk, continue each edition's
        Latest News backwards from its history frontier toward that date, through the cursor, within
        ``history_budget``. Not with ``until``.
      history_budget
        What a run may spend on the history walks of all editions: listing pages (``100``) or minutes
        since the run began (``10m``: no history page is asked for after them). Default: 10m.
      max_pages
        Listing pages (first page plus infinite-scroll batches) read per listing by the walk from now.
        Default: 20. A window's walk reads as many as the window holds.
      render
        ``plain`` (default, or the setting ``NEWSCRAWL_RENDER``), ``splash`` (every page rendered by
        Splash at ``SPLASH_URL``) or ``auto`` (Splash only for a page whose plain answer lacks its cards
        or body). See newscrawl/render/.
    Caveats
      Article pages stored by earlier runs whose card is unchanged are not requested again; listing pages
      always are, and a listing stops at a page of such cards only if its previous walk was complete
      (newscrawl/ledger.py). Every 12 hours the Latest News walk goes 2.5 days deep past known cards, for
      late headline corrections. Articles that failed in earlier runs are requested first. "Now" is
      ``NEWSCRAWL_CLOCK`` when set, under replay (``NEWSCRAWL_REPLAY``) the snapshot's ``fetched_at``.
      Sidebar entries are taken from the home page only: every page of a language shows the same sidebar
      at a given moment.
    """

    name = "report_feed"
    allowed_domains: ClassVar[list[str]] = ["report.az"]
    now: datetime  # the crawl's "now": the snapshot's moment under replay
    args: Arguments
    since: datetime
    renderer: Renderer

    def __init__(
        self,
        lang: str | None = None,
        categories: str | None = None,
        since: str | None = None,
        max_pages: str | None = None,
        until: str | None = None,
        history: str | None = None,
        history_budget: str | None = None,
        *args: Any,
        **kwargs: Any,  # Scrapyd adds _job and friends
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spider_args = {
            "lang": lang,
            "categories": categories,
            "since": since,
            "max_pages": max_pages,
            "until": until,
            "history": history,
            "history_budget": history_budget,
        }
        # url_key of each article URL met in this run -> whether it needed no request (asked once per URL)
        self.decided: dict[int, bool] = {}
        self.homes_failed: set[str] = set()
        self.walks: dict[tuple[str, str], WalkPlan] = {}
        # window walks (lang, listing) and the history walk (lang, HISTORY) -> their oldest, newest moment
        self.bounds: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        self.history_spent = 0  # listing pages of the history walks in this run
        self.history_read: dict[str, HistoryReading] = {}  # per edition: how far its history walk came
        self.started = time.monotonic()
        self.archive_missing: set[tuple[str, str]] = set()  # walks whose daily archive is not there

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.now = (
            crawl_clock(crawler.settings.get("NEWSCRAWL_CLOCK"))
            or snapshot_clock(crawler.settings.get("NEWSCRAWL_REPLAY"))
            or datetime.now(BAKU)
        )
        if spider.spider_args["history"] is None and crawler.settings.get("NEWSCRAWL_HISTORY"):
            spider.spider_args["history"] = str(crawler.settings.get("NEWSCRAWL_HISTORY"))
        spider.args = Arguments.parse(**spider.spider_args, now=spider.now)
        try:
            # Built here, before the add-ons run: a render argument switches scrapy-splash on.
            spider.renderer = Renderer.from_crawler(crawler, kwargs.get("render"), spider.allowed_domains)
        except RenderSettingsError as exc:
            if kwargs.get("render") is None:
                raise  # NEWSCRAWL_RENDER, a setting: exit 1
            raise ArgumentError(str(exc)) from None
        return spider

    @property
    def ledger(self) -> Ledger:
        """The store's owner for this crawl (an extension, built after the spider)."""
        ledger = self.crawler.get_extension(Ledger)
        if ledger is None:
            raise RuntimeError("newscrawl.ledger.Ledger is not in EXTENSIONS: report_feed needs it")
        return ledger

    # -- start ---------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterator[Request]:
        """Begins the run in the store, then yields the articles owed by earlier runs and the home pages.

        Synchronous, so tests can begin a run without an event loop. Scrapy calls start() only: since 2.16
        it no longer calls start_requests(), so the spider keeps none.
        """
        self.since = self.ledger.begin_run(
            self.name,
            self.args.raw,
            self.now,
            self.args.since,
            FIRST_RUN_WINDOW,
            LOOKBACK,
            self.args.languages,
            self.args.categories,
        )
        if self.args.until is not None:
            yield from self._window_requests(self.args.until)
            return
        logger.info(
            "Crawling %s from %s back to %s (max %d pages per listing)",
            ",".join(self.args.languages),
            self.now.isoformat(),
            self.since.isoformat(),
            self.args.max_pages,
        )
        owed = self.ledger.owed(self.args.languages)
        if owed:
            logger.info("Requesting %d articles that earlier runs failed to get", len(owed))
        for failure in owed:
            self.decided[url_key(failure.url)] = False
            self._count("newscrawl/articles/owed", failure.language)
            yield self._article_request(failure.url, failure.link, failure.card)
        for lang in self.args.languages:
            yield self.make_request(
                SITE[lang].home_url,
                callback=self.parse_home,
                errback=self.home_failed,
                cb_kwargs={"lang": lang},
            )

    # -- listings ----------------------------------------------------------------------------------

    def parse_home(self, response: Response, lang: str | None = None) -> Iterator[Request | FeedEntry]:
        """An edition's home page: its cards and Latest News column, then its feed and category listings.

        @url https://report.az/en/
        @returns items 10
        @returns requests 9
        @scrapes url language title listing position
        """
        lang = lang or language_of(response.url)
        text = decoded(response)
        self._count("newscrawl/listing_pages", lang)
        seen_at = utc_now()
        links = page_links(text)
        yield from self._cards(parsing.parse_cards(text, listing="home", seen_at=seen_at), lang, links)
        yield from self._cards(parsing.parse_sidebar(text, seen_at=seen_at), lang, links)
        feed_url, categories = parsing.feed_link(text), parsing.category_links(text)
        # The site model's paths stand in, and the counters say so: a home page that stops showing its
        # navigation is a redesign to look at.
        if feed_url is None:
            self._count("newscrawl/fallback/feed_link", lang)
        if not categories:
            self._count("newscrawl/fallback/category_links", lang)
        yield from self._listings(lang, feed_url, categories)

    def _listings(self, lang: str, feed_url: str | None, categories: dict[str, str]) -> Iterator[Request]:
        """The first pages of the edition's feed and wanted categories; the site model fills what the
        home page did not give."""
        links = {"feed": feed_url or SITE[lang].feed_url}
        categories = categories or {c.slug: SITE[lang].category_url(c.slug) for c in SITE[lang].categories}
        wanted = self.args.categories
        links.update(
            (f"category:{slug}", url) for slug, url in categories.items() if wanted is None or slug in wanted
        )
        for listing, url in links.items():
            self._walk(lang, listing)
            yield self.make_request(
                url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"lang": lang, "listing": listing, "page": 1},
            )

    def _cards(
        self, entries: list[FeedEntry], lang: str, links: dict[str, str]
    ) -> Generator[Request | FeedEntry, None, bool]:
        """Yield each card's entry and, when needed, its article request; return whether every article of
        these cards was already stored, unchanged, before this run.

        The request goes to the URL exactly as the page links it (``links``: canonical -> as linked):
        old-design articles live at trailing-slash URLs that the canonical form drops."""
        all_known = True
        for entry in entries:
            if entry.url is None:
                self._count("newscrawl/skipped/no_href", lang)
                continue
            url = canonical_url(entry.url)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                self._count("newscrawl/skipped/bad_scheme", lang)
                continue
            if parts.hostname != DOMAIN:
                self._count("newscrawl/skipped/offsite", lang)
                continue
            card = Card(entry.title, entry.published_at, lang, entry.listing)
            key = url_key(url)
            decided = self.decided.get(key)
            known = self.ledger.card_known(url, card, decided)
            all_known = all_known and known
            self._count("newscrawl/feed_entries", lang)
            yield entry
            if decided is not None:
                continue
            self.decided[key] = known
            if known:
                self._count("newscrawl/articles/skipped_known", lang)
                continue
            self._count("newscrawl/articles/requested", lang)
            yield self._article_request(url, links.get(url, url), card)
        return all_known

    def _article_request(self, url: str, link: str, card: Card) -> Request:
        self.ledger.requested(url, card, link)
        return self.make_request(
            link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"lang": card.language or language_of(url)},
            meta={"article_url": url},
        )

    # -- articles ----------------------------------------------------------------------------------

    def parse_article(self, response: Response, lang: str | None = None) -> Iterator[Article | Request]:
        """An article page.

        @url https://report.az/en/other-countries/s-korean-ministers-head-to-washington-to-discuss-bilateral-trade
        @returns items 1 1
        @returns requests 0 0
        @scrapes url language site_id title lead body published_at category tags translations
        """
        lang = lang or language_of(response.url)
        text = decoded(response)
        article = parsing.parse_article(text, fetched_at=utc_now(), stats=self.crawler.stats)
        if article.body is None and (rendered := self.renderer.rerender(response)):
            logger.debug("%s has no article body as served; asking Splash to render it", response.url)
            yield rendered
            return
        requested = response.request.meta.get("article_url") if response.request else None
        self._settle_identity(article, canonical_url(response.url))
        self.ledger.fetched(requested or canonical_url(response.url), article.url)
        self._count("newscrawl/articles/parsed", lang)
        yield article

    def _settle_identity(self, article: Article, fetched: str) -> None:
        """An article is the report.az page it was fetched from (after redirects): a canonical link that
        points elsewhere is ignored, counted and logged, never trusted to rename or hide the page."""
        if article.url is None or article.url == fetched:
            article.url = fetched
            return
        reason = "offsite_canonical" if urlsplit(article.url).hostname != DOMAIN else "canonical_mismatch"
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newscrawl/identity/{reason}")
        logger.warning(
            "%s names %s as its canonical URL (%s); kept as %s", fetched, article.url, reason, fetched
        )
        article.url = fetched
        article.language = language_of(fetched)

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        url = request.meta.get("article_url") or canonical_url(page_url(request))
        lang = request.cb_kwargs["lang"]
        reason, status = failure_reason(failure)
        if status in (404, 410):
            self._count(f"newscrawl/articles/http_{status}", lang)
            # Remembered so later runs skip it until its card changes.
            self.ledger.gone(url, status)
            logger.warning("Article %s answered HTTP %d; remembered as gone", page_url(request), status)
            return
        self._count("newscrawl/articles/failed", lang)
        self.ledger.failed(url, reason, status)

    def home_failed(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        lang = request.cb_kwargs["lang"]
        self.homes_failed.add(lang)
        if failure.check(*NETWORK_ERRORS) and self.homes_failed >= set(self.args.languages):
            logger.error(
                "report.az cannot be reached (%s). Check the network or proxy, or try the offline demo on "
                "the bundled snapshot: make demo",
                failure.getErrorMessage(),
            )
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="unreachable"))
            return
        reason, _ = failure_reason(failure)
        self.ledger.listing_failed(reason)
        if reason == "blocked":
            # A 403/429 on the home page: more requests to that edition would only press a site that is
            # refusing the crawler. Its listings are not walked, so the window keeps them for later.
            logger.warning("Home page %s failed (blocked); the edition is not walked", page_url(request))
            return
        logger.warning(
            "Home page %s failed (%s); walking the edition's listings from the site model",
            page_url(request),
            reason,
        )
        yield from self._listings(lang, None, {})

    # -- helpers ----------------------------------------------------------------------------------

    def make_request(self, url: str, **kwargs: Any) -> Request:
        """Every page request of the spider: plain or through Splash, as the render mode says."""
        return self.renderer.request(url, **kwargs)

    def _count(self, key: str, lang: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)
        self.crawler.stats.inc_value(f"{key}/{lang}")
