"""The one owner of the store during a crawl: what is known, what each walk covered, what is owed.

:class:`Ledger` is an extension (``EXTENSIONS``). It opens the store when the crawler is built, so a
locked or unusable file stops the run before anything is fetched, and every other component reaches the
store through it (``crawler.get_extension(Ledger)``):

- the spider asks :meth:`Ledger.card_known` once per article URL and run, and reports walks, fetched
  articles, 404s and failures;
- the store pipeline writes items through :meth:`Ledger.store_article` and :meth:`Ledger.store_feed_entry`;
- the JSON Lines storage (:mod:`newscrawl.feeds`) learns from :meth:`Ledger.feed_opened` how much of its
  file the store has committed.

The rules it keeps, each in one place:

- **Known.** A card counts as known only if its article was stored, for a card that read the same, by an
  earlier run (or was remembered as gone). The answer is decided once per URL and run, before anything
  of that run is stored, so one listing finishing early never makes another listing look known.
- **Walks.** A listing may stop at a page of known cards only if its previous walk reached its normal
  end (an empty batch, a card older than the walk's floor, or that same stop) no higher than this run's
  floor. A walk cut short by ``max_pages``, an error, a kill or a block, or one whose articles failed, is
  incomplete, and the next run walks on past known cards.
- **Window.** ``since`` defaults from what the walks covered (table ``coverage``): per listing, the end of
  the unbroken stretch of publishing times that complete walks read, less the lookback; the run takes
  the oldest of its listings'. A run that was killed, cut off or blocked covers nothing, so it never
  moves the next run's window past what it missed.
- **Corrections.** Every ``NEWSCRAWL_RECHECK_HOURS`` the Latest News walk of each edition goes down the
  correction window (``NEWSCRAWL_CORRECTION_DAYS`` plus that interval) without stopping at known cards,
  so a headline corrected days after publication is fetched again.
- **Owed articles.** An article that failed after retries (an empty page among the reasons), that a
  pipeline dropped as invalid, or that was never requested because the run stopped, is kept in
  ``failures``; the next run requests it first, and walks its listing at least down to its card. The
  run names every owed URL at its end and is ``partial``.
- **Commit order.** An item is committed only after its JSON line is written, and each commit records how
  many bytes of each JSON Lines file it covers; a file that grew past that (a killed run) is cut back to
  it at the next open. So the JSON Lines hold each stored version exactly once (``docs/store.md``).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals

from newscrawl.addon import store_path
from newscrawl.items import Article
from newscrawl.parsing import cursor_after
from newscrawl.store import Card, Coverage, Failure, HistoryPart, Store, content_hash

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# The oldest moment there is: the floor of a walk that reached the end of its listing.
BEGINNING = datetime(1, 1, 2, tzinfo=UTC)

StoreResult = Literal["new", "changed", "unchanged", "alias", "seen"]


# Drops that mean the page's article is stored after all (under this or another URL of the run).
SETTLING_DROPS = frozenset({"duplicate", "alias"})


@dataclass(frozen=True, slots=True)
class WalkPlan:
    """How far a listing is walked in this run."""

    floor: datetime  # cards older than this end the walk
    stop_on_known: bool  # whether a page of known cards may end it
    recheck: bool = False  # a re-walk of the correction window: its own page cap, not max_pages


@dataclass(slots=True)
class _WindowWalk:
    """A window walk of this run: its pages in order, until every article behind their cards settles."""

    part: HistoryPart
    pending: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)  # (cursor, moment, urls)
    ended: bool = False  # the walk passed since or the listing's end
    pages: int = 0  # pages read by this run
    stored: bool = True  # whether the part is in the store yet
    cards: int = 0  # cards of the window read by this run
    entry_at: str | None = None  # the moment it entered at
    lowest: str | None = None  # the oldest card it read


HISTORY_WALK = "history"  # the key of an edition's history walk (the spider's HISTORY)

# The ``until`` of a history row that records the continuous history's frontier (-a history).
CONTINUOUS = "frontier"


@dataclass(frozen=True, slots=True)
class Policy:
    """The settings that shape a run's walks."""

    correction_window: timedelta = timedelta(days=2)
    recheck_every: timedelta = timedelta(hours=12)
    recheck_max_pages: int = 50
    owed_log_cap: int = 20


class Ledger:
    """Owns the SQLite store for one crawl and answers "is it known", "how far", "what is owed"."""

    def __init__(self, crawler: Crawler, store: Store, batch_size: int, policy: Policy | None = None) -> None:
        self.crawler = crawler
        self.store = store
        self.batch_size = max(1, batch_size)
        self.policy = policy or Policy()
        self.run_id: int | None = None
        self.since: datetime | None = None
        self.now: datetime | None = None
        # article URL requested -> walks that showed its card (until it settles)
        self._walks_of: dict[str, set[tuple[str, str]]] = {}
        self._spoiled: set[tuple[str, str]] = set()
        self._owed: dict[str, Failure] = {}
        # article URL -> (card, URL as linked), requested and not yet settled
        self._outstanding: dict[str, tuple[Card, str]] = {}
        self._cards: dict[str, Card] = {}  # article URL as parsed -> the card it was fetched for
        # article URL as parsed -> (URL requested, card, link): parsed, not yet stored or dropped
        self._parsed: dict[str, tuple[str, Card, str]] = {}
        self._covered: dict[tuple[str, str], datetime] = {}  # walks that ended complete -> their floor
        self._rechecks: set[tuple[str, str]] = set()
        self._failed: Counter[str] = Counter()
        self._staged = 0
        self._feeds: set[str] = set()
        self._reason: str | None = None
        self._outcome: str | None = None
        self._windows: dict[tuple[str, str], _WindowWalk] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        store = Store.open(store_path(settings), batch_size=None)  # StoreError: one sentence
        policy = Policy(
            correction_window=timedelta(days=settings.getfloat("NEWSCRAWL_CORRECTION_DAYS", 2)),
            recheck_every=timedelta(hours=settings.getfloat("NEWSCRAWL_RECHECK_HOURS", 12)),
            recheck_max_pages=settings.getint("NEWSCRAWL_RECHECK_MAX_PAGES", 50),
            owed_log_cap=settings.getint("NEWSCRAWL_OWED_LOG_CAP", 20),
        )
        ledger = cls(crawler, store, settings.getint("NEWSCRAWL_SQLITE_BATCH"), policy)
        crawler.signals.connect(ledger.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ledger.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ledger.item_error, signal=signals.item_error)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ledger.close, signal=signals.engine_stopped)
        return ledger

    # -- the run ------------------------------------------------------------------------------------

    def begin_run(
        self,
        spider: str,
        args: Mapping[str, Any],
        now: datetime,
        since: datetime | None,
        first_window: timedelta,
        lookback: timedelta,
        languages: tuple[str, ...] = (),
        categories: frozenset[str] | None = None,
    ) -> datetime:
        """Record the run's start and return its ``since``: the argument, or the default window (from what
        the walks of the run's listings covered)."""
        if since is None:
            since = self._default_since(now, first_window, lookback, languages, categories)
        self.since, self.now = since, now
        self.run_id = self.store.start_run(spider, {**args, "since": since.isoformat()}, now.isoformat())
        self._owed = {failure.url: failure for failure in self.store.failures()}
        return since

    def _default_since(
        self,
        now: datetime,
        first_window: timedelta,
        lookback: timedelta,
        languages: tuple[str, ...],
        categories: frozenset[str] | None,
    ) -> datetime:
        """The oldest moment any of the run's listings still needs: where its coverage ends, less the
        lookback; for a listing no walk has completed yet, one first window before it was first walked;
        one first window before now when no walk was ever begun."""
        needs: list[tuple[datetime, str]] = []
        for cover in self.store.coverages(current=True):
            if languages and cover.language not in languages:
                continue
            slug = cover.listing.removeprefix("category:")
            if slug != cover.listing and categories is not None and slug not in categories:
                continue
            # A mark later than now (a clock set back, a replay of an older snapshot) counts as now.
            if cover.covered_until:
                moment = min(datetime.fromisoformat(cover.covered_until), now) - lookback
            else:
                moment = min(datetime.fromisoformat(cover.first_clock), now) - first_window
            needs.append((moment, f"{cover.listing} ({cover.language})"))
        if not needs:
            # No walk was ever begun (a first run, or only runs that never reached a listing).
            return now - first_window
        since, listing = min(needs)
        logger.info("The window starts where the walks of %s stop covering: %s", listing, since.isoformat())
        return since

    def owed(self, languages: tuple[str, ...]) -> list[Failure]:
        """Articles earlier runs failed to get, to be requested again first."""
        return [failure for failure in self._owed.values() if failure.language in languages]

    def spider_opened(self, spider: Spider) -> None:
        # Connected here, after every extension's own item_scraped handler (the feed exporter's among
        # them): this one runs once the item's JSON line is written.
        self.crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            # No run was begun (``scrapy parse``, ``scrapy check``): its requests owe nothing to anyone.
            self._outstanding.clear()
            self._parsed.clear()
        for requested, card, link in sorted(self._parsed.values()):
            # Parsed, but neither stored nor dropped with a reason: never silently lost.
            self._fail(requested, card, link, "not_stored", None, level=logging.WARNING)
        self._parsed.clear()
        for url, (card, link) in sorted(self._outstanding.items()):
            # Requested but never answered: the run stopped first, or a filter dropped a redirect.
            why = "not_fetched" if reason == "finished" else f"interrupted_{reason}"
            level = logging.WARNING if reason == "finished" else logging.DEBUG
            self._fail(url, card, link, why, None, level=level)
        if self._outstanding and reason != "finished":
            logger.warning(
                "%d article requests were not answered before the run stopped (%s); the next run requests "
                "them first",
                len(self._outstanding),
                reason,
            )
        self._outstanding.clear()
        stats = self.crawler.stats
        assert stats is not None
        self._extend_coverage()
        self.commit()
        owed = self.store.failures() if self.run_id is not None else []
        outcome = reason
        if reason == "finished":
            outcome = "partial" if self._failed or owed else "complete"
        stats.set_value("newscrawl/outcome", outcome)
        stats.set_value("newscrawl/owed", len(owed))
        if self._failed:
            summary = ", ".join(f"{why} {count}" for why, count in sorted(self._failed.items()))
            logger.warning("Articles failed in this run, owed to the next one: %s", summary)
        self._name_owed(owed)
        self._reason, self._outcome = reason, outcome
        if self.run_id is not None:
            self.store.finish_run(self.run_id, stats.get_stats(), reason, outcome)

    def _name_owed(self, owed: list[Failure]) -> None:
        """Every URL owed to the next run, at WARNING one per line, or in a file the log names."""
        if not owed:
            return
        lines = [f"{failure.url} ({failure.reason}, {failure.attempts} attempts)" for failure in owed]
        if len(owed) <= self.policy.owed_log_cap:
            for line in lines:
                logger.warning("Owed to the next run: %s", line)
            return
        path = self.store.path.with_name(f"owed-run-{self.run_id}.txt")
        try:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as exc:
            logger.warning("%d articles are owed; %s cannot be written (%s)", len(owed), path, exc)
            for line in lines:
                logger.warning("Owed to the next run: %s", line)
            return
        logger.warning("%d articles are owed to the next run; their URLs are listed in %s", len(owed), path)

    def _extend_coverage(self) -> None:
        """Extend each listing's coverage by the walks of this run that ended complete."""
        if self.run_id is None or self.now is None:
            return
        now = self.now
        for (language, listing), floor in sorted(self._covered.items()):
            cover = self.store.coverage(language, listing)
            first_clock = cover.first_clock if cover is not None else now.isoformat()
            covered_from = cover.covered_from if cover is not None else None
            covered_until = cover.covered_until if cover is not None else None
            if covered_until is None or floor <= datetime.fromisoformat(covered_until):
                # The walk reached into what was covered (or is the first): one unbroken stretch up to now.
                start = floor if covered_from is None else min(floor, datetime.fromisoformat(covered_from))
                end = now if covered_until is None else max(now, datetime.fromisoformat(covered_until))
                covered_from, covered_until = start.isoformat(), end.isoformat()
            else:
                logger.info(
                    "%s (%s) read back to %s, short of its coverage ending %s: the gap stays in the window",
                    listing,
                    language,
                    floor.isoformat(),
                    covered_until,
                )
            rechecked = cover.rechecked_at if cover is not None else None
            if (language, listing) in self._rechecks:
                rechecked = now.isoformat()
            self.store.set_coverage(
                Coverage(language, listing, first_clock, covered_from, covered_until, rechecked)
            )

    def record_stats(self) -> None:
        """Store the run's stats again, with what was added after it closed (the monitors' results)."""
        stats = self.crawler.stats
        if self.run_id is not None and stats is not None and self._reason is not None:
            self.store.finish_run(self.run_id, stats.get_stats(), self._reason, self._outcome or self._reason)

    def close(self) -> None:
        self.store.close()

    # -- cards and articles ---------------------------------------------------------------------------

    def card_known(self, url: str, card: Card, decided: bool | None = None) -> bool:
        """Whether the article behind a card needs no request in this run. The spider decides once per URL
        and passes that decision (``decided``) for the URL's later cards."""
        known = decided
        if known is None:
            known = url not in self._owed and self.store.card_known(url, card, before_run=self.run_id)
        if not known and card.listing is not None:
            self._walks_of.setdefault(url, set()).add((card.language, card.listing))
        return known

    def requested(self, url: str, card: Card, link: str) -> None:
        """An article request left the spider (to ``link``); it must end stored, gone or failed."""
        self._outstanding[url] = (card, link)

    def fetched(self, url: str, article_url: str | None) -> None:
        """The page of a requested article arrived and was parsed. It is settled once its item is stored
        (or dropped as a duplicate of a stored one); dropped for any other reason, it is owed."""
        outstanding = self._outstanding.pop(url, None)
        card = outstanding[0] if outstanding is not None else self._cards.get(url)
        if card is not None and article_url:
            self._cards[article_url] = card
        link = outstanding[1] if outstanding is not None else url
        self._parsed[article_url or url] = (url, card or Card(None, None), link)

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Spider) -> None:
        """A pipeline dropped an item: an article dropped as invalid is owed, with the drop's reason."""
        reason = str(exception).split(":", 1)[0].strip() or "dropped"
        self._item_lost(item, response, None if reason in SETTLING_DROPS else f"dropped_{reason}")

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """A pipeline raised: the article is owed (its error is logged by Scrapy with the traceback)."""
        self._item_lost(item, response, "pipeline_error")

    def _item_lost(self, item: Any, response: Any, reason: str | None) -> None:
        if not _is_article(item):
            return
        url = ItemAdapter(item).get("url")
        request = getattr(response, "request", None)
        requested = request.meta.get("article_url") if request is not None else None
        if url:
            self._cards.pop(url, None)
        key = url if url in self._parsed else requested
        pending = self._parsed.pop(key, None) if key else None
        if pending is None:
            return
        if reason is None:
            self._settle(pending[0])
            return
        self._fail(pending[0], pending[1], pending[2], reason, None, level=logging.WARNING)

    def gone(self, url: str, status: int) -> None:
        """The article answered 404 or 410: remembered, and skipped until its card changes."""
        card, _ = self._outstanding.pop(url, (Card(None, None), url))
        self.store.remember_gone(url, card, status)
        self._settle(url)
        self._maybe_commit()

    def failed(self, url: str, reason: str, status: int | None = None) -> None:
        """The article could not be had after retries: logged with its URL, counted, owed to the next run."""
        card, link = self._outstanding.pop(url, (Card(None, None), url))
        self._fail(url, card, link, reason, status, level=logging.WARNING)

    def listing_failed(self, reason: str) -> None:
        """A listing page failed after retries (the spider logs it and ends the walk as cut off)."""
        self._failed[f"listing_{reason}"] += 1
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newscrawl/failed")
            stats.inc_value(f"newscrawl/failed/{reason}")

    def _fail(self, url: str, card: Card, link: str, reason: str, status: int | None, level: int) -> None:
        self._failed[reason] += 1
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newscrawl/failed")
            stats.inc_value(f"newscrawl/failed/{reason}")
        logger.log(level, "Article failed (%s), owed to the next run: %s", reason, url)
        self.store.record_failure(url, card, reason, status, self.run_id, link)
        for walk in self._walks_of.get(url, ()):
            self._spoiled.add(walk)
            if self.run_id is not None:
                self.store.spoil_walk(self.run_id, *walk)
        self._maybe_commit()

    # -- walks ----------------------------------------------------------------------------------------

    def walk_started(self, language: str, listing: str) -> WalkPlan:
        """Record the start of a listing walk and plan how far it goes."""
        if self.run_id is None or self.since is None or self.now is None:
            # No run (``scrapy parse``, ``scrapy check``): read the page, record nothing.
            return WalkPlan(floor=BEGINNING, stop_on_known=False)
        floor = self.since
        cover = self.store.coverage(language, listing)
        # An owed article older than what the ordinary walks cover came from a window of the past or the
        # history walk: it is requested first like every owed one, but never drags this walk down to it.
        bottom = datetime.fromisoformat(cover.covered_from) if cover and cover.covered_from else None
        for failure in self._owed.values():
            if failure.language == language and failure.listing == listing and failure.published_at:
                published = datetime.fromisoformat(failure.published_at)
                if bottom is None or published >= bottom:
                    floor = min(floor, published)
        previous = self.store.last_walk(language, listing, self.run_id)
        stop_on_known = (
            previous is not None
            and previous.complete
            and previous.floor is not None
            and datetime.fromisoformat(previous.floor) <= floor
        )
        cover = self.store.coverage(language, listing) if listing == "feed" else None
        recheck = listing == "feed" and self._recheck_due(cover)
        if recheck:
            # Down the correction window, past known cards: a headline corrected late shows on its card.
            covered_from = cover.covered_from if cover is not None else None
            start = datetime.fromisoformat(covered_from) if covered_from else floor
            deep = self.now - self.policy.correction_window - self.policy.recheck_every
            floor, stop_on_known = min(floor, max(deep, start)), False
            self._rechecks.add((language, listing))
        self.store.start_walk(self.run_id, language, listing, clock=self.now.isoformat(), recheck=recheck)
        self._maybe_commit()
        return WalkPlan(floor=floor, stop_on_known=stop_on_known, recheck=recheck)

    def _recheck_due(self, cover: Coverage | None) -> bool:
        """Whether the listing of ``cover`` (None: never walked) is due a re-walk of the correction window."""
        if self.now is None or self.policy.recheck_every <= timedelta(0):
            return False
        if cover is None or cover.rechecked_at is None:
            return True
        return self.now - datetime.fromisoformat(cover.rechecked_at) >= self.policy.recheck_every

    def walk_ended(
        self, language: str, listing: str, pages: int, reason: str, floor: datetime | None
    ) -> None:
        """Record how a walk ended: ``floor`` is the oldest moment it covers, None when it was cut off."""
        if self.run_id is None:
            return
        if floor is not None and reason == "a page of known articles":
            previous = self.store.last_walk(language, listing, self.run_id)
            # The walk met the previous one: it covers what that one covered.
            floor = datetime.fromisoformat(previous.floor) if previous and previous.floor else None
        if floor is not None:
            # Its failed articles are owed one by one (``failures``): they do not hold the window back.
            self._covered[language, listing] = floor
        else:
            self._rechecks.discard((language, listing))
        if (language, listing) in self._spoiled:
            floor = None
        self.store.end_walk(
            self.run_id, language, listing, pages, reason, None if floor is None else floor.isoformat()
        )
        self._maybe_commit()

    # -- windows of the past ---------------------------------------------------------------------------

    def window_started(
        self, language: str, listing: str, walk: str, since: datetime, until: datetime
    ) -> HistoryPart:
        """How far earlier runs read this window of this listing (``reached``: the cursor to enter at)."""
        key = _instant(since), _instant(until)
        part = self.store.history_part(language, listing, *key)
        stored = part is not None
        if part is None:
            part = HistoryPart(language, listing, *key, None, None, False, 0)
        self._windows[language, walk] = _WindowWalk(part, stored=stored, entry_at=until.isoformat())
        return part

    def history_started(self, language: str, oldest: datetime) -> HistoryPart | None:
        """The edition's history frontier (continuous history down to ``oldest``): where an earlier run
        left it, or, the first time, where the ordinary walks' coverage of Latest News begins; None while
        no complete walk has covered anything."""
        key = _instant(oldest), CONTINUOUS
        part = self.store.history_part(language, "feed", *key)
        stored = part is not None
        if part is None or part.reached is None:
            cover = self.store.coverage(language, "feed")
            start: datetime | None = None
            if cover is not None and cover.covered_from:
                start = datetime.fromisoformat(cover.covered_from)
            elif (language, "feed") in self._covered:
                start = self._covered[language, "feed"]
            if start is None:
                return None
            # The frontier starts where the ordinary walks' coverage begins: no gap between them. A
            # coverage from the listing's very end leaves nothing older to read.
            done = start == BEGINNING
            part = HistoryPart(language, "feed", *key, cursor_after(start), start.isoformat(), done, 0)
        self._windows[language, HISTORY_WALK] = _WindowWalk(part, stored=stored, entry_at=part.reached_at)
        return part

    def history_frontier(self, language: str) -> tuple[HistoryPart, float, float] | None:
        """The edition's history frontier after this run's walk, with the articles and listing pages per
        day of the stretch this run read (0 when it read none)."""
        walk = self._windows.get((language, HISTORY_WALK))
        if walk is None:
            return None
        self._advance_windows()
        per_day = pages_per_day = 0.0
        if walk.entry_at and walk.lowest:
            days = (
                datetime.fromisoformat(walk.entry_at) - datetime.fromisoformat(walk.lowest)
            ).total_seconds()
            days /= 86400
            if days > 0:
                per_day, pages_per_day = walk.cards / days, walk.pages / days
        return walk.part, per_day, pages_per_day

    def window_page(
        self, language: str, listing: str, cursor: str, moment: datetime, urls: frozenset[str]
    ) -> None:
        """A page of a window walk was read: its window's cards named ``urls``; ``cursor`` (the raw
        data-timestamp of its last card, at ``moment``) enters the listing below it. The window is done
        down to it once every one of those articles is stored, gone or owed (see :meth:`commit`)."""
        walk = self._windows.get((language, listing))
        if walk is None:
            return
        walk.pages += 1
        walk.cards += len(urls)
        walk.lowest = moment.isoformat()
        walk.pending.append((cursor, moment.isoformat(), urls))

    def window_counted(self, language: str, listing: str) -> None:
        """A page of the window walk that holds none of its cards (above until, on the way down)."""
        walk = self._windows.get((language, listing))
        if walk is not None:
            walk.pages += 1

    def window_ended(self, language: str, listing: str, complete: bool) -> None:
        """The window walk stopped: ``complete`` when it passed since or reached the listing's end."""
        walk = self._windows.get((language, listing))
        if walk is not None:
            walk.ended = walk.ended or complete
        self._advance_windows()

    def _advance_windows(self) -> None:
        """Move each window's mark down over the pages whose articles all settled, in one transaction
        with those articles: a killed run leaves a mark that never runs ahead of what it stored."""
        if not self._windows or self.run_id is None:
            return
        unsettled = set(self._outstanding) | set(self._parsed) | {v[0] for v in self._parsed.values()}
        for walk in self._windows.values():
            part = walk.part
            reached, reached_at = part.reached, part.reached_at
            while walk.pending and not (walk.pending[0][2] & unsettled):
                reached, reached_at, _ = walk.pending.pop(0)
            done = part.done or (walk.ended and not walk.pending)
            pages = part.pages + walk.pages
            updated = replace(part, reached=reached, reached_at=reached_at, done=done, pages=pages)
            if updated != part or not walk.stored:
                self.store.set_history_part(updated, self.run_id)
                walk.part, walk.stored = replace(updated, pages=part.pages), True

    def store_article(self, item: Any) -> StoreResult:
        """Write an article; ``alias`` when it is a stored article under another URL, unchanged."""
        adapter = ItemAdapter(item)
        url: str = adapter["url"]
        site_id, language = adapter.get("site_id"), str(adapter.get("language"))
        card = self._cards.pop(url, None)
        if site_id and self.store.article_hash(url) is None:
            first = self.store.url_for_site_id(str(site_id), language)
            if first is not None and first != url:
                self.store.add_alias(url, first)
                if self.store.article_hash(first) == content_hash(item):
                    self._stored(url, first)
                    self._maybe_commit()
                    return "alias"
                # A slug changed along with the text: the new text is a new version of the first URL.
                adapter["url"] = first
        result = self.store.upsert_article(item, card, self.run_id)
        self._stored(url, adapter["url"])
        return self._written(result)

    def _stored(self, *urls: str) -> None:
        """The article behind these URLs is in the store: nothing about it is owed any more."""
        for url in urls:
            pending = self._parsed.pop(url, None)
            if pending is not None:
                self._settle(pending[0])
            self._settle(url)

    def store_feed_entry(self, item: Any) -> StoreResult:
        """Write a card; ``seen`` when this listing's card was stored before."""
        return self._written(self.store.upsert_feed_entry(item))

    def _settle(self, url: str) -> None:
        self._walks_of.pop(url, None)
        if self._owed.pop(url, None) is not None:
            self.store.settle_failure(url)

    def _written(self, result: StoreResult) -> StoreResult:
        if result in ("new", "changed"):
            # The item goes on to the JSON Lines: hold commits until item_scraped says its line is out.
            self._staged += 1
        self._maybe_commit()
        return result

    def first_url(self, site_id: str, language: str) -> str | None:
        """The stored article's URL for a site id, if any."""
        return self.store.url_for_site_id(site_id, language)

    def add_alias(self, alias_url: str, url: str) -> None:
        self.store.add_alias(alias_url, url)
        self._maybe_commit()

    def item_scraped(self, item: Any, spider: Spider) -> None:
        """The item's JSON line is written (the feed exporter's handler ran first)."""
        if self._staged:
            self._staged -= 1
        self._maybe_commit()

    # -- commits and JSON Lines -------------------------------------------------------------------------

    def feed_opened(self, path: str) -> int | None:
        """Register a JSON Lines file; return how many of its bytes the store has committed (or None)."""
        path = os.path.abspath(path)
        self._feeds.add(path)
        return self.store.feed_offset(path)

    def _maybe_commit(self) -> None:
        if self._staged == 0 and self.store.pending >= self.batch_size:
            self.commit()

    def commit(self) -> None:
        """Commit, recording the size of every JSON Lines file: each byte below it is a committed item."""
        if self._staged:
            logger.debug("Committing with %d items not yet exported", self._staged)
        self._advance_windows()
        sizes = {path: os.path.getsize(path) for path in self._feeds if os.path.isfile(path)}
        self.store.set_feed_offsets(sizes, self.run_id)
        self.store.commit()


def _instant(moment: datetime) -> str:
    """A window's boundary as the store keys it: a UTC instant, however it was spelled."""
    return moment.astimezone(UTC).isoformat()


def _is_article(item: Any) -> bool:
    if isinstance(item, Article):
        return True
    return isinstance(item, dict) and ("body" in item or "lead" in item)
