"""Listing pages and infinite-scroll batches -> ``FeedEntry`` per headline card: ``CARD_FINDERS`` finds
the cards, ``CARD_SOURCES`` names each field's sources; the batch cursor of the next page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from lxml import etree
from scrapy.http import TextResponse
from w3lib.url import add_or_replace_parameters

from newscrawl.dates import BAKU
from newscrawl.items import FeedEntry
from newscrawl.parsing import entries
from newscrawl.parsing.entries import Entry
from newscrawl.parsing.links import is_article_href
from newscrawl.parsing.markup import add_first, first_found, select, tree_of, xpath
from newscrawl.parsing.sidebar import sidebar_blocks
from newscrawl.site import language_of

# --- current design (2025-) ------------------------------------------------------------------------
CARD = "div.index-post-block"
CARD_LINK = "a.news__item"
CARD_TITLE = ".news__title"
CARD_CATEGORY = ".news__category"
CARD_MEDIA = ".news__media"
CARD_DATE_PARTS = "ul.news__date li"
CARD_IMAGE = ".news__img img, img"
LOAD_CONTAINER = ".loadContainer::attr(data-url)"
# --- older design (REPORT_AZ.md names the class, the inside is a guess, G) -------------------------
OLD_CARD = ".news-item.infinity-item"
OLD_CARD_TITLE = ".news-title"
OLD_CARD_DATE = ".news-date"
OLD_CARD_CATEGORY = ".news-category"
# --- recognised by what it is ----------------------------------------------------------------------
TIMESTAMPED = "//*[@data-timestamp][not(ancestor::*[@data-timestamp])]"
LOAD_MORE_DATA_URL = "//@data-url[contains(., 'infinity')]"

CardSource = tuple[str, Callable[[Entry], list[Any]]]
CARD_SOURCES: dict[str, tuple[CardSource, ...]] = {
    "url": (
        ("card_link", lambda c: c.hrefs(CARD_LINK)),
        ("article_link", lambda c: [a.get("href") for a in c.article_links()][:1]),
    ),
    "title": (
        ("title_class", lambda c: c.texts(CARD_TITLE)),
        ("old_design", lambda c: c.texts(OLD_CARD_TITLE)),
        ("heading", entries.heading),
        ("longest_text", entries.longest_text),
    ),
    "category": (
        ("category_class", lambda c: c.texts(CARD_CATEGORY)),
        ("old_design", lambda c: c.texts(OLD_CARD_CATEGORY)),
        ("category_link", entries.category_links),
        ("category_name", entries.category_names_in),
    ),
    "published_at": (
        ("data_timestamp", entries.timestamps),
        ("date_list", lambda c: [" ".join(c.texts(CARD_DATE_PARTS))]),
        ("old_design", lambda c: c.texts(OLD_CARD_DATE)),
        ("time_element", entries.time_elements),
        ("list_items", entries.list_items),
    ),
    "image_url": (("image", lambda c: entries.images(c, CARD_IMAGE)),),
    "media": (
        ("media_class", lambda c: c.texts(CARD_MEDIA)),
        ("marker_text", entries.marker_texts),
        ("media_hint", entries.media_hints),
    ),
}


def _cards_by_class(response: TextResponse) -> list[etree._Element]:
    root = tree_of(response)
    return select(root, CARD) or select(root, OLD_CARD)


def _timestamped_cards(response: TextResponse) -> list[etree._Element]:
    """Elements with a ``data-timestamp`` that link to an article, outside the Latest News column."""
    sidebars = set(sidebar_blocks(response))
    found = []
    for node in xpath(TIMESTAMPED)(tree_of(response)):
        if any(a in sidebars or a.tag == "aside" for a in node.iterancestors()):
            continue
        links = [node] if node.tag == "a" and node.get("href") is not None else []
        if any(is_article_href(a.get("href"), response.url) for a in [*links, *xpath(".//a[@href]")(node)]):
            found.append(node)
    return found


# Card finders, most trusted first; the first that finds any cards is used.
CARD_FINDERS: tuple[tuple[str, Callable[[TextResponse], list[etree._Element]]], ...] = (
    ("card_class", _cards_by_class),
    ("timestamped", _timestamped_cards),
)


def parse_cards(response: TextResponse, *, listing: str, seen_at: str | None = None) -> list[FeedEntry]:
    """The headline cards of a listing page or of a bare infinite-scroll fragment, in page order."""
    language = language_of(response.url)
    found = []
    for position, node in enumerate(first_found(response, CARD_FINDERS)):
        loader = entries.entry_loader(response, language, listing, position, seen_at)
        card = Entry(node, response.url, language)
        for name, sources in CARD_SOURCES.items():
            add_first(loader, name, card, sources)
        found.append(entries.load_entry(loader, language))
    return found


def last_card_timestamp(response: TextResponse) -> str | None:
    """The raw ``data-timestamp`` of the last card: the cursor of the next infinite-scroll batch."""
    stamps = [stamp for card in first_found(response, CARD_FINDERS) for stamp in _stamps(card)]
    return stamps[-1].strip() if stamps and stamps[-1].strip() else None


def _stamps(card: etree._Element) -> list[str]:
    stamp = card.get("data-timestamp")
    return [stamp] if stamp is not None else []


def load_more_url(response: TextResponse) -> str | None:
    """The absolute infinite-scroll endpoint of a listing page (its query, such as ``slug=``, kept)."""
    root = tree_of(response)
    data_url = (
        next(iter(select(root, LOAD_CONTAINER)), None)
        or next(iter(xpath(LOAD_MORE_DATA_URL)(root)), None)
        or ""
    ).strip()
    return response.urljoin(data_url) if data_url else None


CURSOR_FORMAT = "%Y-%m-%d %H:%M:%S"  # a card's data-timestamp: Baku time, to the second


def cursor_after(moment: datetime) -> str:
    """The cursor whose batch starts with the cards published at ``moment``: the site answers the cards
    strictly older than its cursor, to the second.

    >>> from datetime import UTC
    >>> cursor_after(datetime(2026, 1, 29, 11, 0, 0, 500000, tzinfo=UTC))
    '2026-01-29 15:00:01'
    """
    baku = moment.astimezone(BAKU).replace(microsecond=0)
    return (baku + timedelta(seconds=1)).strftime(CURSOR_FORMAT)


def cursor_moment(cursor: str) -> datetime | None:
    """The moment a cursor names (Baku time), or None for a cursor not in the site's format."""
    try:
        return datetime.strptime(cursor.strip(), CURSOR_FORMAT).replace(tzinfo=BAKU)
    except ValueError:
        return None


def next_batch_url(data_url: str, cursor: str) -> str:
    """The batch after ``cursor`` (a card's ``data-timestamp``).

    >>> next_batch_url("https://report.az/en/infinity/category?slug=finance", "2026-01-29 15:08:00")
    'https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1'
    """
    return add_or_replace_parameters(data_url, {"date": cursor, "oldest": "1"})
