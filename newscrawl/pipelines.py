"""Item pipelines, in this order: validate (100) -> dedupe (200) -> store (300).

Every drop raises ``DropItem`` with ``log_level="DEBUG"`` so Scrapy does not print each dropped item at
WARNING; the reasons are counted in stats as ``newscrawl/dropped/<reason>``. Invalid items are worth a
WARNING (once per reason, with an example URL); duplicates, aliases and cards already stored are the
normal business of an incremental crawl and stay at DEBUG.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal, Self

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.items import Article, FeedEntry
from newscrawl.site import LANGUAGES
from newscrawl.store import Store, content_hash

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

ItemKind = Literal["article", "feed_entry"]

REQUIRED: dict[ItemKind, tuple[str, ...]] = {
    "article": ("url", "language", "title", "body", "published_at"),
    "feed_entry": ("url", "language", "title"),
}


def item_kind(item: Any) -> ItemKind | None:
    """Whether item is an article or a feed entry; dicts are told apart by their keys.

    >>> item_kind(Article(url="u")), item_kind(FeedEntry(url="u"))
    ('article', 'feed_entry')
    >>> item_kind({"url": "u", "listing": "feed"}), item_kind({"url": "u", "body": "b"}), item_kind({"x": 1})
    ('feed_entry', 'article', None)
    """
    if isinstance(item, Article):
        return "article"
    if isinstance(item, FeedEntry):
        return "feed_entry"
    if isinstance(item, dict):
        if "listing" in item or "position" in item:
            return "feed_entry"
        if "body" in item or "lead" in item:
            return "article"
    return None


def missing_field(item: Any, kind: ItemKind) -> str | None:
    """The first required field of item that is absent or blank.

    >>> missing_field({"url": "u", "language": "en", "title": " "}, "feed_entry")
    'title'
    >>> missing_field({"url": "u", "language": "en", "title": "T"}, "feed_entry") is None
    True
    """
    adapter = ItemAdapter(item)
    for field in REQUIRED[kind]:
        value = adapter.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return field
    return None


def _drop(stats: StatsCollector | None, reason: str, message: str) -> DropItem:
    if stats is not None:
        stats.inc_value(f"newscrawl/dropped/{reason}")
    return DropItem(f"{reason}: {message}", log_level="DEBUG")


class ValidatePipeline:
    """Drops items that miss a required field or name an unknown language (reason ``missing_<field>``)."""

    def __init__(self, stats: StatsCollector | None) -> None:
        self.stats = stats
        self._reported: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Spider) -> Any:
        kind = item_kind(item)
        url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else None
        if kind is None:
            reason = "unknown_item"
        elif (field := missing_field(item, kind)) is not None:
            reason = f"missing_{field}"
        elif ItemAdapter(item).get("language") not in LANGUAGES:
            reason = "unknown_language"
        else:
            return item
        level = logging.DEBUG if reason in self._reported else logging.WARNING
        self._reported.add(reason)
        logger.log(level, "Dropping invalid items (%s), for example %s", reason, url or repr(item)[:200])
        raise _drop(self.stats, reason, str(url))


class DedupePipeline:
    """Drops articles and cards already seen in this run or stored unchanged; records same-id aliases."""

    def __init__(self, store: Store, stats: StatsCollector | None) -> None:
        self.store = store
        self.stats = stats
        self._urls: set[str] = set()
        self._site_ids: dict[tuple[str, str], str] = {}
        self._entries: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(Store.from_crawler(crawler), crawler.stats)

    def process_item(self, item: Any, spider: Spider) -> Any:
        kind = item_kind(item)
        if kind == "article":
            return self._article(item)
        if kind == "feed_entry":
            return self._feed_entry(item)
        return item

    def _article(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url: str = adapter["url"]
        if url in self._urls:
            raise _drop(self.stats, "duplicate", url)
        site_id = adapter.get("site_id")
        key = (str(adapter.get("language")), str(site_id))
        first = self._site_ids.get(key) if site_id else None
        if first is not None and first != url:
            self.store.add_alias(url, first)
            raise _drop(self.stats, "alias", f"{url} is {first}")
        stored_hash = self.store.article_hash(url)
        if stored_hash is None and site_id and first is None:
            first = self.store.url_for_site_id(str(site_id), str(adapter.get("language")))
            if first is not None and first != url:
                self.store.add_alias(url, first)
                if self.store.article_hash(first) == content_hash(item):
                    raise _drop(self.stats, "alias", f"{url} is {first}")
                # A slug changed along with the text: the new text is a new version of the first URL.
                adapter["url"] = url = first
                if url in self._urls:
                    raise _drop(self.stats, "duplicate", url)
                stored_hash = self.store.article_hash(url)
        if stored_hash is not None and stored_hash == content_hash(item):
            self.store.upsert_article(item)  # refreshes last_seen
            raise _drop(self.stats, "duplicate", url)
        self._urls.add(url)
        if site_id:
            self._site_ids.setdefault(key, url)
        return item

    def _feed_entry(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url: str = adapter["url"]
        listing: str = adapter.get("listing") or ""
        if (url, listing) in self._entries:
            raise _drop(self.stats, "feed_entry_duplicate", f"{url} on {listing}")
        self._entries.add((url, listing))
        if self.store.has_feed_entry(url, listing):
            self.store.upsert_feed_entry(item)  # refreshes last_seen and the card's text
            raise _drop(self.stats, "feed_entry_seen", f"{url} on {listing}")
        return item


class SqlitePipeline:
    """Writes articles and feed entries to the SQLite store (stats ``newscrawl/stored/<kind>/<result>``)."""

    def __init__(self, store: Store, stats: StatsCollector | None) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(Store.from_crawler(crawler), crawler.stats)

    def process_item(self, item: Any, spider: Spider) -> Any:
        kind = item_kind(item)
        result: str
        if kind == "article":
            result = self.store.upsert_article(item)
            counter = f"newscrawl/stored/articles/{result}"
        elif kind == "feed_entry":
            result = self.store.upsert_feed_entry(item)
            counter = f"newscrawl/stored/feed_entries/{result}"
        else:
            return item
        if self.stats is not None:
            self.stats.inc_value(counter)
        return item
