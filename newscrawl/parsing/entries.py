"""What listing cards and Latest News items share: the element of one entry, the readers of its fields
that do not depend on class names, and the loader of a ``FeedEntry``.

Each reader takes an ``Entry`` and gives a list of values; ``cards.py`` and ``sidebar.py`` name them in
their source tables beside their own class-name readers.
"""

from __future__ import annotations

import re

from lxml import etree
from scrapy.http import TextResponse

from newscrawl.items import FeedEntry
from newscrawl.loaders import FeedEntryLoader
from newscrawl.parsing.links import category_names, category_slug_of, is_article_href
from newscrawl.parsing.markup import article_images, image_src, select, text_of, xpath
from newscrawl.site import SITE, language_of

HEADINGS = ".//h1|.//h2|.//h3|.//h4|.//h5|.//h6"
LEAVES_WITH_TEXT = ".//*[not(*)][normalize-space()]"
LEAVES = ".//*[not(*)]"
DESCENDANTS = ".//*"
LINKS = ".//a[@href]"
FIRST_LIST = ".//ul[li]"
TIME_ELEMENTS = ".//time/@datetime"
# Media markers as icons or classes ("icon-camera", "news__item--video", <use href="#play">).
MEDIA_HINTS: dict[str, re.Pattern[str]] = {
    "photo": re.compile(r"(?:^|[-_ #])(?:photo|photos|foto|gallery|camera)(?:$|[-_ ])", re.IGNORECASE),
    "video": re.compile(r"(?:^|[-_ #])(?:video|videos|play|youtube|film)(?:$|[-_ ])", re.IGNORECASE),
}
_DATE_LIKE = re.compile(r"[\d:., -]+")


class Entry:
    """One card (or Latest News item) of a page: its element and the page's URL and edition."""

    def __init__(self, node: etree._Element, base: str, language: str) -> None:
        self.node = node
        self.base = base
        self.language = language

    def texts(self, query: str) -> list[str]:
        return [text_of(node) for node in select(self.node, query)]

    def hrefs(self, query: str) -> list[str]:
        return [href for node in select(self.node, query) if (href := node.get("href")) is not None]

    def article_links(self) -> list[etree._Element]:
        return [a for a in xpath(LINKS)(self.node) if is_article_href(a.get("href"), self.base)]


def heading(entry: Entry) -> list[str]:
    return [text_of(node) for node in xpath(HEADINGS)(entry.node)]


def longest_text(entry: Entry) -> list[str]:
    """The longest text of an element without element children that is not a category, marker or date."""
    known = category_names(entry.language) | {m.casefold() for m in SITE[entry.language].media_markers}
    found = [
        text
        for node in xpath(LEAVES_WITH_TEXT)(entry.node)
        if (text := text_of(node)) and text.casefold() not in known and not _DATE_LIKE.fullmatch(text)
    ]
    return sorted(found, key=len, reverse=True)[:1]


def category_links(entry: Entry) -> list[str]:
    return [
        text_of(a)
        for a in xpath(LINKS)(entry.node)
        if category_slug_of(a.get("href") or "", entry.base) is not None
    ]


def category_names_in(entry: Entry) -> list[str]:
    names = category_names(entry.language)
    return [text for node in xpath(DESCENDANTS)(entry.node) if (text := text_of(node)).casefold() in names]


def list_items(entry: Entry) -> list[str]:
    first = xpath(FIRST_LIST)(entry.node)
    return [" ".join(text_of(li) for li in first[0] if li.tag == "li")] if first else []


def marker_texts(entry: Entry) -> list[str]:
    """Elements whose whole text is a media marker of the edition, whatever element carries it."""
    markers = {m.casefold() for m in SITE[entry.language].media_markers}
    return [text for node in xpath(LEAVES)(entry.node) if (text := text_of(node)).casefold() in markers]


def media_hints(entry: Entry) -> list[str]:
    """Media shown as an icon or a class: class tokens, ``data-icon``, ``aria-label``, ``<use href>``."""
    values: list[str] = []
    for node in [entry.node, *xpath(DESCENDANTS)(entry.node)]:
        attrib = node.attrib
        values.extend((attrib.get("class") or "").split())
        values.extend(attrib.get(name, "") for name in ("data-icon", "aria-label", "data-type"))
        values.extend(v for k, v in attrib.items() if k.endswith("href") and v.startswith("#"))
    found = []
    for kind, hint in MEDIA_HINTS.items():
        if any(hint.search(value) for value in values if value):
            found.append(marker_of(entry.language, kind))
    return found


def timestamps(entry: Entry) -> list[str]:
    stamp = entry.node.get("data-timestamp")
    return [stamp] if stamp is not None else []


def time_elements(entry: Entry) -> list[str]:
    return [str(value) for value in xpath(TIME_ELEMENTS)(entry.node)]


def images(entry: Entry, query: str) -> list[str]:
    return article_images(image_src(select(entry.node, query)))


def marker_of(language: str, kind: str) -> str:
    """The edition's visible marker of a media kind ("Foto" for photo in az)."""
    return next(text for text, value in SITE[language].media_markers.items() if value == kind)


def entry_loader(
    response: TextResponse, language: str, listing: str, position: int, seen_at: str | None
) -> FeedEntryLoader:
    loader = FeedEntryLoader(base_url=response.url, language=language)
    loader.add_value("listing", listing)
    loader.add_value("listing_url", response.url)
    loader.add_value("position", position)
    loader.add_value("seen_at", seen_at)
    return loader


def load_entry(loader: FeedEntryLoader, listing_language: str) -> FeedEntry:
    entry: FeedEntry = loader.load_item()
    entry.language = language_of(entry.url) if entry.url else listing_language
    # No marker is itself the answer "no photo or video", unlike a field no source could find.
    if entry.media is None:
        entry.media = []
    return entry
