"""report.az pages -> items: every selector of the site, and the sources each field is read from.

The site has served three designs and varies between sections and editions, so every field a page
carries in more than one way is read from several independent sources. Each field's sources are named
and ordered in one place, the tables ``ARTICLE_SOURCES``, ``BODY_SOURCES``, ``CARD_SOURCES``,
``SIDEBAR_SOURCES`` and ``NAVIGATION_SOURCES`` below: the current design's class names first, then
sources that do not depend on class names (what a link points to, a heading's text, the page's JSON-LD
and ``<meta>``), then the older design (2021-2024). The first source that yields a value wins, and
``newscrawl/field_source/<field>/<source>`` counts which one did, so a crawl shows when the site's
markup drifts away from the class names. A field no source finds stays None and is counted as
``newscrawl/field_missing/<field>``; a wrong guess would be worse than a gap. The markup the class names
follow is the contract in ``fixtures/README.md``; when the live site differs, the constants change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import TextResponse
from scrapy.statscollectors import StatsCollector
from w3lib.url import add_or_replace_parameters

from newscrawl import jsonld
from newscrawl.agencies import canonical_agency
from newscrawl.dates import BAKU
from newscrawl.items import Article, FeedEntry
from newscrawl.loaders import (
    ArticleLoader,
    FeedEntryLoader,
    body_paragraphs,
    clean_text,
    first_paragraph,
    word_count,
)
from newscrawl.site import (
    LATEST_NEWS_HEADINGS,
    NOT_CATEGORIES,
    OTHER_CATEGORY_SLUGS,
    SITE,
    canonical_url,
    is_article_url,
    is_site_image,
    language_of,
    page_path,
    site_id_from,
)

# --- current design (2025-) ------------------------------------------------------------------------
TITLE = "h1.section-title"
SUBTITLE = "h2.news-detail__title"  # repeats the title under the photo
CATEGORY = ".news-detail__head .news__category"
DATE_PARTS = ".news-detail__head ul.news__date li"  # "29 January, 2026", "15:08"
MAIN_PHOTO = ".news-detail__main-photo img"
BODY = ".news-detail__desc"
TAGS = ".news-detail__desc .tags a"
LANG_LINKS = "a[hreflang]"  # .news-detail__langs in the snapshot; wherever it stands on the live site
COPY_URL = ".copy-url::attr(data-url)"

CARD = "div.index-post-block"
CARD_LINK = "a.news__item"
CARD_TITLE = ".news__title"
CARD_CATEGORY = ".news__category"
CARD_MEDIA = ".news__media"
CARD_DATE_PARTS = "ul.news__date li"
CARD_IMAGE = ".news__img img, img"
LOAD_CONTAINER = ".loadContainer::attr(data-url)"

SIDEBAR = "aside.latest-news"
SIDEBAR_ITEM = ".latest-news__item"
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
META_KEYWORDS = META_CONTENT.format("keywords")

# --- older design (2021-2024) ----------------------------------------------------------------------
OLD_TITLE = "h1.news-title"
OLD_DATE = "div.news-date"  # "7 Fevral , 2024 <span>12:30</span>"
OLD_CATEGORY = "a.news-category"
OLD_BODY = "div.editor-body"
OLD_COVER = "div.news-cover img"
OLD_TAGS = "div.news-tags a"
# Listing cards of the older design (REPORT_AZ.md names the class, the inside is a guess, G).
OLD_CARD = ".news-item.infinity-item"
OLD_CARD_TITLE = ".news-title"
OLD_CARD_DATE = ".news-date"
OLD_CARD_CATEGORY = ".news-category"

# --- markup recognised by what it is, not by its class ----------------------------------------------
# Site chrome: links and paragraphs inside are never article content.
CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
# Inside a body: blocks whose paragraphs are not article text (embeds, captions, lists of stories) ...
NOT_TEXT_TAGS = frozenset(
    {"blockquote", "figure", "figcaption", "ul", "ol", "form", "noscript", "template", *CHROME_TAGS}
)
# ... and class tokens that say the same whatever the design calls the rest.
NOT_TEXT_CLASS = re.compile(
    r"(?:^|[-_])(?:caption|figcaption|related|read-?also|read-?more|more-news|promo|banner|subscribe|"
    r"share|sharing|social|tags?|embed|advert|ads|widget)(?:$|[-_])",
    re.IGNORECASE,
)
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
INLINE_IMAGES = ".//img[not(ancestor::blockquote)]"
VIDEO = ".//iframe | .//video"
TRENDING_CLASS = re.compile(r"trend|popular|hot-?tags", re.IGNORECASE)  # site-wide tag bars
TAG_PATH = re.compile(r"^/(?:(?:en|ru|az)/)?tags?/[^/]+$")
SHORT_LINK_PATH = re.compile(r"^/(?:(?:en|ru)/)?\d+$")  # report.az/en/1892140, the site id as a link
SITE_ID_DATA_URL = "//@data-url[re:test(., 'report\\.az/(?:[a-z]{2}/)?\\d+/?\\s*$')]"
EDITION_LINK_CANDIDATES = (
    "//a[not(ancestor::p or ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside)]/@href"
)
LOAD_MORE_DATA_URL = "//@data-url[contains(., 'infinity')]"
# Media markers as icons or classes ("icon-camera", "news__item--video", <use href="#play">).
MEDIA_HINTS: dict[str, re.Pattern[str]] = {
    "photo": re.compile(r"(?:^|[-_ #])(?:photo|photos|foto|gallery|camera)(?:$|[-_ ])", re.IGNORECASE),
    "video": re.compile(r"(?:^|[-_ #])(?:video|videos|play|youtube|film)(?:$|[-_ ])", re.IGNORECASE),
}
# Share of the article text a block must hold to be taken as the body when no class name says so.
BODY_TEXT_SHARE = 0.9

_ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name != "fetched_at")


class _Page:
    """One article page: its response, JSON-LD decoded once, and its edition once the URL is known."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.language = language_of(response.url)
        self.url: str | None = None
        self.has_title = False
        self.ld_article, self.ld_breadcrumb = jsonld.article_and_breadcrumb(response.css(JSON_LD).getall())

    def css_text(self, query: str) -> list[str]:
        return [_text(node) for node in self.response.css(query)]


Source = tuple[str, Callable[[_Page], list[Any]]]


# --- article sources -------------------------------------------------------------------------------


def _visible_date(page: _Page) -> list[str]:
    return [" ".join(page.css_text(DATE_PARTS))]


def _tag_links(page: _Page) -> list[str]:
    """Text of the links to tag pages after the headline, outside the site chrome and trending bars,
    wherever the block stands (before or after the body, inside it or below the article)."""
    links = page.response.xpath("//h1[1]/following::a[@href]") or page.response.xpath("//a[@href]")
    found = []
    for link in links:
        if _in_chrome(link.root) or not TAG_PATH.match(_path_of(link.attrib["href"], page.response.url)):
            continue
        if any(TRENDING_CLASS.search(a.get("class") or "") for a in link.root.iterancestors()):
            continue
        found.append(_text(link))
    return found


def _keywords(values: Iterable[Any]) -> list[str]:
    """Keywords given as a list or as one comma-separated string."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.extend(part for part in value.split(",") if part.strip())
    return found


def _category_link(page: _Page) -> list[Selector]:
    """The first link outside the chrome and the body text to a category listing of the edition."""
    for link in page.response.xpath("//a[@href][not(ancestor::p)]"):
        if not _in_chrome(link.root) and _is_known_category(link.attrib["href"], page.response.url):
            return [link]
    return []


def _site_id_attribute(page: _Page) -> list[str]:
    return _strings(*map(site_id_from, page.response.xpath(SITE_ID_DATA_URL).getall()))


def _article_images(urls: Iterable[str]) -> list[str]:
    return [url for url in urls if not is_site_image(url)]


ARTICLE_SOURCES: dict[str, tuple[Source, ...]] = {
    "url": (
        ("canonical", lambda p: p.response.css(CANONICAL).getall()),
        ("og_url", lambda p: p.response.css(OG_URL).getall()),
        ("json_ld_url", lambda p: _strings(p.ld_article.get("url"))),
        ("response_url", lambda p: [p.response.url]),
    ),
    "site_id": (
        ("copy_url", lambda p: _strings(*map(site_id_from, p.response.css(COPY_URL).getall()))),
        ("data_url_attribute", _site_id_attribute),
    ),
    "title": (
        ("heading", lambda p: p.css_text(TITLE)),
        ("json_ld_headline", lambda p: _strings(p.ld_article.get("headline"))),
        ("og_title", lambda p: p.response.css(OG_TITLE).getall()),
        ("old_design", lambda p: p.css_text(OLD_TITLE)),
    ),
    "published_at": (
        ("visible_date", _visible_date),
        ("json_ld_date", lambda p: _strings(p.ld_article.get("datePublished"))),
        ("meta_published_time", lambda p: p.response.css(PUBLISHED_TIME).getall()),
        ("old_design", lambda p: p.css_text(OLD_DATE)),
    ),
    "modified_at": (
        ("json_ld_date", lambda p: _strings(p.ld_article.get("dateModified"))),
        ("meta_modified_time", lambda p: p.response.css(MODIFIED_TIME).getall()),
    ),
    "category": (
        ("head_link", lambda p: p.css_text(CATEGORY)),
        ("json_ld_breadcrumb", lambda p: _strings(p.ld_breadcrumb.get("name"))),
        ("meta_section", lambda p: [_section_name(s) for s in p.response.css(SECTION).getall()]),
        ("old_design", lambda p: p.css_text(OLD_CATEGORY)),
        ("category_link", lambda p: [_text(link) for link in _category_link(p)]),
    ),
    "category_slug": (
        ("head_link", lambda p: p.response.css(CATEGORY).xpath("@href").getall()),
        ("json_ld_breadcrumb", lambda p: _strings(jsonld.reference(p.ld_breadcrumb.get("item")))),
        ("old_design", lambda p: p.response.css(OLD_CATEGORY).xpath("@href").getall()),
        ("category_link", lambda p: [link.attrib["href"] for link in _category_link(p)]),
        ("url_path", lambda p: _strings(_category_url_of(p.url))),
    ),
    "tags": (
        ("tag_block", lambda p: p.css_text(TAGS)),
        ("old_design", lambda p: p.css_text(OLD_TAGS)),
        ("tag_links", _tag_links),
        ("json_ld_keywords", lambda p: _keywords(jsonld.as_list(p.ld_article.get("keywords")))),
        ("meta_article_tag", lambda p: p.response.css(META_TAGS).getall()),
        ("meta_keywords", lambda p: _keywords(p.response.css(META_KEYWORDS).getall())),
    ),
    "author": (("json_ld_author", lambda p: jsonld.authors(p.ld_article.get("author"))),),
    "image_url": (
        ("main_photo", lambda p: _article_images(_image_src(p.response.css(MAIN_PHOTO)))),
        ("json_ld_image", lambda p: _article_images(jsonld.images(p.ld_article.get("image")))),
        ("og_image", lambda p: _article_images(p.response.css(OG_IMAGE).getall())),
        ("old_design", lambda p: _article_images(_image_src(p.response.css(OLD_COVER)))),
    ),
}
# Translations merge their sources: one edition may be linked one way, another the other way.
TRANSLATION_SOURCES: tuple[str, ...] = ("hreflang_links", "link_alternates", "edition_links")


def parse_article(
    response: TextResponse, *, fetched_at: str | None = None, stats: StatsCollector | None = None
) -> Article:
    """The Article of an article page; fields no source finds stay None and are counted in ``stats``."""
    page = _Page(response)
    loader = ArticleLoader(base_url=response.url)
    winners: dict[str, str] = {}
    for name, sources in ARTICLE_SOURCES.items():
        won = _add_first(loader, name, page, sources)
        if won is not None:
            winners[name] = won
        if name == "url":
            page.url = loader.get_output_value("url")
            page.language = language_of(page.url or response.url)
            loader.add_value("language", page.language)
    page.has_title = loader.get_output_value("title") is not None
    body_source = _add_body(loader, page)
    if body_source is not None:
        winners["body"] = body_source
    translations, translation_sources = _translations(page)
    loader.add_value("translations", translations)
    if translation_sources:
        winners["translations"] = translation_sources[0]
    loader.add_value("fetched_at", fetched_at)

    article: Article = loader.load_item()
    article.source_agency = canonical_agency(article.source_agency_text)
    if body_source in ("container", "old_container", "text_density") and article.images is None:
        article.images = []  # the body was read and holds no image: known, not missing
    if stats is not None:
        for name, source in winners.items():
            stats.inc_value(f"newscrawl/field_source/{name}/{source}")
        for name in _ARTICLE_FIELDS:
            if getattr(article, name) is None:
                stats.inc_value(f"newscrawl/field_missing/{name}")
    return article


def _add_first(
    loader: ArticleLoader | FeedEntryLoader,
    field: str,
    page: Any,
    sources: Iterable[tuple[str, Callable[[Any], list[Any]]]],
) -> str | None:
    """Adds the values of the first source whose values survive the field's input processors; a blank
    string is no value (an element whose text the HTML parser lost must not hide the next source)."""
    for name, source in sources:
        loader.add_value(field, [v for v in source(page) if not (isinstance(v, str) and not v.strip())])
        if loader.get_collected_values(field):
            return name
    return None


# --- body ------------------------------------------------------------------------------------------


def _container(page: _Page) -> list[Selector]:
    return list(page.response.css(BODY))


def _old_container(page: _Page) -> list[Selector]:
    return list(page.response.css(OLD_BODY))


def _text_density(page: _Page) -> list[Selector]:
    """The smallest block that holds nearly all paragraph text outside the site chrome.

    Used when no class name finds the body: it survives renamed classes, extra wrappers and moved
    blocks. From the root it descends into a child holding at least ``BODY_TEXT_SHARE`` of the text,
    unless that child is a wrapper of a single paragraph (the body's images and video sit beside it).
    """
    root = page.response.selector.root
    if not page.has_title or not isinstance(root, etree._Element):
        return []  # without a headline the page is not an article, and any paragraph would be a guess
    weight: dict[etree._Element, int] = {}
    count: dict[etree._Element, int] = {}
    for paragraph in root.iter("p"):
        ancestors = list(paragraph.iterancestors())
        if any(a.tag in CHROME_TAGS or a.tag in ("blockquote", "figure") for a in ancestors):
            continue
        length = len("".join(paragraph.itertext()).strip())
        if not length:
            continue
        for ancestor in ancestors:
            weight[ancestor] = weight.get(ancestor, 0) + length
            count[ancestor] = count.get(ancestor, 0) + 1
    if root not in weight:
        return []
    node = root
    while True:
        child = next(
            (
                c
                for c in node
                if c in weight
                and weight[c] >= BODY_TEXT_SHARE * weight[node]
                and (count[c] == count[node] or count[c] >= 2)
                and not (len(c) == 1 and c[0].tag == "p")
            ),
            None,
        )
        if child is None:
            break
        node = child
    return list(page.response.xpath(node.getroottree().getpath(node)))


BODY_SOURCES: tuple[tuple[str, Callable[[_Page], list[Selector]]], ...] = (
    ("container", _container),
    ("old_container", _old_container),
    ("text_density", _text_density),
)


def _add_body(loader: ArticleLoader, page: _Page) -> str | None:
    """Adds body, lead, word_count, source_agency_text, images, has_video; the body's source."""
    containers: list[Selector] = []
    paragraphs: list[str] = []
    lines: list[str] = []
    source = None
    for name, find in BODY_SOURCES:
        containers = find(page)
        lines = [_text(p) for container in containers for p in _text_paragraphs(container, page.response.url)]
        paragraphs = body_paragraphs(lines)
        if paragraphs:
            source = name
            break
    article_body = page.ld_article.get("articleBody")
    if not paragraphs and isinstance(article_body, str):
        lines = article_body.split("\n")
        paragraphs = body_paragraphs(lines)
        containers, source = [], "json_ld_article_body" if paragraphs else None
    if not paragraphs:
        return None
    body = "\n\n".join(paragraphs)
    loader.add_value("body", paragraphs)
    loader.add_value("lead", first_paragraph(body))
    loader.add_value("word_count", word_count(body))
    # Credit lines first, then "Source: ..." lines, which are not body text but still name the agency.
    loader.add_value("source_agency_text", [*paragraphs, *lines])
    if isinstance(article_body, str):
        loader.add_value("source_agency_text", article_body)
    for container in containers:
        images = _image_src(container.xpath(INLINE_IMAGES), every=True)
        loader.add_value("images", _article_images(images))
        loader.add_value("has_video", bool(container.xpath(VIDEO)))
    return source


def _text_paragraphs(container: Selector, base_url: str) -> Iterator[Selector]:
    """The ``p`` of a body that are article text: not in an embed, a caption, a list of stories, the
    tags block or a promo block, and not a bare link to another story ("read also" without a label)."""
    top = container.root
    for paragraph in container.xpath(".//p"):
        element = paragraph.root
        if any(_not_text(node) for node in _up_to(element, top)):
            continue
        if _is_story_link_only(paragraph, base_url):
            continue
        yield paragraph


def _up_to(element: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    node: etree._Element | None = element
    while node is not None and node is not top:
        yield node
        node = node.getparent()


def _not_text(element: etree._Element) -> bool:
    if element.tag in NOT_TEXT_TAGS:
        return True
    return any(NOT_TEXT_CLASS.search(token) for token in (element.get("class") or "").split())


def _is_story_link_only(paragraph: Selector, base_url: str) -> bool:
    links = paragraph.xpath(".//a[@href]")
    if len(links) != 1:
        return False
    href = links[0].attrib["href"]
    try:
        url = canonical_url(href.strip(), base_url)
    except ValueError:
        return False
    own = urlsplit(url).hostname == "report.az" and is_article_url(url)
    return own and _text(links[0]) == _text(paragraph)


# --- translations ----------------------------------------------------------------------------------


def _translations(page: _Page) -> tuple[dict[str, str] | None, list[str]]:
    """{language: canonical URL} of the same story in other editions, and the sources that gave any."""
    response = page.response
    found: dict[str, str] = {}
    used: list[str] = []
    by_source: dict[str, Iterable[tuple[str, str]]] = {
        "hreflang_links": _hreflang_pairs(response.css(LANG_LINKS)),
        "link_alternates": _hreflang_pairs(response.css(ALTERNATES)),
        "edition_links": _edition_links(page),
    }
    for name in TRANSLATION_SOURCES:
        before = len(found)
        for code, href in by_source[name]:
            if code in SITE and code != page.language and href and code not in found:
                try:
                    found[code] = canonical_url(href, response.url)
                except ValueError:
                    continue
        if len(found) > before:
            used.append(name)
    return found or None, used


def _hreflang_pairs(links: SelectorList[Selector]) -> Iterator[tuple[str, str]]:
    for link in links:
        yield (link.attrib.get("hreflang") or "").strip().lower()[:2], (link.attrib.get("href") or "").strip()


def _edition_links(page: _Page) -> Iterator[tuple[str, str]]:
    """Links outside the chrome and the body text to an article (or short link) of another edition."""
    for href in page.response.xpath(EDITION_LINK_CANDIDATES).getall():
        # A cheap look at the raw link first: canonical_url on every link of a page is most of its cost.
        parts = urlsplit(href.strip())
        if parts.hostname not in (None, "report.az", "www.report.az"):
            continue
        segments = [s for s in parts.path.split("/") if s]
        language = segments[0] if segments and segments[0] in ("en", "ru") else "az"
        rest = segments[1:] if language != "az" or segments[:1] == ["az"] else segments
        if language == page.language or not (len(rest) == 2 or (len(rest) == 1 and rest[0].isdigit())):
            continue
        try:
            url = canonical_url(href.strip(), page.response.url)
        except ValueError:
            continue
        if is_article_url(url) or SHORT_LINK_PATH.match(urlsplit(url).path):
            yield language_of(url), url


# --- cards and the Latest News column --------------------------------------------------------------


class _Card:
    """One card (or Latest News item) of a listing page: its element and the page's edition."""

    def __init__(self, node: Selector, response: TextResponse, language: str) -> None:
        self.node = node
        self.response = response
        self.language = language

    def css_text(self, query: str) -> list[str]:
        return [_text(node) for node in self.node.css(query)]

    def article_links(self) -> list[Selector]:
        return [a for a in self.node.xpath(".//a[@href]") if _is_article_href(a, self.response.url)]


def _card_heading(card: _Card) -> list[str]:
    return [_text(node) for node in card.node.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6")]


def _longest_text(card: _Card) -> list[str]:
    """The longest text of an element without element children that is not a category, marker or date."""
    known = _category_names(card.language) | {m.casefold() for m in SITE[card.language].media_markers}
    texts = [
        text
        for node in card.node.xpath(".//*[not(*)][normalize-space()]")
        if (text := _text(node)) and text.casefold() not in known and not re.fullmatch(r"[\d:., -]+", text)
    ]
    return sorted(texts, key=len, reverse=True)[:1]


def _category_links(card: _Card) -> list[str]:
    return [_text(a) for a in card.node.xpath(".//a[@href]") if _category_slug_of(a, card) is not None]


def _category_names_in(card: _Card) -> list[str]:
    names = _category_names(card.language)
    return [text for node in card.node.xpath(".//*") if (text := _text(node)).casefold() in names]


def _list_items(card: _Card) -> list[str]:
    first = card.node.xpath(".//ul[li]")
    return [" ".join(_text(li) for li in first[0].xpath("./li"))] if first else []


def _marker_texts(card: _Card) -> list[str]:
    """Elements whose whole text is a media marker of the edition, whatever element carries it."""
    markers = {m.casefold() for m in SITE[card.language].media_markers}
    return [text for node in card.node.xpath(".//*[not(*)]") if (text := _text(node)).casefold() in markers]


def _media_hints(card: _Card) -> list[str]:
    """Media shown as an icon or a class: class tokens, ``data-icon``, ``aria-label``, ``<use href>``."""
    values: list[str] = []
    for node in [card.node, *card.node.xpath(".//*")]:
        attrib = node.attrib
        values.extend((attrib.get("class") or "").split())
        values.extend(attrib.get(name, "") for name in ("data-icon", "aria-label", "data-type"))
        values.extend(v for k, v in attrib.items() if k.endswith("href") and v.startswith("#"))
    found = []
    for kind, hint in MEDIA_HINTS.items():
        if any(hint.search(value) for value in values if value):
            found.append(_marker_of(card.language, kind))
    return found


def _timestamps(card: _Card) -> list[str]:
    return card.node.xpath("@data-timestamp").getall()


def _time_elements(card: _Card) -> list[str]:
    return card.node.xpath(".//time/@datetime").getall()


def _card_images(card: _Card) -> list[str]:
    return _article_images(_image_src(card.node.css(CARD_IMAGE)))


CardSource = tuple[str, Callable[[_Card], list[Any]]]
CARD_SOURCES: dict[str, tuple[CardSource, ...]] = {
    "url": (
        ("card_link", lambda c: c.node.css(CARD_LINK).xpath("@href").getall()),
        ("article_link", lambda c: [a.attrib["href"] for a in c.article_links()][:1]),
    ),
    "title": (
        ("title_class", lambda c: c.css_text(CARD_TITLE)),
        ("old_design", lambda c: c.css_text(OLD_CARD_TITLE)),
        ("heading", _card_heading),
        ("longest_text", _longest_text),
    ),
    "category": (
        ("category_class", lambda c: c.css_text(CARD_CATEGORY)),
        ("old_design", lambda c: c.css_text(OLD_CARD_CATEGORY)),
        ("category_link", _category_links),
        ("category_name", _category_names_in),
    ),
    "published_at": (
        ("data_timestamp", _timestamps),
        ("date_list", lambda c: [" ".join(c.css_text(CARD_DATE_PARTS))]),
        ("old_design", lambda c: c.css_text(OLD_CARD_DATE)),
        ("time_element", _time_elements),
        ("list_items", _list_items),
    ),
    "image_url": (("image", _card_images),),
    "media": (
        ("media_class", lambda c: c.css_text(CARD_MEDIA)),
        ("marker_text", _marker_texts),
        ("media_hint", _media_hints),
    ),
}
SIDEBAR_SOURCES: dict[str, tuple[CardSource, ...]] = {
    "url": (
        ("link_class", lambda c: c.node.css(SIDEBAR_LINK).xpath("@href").getall()),
        ("article_link", lambda c: [a.attrib["href"] for a in c.article_links()][:1]),
    ),
    "title": (
        ("link_class", lambda c: c.css_text(SIDEBAR_LINK)),
        ("article_link", lambda c: [_text(a) for a in c.article_links()][:1]),
    ),
    "category": (
        ("category_class", lambda c: c.css_text(SIDEBAR_CATEGORY)),
        ("category_link", _category_links),
        ("category_name", _category_names_in),
    ),
    # Only the time is visible; the date exists only in data-timestamp.
    "published_at": (("data_timestamp", _timestamps), ("time_element", _time_elements)),
    "media": (
        ("media_class", lambda c: c.css_text(SIDEBAR_MEDIA)),
        ("marker_text", _marker_texts),
        ("media_hint", _media_hints),
    ),
}


def _cards_by_class(response: TextResponse) -> list[Selector]:
    return list(response.css(CARD)) or list(response.css(OLD_CARD))


def _timestamped_cards(response: TextResponse) -> list[Selector]:
    """Elements with a ``data-timestamp`` that link to an article, outside the Latest News column."""
    sidebars = {block.root for block in _sidebar_blocks(response)}
    found = []
    for node in response.xpath("//*[@data-timestamp][not(ancestor::*[@data-timestamp])]"):
        if any(a in sidebars or a.tag == "aside" for a in node.root.iterancestors()):
            continue
        if any(_is_article_href(a, response.url) for a in node.xpath("descendant-or-self::a[@href]")):
            found.append(node)
    return found


# Card finders, most trusted first; the first that finds any cards is used.
CARD_FINDERS: tuple[tuple[str, Callable[[TextResponse], list[Selector]]], ...] = (
    ("card_class", _cards_by_class),
    ("timestamped", _timestamped_cards),
)


def _find_cards(response: TextResponse) -> list[Selector]:
    for _, find in CARD_FINDERS:
        cards = find(response)
        if cards:
            return cards
    return []


def parse_cards(response: TextResponse, *, listing: str, seen_at: str | None = None) -> list[FeedEntry]:
    """The headline cards of a listing page or of a bare infinite-scroll fragment, in page order."""
    language = language_of(response.url)
    entries = []
    for position, node in enumerate(_find_cards(response)):
        loader = _entry_loader(response, language, listing, position, seen_at)
        card = _Card(node, response, language)
        for name, sources in CARD_SOURCES.items():
            _add_first(loader, name, card, sources)
        entries.append(_load_entry(loader, language))
    return entries


def _sidebar_by_class(response: TextResponse) -> list[Selector]:
    return list(response.css(SIDEBAR))


def _sidebar_by_heading(response: TextResponse) -> list[Selector]:
    """The smallest block around a "Latest News" heading (in the edition's language) with story links."""
    language = language_of(response.url)
    headings = {h.casefold() for h in LATEST_NEWS_HEADINGS[language]}
    # Not an h1: on the Latest News page itself the page title has the column's wording.
    for node in response.xpath("//body//*[not(self::a or self::h1 or .//a)][normalize-space()]"):
        if len(node.root) > 2 or _text(node).casefold() not in headings:
            continue
        for ancestor in node.root.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            links = [a for a in ancestor.iter("a") if _is_article_url_href(a.get("href"), response.url)]
            if len(links) >= 2:
                return list(response.xpath(ancestor.getroottree().getpath(ancestor)))
    return []


# Latest News column finders, most trusted first.
SIDEBAR_FINDERS: tuple[tuple[str, Callable[[TextResponse], list[Selector]]], ...] = (
    ("sidebar_class", _sidebar_by_class),
    ("heading_text", _sidebar_by_heading),
)


def _sidebar_blocks(response: TextResponse) -> list[Selector]:
    for _, find in SIDEBAR_FINDERS:
        blocks = find(response)
        if blocks:
            return blocks
    return []


def _sidebar_items(block: Selector) -> list[Selector]:
    items = list(block.css(SIDEBAR_ITEM)) or list(block.xpath(".//*[@data-timestamp]"))
    return items


def parse_sidebar(response: TextResponse, *, seen_at: str | None = None) -> list[FeedEntry]:
    """The Latest News column of an article or home page, found by class or by its heading."""
    language = language_of(response.url)
    entries = []
    items = [item for block in _sidebar_blocks(response)[:1] for item in _sidebar_items(block)]
    for position, node in enumerate(items):
        loader = _entry_loader(response, language, "sidebar", position, seen_at)
        item = _Card(node, response, language)
        for name, sources in SIDEBAR_SOURCES.items():
            _add_first(loader, name, item, sources)
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
    # No marker is itself the answer "no photo or video", unlike a field no source could find.
    if entry.media is None:
        entry.media = []
    return entry


def last_card_timestamp(response: TextResponse) -> str | None:
    """The raw ``data-timestamp`` of the last card: the cursor of the next infinite-scroll batch."""
    stamps = [stamp for card in _find_cards(response) for stamp in card.xpath("@data-timestamp").getall()]
    return stamps[-1].strip() if stamps and stamps[-1].strip() else None


def load_more_url(response: TextResponse) -> str | None:
    """The absolute infinite-scroll endpoint of a listing page (its query, such as ``slug=``, kept)."""
    data_url = (response.css(LOAD_CONTAINER).get() or response.xpath(LOAD_MORE_DATA_URL).get() or "").strip()
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


# --- home-page navigation --------------------------------------------------------------------------


def feed_link(response: TextResponse) -> str | None:
    """The absolute URL of the page's "All News Feed" link, by its class first, then by its text."""
    href = response.css(FEED_LINK).get()
    if href is None:
        wanted = SITE[language_of(response.url)].feed_link_text.casefold()
        href = next(
            (a.attrib.get("href") for a in response.css("a[href]") if _text(a).casefold() == wanted), None
        )
    return canonical_url(href.strip(), response.url) if href and href.strip() else None


MENU = (
    "//a[@href][ancestor::nav or ancestor::header or ancestor::*[@role='navigation']"
    " or ancestor::*[contains(@class, 'menu') or contains(@class, 'nav')]]"
)
# Where category links are looked for, most trusted first; the first that yields any is used.
NAVIGATION_SOURCES: tuple[tuple[str, Callable[[TextResponse], list[str]]], ...] = (
    ("main_menu", lambda r: r.css(MAIN_MENU_LINK).xpath("@href").getall()),
    ("any_menu", lambda r: r.xpath(MENU).xpath("@href").getall()),
    ("menu_by_links", lambda r: _menu_by_links(r)),
)
MIN_MENU_LINKS = 3


def _menu_by_links(response: TextResponse) -> list[str]:
    """Every link of the block (list or div, outside the Latest News column) holding the most links to
    known category paths of the edition, at least ``MIN_MENU_LINKS``: a menu found by what it links to."""
    counts: dict[etree._Element, int] = {}
    for link in response.xpath("//a[@href][not(ancestor::aside)]"):
        if not _is_known_category(link.attrib["href"], response.url):
            continue
        block = next((a for a in link.root.iterancestors() if a.tag in ("ul", "ol", "nav", "div")), None)
        if block is not None:
            counts[block] = counts.get(block, 0) + 1
    if not counts:
        return []
    block, count = max(counts.items(), key=lambda pair: pair[1])
    return [a.get("href") or "" for a in block.iter("a")] if count >= MIN_MENU_LINKS else []


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


def _is_known_category(href: str, base: str) -> bool:
    try:
        url = canonical_url(href.strip(), base)
    except ValueError:
        return False
    segments = page_path(url) if urlsplit(url).hostname == "report.az" else []
    return len(segments) == 1 and segments[0] in _known_slugs(language_of(url))


def _known_slugs(language: str) -> frozenset[str]:
    return frozenset({c.slug for c in SITE[language].categories} | set(OTHER_CATEGORY_SLUGS[language]))


# --- helpers -------------------------------------------------------------------------------------


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


def _in_chrome(element: etree._Element) -> bool:
    return any(ancestor.tag in CHROME_TAGS for ancestor in element.iterancestors())


def _path_of(href: str, base: str) -> str:
    """The path of a link's canonical URL on report.az, "" for other hosts and unparseable links."""
    try:
        url = canonical_url(href.strip(), base)
    except ValueError:
        return ""
    return urlsplit(url).path if urlsplit(url).hostname == "report.az" else ""


def _is_article_url_href(href: str | None, base: str) -> bool:
    if not href:
        return False
    path = _path_of(href, base)
    return bool(path) and is_article_url("https://report.az" + path)


def _is_article_href(link: Selector, base: str) -> bool:
    return _is_article_url_href(link.attrib.get("href"), base)


def _category_slug_of(link: Selector, card: _Card) -> str | None:
    href = link.attrib.get("href") or ""
    return (
        last_segment
        if _is_known_category(href, card.response.url)
        and (last_segment := _path_of(href, card.response.url).rpartition("/")[2])
        else None
    )


def _category_names(language: str) -> frozenset[str]:
    return frozenset(c.name.casefold() for c in SITE[language].categories)


def _marker_of(language: str, kind: str) -> str:
    """The edition's visible marker of a media kind ("Foto" for photo in az)."""
    return next(text for text, value in SITE[language].media_markers.items() if value == kind)


def as_dict(item: Article | FeedEntry) -> dict[str, Any]:
    """Every field of an item, absent ones as None: the golden-file form."""
    return dict(ItemAdapter(item).items())
