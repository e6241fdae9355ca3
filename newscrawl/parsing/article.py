"""Article pages -> ``Article``: the article's selectors and ``ARTICLE_SOURCES``, each field's named
sources in order of trust; translations merged from ``TRANSLATION_SOURCES``. The body is ``body.py``'s,
the page as both read it ``page.py``'s.

Selectors that name a class of the article look inside the article around the headline first (the rest
of a page of the live site's weight is nine tenths menus, footer and the Latest News column), then, when
they find nothing there, in the whole page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from typing import Any

from lxml import etree
from scrapy.http import TextResponse
from scrapy.statscollectors import StatsCollector

from newscrawl import jsonld
from newscrawl.agencies import canonical_agency
from newscrawl.items import Article
from newscrawl.loaders import ArticleLoader
from newscrawl.parsing import body
from newscrawl.parsing.links import (
    TAG_PATH,
    category_url_of,
    is_known_category,
    may_link_other_editions,
    other_edition_links,
    path_of,
)
from newscrawl.parsing.markup import (
    add_first,
    article_images,
    image_src,
    in_chrome,
    select,
    strings,
    text_of,
    xpath,
)
from newscrawl.parsing.page import Page
from newscrawl.site import SITE, canonical_url, language_of, site_id_from

# --- current design (2025-) ------------------------------------------------------------------------
TITLE = "h1.section-title"
SUBTITLE = "h2.news-detail__title"  # repeats the title under the photo
CATEGORY = ".news-detail__head .news__category"
DATE_PARTS = ".news-detail__head ul.news__date li"  # "29 January, 2026", "15:08"
MAIN_PHOTO = ".news-detail__main-photo img"
TAGS = ".news-detail__desc .tags a"
LANG_LINKS = "a[hreflang]"  # .news-detail__langs in the snapshot; wherever it stands on the live site
HREFLANG = b"hreflang"  # a page without it in its source has no LANG_LINKS
COPY_URL = ".copy-url::attr(data-url)"

# --- head: meta and JSON-LD (any design), read in one pass over the page's meta, link, script -------
CANONICAL = "canonical"  # <link rel=canonical href>
ALTERNATE = "alternate"  # <link rel=alternate hreflang href>
OG_TITLE = "og:title"  # <meta property|name=... content>
OG_URL = "og:url"
OG_IMAGE = "og:image"
PUBLISHED_TIME = "article:published_time"
MODIFIED_TIME = "article:modified_time"
SECTION = "article:section"  # "Category | Other countries" or "Other countries"
META_TAGS = "article:tag"
META_KEYWORDS = "keywords"

# --- older design (2021-2024) ----------------------------------------------------------------------
OLD_TITLE = "h1.news-title"
OLD_DATE = "div.news-date"  # "7 Fevral , 2024 <span>12:30</span>"
OLD_CATEGORY = "a.news-category"
OLD_COVER = "div.news-cover img"
OLD_TAGS = "div.news-tags a"

# --- markup recognised by what it is, not by its class ----------------------------------------------
TRENDING_CLASS = re.compile(r"trend|popular|hot-?tags", re.IGNORECASE)  # site-wide tag bars
SITE_ID_DATA_URL = "//@data-url[re:test(., 'report\\.az/(?:[a-z]{2}/)?\\d+/?\\s*$')]"
LINKS_AFTER_HEADLINE = "//h1[1]/following::a[@href]"
LINKS_OUTSIDE_TEXT = "//a[@href][not(ancestor::p)]"

_ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name != "fetched_at")


# --- article sources -------------------------------------------------------------------------------


def _visible_date(page: Page) -> list[str]:
    return [" ".join(page.texts(DATE_PARTS))]


def _tag_links(page: Page) -> list[str]:
    """Text of the links to tag pages after the headline, outside the site chrome and trending bars,
    wherever the block stands (before or after the body, inside it or below the article)."""
    base = page.response.url
    links = xpath(LINKS_AFTER_HEADLINE)(page.root) or list(page.root.iter("a"))
    found = []
    for link in links:
        raw = link.get("href")
        if raw is None:
            continue
        href = raw.strip()
        # A path or URL names its own path: without "tag" in it, it is no tag page (skip the canonical form).
        if (href.startswith("/") or "://" in href) and "tag" not in href:
            continue
        if in_chrome(link) or not TAG_PATH.match(path_of(href, base)):
            continue
        if any(TRENDING_CLASS.search(a.get("class") or "") for a in link.iterancestors()):
            continue
        found.append(text_of(link))
    return found


def _keywords(values: Iterable[Any]) -> list[str]:
    """Keywords given as a list or as one comma-separated string."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.extend(part for part in value.split(",") if part.strip())
    return found


def _category_link(page: Page) -> list[etree._Element]:
    """The first link outside the chrome and the body text to a category listing of the edition."""
    for link in xpath(LINKS_OUTSIDE_TEXT)(page.root):
        if not in_chrome(link) and is_known_category(link.get("href"), page.response.url):
            return [link]
    return []


def _site_id_attribute(page: Page) -> list[str]:
    return strings(*map(site_id_from, xpath(SITE_ID_DATA_URL)(page.root)))


def _section_name(value: str) -> str:
    """``article:section`` without the "Category | " label some pages put first."""
    return value.rpartition("|")[2]


Source = tuple[str, Callable[[Page], list[Any]]]
ARTICLE_SOURCES: dict[str, tuple[Source, ...]] = {
    "url": (
        ("canonical", lambda p: p.link_hrefs(CANONICAL)),
        ("og_url", lambda p: p.head(OG_URL)),
        ("json_ld_url", lambda p: strings(p.ld_article.get("url"))),
        ("response_url", lambda p: [p.response.url]),
    ),
    "site_id": (
        ("copy_url", lambda p: strings(*map(site_id_from, map(str, p.select(COPY_URL))))),
        ("data_url_attribute", _site_id_attribute),
    ),
    "title": (
        ("heading", lambda p: p.texts(TITLE)),
        ("json_ld_headline", lambda p: strings(p.ld_article.get("headline"))),
        ("og_title", lambda p: p.head(OG_TITLE)),
        ("old_design", lambda p: p.texts(OLD_TITLE)),
    ),
    "published_at": (
        ("visible_date", _visible_date),
        ("json_ld_date", lambda p: strings(p.ld_article.get("datePublished"))),
        ("meta_published_time", lambda p: p.head(PUBLISHED_TIME)),
        ("old_design", lambda p: p.texts(OLD_DATE)),
    ),
    "modified_at": (
        ("json_ld_date", lambda p: strings(p.ld_article.get("dateModified"))),
        ("meta_modified_time", lambda p: p.head(MODIFIED_TIME)),
    ),
    "category": (
        ("head_link", lambda p: p.texts(CATEGORY)),
        ("json_ld_breadcrumb", lambda p: strings(p.ld_breadcrumb.get("name"))),
        ("meta_section", lambda p: [_section_name(s) for s in p.head(SECTION)]),
        ("old_design", lambda p: p.texts(OLD_CATEGORY)),
        ("category_link", lambda p: [text_of(link) for link in _category_link(p)]),
    ),
    "category_slug": (
        ("head_link", lambda p: strings(*(a.get("href") for a in p.select(CATEGORY)))),
        ("json_ld_breadcrumb", lambda p: strings(jsonld.reference(p.ld_breadcrumb.get("item")))),
        ("old_design", lambda p: strings(*(a.get("href") for a in p.select(OLD_CATEGORY)))),
        ("category_link", lambda p: [link.get("href") for link in _category_link(p)]),
        ("url_path", lambda p: strings(category_url_of(p.url))),
    ),
    "tags": (
        ("tag_block", lambda p: p.texts(TAGS)),
        ("old_design", lambda p: p.texts(OLD_TAGS)),
        ("tag_links", _tag_links),
        ("json_ld_keywords", lambda p: _keywords(jsonld.as_list(p.ld_article.get("keywords")))),
        ("meta_article_tag", lambda p: p.head(META_TAGS)),
        ("meta_keywords", lambda p: _keywords(p.head(META_KEYWORDS))),
    ),
    "author": (("json_ld_author", lambda p: jsonld.authors(p.ld_article.get("author"))),),
    "image_url": (
        ("main_photo", lambda p: article_images(image_src(p.select(MAIN_PHOTO)))),
        ("json_ld_image", lambda p: article_images(jsonld.images(p.ld_article.get("image")))),
        ("og_image", lambda p: article_images(p.head(OG_IMAGE))),
        ("old_design", lambda p: article_images(image_src(p.select(OLD_COVER)))),
    ),
}
# Translations merge their sources: one edition may be linked one way, another the other way.
TRANSLATION_SOURCES: tuple[str, ...] = ("hreflang_links", "link_alternates", "edition_links")


def parse_article(
    response: TextResponse, *, fetched_at: str | None = None, stats: StatsCollector | None = None
) -> Article:
    """The Article of an article page; fields no source finds stay None and are counted in ``stats``."""
    page = Page(response)
    loader = ArticleLoader(base_url=response.url)
    winners: dict[str, str] = {}
    for name, sources in ARTICLE_SOURCES.items():
        won = add_first(loader, name, page, sources)
        if won is not None:
            winners[name] = won
        if name == "url":
            page.url = loader.get_output_value("url")
            page.language = language_of(page.url or response.url)
            loader.add_value("language", page.language)
    page.has_title = loader.get_output_value("title") is not None
    body_source = body.add_body(loader, page)
    if body_source is not None:
        winners["body"] = body_source
    translations, translation_sources = _translations(page)
    loader.add_value("translations", translations)
    if translation_sources:
        winners["translations"] = translation_sources[0]
    loader.add_value("fetched_at", fetched_at)

    article: Article = loader.load_item()
    article.source_agency = canonical_agency(article.source_agency_text)
    if body_source in body.CONTAINER_SOURCES and article.images is None:
        article.images = []  # the body was read and holds no image: known, not missing
    if stats is not None:
        for name, source in winners.items():
            stats.inc_value(f"newscrawl/field_source/{name}/{source}")
        for name in _ARTICLE_FIELDS:
            if getattr(article, name) is None:
                stats.inc_value(f"newscrawl/field_missing/{name}")
    return article


# --- translations ----------------------------------------------------------------------------------


def _translations(page: Page) -> tuple[dict[str, str] | None, list[str]]:
    """{language: canonical URL} of the same story in other editions, and the sources that gave any."""
    base = page.response.url
    found: dict[str, str] = {}
    used: list[str] = []
    by_source: dict[str, Iterable[tuple[str, str]]] = {
        "hreflang_links": _hreflang_pairs(select(page.root, LANG_LINKS) if page.may_have(HREFLANG) else []),
        "link_alternates": _hreflang_pairs(
            link for link in page.links.get(ALTERNATE, []) if link.get("hreflang") is not None
        ),
        "edition_links": other_edition_links(page.root, page.language, base)
        if may_link_other_editions(page.source, page.lowered, page.language)
        else (),
    }
    for name in TRANSLATION_SOURCES:
        before = len(found)
        for code, href in by_source[name]:
            if code in SITE and code != page.language and href and code not in found:
                try:
                    found[code] = canonical_url(href, base)
                except ValueError:
                    continue
        if len(found) > before:
            used.append(name)
    return found or None, used


def _hreflang_pairs(links: Iterable[etree._Element]) -> Iterator[tuple[str, str]]:
    for link in links:
        yield (link.get("hreflang") or "").strip().lower()[:2], (link.get("href") or "").strip()
