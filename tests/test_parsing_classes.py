"""The article's class index answers every selector as its XPath does: the same elements, in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree, html

from fixtures.generator.mutate import mutate_page
from newscrawl.parsing import article, body, cards, markup, navigation, sidebar
from newscrawl.parsing.classes import ClassIndex, _plan
from newscrawl.replay import iter_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Selectors of other shapes than the parsers': deeper chains, a tag between classes, attributes.
EXTRA = (
    ".news-detail__desc p",
    ".news-detail .news__category",
    ".news-detail__head li",
    "ul.news__date li",
    ".tags a::attr(href)",
    "h1.section-title::attr(class)",
    "div.news-detail__desc",
    ".news-detail__desc div p",
    "article .tags",
    ".a.b",
)


def _selectors() -> list[str]:
    found = set(EXTRA)
    for module in (article, body, cards, sidebar, navigation, markup):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and re.match(r"[a-z.]", value):
                try:
                    markup.css(value)
                except Exception:  # an XPath, a meta name: not a CSS selector
                    continue
                found.add(value)
    return sorted(found)


def _pages() -> list[tuple[str, str]]:
    pages = [
        (url, path.read_text(encoding="utf-8"))
        for url, path in iter_snapshot(FIXTURES / "snapshot")
        if path.suffix == ".html"
    ]
    pages += [
        (f"https://report.az/{p.stem}", p.read_text(encoding="utf-8"))
        for p in (FIXTURES / "unseen").glob("*.html")
    ]
    return pages


def test_the_parsers_class_selectors_are_answered_by_the_index() -> None:
    assert all(
        _plan(query) is not None for query in (article.TITLE, article.DATE_PARTS, article.COPY_URL, body.BODY)
    )


@pytest.mark.parametrize("mutated", [False, True], ids=["as served", "mutated"])
def test_class_index_finds_what_the_xpath_finds(mutated: bool) -> None:
    selectors = _selectors()
    checked = 0
    for url, text in _pages():
        page = mutate_page(text, "1", url)[0] if mutated else text
        root = etree.fromstring(page.encode("utf-8"), parser=html.HTMLParser(recover=True, encoding="utf-8"))
        if root is None:
            continue
        for scope in [root, *root.iter("article"), *root.iter("main")]:
            index = ClassIndex(scope)
            for query in selectors:
                assert index.select(query) == markup.select(scope, query), (url, query, scope.tag)
                checked += 1
    assert checked > 1000
