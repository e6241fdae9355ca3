"""An article page as the article parsers read it: its tree, the article element around its headline
(where class selectors look first, answered from one index of its classes: ``classes.py``), its
``<head>`` read in one pass, its bytes for cheap scans.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from newscrawl import jsonld
from newscrawl.parsing.classes import ClassIndex
from newscrawl.parsing.markup import select, text_of, tree_of
from newscrawl.site import language_of

JSON_LD = "application/ld+json"  # <script type=...>


class Page:
    """One article page: its tree, the article around its headline, its head read once, its edition."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.root: etree._Element = tree_of(response, remember=False)
        self.source = _ascii_source(response)
        self.lowered = self.source.lower() if self.source is not None else None
        self.language = language_of(response.url)
        self.url: str | None = None
        self.has_title = False
        headline = next(self.root.iter("h1"), None)
        article = next(headline.iterancestors("article"), None) if headline is not None else None
        self.article = article if article is not None else self.root
        self._selected: dict[str, list[Any]] = {}
        self._classes: ClassIndex | None = None  # the article's, once a selector asks
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, list[etree._Element]] = {}
        scripts: list[str] = []
        for element in self.root.iter("meta", "link", "script"):
            if element.tag == "meta":
                content = element.get("content")
                if content is None:
                    continue
                for key in {element.get("property"), element.get("name")}:
                    if key is not None:
                        self.meta.setdefault(key, []).append(content)
            elif element.tag == "link":
                self.links.setdefault(element.get("rel") or "", []).append(element)
            elif element.get("type") == JSON_LD and element.text:
                scripts.append(element.text)
        self.ld_article, self.ld_breadcrumb = jsonld.article_and_breadcrumb(scripts)

    def select(self, query: str) -> list[Any]:
        """What a selector finds in the article, else in the whole page (asked once per page and query:
        fields read from the same elements ask again)."""
        found = self._selected.get(query)
        if found is None:
            if self.article is self.root:
                found = select(self.root, query)
            else:
                if self._classes is None:
                    self._classes = ClassIndex(self.article)
                found = self._classes.select(query) or select(self.root, query)
            self._selected[query] = found
        return found

    def texts(self, query: str) -> list[str]:
        return [text_of(node) for node in self.select(query)]

    def may_have(self, word: bytes) -> bool:
        """False only when the page's source lacks an ASCII word (in any case): what it names is absent."""
        return self.lowered is None or word in self.lowered

    def head(self, key: str) -> list[str]:
        """``content`` of every ``<meta>`` whose property or name is ``key``, in page order."""
        return self.meta.get(key, [])

    def link_hrefs(self, rel: str) -> list[str]:
        return [href for link in self.links.get(rel, []) if (href := link.get("href")) is not None]


def _ascii_source(response: TextResponse) -> bytes | None:
    """The page's bytes when its encoding writes ASCII as ASCII (so a word of markup is found as bytes)."""
    try:
        ascii_compatible = "<a href>".encode(response.encoding) == b"<a href>"
    except (LookupError, UnicodeError):
        ascii_compatible = False
    # The parser drops NUL characters: a source holding any is not what it read.
    return response.body if ascii_compatible and b"\x00" not in response.body else None
