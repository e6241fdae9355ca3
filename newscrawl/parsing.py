"""report.az pages -> items: every selector of the site, and one small function per page part.

Each Article field is read in layers, most trusted first: the current design's visible markup, then
JSON-LD and ``<meta>``, then the older design (2021-2024). A field no layer finds stays None and is
counted as ``newscrawl/field_missing/<field>``; a wrong guess would be worse than a gap. The markup
is the contract in ``fixtures/README.md``; when the live site differs, the constants below change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from typing import Any
from urllib.parse import parse_qs, urlsplit

from itemadapter import ItemAdapter
from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import TextResponse
from scrapy.statscollectors import StatsCollector
from w3lib.url import add_or_replace_parameters

from newscrawl.items import Article, FeedEntry
from newscrawl.loaders import (
    ArticleLoader,
    FeedEntryLoader,
    body_paragraphs,
    clean_text,
    first_paragraph,
    word_count,
)
from newscrawl.site import SITE, canonical_url, language_of, site_id_from

# --- current design (2025-) ------------------------------------------------------------------------
TITLE = "h1.section-title"
SUBTITLE = "h2.news-detail__title"  # repeats the title under the photo
CATEGORY = ".news-detail__head .news__category"
DATE_PARTS = ".news-detail__head ul.news__date li"  # "29 January, 2026", "15:08"
MAIN_PHOTO = ".news-detail__main-photo img"
BODY = ".news-detail__desc"
TAGS = ".news-detail__desc .tags a"
LANG_LINKS = ".news-detail__langs a[hreflang]"
COPY_URL = ".copy-url::attr(data-url)"

CARD = "div.index-post-block"
CARD_LINK = "a.news__item"
CARD_TITLE = ".news__title"
CARD_CATEGORY = ".news__category"
CARD_MEDIA = ".news__media"
CARD_DATE_PARTS = "ul.news__date li"
CARD_IMAGE = ".news__img img, img"
LOAD_CONTAINER = ".loadContainer::attr(data-url)"

SIDEBAR_ITEM = "aside.latest-news .latest-news__item"
SIDEBAR_LINK = "a.latest-news__link"
SIDEBAR_CATEGORY = ".latest-news__category"
SIDEBAR_MEDIA = ".latest-news__media"
FEED_LINK = "a.latest-news__all::attr(href)"
MAIN_MENU_LINK = "nav.main-menu a[href]"

# --- head: meta and JSON-LD (any design) ---------------------------------------------------------
CANONICAL = "link[rel=canonical]::attr(href)"
ALTERNATES = "link[rel=alternate][hreflang]"
JSON_LD = 'script[type="application/ld+json"]::text'
META_CONTENT = 'meta[property="{0}"]::attr(content), meta[name="{0}"]::attr(content)'
OG_TITLE = META_CONTENT.format("og:title")
OG_URL = META_CONTENT.format("og:url")
OG_IMAGE = META_CONTENT.format("og:image")
PUBLISHED_TIME = META_CONTENT.format("article:published_time")
MODIFIED_TIME = META_CONTENT.format("article:modified_time")
SECTION = META_CONTENT.format("article:section")  # "Category | Other countries" or "Other countries"
META_TAGS = META_CONTENT.format("article:tag")
JSON_LD_ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle"})

# --- older design (2021-2024), fallbacks only ------------------------------------------------------
OLD_TITLE = "h1.news-title"
OLD_DATE = "div.news-date"  # "7 Fevral , 2024 <span>12:30</span>"
OLD_CATEGORY = "a.news-category"
OLD_BODY = "div.editor-body"
OLD_COVER = "div.news-cover img"
OLD_TAGS = "div.news-tags a"

# Inside a body: paragraphs, but not those of an embedded tweet, of a noscript or template fallback, or of
# the tags block; their text
# without scripts; inline images and video frames.
PARAGRAPHS = (
    ".//p[not(ancestor::blockquote or ancestor::noscript or ancestor::template)]"
    "[not(ancestor::*[contains(concat(' ', @class, ' '), ' tags ')])]"
)
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
INLINE_IMAGES = ".//img[not(ancestor::blockquote)]"
VIDEO = ".//iframe | .//video"

_ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name != "fetched_at")


def parse_article(
    response: TextResponse, *, fetched_at: str | None = None, stats: StatsCollector | None = None
) -> Article:
    """The Article of an article page; fields no layer finds stay None and are counted in ``stats``."""
    page = _Page(response)
    loader = ArticleLoader(base_url=response.url)

    loader.add_value("url", [*response.css(CANONICAL).getall(), *response.css(OG_URL).getall()])
    loader.add_value("url", _strings(page.ld_article.get("url"), response.url))
    url = loader.get_output_value("url")
    loader.add_value("language", language_of(url or response.url))
    loader.add_value("site_id", _strings(*map(site_id_from, response.css(COPY_URL).getall())))

    loader.add_value("title", [_text(node) for node in response.css(TITLE)])
    loader.add_value("title", _strings(page.ld_article.get("headline"), *response.css(OG_TITLE).getall()))
    loader.add_value("title", [_text(node) for node in response.css(OLD_TITLE)])

    loader.add_value("published_at", " ".join(_text(li) for li in response.css(DATE_PARTS)))
    published = response.css(PUBLISHED_TIME).getall()
    loader.add_value("published_at", _strings(page.ld_article.get("datePublished"), *published))
    loader.add_value("published_at", [_text(node) for node in response.css(OLD_DATE)])
    modified = response.css(MODIFIED_TIME).getall()
    loader.add_value("modified_at", _strings(page.ld_article.get("dateModified"), *modified))

    _add_category(loader, response, page, url)
    has_body_markup = _add_body(loader, response, page)

    loader.add_value("tags", [_text(node) for node in response.css(TAGS)] or response.css(META_TAGS).getall())
    loader.add_value("tags", [_text(node) for node in response.css(OLD_TAGS)])
    loader.add_value("author", _ld_author(page.ld_article.get("author")))
    loader.add_value("image_url", _image_src(response.css(MAIN_PHOTO)))
    loader.add_value(
        "image_url", [*response.css(OG_IMAGE).getall(), *_ld_images(page.ld_article.get("image"))]
    )
    loader.add_value("image_url", _image_src(response.css(OLD_COVER)))
    loader.add_value("translations", _translations(response, language_of(url or response.url)))
    loader.add_value("fetched_at", fetched_at)

    article: Article = loader.load_item()
    if has_body_markup and article.images is None:
        article.images = []  # the body was read and holds no image: known, not missing
    if stats is not None:
        for name in _ARTICLE_FIELDS:
            if getattr(article, name) is None:
                stats.inc_value(f"newscrawl/field_missing/{name}")
    return article


def _add_category(loader: ArticleLoader, response: TextResponse, page: _Page, url: str | None) -> None:
    current = response.css(CATEGORY)
    crumb = page.ld_breadcrumb
    old = response.css(OLD_CATEGORY)
    loader.add_value("category", [_text(node) for node in current])
    sections = [_section_name(section) for section in response.css(SECTION).getall()]
    loader.add_value("category", _strings(crumb.get("name"), *sections))
    loader.add_value("category", [_text(node) for node in old])
    loader.add_value("category_slug", _strings(*current.xpath("@href").getall(), _ld_id(crumb.get("item"))))
    loader.add_value("category_slug", _strings(*old.xpath("@href").getall(), _category_url_of(url)))


def _add_body(loader: ArticleLoader, response: TextResponse, page: _Page) -> bool:
    """Adds body, lead, word_count, source_agency, images, has_video; whether body markup was read."""
    containers = response.css(BODY) or response.css(OLD_BODY)
    paragraphs = body_paragraphs(_text(p) for p in containers.xpath(PARAGRAPHS))
    if not paragraphs and isinstance(page.ld_article.get("articleBody"), str):
        paragraphs = body_paragraphs(page.ld_article["articleBody"].split("\n"))
    if not paragraphs:
        return False
    body = "\n\n".join(paragraphs)
    loader.add_value("body", paragraphs)
    loader.add_value("lead", first_paragraph(body))
    loader.add_value("word_count", word_count(body))
    loader.add_value("source_agency", paragraphs)
    if containers:
        loader.add_value("images", _image_src(containers.xpath(INLINE_IMAGES), every=True))
        loader.add_value("has_video", bool(containers.xpath(VIDEO)))
    return bool(containers)


def parse_cards(response: TextResponse, *, listing: str, seen_at: str | None = None) -> list[FeedEntry]:
    """The headline cards of a listing page or of a bare infinite-scroll fragment, in page order."""
    language = language_of(response.url)
    entries = []
    for position, card in enumerate(response.css(CARD)):
        link = card.css(CARD_LINK)
        loader = _entry_loader(response, language, listing, position, seen_at)
        loader.add_value("url", link.xpath("@href").getall())
        loader.add_value("title", [_text(node) for node in card.css(CARD_TITLE)])
        loader.add_value("category", [_text(node) for node in card.css(CARD_CATEGORY)])
        loader.add_value("published_at", card.xpath("@data-timestamp").getall())
        loader.add_value("published_at", " ".join(_text(li) for li in card.css(CARD_DATE_PARTS)))
        loader.add_value("image_url", _image_src(card.css(CARD_IMAGE)))
        loader.add_value("media", [_text(node) for node in card.css(CARD_MEDIA)])
        entries.append(_load_entry(loader, language))
    return entries


def parse_sidebar(response: TextResponse, *, seen_at: str | None = None) -> list[FeedEntry]:
    """The Latest News column (``aside.latest-news``) of an article or home page."""
    language = language_of(response.url)
    entries = []
    for position, item in enumerate(response.css(SIDEBAR_ITEM)):
        link = item.css(SIDEBAR_LINK)
        loader = _entry_loader(response, language, "sidebar", position, seen_at)
        loader.add_value("url", link.xpath("@href").getall())
        loader.add_value("title", [_text(node) for node in link])
        loader.add_value("category", [_text(node) for node in item.css(SIDEBAR_CATEGORY)])
        # Only the time is visible; the date exists only in data-timestamp.
        loader.add_value("published_at", item.xpath("@data-timestamp").getall())
        loader.add_value("media", [_text(node) for node in item.css(SIDEBAR_MEDIA)])
        entries.append(_load_entry(loader, language))
    return entries


def _entry_loader(
    response: TextResponse, language: str, listing: str, position: int, seen_at: str | None
) -> FeedEntryLoader:
    loader = FeedEntryLoader(base_url=response.url, language=language)
    loader.add_value("listing", listing)
    loader.add_value("listing_url", response.url)
    loader.add_value("position", position)
    loader.add_value("seen_at", seen_at)
    return loader


def _load_entry(loader: FeedEntryLoader, listing_language: str) -> FeedEntry:
    entry: FeedEntry = loader.load_item()
    entry.language = language_of(entry.url) if entry.url else listing_language
    # No marker is itself the answer "no photo or video", unlike a field no layer could find.
    if entry.media is None:
        entry.media = []
    return entry


def last_card_timestamp(response: TextResponse) -> str | None:
    """The raw ``data-timestamp`` of the last card: the cursor of the next infinite-scroll batch."""
    stamps = response.css(CARD).xpath("@data-timestamp").getall()
    return stamps[-1].strip() if stamps and stamps[-1].strip() else None


def load_more_url(response: TextResponse) -> str | None:
    """The absolute infinite-scroll endpoint of a listing page (its query, such as ``slug=``, kept)."""
    data_url = response.css(LOAD_CONTAINER).get("").strip()
    return response.urljoin(data_url) if data_url else None


def next_batch_url(data_url: str, cursor: str) -> str:
    """The batch after ``cursor`` (a card's ``data-timestamp``).

    >>> next_batch_url("https://report.az/en/infinity/category?slug=finance", "2026-01-29 15:08:00")
    'https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1'
    """
    return add_or_replace_parameters(data_url, {"date": cursor, "oldest": "1"})


def feed_link(response: TextResponse) -> str | None:
    """The absolute URL of the page's "All News Feed" link, by its class first, then by its text."""
    href = response.css(FEED_LINK).get()
    if href is None:
        wanted = SITE[language_of(response.url)].feed_link_text.casefold()
        href = next(
            (a.attrib.get("href") for a in response.css("a[href]") if _text(a).casefold() == wanted), None
        )
    return canonical_url(href.strip(), response.url) if href and href.strip() else None


def category_links(response: TextResponse) -> dict[str, str]:
    """{slug: absolute URL} of the main menu's categories of the page's own edition."""
    language = language_of(response.url)
    prefix = SITE[language].prefix
    feed_path = prefix + SITE[language].feed_path
    links: dict[str, str] = {}
    for href in response.css(MAIN_MENU_LINK).xpath("@href").getall():
        try:
            url = canonical_url(href.strip(), response.url)
        except ValueError:
            continue
        path = urlsplit(url).path
        slug = path[len(prefix) + 1 :] if path.startswith(prefix + "/") else ""
        if language_of(url) == language and slug and "/" not in slug and path != feed_path:
            links.setdefault(slug, url)
    return links


def page_path(url: str) -> list[str]:
    """The path segments of a report.az URL after its edition's prefix.

    >>> page_path("https://report.az/en/finance/some-story/"), page_path("https://report.az/")
    (['finance', 'some-story'], [])
    """
    segments = [s for s in urlsplit(canonical_url(url)).path.split("/") if s]
    return segments[1:] if SITE[language_of(url)].prefix else segments


def is_article_url(url: str) -> bool:
    """Whether a report.az URL is an article page: ``/{prefix}/{category}/{slug}``.

    >>> is_article_url("https://report.az/en/amp/finance/x/"), is_article_url("https://report.az/en/finance")
    (True, False)
    >>> is_article_url("https://report.az/en/tags/south-korea"), is_article_url("https://report.az/infinity/index")
    (False, False)
    """
    segments = page_path(url)
    return len(segments) == 2 and segments[0] not in _NOT_CATEGORIES


def listing_for(url: str) -> str | None:
    """The ``listing`` name of the cards of a listing page or batch, None for any other URL.

    >>> listing_for("https://report.az/en/"), listing_for("https://report.az/son-xeberler")
    ('home', 'feed')
    >>> listing_for("https://report.az/ru/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1")
    'feed'
    >>> listing_for("https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00")
    'category:finance'
    >>> listing_for("https://report.az/en/finance"), listing_for("https://report.az/en/finance/x") is None
    ('category:finance', True)
    """
    segments = page_path(url)
    language = SITE[language_of(url)]
    if not segments:
        return "home"
    if segments == ["infinity", "index"] or "/" + "/".join(segments) == language.feed_path:
        return "feed"
    if segments == ["infinity", "category"]:
        slug = parse_qs(urlsplit(url).query).get("slug", [""])[0]
        return f"category:{slug}" if slug else None
    if len(segments) == 1 and segments[0] not in _NOT_CATEGORIES:
        return f"category:{segments[0]}"
    return None


_NOT_CATEGORIES = frozenset({"infinity", "tags", "archive", "search", "amp", "rss"})


# --- helpers -------------------------------------------------------------------------------------


class _Page:
    """The JSON-LD of a page, decoded once: its NewsArticle and the first BreadcrumbList item."""

    def __init__(self, response: TextResponse) -> None:
        nodes = list(_ld_nodes(response.css(JSON_LD).getall()))
        self.ld_article: dict[str, Any] = next((n for n in nodes if _ld_types(n) & JSON_LD_ARTICLE_TYPES), {})
        crumbs = next((n for n in nodes if "BreadcrumbList" in _ld_types(n)), {})
        elements = [e for e in _as_list(crumbs.get("itemListElement")) if isinstance(e, dict)]
        elements.sort(key=_ld_position)
        self.ld_breadcrumb: dict[str, Any] = elements[0] if elements else {}


def _ld_nodes(scripts: list[str]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            data = json.loads(script, strict=False)  # strict=False: raw newlines inside strings occur
        except ValueError:
            continue
        for node in _as_list(data):
            if isinstance(node, dict):
                yield node
                yield from (n for n in _as_list(node.get("@graph")) if isinstance(n, dict))


def _ld_position(node: dict[str, Any]) -> int:
    position = node.get("position")
    return position if isinstance(position, int) else 0


def _ld_types(node: dict[str, Any]) -> set[str]:
    return {t for t in _as_list(node.get("@type")) if isinstance(t, str)}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ld_id(value: Any) -> str | None:
    """A JSON-LD reference: a URL string or an object with ``@id``/``url``."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value if isinstance(value, str) else None


def _ld_author(value: Any) -> list[str]:
    names = [a.get("name") if isinstance(a, dict) else a for a in _as_list(value)]
    return [name for name in names if isinstance(name, str)]


def _ld_images(value: Any) -> list[str]:
    return [url for url in map(_ld_id, _as_list(value)) if url]


def _section_name(value: str) -> str:
    """``article:section`` without the "Category | " label some pages put first."""
    return value.rpartition("|")[2]


def _category_url_of(url: str | None) -> str | None:
    """The category listing an article URL sits under: ``/{prefix}/{category}/{slug}``."""
    if not url:
        return None
    segments = [s for s in urlsplit(url).path.split("/") if s]
    prefix = SITE[language_of(url)].prefix
    if prefix:
        segments = segments[1:]
    return canonical_url(f"{prefix}/{segments[0]}") if len(segments) == 2 else None


def _text(node: Selector) -> str:
    """The visible text of an element: inline tags joined without spaces, ``<br>`` as a space."""
    parts: list[str] = []
    if isinstance(node.root, etree._Element):
        _visible_text(node.root, parts)
    return clean_text("".join(parts))


def _visible_text(element: etree._Element, parts: list[str]) -> None:
    # Walking lxml directly (an XPath per element, wrapped in Selectors, was most of the parse time), and
    # without recursion: a hostile page may nest tags ten thousand deep.
    walker = etree.iterwalk(element, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if event in ("comment", "pi"):
            if node.tail:
                parts.append(node.tail)
        elif event == "start":
            if node.tag in HIDDEN_TAGS:
                walker.skip_subtree()
            elif node.tag == "br":
                parts.append(" ")
            elif node.text:
                parts.append(node.text)
        elif node is not element and node.tail:
            parts.append(node.tail)


def _strings(*values: Any) -> list[str]:
    """The values that are strings: JSON-LD may hold anything where a string is expected."""
    return [value for value in values if isinstance(value, str)]


def _image_src(images: SelectorList[Selector], *, every: bool = False) -> list[str]:
    """Real image URLs of ``img`` elements: ``data-src`` first (lazy loading puts a placeholder in src)."""
    urls = []
    for image in images:
        for name in ("data-src", "data-original", "src"):
            value = (image.attrib.get(name) or "").strip()
            if value and not value.startswith("data:"):
                urls.append(value)
                break
        if urls and not every:
            break
    return urls


def _translations(response: TextResponse, language: str) -> dict[str, str] | None:
    found: dict[str, str] = {}
    for links in (response.css(LANG_LINKS), response.css(ALTERNATES)):
        for link in links:
            code = (link.attrib.get("hreflang") or "").strip().lower()[:2]
            href = (link.attrib.get("href") or "").strip()
            if code in SITE and code != language and href and code not in found:
                try:
                    found[code] = canonical_url(href, response.url)
                except ValueError:
                    continue
        if found:
            break
    return found or None


def as_dict(item: Article | FeedEntry) -> dict[str, Any]:
    """Every field of an item, absent ones as None: the golden-file form."""
    return dict(ItemAdapter(item).items())
