"""JSON-LD as news pages embed it: decoded forgivingly, nodes of lists and ``@graph`` flattened, and the
few shapes a value may take (a string, an object with ``@id`` or ``url``, a list of either) read alike.

>>> script = '{"@graph": [{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Desk"}}]}'
>>> [types(node) for node in nodes([script, "not json"])]
[set(), {'NewsArticle'}]
>>> authors(next(n for n in nodes([script]) if "NewsArticle" in types(n))["author"])
['Desk']
>>> images(["https://a/1.jpg", {"url": "https://a/2.jpg"}, 3])
['https://a/1.jpg', 'https://a/2.jpg']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle"})


def article_and_breadcrumb(scripts: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's first article node, and the first item of its first BreadcrumbList (its category)."""
    found = list(nodes(scripts))
    article = next((n for n in found if types(n) & ARTICLE_TYPES), {})
    crumbs = next((n for n in found if "BreadcrumbList" in types(n)), {})
    elements = [e for e in as_list(crumbs.get("itemListElement")) if isinstance(e, dict)]
    elements.sort(key=position)
    return article, (elements[0] if elements else {})


def nodes(scripts: list[str]) -> Iterator[dict[str, Any]]:
    for script in scripts:
        try:
            data = json.loads(script, strict=False)  # strict=False: raw newlines inside strings occur
        except ValueError:
            continue
        for node in as_list(data):
            if isinstance(node, dict):
                yield node
                yield from (n for n in as_list(node.get("@graph")) if isinstance(n, dict))


def position(node: dict[str, Any]) -> int:
    position = node.get("position")
    return position if isinstance(position, int) else 0


def types(node: dict[str, Any]) -> set[str]:
    return {t for t in as_list(node.get("@type")) if isinstance(t, str)}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reference(value: Any) -> str | None:
    """A JSON-LD reference: a URL string or an object with ``@id``/``url``."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value if isinstance(value, str) else None


def authors(value: Any) -> list[str]:
    names = [a.get("name") if isinstance(a, dict) else a for a in as_list(value)]
    return [name for name in names if isinstance(name, str)]


def images(value: Any) -> list[str]:
    return [url for url in map(reference, as_list(value)) if url]
