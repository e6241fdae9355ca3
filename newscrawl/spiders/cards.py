"""The cards of a listing page as report_feed's walks read them: when each was published, the links of
the page they came from, and the infinite-scroll endpoint of their listing.
"""

from __future__ import annotations

from datetime import datetime

from scrapy.http import TextResponse

from newscrawl import parsing
from newscrawl.items import FeedEntry
from newscrawl.site import BASE_URL, SITE, canonical_url


def card_moment(entry: FeedEntry) -> datetime:
    assert entry.published_at is not None
    return datetime.fromisoformat(entry.published_at)


def listing_endpoint(lang: str, category: str | None) -> str:
    """A listing's infinite-scroll endpoint, from the site model (the page's own is used when read)."""
    prefix = f"{BASE_URL}{SITE[lang].prefix}"
    return f"{prefix}/infinity/index" if category is None else f"{prefix}/infinity/category?slug={category}"


def not_older(entries: list[FeedEntry], cursor: str) -> list[FeedEntry]:
    """The cards of a batch asked for below ``cursor`` that are not older than it (none when the cursor
    is not in the site's format: then nothing can be told)."""
    moment = parsing.cursor_moment(cursor)
    if moment is None:
        return []
    return [e for e in entries if e.published_at is not None and card_moment(e) >= moment]


def page_links(response: TextResponse) -> dict[str, str]:
    """Every link of a page, canonical URL -> absolute URL as linked."""
    return {canonical_url(absolute): absolute for absolute in parsing.page_hrefs(response)}


def older_than(entry: FeedEntry, floor: datetime) -> bool:
    return entry.published_at is not None and card_moment(entry) < floor
