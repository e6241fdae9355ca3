from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from newscrawl import parsing
from newscrawl.dates import BAKU
from newscrawl.items import Article, FeedEntry
from newscrawl.render import Renderer, RenderSettingsError, page_url, parse_mode
from newscrawl.site import LANGUAGES, SITE, canonical_url
from newscrawl.spiders import ArgumentError
from newscrawl.store import Store

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 20
FIRST_RUN_WINDOW = timedelta(hours=24)
# A later run looks back this far before the previous run's start, so a headline corrected shortly
# after publication is still seen on its card.
LOOKBACK = timedelta(hours=6)
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
NETWORK_ERRORS = (DNSLookupError, ConnectError, TCPTimedOutError, TimeoutError)


@dataclass(frozen=True)
class Arguments:
    """The spider arguments, checked. ``since`` stays None when the store decides it."""

    languages: tuple[str, ...]
    categories: frozenset[str] | None  # None: every category the pages link to
    since: datetime | None
    max_pages: int
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        lang: str | None = None,
        categories: str | None = None,
        since: str | None = None,
        max_pages: str | int | None = None,
        *,
        now: datetime | None = None,
    ) -> Arguments:
        """Check the arguments; a wrong value raises ArgumentError with one sentence naming the fix.

        >>> Arguments.parse(lang="en,ru", categories="finance").languages
        ('en', 'ru')
        >>> Arguments.parse(lang="de")
        Traceback (most recent call last):
        ...
        newscrawl.spiders.ArgumentError: lang must be a comma list of az, en, ru (got 'de'): -a lang=en,ru
        >>> Arguments.parse(since="6h", now=datetime(2026, 1, 29, 21, tzinfo=BAKU)).since.isoformat()
        '2026-01-29T15:00:00+04:00'
        """
        raw = {
            k: str(v)
            for k, v in (
                ("lang", lang),
                ("categories", categories),
                ("since", since),
                ("max_pages", max_pages),
            )
            if v is not None
        }
        languages = _parse_languages(lang)
        return cls(
            languages=languages,
            categories=_parse_categories(categories, languages),
            since=_parse_since(since, now or datetime.now(BAKU)),
            max_pages=_parse_max_pages(max_pages),
            raw=raw,
        )


def _parse_languages(value: str | None) -> tuple[str, ...]:
    if value is None or value.strip() in ("", "all"):
        return LANGUAGES
    codes = tuple(dict.fromkeys(code.strip().lower() for code in value.split(",") if code.strip()))
    if not codes or any(code not in LANGUAGES for code in codes):
        raise ArgumentError(
            f"lang must be a comma list of {', '.join(LANGUAGES)} (got {value!r}): -a lang=en,ru"
        )
    return codes


def _parse_categories(value: str | None, languages: tuple[str, ...]) -> frozenset[str] | None:
    if value is None or value.strip() in ("", "all"):
        return None
    if value.strip() == "none":
        return frozenset()
    known = {c.slug for lang in languages for c in SITE[lang].categories}
    slugs = frozenset(slug.strip().lower() for slug in value.split(",") if slug.strip())
    unknown = sorted(slugs - known)
    if unknown:
        raise ArgumentError(
            f"categories must be all, none or a comma list of category slugs of the chosen languages "
            f"({', '.join(sorted(known))}); unknown: {', '.join(unknown)}"
        )
    return slugs


def _parse_since(value: str | None, now: datetime) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    duration = _DURATION.match(text.lower())
    if duration:
        return now - timedelta(**{_UNITS[duration.group(2)]: int(duration.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError(
            f"since must be an ISO date or datetime (2026-01-29, 2026-01-29T15:00) or a duration "
            f"such as 30m, 6h, 2d, 1w (got {value!r})"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BAKU)


def _parse_max_pages(value: str | int | None) -> int:
    if value is None or str(value).strip() == "":
        return DEFAULT_MAX_PAGES
    try:
        pages = int(str(value).strip())
    except ValueError:
        pages = 0
    if pages < 1:
        raise ArgumentError(
            f"max_pages must be a whole number of at least 1 (got {value!r}), e.g. -a max_pages=5"
        )
    return pages


class ReportFeedSpider(scrapy.Spider):
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
        back from now (``30m``, ``6h``, ``2d``, ``1w``). Default: 6 hours before the previous run's start,
        or 24 hours on a first run.
      max_pages
        Listing pages (first page plus infinite-scroll batches) read per listing. Default: 20.
      render
        ``plain`` (default, or the setting ``NEWSCRAWL_RENDER``), ``splash`` (every page rendered by
        Splash at ``SPLASH_URL``) or ``auto`` (Splash only for a page whose plain answer lacks its cards
        or body). See newscrawl/render.py.
    Caveats
      Article pages already in the store whose card is unchanged are not requested again; listing pages
      always are. Under replay (``NEWSCRAWL_REPLAY``) "now" is the snapshot's ``fetched_at``. Sidebar
      entries are taken from the home page only: every page of a language shows the same sidebar at a
      given moment.
    """

    name = "report_feed"
    allowed_domains: ClassVar[list[str]] = ["report.az"]
    now: datetime  # the crawl's "now": the snapshot's moment under replay
    args: Arguments
    since: datetime
    store: Store
    renderer: Renderer

    def __init__(
        self,
        lang: str | None = None,
        categories: str | None = None,
        since: str | None = None,
        max_pages: str | None = None,
        *args: Any,
        **kwargs: Any,  # Scrapyd adds _job and friends
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spider_args = {"lang": lang, "categories": categories, "since": since, "max_pages": max_pages}
        self.scheduled: set[str] = set()
        self.homes_failed: set[str] = set()
        self.run_id: int | None = None

    @classmethod
    def check_arguments(cls, **kwargs: Any) -> Arguments:
        """Raise ArgumentError for an unusable argument, before the crawl starts (the crawl command)."""
        try:
            parse_mode(kwargs.get("render"))
        except RenderSettingsError as exc:
            raise ArgumentError(str(exc)) from None
        return Arguments.parse(
            **{k: v for k, v in kwargs.items() if k in ("lang", "categories", "since", "max_pages")}
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.now = snapshot_clock(crawler.settings.get("NEWSCRAWL_REPLAY")) or datetime.now(BAKU)
        spider.args = Arguments.parse(**spider.spider_args, now=spider.now)
        spider.store = Store.from_crawler(crawler)
        spider.renderer = Renderer.from_crawler(crawler, kwargs.get("render"), spider.allowed_domains)
        crawler.signals.connect(spider.record_run_end, signal=signals.spider_closed)
        return spider

    # -- run bookkeeping -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for request in self.start_requests():
            yield request

    # Kept beside start(): scrapy-splash's SplashDeduplicateArgsMiddleware still calls it on Scrapy 2.13.
    def start_requests(self) -> Iterator[Request]:
        previous = self.store.previous_run(self.name)
        if self.args.since is not None:
            self.since = self.args.since
        elif previous is not None and previous.clock:
            self.since = datetime.fromisoformat(previous.clock) - LOOKBACK
        else:
            self.since = self.now - FIRST_RUN_WINDOW
        self.run_id = self.store.start_run(
            self.name, {**self.args.raw, "since": self.since.isoformat()}, self.now.isoformat()
        )
        logger.info(
            "Crawling %s from %s back to %s (max %d pages per listing)",
            ",".join(self.args.languages),
            self.now.isoformat(),
            self.since.isoformat(),
            self.args.max_pages,
        )
        for lang in self.args.languages:
            yield self.make_request(
                SITE[lang].home_url,
                callback=self.parse_home,
                errback=self.home_failed,
                cb_kwargs={"lang": lang},
            )

    def record_run_end(self, spider: scrapy.Spider, reason: str) -> None:
        if self.run_id is not None and self.crawler.stats is not None:
            self.store.finish_run(self.run_id, self.crawler.stats.get_stats(), reason)

    # -- listings ----------------------------------------------------------------------------------

    def parse_home(self, response: Response, lang: str) -> Iterator[Request | FeedEntry]:
        text = _text(response)
        self._count("newscrawl/listing_pages", lang)
        seen_at = _utc_now()
        links = _links(text)
        yield from self._cards(parsing.parse_cards(text, listing="home", seen_at=seen_at), lang, links)
        yield from self._cards(parsing.parse_sidebar(text, seen_at=seen_at), lang, links)

        feed_url = parsing.feed_link(text) or SITE[lang].feed_url
        yield self.make_request(
            response.urljoin(feed_url),
            callback=self.parse_listing,
            cb_kwargs={"lang": lang, "listing": "feed", "page": 1},
        )
        links = parsing.category_links(text) or {
            c.slug: SITE[lang].category_url(c.slug) for c in SITE[lang].categories
        }
        wanted = self.args.categories
        for slug, url in links.items():
            if wanted is None or slug in wanted:
                yield self.make_request(
                    response.urljoin(url),
                    callback=self.parse_listing,
                    cb_kwargs={"lang": lang, "listing": f"category:{slug}", "page": 1},
                )

    def parse_listing(
        self, response: Response, lang: str, listing: str, page: int, data_url: str | None = None
    ) -> Iterator[Request | FeedEntry]:
        text = _text(response)
        self._count("newscrawl/listing_pages", lang)
        entries = parsing.parse_cards(text, listing=listing, seen_at=_utc_now())
        if not entries:
            rendered = self.renderer.rerender(response) if page == 1 else None
            if rendered is not None:
                logger.debug("%s has no cards as served; asking Splash to render it", response.url)
                yield rendered
                return
            logger.debug("%s ends at page %d (empty batch) %s", listing, page, response.url)
            return
        fresh = [e for e in entries if not self._older_than_since(e)]
        all_known = yield from self._cards(fresh, lang, _links(text))
        data_url = data_url or parsing.load_more_url(text)
        cursor = parsing.last_card_timestamp(text)
        if len(fresh) < len(entries):
            reason = "a card older than since"
        elif all_known:
            reason = "a page of known articles"
        elif page >= self.args.max_pages:
            reason = f"max_pages={self.args.max_pages}"
        elif data_url is None or cursor is None:
            reason = "no infinite-scroll endpoint on the page"
        else:
            yield self.make_request(
                parsing.next_batch_url(data_url, cursor),
                callback=self.parse_listing,
                cb_kwargs={"lang": lang, "listing": listing, "page": page + 1, "data_url": data_url},
            )
            return
        logger.debug("%s (%s) stops at page %d: %s", listing, lang, page, reason)

    def _cards(
        self, entries: list[FeedEntry], lang: str, links: dict[str, str]
    ) -> Generator[Request | FeedEntry, None, bool]:
        """Yield each card's entry and, when needed, its article request; return whether the store
        already held every article of these cards, unchanged.

        The request goes to the URL exactly as the page links it (``links``: canonical -> as linked):
        old-design articles live at trailing-slash URLs that the canonical form drops."""
        all_known = True
        for entry in entries:
            if entry.url is None:
                continue
            url = canonical_url(entry.url)
            # Asked before the entry is yielded: the store must compare against earlier runs' cards.
            known = self.store.card_is_current(url, entry.title, entry.published_at)
            all_known = all_known and known
            self._count("newscrawl/feed_entries", lang)
            yield entry
            if url in self.scheduled:
                continue
            self.scheduled.add(url)
            if known:
                self._count("newscrawl/articles/skipped_known", lang)
                continue
            self._count("newscrawl/articles/requested", lang)
            yield self.make_request(
                links.get(url, url),
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"lang": lang},
                meta={"card": entry},
            )
        return all_known

    # -- articles ----------------------------------------------------------------------------------

    def parse_article(self, response: Response, lang: str) -> Iterator[Article | Request]:
        text = _text(response)
        if not _has_body(text) and (rendered := self.renderer.rerender(response)):
            logger.debug("%s has no article body as served; asking Splash to render it", response.url)
            yield rendered
            return
        article = parsing.parse_article(text, fetched_at=_utc_now(), stats=self.crawler.stats)
        self._count("newscrawl/articles/parsed", lang)
        yield article

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        card: FeedEntry = request.meta["card"]
        if isinstance(failure.value, HttpError):
            status = failure.value.response.status
            self._count(f"newscrawl/articles/http_{status}", request.cb_kwargs["lang"])
            if status in (404, 410):
                # Remembered so later runs skip it until its card changes.
                self.store.remember_gone(
                    canonical_url(page_url(request)), card.title, card.published_at, status
                )
            logger.warning("Article %s answered HTTP %d; skipped", page_url(request), status)
        else:
            logger.warning("Article %s failed: %s", page_url(request), failure.getErrorMessage())

    def home_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.homes_failed.add(request.cb_kwargs["lang"])
        if failure.check(*NETWORK_ERRORS) and self.homes_failed >= set(self.args.languages):
            logger.error(
                "report.az cannot be reached (%s). Check the network or proxy, or try the offline demo on "
                "the bundled snapshot: make demo",
                failure.getErrorMessage(),
            )
            assert self.crawler.engine is not None
            self.crawler.engine.close_spider(self, "unreachable")
        else:
            logger.error("Home page %s failed: %s", page_url(request), failure.getErrorMessage())

    # -- helpers ----------------------------------------------------------------------------------

    def make_request(self, url: str, **kwargs: Any) -> Request:
        """Every page request of the spider: plain or through Splash, as the render mode says."""
        return self.renderer.request(url, **kwargs)

    def _older_than_since(self, entry: FeedEntry) -> bool:
        return entry.published_at is not None and datetime.fromisoformat(entry.published_at) < self.since

    def _count(self, key: str, lang: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)
        self.crawler.stats.inc_value(f"{key}/{lang}")


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _links(response: TextResponse) -> dict[str, str]:
    """Every link of a page, canonical URL -> absolute URL as linked."""
    return {
        canonical_url(absolute): absolute
        for absolute in map(response.urljoin, response.css("a::attr(href)").getall())
    }


def _has_body(response: TextResponse) -> bool:
    """Whether an article page as served holds body paragraphs (else ``render=auto`` renders it)."""
    containers = response.css(parsing.BODY) or response.css(parsing.OLD_BODY)
    return bool(containers.xpath(parsing.PARAGRAPHS))


def _text(response: Response) -> TextResponse:
    if isinstance(response, TextResponse):
        return response
    # An empty infinite-scroll batch may come without a Content-Type that marks it as text.
    return TextResponse(url=response.url, body=response.body, encoding="utf-8", request=response.request)


def snapshot_clock(replay_dir: str | None) -> datetime | None:
    """The moment a replayed snapshot was taken (its SNAPSHOT.json ``fetched_at``), or None."""
    if not replay_dir:
        return None
    manifest = Path(replay_dir) / "SNAPSHOT.json"
    if not manifest.is_file():
        return None
    fetched_at = json.loads(manifest.read_text(encoding="utf-8")).get("fetched_at")
    return datetime.fromisoformat(fetched_at) if fetched_at else None
