"""What a link of a page points to: an article, a category listing, a tag page, another edition.

The URL rules themselves are ``newscrawl.site``'s; these read raw ``href`` values against them, cheaply
first, because a page of the live site's weight carries about 500 links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import TextResponse

from newscrawl.parsing.markup import tree_of, xpath
from newscrawl.site import OTHER_CATEGORY_SLUGS, SITE, canonical_url, is_article_url, language_of, page_path

TAG_PATH = re.compile(r"^/(?:(?:en|ru|az)/)?tags?/[^/]+$")
SHORT_LINK_PATH = re.compile(r"^/(?:(?:en|ru)/)?\d+$")  # report.az/en/1892140, the site id as a link
_OTHER_EDITION_HOSTS = (None, "report.az", "www.report.az")


def page_hrefs(response: TextResponse) -> list[str]:
    """Every link of a page (``a[href]``), absolute, in page order, from the parser's one tree of it."""
    return [response.urljoin(href) for href in xpath("//a/@href")(tree_of(response))]


def path_of(href: str, base: str) -> str:
    """The path of a link's canonical URL on report.az, "" for other hosts and unparseable links."""
    try:
        url = canonical_url(href.strip(), base)
    except ValueError:
        return ""
    return urlsplit(url).path if urlsplit(url).hostname == "report.az" else ""


def is_article_href(href: str | None, base: str) -> bool:
    if not href:
        return False
    path = path_of(href, base)
    return bool(path) and is_article_url("https://report.az" + path)


def is_known_category(href: str, base: str) -> bool:
    """Whether a link points to a category listing of its edition (known slugs and the site's others)."""
    try:
        url = canonical_url(href.strip(), base)
    except ValueError:
        return False
    segments = page_path(url) if urlsplit(url).hostname == "report.az" else []
    return len(segments) == 1 and segments[0] in known_slugs(language_of(url))


def category_slug_of(href: str, base: str) -> str | None:
    """The slug of a link to a known category listing, else None."""
    if not is_known_category(href, base):
        return None
    return path_of(href, base).rpartition("/")[2] or None


@cache
def known_slugs(language: str) -> frozenset[str]:
    return frozenset({c.slug for c in SITE[language].categories} | set(OTHER_CATEGORY_SLUGS[language]))


@cache
def category_names(language: str) -> frozenset[str]:
    return frozenset(c.name.casefold() for c in SITE[language].categories)


def category_url_of(url: str | None) -> str | None:
    """The category listing an article URL sits under: ``/{prefix}/{category}/{slug}``."""
    if not url:
        return None
    segments = [s for s in urlsplit(url).path.split("/") if s]
    prefix = SITE[language_of(url)].prefix
    if prefix:
        segments = segments[1:]
    return canonical_url(f"{prefix}/{segments[0]}") if len(segments) == 2 else None


@cache
def other_edition_candidates(language: str) -> etree.XPath:
    """The ``href`` of links outside the chrome and the body text that may lead to another edition.

    The href test runs first and drops, without a look at the ancestors, the links that plainly stay in
    the page's edition (``/en/...`` on an English page; on an Azerbaijani page any href naming no other
    edition's prefix): they are nearly all links of a page.
    """
    if SITE[language].prefix:
        own = SITE[language].prefix + "/"
        href_test = f"not(starts-with(@href, '{own}') or starts-with(@href, 'https://report.az{own}'))"
    else:
        href_test = " or ".join(f"contains(@href, '{p}')" for p in _OTHER_PREFIXES)
    outside = "not(ancestor::p or ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside)"
    return etree.XPath(f"//a[@href][{href_test}][{outside}]/@href", smart_strings=False)


_OTHER_PREFIXES = tuple(SITE[code].prefix.strip("/") for code in SITE if SITE[code].prefix)
_HOST = rb"(?:(?:https?:)?//(?:www\.)?report\.az)?"


@cache
def _foreign_href(language: str) -> re.Pattern[bytes]:
    """Every ``href="..."`` of a page's source but those that plainly stay in ``language``'s edition
    (``/en/...`` on an English page, ``/<not en or ru>...`` on an Azerbaijani one): the URL rule as one
    precompiled pattern, so one scan of the source in C skips the hundreds of a page's own links."""
    if SITE[language].prefix:
        own = _HOST + re.escape(SITE[language].prefix.encode()) + b"[/?#]"
    else:
        own = _HOST + b"/(?!" + b"|".join(p.encode() + b"[/?#]" for p in _OTHER_PREFIXES) + b"|/)"
    return re.compile(
        rb"""href\s*+=\s*+(?:"(?!%s)([^"]*)"?|'(?!%s)([^']*)'?|(?!["'])(?!%s)([^\s>]*))""" % (own, own, own)
    )


def _unsure(value: bytes) -> bool:
    """A raw value the parsed page may read otherwise (entities, quotes, spaces, bytes beyond ASCII)."""
    return not value.isascii() or any(c <= 0x20 or c == 0x7F or c in b"<>&\"'" for c in value)


def may_link_other_editions(source: bytes | None, lowered: bytes | None, language: str) -> bool:
    """False only when no link in a page's source can lead to another edition than ``language``: the
    exact look at the page's links (``other_edition_links``) is then not needed.

    ``source`` is the page's bytes in an encoding that writes ASCII as ASCII, without NUL, and
    ``lowered`` the same in lower case (as long: only ASCII letters change), where the pattern finds
    ``HREF`` too; each value is then read from ``source``. True for a source it cannot be sure of.
    """
    capitalised = _capitalised(language)
    if source is None or lowered is None or (capitalised is not None and capitalised.search(source)):
        return True  # "/EN/..." would pass as "/en/..." in lowered: its edition is az, another one
    for match in _foreign_href(language).finditer(lowered):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        value = source[match.start(group) : match.end(group)]
        if _unsure(value) or _other_edition_of(value.decode("ascii"), language) is not None:
            return True
    return False


@cache
def _capitalised(language: str) -> re.Pattern[bytes] | None:
    """The edition's prefix in any other case ("/EN", "/En", "/eN"), which the lowered source hides."""
    prefix = SITE[language].prefix.encode()
    if not prefix:
        return None
    variants = {b""}
    for char in prefix[1:]:
        letter = bytes([char])
        variants = {v + c for v in variants for c in {letter.lower(), letter.upper()}}
    others = sorted(variants - {prefix[1:]})
    return re.compile(b"/(?:" + b"|".join(map(re.escape, others)) + b")")


def _other_edition_of(href: str, language: str) -> str | None:
    """The edition of a raw link to an article or short link of another edition than ``language``, read
    from the link as written (no canonical form yet: that is most of the cost of a page's links)."""
    parts = urlsplit(href.strip())
    if parts.hostname not in _OTHER_EDITION_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    edition = segments[0] if segments and segments[0] in ("en", "ru") else "az"
    rest = segments[1:] if edition != "az" or segments[:1] == ["az"] else segments
    if edition == language or not (len(rest) == 2 or (len(rest) == 1 and rest[0].isdigit())):
        return None
    return edition


def other_edition_links(root: etree._Element, language: str, base: str) -> Iterator[tuple[str, str]]:
    """(edition, canonical URL) of links outside the chrome and the body text to an article (or a short
    link) of another edition than ``language``, in page order."""
    for href in other_edition_candidates(language)(root):
        if _other_edition_of(href, language) is None:
            continue
        try:
            url = canonical_url(href.strip(), base)
        except ValueError:
            continue
        if is_article_url(url) or SHORT_LINK_PATH.match(urlsplit(url).path):
            yield language_of(url), url
