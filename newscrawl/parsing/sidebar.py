"""The Latest News column of article and home pages -> ``FeedEntry`` per item: ``SIDEBAR_FINDERS`` finds
the column (by class, else by its heading in the edition's language), ``SIDEBAR_SOURCES`` names each
field's sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from newscrawl.items import FeedEntry
from newscrawl.parsing import entries
from newscrawl.parsing.entries import Entry
from newscrawl.parsing.links import is_article_href
from newscrawl.parsing.markup import add_first, first_found, select, text_of, tree_of, xpath
from newscrawl.site import LATEST_NEWS_HEADINGS, language_of

SIDEBAR = "aside.latest-news"
SIDEBAR_ITEM = ".latest-news__item"
SIDEBAR_LINK = "a.latest-news__link"
SIDEBAR_CATEGORY = ".latest-news__category"
SIDEBAR_MEDIA = ".latest-news__media"
# Not an h1: on the Latest News page itself the page title has the column's wording.
HEADING_CANDIDATES = "//body//*[not(self::a or self::h1 or .//a)][normalize-space()]"
TIMESTAMPED_ITEMS = ".//*[@data-timestamp]"

SidebarSource = tuple[str, Callable[[Entry], list[Any]]]
SIDEBAR_SOURCES: dict[str, tuple[SidebarSource, ...]] = {
    "url": (
        ("link_class", lambda c: c.hrefs(SIDEBAR_LINK)),
        ("article_link", lambda c: [a.get("href") for a in c.article_links()][:1]),
    ),
    "title": (
        ("link_class", lambda c: c.texts(SIDEBAR_LINK)),
        ("article_link", lambda c: [text_of(a) for a in c.article_links()][:1]),
    ),
    "category": (
        ("category_class", lambda c: c.texts(SIDEBAR_CATEGORY)),
        ("category_link", entries.category_links),
        ("category_name", entries.category_names_in),
    ),
    # Only the time is visible; the date exists only in data-timestamp.
    "published_at": (("data_timestamp", entries.timestamps), ("time_element", entries.time_elements)),
    "media": (
        ("media_class", lambda c: c.texts(SIDEBAR_MEDIA)),
        ("marker_text", entries.marker_texts),
        ("media_hint", entries.media_hints),
    ),
}


def _sidebar_by_class(response: TextResponse) -> list[etree._Element]:
    return select(tree_of(response), SIDEBAR)


def _sidebar_by_heading(response: TextResponse) -> list[etree._Element]:
    """The smallest block around a "Latest News" heading (in the edition's language) with story links."""
    headings = {h.casefold() for h in LATEST_NEWS_HEADINGS[language_of(response.url)]}
    for node in xpath(HEADING_CANDIDATES)(tree_of(response)):
        if len(node) > 2 or text_of(node).casefold() not in headings:
            continue
        for ancestor in node.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            links = [a for a in ancestor.iter("a") if is_article_href(a.get("href"), response.url)]
            if len(links) >= 2:
                return [ancestor]
    return []


# Latest News column finders, most trusted first.
SIDEBAR_FINDERS: tuple[tuple[str, Callable[[TextResponse], list[etree._Element]]], ...] = (
    ("sidebar_class", _sidebar_by_class),
    ("heading_text", _sidebar_by_heading),
)


def sidebar_blocks(response: TextResponse) -> list[etree._Element]:
    """The page's Latest News column(s), by the first finder that finds any."""
    return first_found(response, SIDEBAR_FINDERS)


def _sidebar_items(block: etree._Element) -> list[etree._Element]:
    return select(block, SIDEBAR_ITEM) or xpath(TIMESTAMPED_ITEMS)(block)


def parse_sidebar(response: TextResponse, *, seen_at: str | None = None) -> list[FeedEntry]:
    """The Latest News column of an article or home page, found by class or by its heading."""
    language = language_of(response.url)
    found = []
    items = [item for block in sidebar_blocks(response)[:1] for item in _sidebar_items(block)]
    for position, node in enumerate(items):
        loader = entries.entry_loader(response, language, "sidebar", position, seen_at)
        item = Entry(node, response.url, language)
        for name, sources in SIDEBAR_SOURCES.items():
            add_first(loader, name, item, sources)
        found.append(entries.load_entry(loader, language))
    return found
