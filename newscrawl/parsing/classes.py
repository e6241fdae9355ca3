"""Class selectors answered from one look at an element's classes: ``ClassIndex``.

The article's fields are read with about eight CSS selectors of the form ``tag.class .class tag`` inside
the article element. Each one compiled to XPath walks the whole article and tests every element's class
attribute; the index reads the elements that have a class once, and answers every selector of that
form from them, with the same elements in the same order as the XPath (``markup.css``). A selector of
any other form is answered by the XPath.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml import etree

from newscrawl.parsing.markup import select

# One compound of a selector: a tag and/or classes ("h1.section-title", ".news__date", "ul.x.y", "li").
_COMPOUND = re.compile(r"(?P<tag>[a-z][a-z0-9]*)?(?P<classes>(?:\.[A-Za-z_-][\w-]*)*)\Z")
_ATTRIBUTE = re.compile(r"(?P<selector>.+)::attr\((?P<name>[A-Za-z_][\w:.-]*)\)\Z")
# normalize-space() splits on XML white space only: a class attribute is split the same way.
_XML_SPACE = re.compile("[ \t\r\n]+")
_WITH_CLASS = etree.XPath("descendant-or-self::*[@class]")

Compound = tuple[str | None, tuple[str, ...]]


@cache
def _plan(query: str) -> tuple[tuple[Compound, ...], str | None] | None:
    """The compounds of a selector made only of descendant combinators, the first naming a class and
    only the last allowed none, and the attribute it ends in; None for any other selector.

    >>> _plan(".news-detail__head ul.news__date li")
    (((None, ('news-detail__head',)), ('ul', ('news__date',)), ('li', ())), None)
    >>> _plan(".copy-url::attr(data-url)"), _plan("a[hreflang]"), _plan("li .x"), _plan(".a > b")
    ((((None, ('copy-url',)),), 'data-url'), None, None, None)
    """
    attribute = None
    matched = _ATTRIBUTE.match(query)
    if matched is not None:
        query, attribute = matched.group("selector"), matched.group("name")
    compounds: list[Compound] = []
    for part in query.split(" "):
        compound = _COMPOUND.match(part)
        if not part or compound is None:
            return None
        classes = tuple(compound.group("classes").split(".")[1:])
        compounds.append((compound.group("tag"), classes))
    if not compounds[0][1] or any(not classes for _, classes in compounds[:-1]):
        return None
    return tuple(compounds), attribute


class ClassIndex:
    """The elements under ``scope`` (itself included) by each class they have, in document order."""

    def __init__(self, scope: etree._Element) -> None:
        self.scope = scope
        self.elements: dict[str, list[etree._Element]] = {}
        self.classes: dict[etree._Element, frozenset[str]] = {}
        for element in _WITH_CLASS(scope):
            tokens = frozenset(_XML_SPACE.split(element.get("class"))) - {""}
            self.classes[element] = tokens
            for token in tokens:
                self.elements.setdefault(token, []).append(element)

    def select(self, query: str) -> list[Any]:
        """What ``markup.select(scope, query)`` finds."""
        plan = _plan(query)
        if plan is None:
            return select(self.scope, query)
        compounds, attribute = plan
        found: list[etree._Element] = []
        for position, (tag, classes) in enumerate(compounds):
            if classes:
                above = set(found)
                found = [
                    element
                    for element in self.elements.get(classes[0], [])
                    if (tag is None or element.tag == tag)
                    and self.classes[element].issuperset(classes)
                    and (position == 0 or self._below_any(element, above))
                ]
            else:  # the last compound, a tag alone: its elements below any element found so far
                found = self._descendants(found, tag or "*")
            if not found:
                return []
        if attribute is None:
            return found
        return [value for element in found if (value := element.get(attribute)) is not None]

    def _below_any(self, element: etree._Element, above: set[etree._Element]) -> bool:
        node = element.getparent()
        while node is not None:
            if node in above:
                return True
            if node is self.scope:
                return False
            node = node.getparent()
        return False

    @staticmethod
    def _descendants(above: list[etree._Element], tag: str) -> list[etree._Element]:
        """Elements of ``tag`` below any of ``above`` (document order), each once: an element below two
        of them is below the first, whose walk meets it in order."""
        if len(above) == 1:
            return list(above[0].iterdescendants(tag))
        seen: set[etree._Element] = set()
        found = []
        for element in above:
            if element in seen:
                continue
            for below in element.iterdescendants(tag):
                if below not in seen:
                    seen.add(below)
                    found.append(below)
        return found
