"""Home-page navigation: the "All News Feed" link and the category links of the menus, each found by
class first, then by what the links say or point to (``NAVIGATION_SOURCES``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import TextResponse

from newscrawl.parsing.links import is_known_category
from newscrawl.parsing.markup import select, text_of, tree_of, xpath
from newscrawl.site import NOT_CATEGORIES, SITE, canonical_url, language_of

FEED_LINK = "a.latest-news__all::attr(href)"
MAIN_MENU_LINK = "nav.main-menu a[href]"
MENU = (
    "//a[@href][ancestor::nav or ancestor::header or ancestor::*[@role='navigation']"
    " or ancestor::*[contains(@class, 'menu') or contains(@class, 'nav')]]"
)
LINKS_OUTSIDE_ASIDE = "//a[@href][not(ancestor::aside)]"
MIN_MENU_LINKS = 3


def feed_link(response: TextResponse) -> str | None:
    """The absolute URL of the page's "All News Feed" link, by its class first, then by its text."""
    root = tree_of(response)
    href = next(iter(select(root, FEED_LINK)), None)
    if href is None:
        wanted = SITE[language_of(response.url)].feed_link_text.casefold()
        href = next(
            (
                a.get("href")
                for a in root.iter("a")
                if a.get("href") is not None and text_of(a).casefold() == wanted
            ),
            None,
        )
    return canonical_url(href.strip(), response.url) if href and href.strip() else None


def _hrefs(links: Iterable[etree._Element]) -> list[str]:
    return [link.get("href") or "" for link in links]


def _menu_by_links(response: TextResponse) -> list[str]:
    """Every link of the block (list or div, outside the Latest News column) holding the most links to
    known category paths of the edition, at least ``MIN_MENU_LINKS``: a menu found by what it links to."""
    counts: dict[etree._Element, int] = {}
    for link in xpath(LINKS_OUTSIDE_ASIDE)(tree_of(response)):
        if not is_known_category(link.get("href"), response.url):
            continue
        block = next((a for a in link.iterancestors() if a.tag in ("ul", "ol", "nav", "div")), None)
        if block is not None:
            counts[block] = counts.get(block, 0) + 1
    if not counts:
        return []
    block, count = max(counts.items(), key=lambda pair: pair[1])
    return _hrefs(block.iter("a")) if count >= MIN_MENU_LINKS else []


# Where category links are looked for, most trusted first; the first that yields any is used.
NAVIGATION_SOURCES: tuple[tuple[str, Callable[[TextResponse], list[str]]], ...] = (
    ("main_menu", lambda r: _hrefs(select(tree_of(r), MAIN_MENU_LINK))),
    ("any_menu", lambda r: _hrefs(xpath(MENU)(tree_of(r)))),
    ("menu_by_links", _menu_by_links),
)


def category_links(response: TextResponse) -> dict[str, str]:
    """{slug: absolute URL} of the categories the page's menus link to, in its own edition."""
    for _, source in NAVIGATION_SOURCES:
        links = _category_urls(response, source(response))
        if links:
            return links
    return {}


def _category_urls(response: TextResponse, hrefs: Iterable[str]) -> dict[str, str]:
    language = language_of(response.url)
    prefix = SITE[language].prefix
    feed_path = prefix + SITE[language].feed_path
    links: dict[str, str] = {}
    for href in hrefs:
        try:
            url = canonical_url(href.strip(), response.url)
        except ValueError:
            continue
        path = urlsplit(url).path
        slug = path[len(prefix) + 1 :] if path.startswith(prefix + "/") else ""
        if (
            urlsplit(url).hostname == "report.az"
            and language_of(url) == language
            and slug
            and "/" not in slug
            and slug not in NOT_CATEGORIES
            and not slug.isdigit()
            and path != feed_path
        ):
            links.setdefault(slug, url)
    return links
