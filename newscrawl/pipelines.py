"""Item pipelines, in this order: validate (100) -> schema (150) -> dedupe (200) -> store (300).

The store pipeline is the last: an item it passes on is exported to the JSON Lines, and the ledger holds
the store's commit until that line is written (``newscrawl/ledger.py``).

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
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline

from newscrawl.items import Article, FeedEntry
from newscrawl.ledger import Ledger
from newscrawl.seen import url_key
from newscrawl.site import LANGUAGES

if TYPE_CHECKING:
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

    def process_item(self, item: Any) -> Any:
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


def invalid_reason(errors: dict[str, list[str]]) -> str:
    """The drop reason of an item that fails its schema: ``invalid_<field>`` of the first field in error.

    >>> invalid_reason({"tags": ["Invalid array"], "author": ["Field too short"]})
    'invalid_author'
    >>> invalid_reason({"translations.az": ["Invalid URI"]}), invalid_reason({"": ["Unexpected fields"]})
    ('invalid_translations', 'invalid_item')
    """
    field = sorted(errors)[0].split(".", 1)[0] if errors else ""
    return f"invalid_{field or 'item'}"


class SchemaValidationPipeline(ItemValidationPipeline):
    """Drops items that do not fit their JSON Schema (``newscrawl/schemas/``; reason ``invalid_<field>``).

    spidermon's ``ItemValidationPipeline`` validates against ``SPIDERMON_VALIDATION_SCHEMAS`` and counts
    under ``spidermon/validation/``; this drops like the pipelines above, so the ledger owes the article.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reported: set[str] = set()

    def process_item(self, item: Any) -> Any:
        # The signature of the other pipelines here: the item only.
        return super().process_item(item)

    def _drop_item(self, item: Any, errors: dict[str, list[str]]) -> None:
        self.stats.add_dropped_item()
        reason = invalid_reason(errors)
        level = logging.DEBUG if reason in self._reported else logging.WARNING
        self._reported.add(reason)
        url = ItemAdapter(item).get("url")
        details = "; ".join(
            f"{field or 'item'}: {', '.join(messages)}" for field, messages in sorted(errors.items())
        )
        logger.log(
            level,
            "Dropping items that do not fit their schema (%s), for example %s: %s",
            reason,
            url,
            details,
        )
        raise _drop(self.stats.stats, reason, f"{url} ({details})")


class DedupePipeline:
    """Drops articles and cards this run already produced (by URL, by site id, by URL and listing)."""

    def __init__(self, ledger: Ledger, stats: StatsCollector | None) -> None:
        self.ledger = ledger
        self.stats = stats
        self._urls: set[int] = set()  # url_key of each article passed
        self._site_ids: dict[int, int] = {}  # url_key(language, site id) -> url_key of its first URL
        self._entries: set[int] = set()  # url_key of each card's URL and listing passed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_ledger(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        kind = item_kind(item)
        adapter = ItemAdapter(item)
        url: str = adapter.get("url") or ""
        if kind == "article":
            key = url_key(url)
            if key in self._urls:
                raise _drop(self.stats, "duplicate", url)
            site_id, language = adapter.get("site_id"), str(adapter.get("language"))
            if site_id and self._site_ids.setdefault(url_key(language, str(site_id)), key) != key:
                # The first URL of this site id passed in this run; once stored, this one is its alias.
                first = self.ledger.first_url(str(site_id), language)
                if first is not None and first != url:
                    self.ledger.add_alias(url, first)
                    raise _drop(self.stats, "alias", f"{url} is {first}")
            self._urls.add(key)
        elif kind == "feed_entry":
            listing = adapter.get("listing") or ""
            entry = url_key(url, listing)
            if entry in self._entries:
                raise _drop(self.stats, "feed_entry_duplicate", f"{url} on {listing}")
            self._entries.add(entry)
        return item


class StorePipeline:
    """Writes articles and cards to the store; drops those already stored unchanged, so that only new and
    changed items (a corrected card too) reach the JSON Lines (stats ``newscrawl/stored/<kind>/<result>``)."""

    def __init__(self, ledger: Ledger, stats: StatsCollector | None) -> None:
        self.ledger = ledger
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_ledger(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        kind = item_kind(item)
        if kind == "article":
            result = self.ledger.store_article(item)
            counter = f"newscrawl/stored/articles/{result}"
        elif kind == "feed_entry":
            result = self.ledger.store_feed_entry(item)
            counter = f"newscrawl/stored/feed_entries/{result}"
        else:
            return item
        if self.stats is not None:
            self.stats.inc_value(counter)
        url = ItemAdapter(item).get("url")
        if result == "unchanged" or result == "alias":
            raise _drop(self.stats, "duplicate" if result == "unchanged" else "alias", str(url))
        if result == "seen":
            raise _drop(self.stats, "feed_entry_seen", f"{url} on {ItemAdapter(item).get('listing')}")
        return item


def _ledger(crawler: Crawler) -> Ledger:
    ledger = crawler.get_extension(Ledger)
    if ledger is None:
        raise RuntimeError("newscrawl.ledger.Ledger is not in EXTENSIONS: the store pipelines need it")
    return ledger
