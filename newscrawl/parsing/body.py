"""An article's body: its container from ``BODY_SOURCES`` (class names, then text density), the paragraphs
inside it that are article text, and what the body gives besides (lead, word count, credit, images,
video). JSON-LD ``articleBody`` when no container holds text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.loaders import ArticleLoader, first_paragraph, word_count
from newscrawl.parsing.markup import CHROME_TAGS, article_images, image_src, text_of, xpath
from newscrawl.parsing.page import Page
from newscrawl.site import canonical_url, is_article_url

BODY = ".news-detail__desc"
OLD_BODY = "div.editor-body"  # the older design (2021-2024)
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
INLINE_IMAGES = ".//img[not(ancestor::blockquote)]"
VIDEO = ".//iframe | .//video"
# Share of the article text a block must hold to be taken as the body when no class name says so.
BODY_TEXT_SHARE = 0.9


def _container(page: Page) -> list[etree._Element]:
    return page.select(BODY)


def _old_container(page: Page) -> list[etree._Element]:
    return page.select(OLD_BODY)


def _text_density(page: Page) -> list[etree._Element]:
    """The smallest block that holds nearly all paragraph text outside the site chrome.

    Used when no class name finds the body: it survives renamed classes, extra wrappers and moved
    blocks. From the root it descends into a child holding at least ``BODY_TEXT_SHARE`` of the text,
    unless that child is a wrapper of a single paragraph (the body's images and video sit beside it).
    """
    root = page.root
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
    return [node]


BODY_SOURCES: tuple[tuple[str, Callable[[Page], list[Any]]], ...] = (
    ("container", _container),
    ("old_container", _old_container),
    ("text_density", _text_density),
)
# The sources that read a container of the page (its images are then known), not JSON-LD's text.
CONTAINER_SOURCES = frozenset(name for name, _ in BODY_SOURCES)


def add_body(loader: ArticleLoader, page: Page) -> str | None:
    """Adds body, lead, word_count, source_agency_text, images, has_video; the body's source."""
    containers: list[etree._Element] = []
    lines: list[str] = []
    source = None
    base = page.response.url
    # Each layer's lines go to the loader, whose input processor keeps the article paragraphs among them:
    # the first layer that has any is the body.
    for name, find in BODY_SOURCES:
        containers = find(page)
        lines = [text_of(p) for container in containers for p in _text_paragraphs(container, base)]
        loader.add_value("body", lines)
        if loader.get_collected_values("body"):
            source = name
            break
    article_body = page.ld_article.get("articleBody")
    if source is None and isinstance(article_body, str):
        lines = article_body.split("\n")
        loader.add_value("body", lines)
        containers = []
        source = "json_ld_article_body" if loader.get_collected_values("body") else None
    if source is None:
        return None
    paragraphs: list[str] = loader.get_collected_values("body")
    body = "\n\n".join(paragraphs)
    loader.add_value("lead", first_paragraph(body))
    loader.add_value("word_count", word_count(body))
    # Credit lines first, then "Source: ..." lines, which are not body text but still name the agency.
    # The first line that credits anyone is the answer: the lines after it are not read.
    credits = [*paragraphs, *lines, *([article_body] if isinstance(article_body, str) else [])]
    for line in credits:
        loader.add_value("source_agency_text", line)
        if loader.get_collected_values("source_agency_text"):
            break
    for container in containers:
        images = image_src(xpath(INLINE_IMAGES)(container), every=True)
        loader.add_value("images", article_images(images))
        loader.add_value("has_video", bool(xpath(VIDEO)(container)))
    return source


def _text_paragraphs(container: etree._Element, base_url: str) -> Iterator[etree._Element]:
    """The ``p`` of a body that are article text: not in an embed, a caption, a list of stories, the
    tags block or a promo block, and not a bare link to another story ("read also" without a label)."""
    for paragraph in container.iter("p"):
        if paragraph is container or any(_not_text(node) for node in _up_to(paragraph, container)):
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


def _is_story_link_only(paragraph: etree._Element, base_url: str) -> bool:
    links = [a for a in paragraph.iter("a") if a.get("href") is not None]
    if len(links) != 1:
        return False
    href = links[0].get("href") or ""
    try:
        url = canonical_url(href.strip(), base_url)
    except ValueError:
        return False
    own = urlsplit(url).hostname == "report.az" and is_article_url(url)
    return own and text_of(links[0]) == text_of(paragraph)
