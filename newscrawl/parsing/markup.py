"""What every page kind reads alike: selectors compiled once, an element's visible text, image URLs, the
site chrome, and the way a field's named sources are tried in order.

The parsers walk lxml elements directly: wrapping every node in a parsel ``Selector`` was most of the
parse time on pages of the live site's weight.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from itemloaders import ItemLoader
from lxml import etree, html
from parsel.csstranslator import HTMLTranslator
from scrapy.http import TextResponse

from newscrawl.items import Article, FeedEntry
from newscrawl.loaders import clean_text
from newscrawl.site import is_site_image

# Site chrome: links and paragraphs inside are never article content.
CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template"})
EXSLT = {"re": "http://exslt.org/regular-expressions"}

_TRANSLATOR = HTMLTranslator()
T = TypeVar("T")
# A field's sources: (name, reader) pairs tried in order; a finder's likewise.
Sources = Sequence[tuple[str, Callable[[T], list[Any]]]]


_TREES: WeakKeyDictionary[TextResponse, etree._Element] = WeakKeyDictionary()


def tree_of(response: TextResponse, *, remember: bool = True) -> etree._Element:
    """The page's element tree, parsed once per response (``remember=False``: for a caller that reads a
    page once, as ``parse_article`` does, and need not keep it for the next).

    A UTF-8 page is parsed from its bytes with the parser and options parsel uses, without a round trip
    through text: decoding, stripping and encoding again cost as much as the parse on a page of the live
    site's weight. The tree is the one ``response.selector`` builds from the text whenever both read the
    same characters, which is asked for: no BOM, no NUL, markup at both ends (nothing for either to
    strip), and no byte that is not UTF-8. Any other page goes through ``response.selector``.
    """
    tree = _TREES.get(response)
    if tree is None:
        tree = _tree_of_bytes(response)
        if tree is None:
            tree = response.selector.root
        if remember:
            _TREES[response] = tree
    return tree


_UTF8_ERRORS = frozenset({etree.ErrorTypes.ERR_INVALID_CHAR, etree.ErrorTypes.ERR_INVALID_ENCODING})


def _tree_of_bytes(response: TextResponse) -> etree._Element | None:
    body = response.body
    if body[:1] != b"<" or body[-1:] != b">":
        # ASCII white space stripped as parsel strips it; markup must remain at both ends (parsel strips
        # the text, which would also strip other Unicode spaces there).
        body = body.strip()
        if body[:1] != b"<" or body[-1:] != b">":
            return None
    if codecs.lookup(response.encoding).name != "utf-8":
        return None
    if b"\x00" in body:
        return None
    parser = html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    try:
        root: etree._Element | None = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or any(error.type in _UTF8_ERRORS for error in parser.error_log):
        return None
    return root


@cache
def xpath(query: str) -> etree.XPath:
    """An XPath compiled once, answering plain strings (lxml's "smart" strings cost a back-reference each)."""
    return etree.XPath(query, namespaces=EXSLT, smart_strings=False)


@cache
def css(query: str) -> etree.XPath:
    """A CSS selector (with parsel's ``::attr(name)`` and ``::text``) compiled once into an XPath.

    >>> from lxml import html
    >>> css("a.x::attr(href)")(html.fromstring('<p><a class="x y" href="/a">A</a><a href="/b">B</a></p>'))
    ['/a']
    """
    return xpath(_TRANSLATOR.css_to_xpath(query))


def select(element: etree._Element, query: str) -> list[Any]:
    """The elements or strings a CSS selector finds under ``element``, in document order."""
    found: list[Any] = css(query)(element)
    return found


def strings_of(element: etree._Element, query: str) -> list[str]:
    """The attribute values or texts a CSS selector ending in ``::attr(...)``/``::text`` finds."""
    return [str(value) for value in select(element, query)]


def texts(element: etree._Element, query: str) -> list[str]:
    """The visible text of every element a CSS selector finds."""
    return [text_of(node) for node in select(element, query)]


def text_of(element: etree._Element) -> str:
    """The visible text of an element: inline tags joined without spaces, ``<br>`` as a space.

    >>> from lxml import html
    >>> text_of(html.fromstring("<p>S.&nbsp;Korean <b>min</b>isters<br>head<script>x()</script></p>"))
    'S. Korean ministers head'
    """
    if not isinstance(element, etree._Element):
        return ""
    if not len(element) and isinstance(element.tag, str):  # a leaf element: its own text alone
        return "" if element.tag in HIDDEN_TAGS or element.tag == "br" else clean_text(element.text or "")
    parts: list[str] = []
    _visible_text(element, parts)
    return clean_text("".join(parts))


def _visible_text(element: etree._Element, parts: list[str]) -> None:
    # Without recursion: a hostile page may nest tags ten thousand deep.
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


def strings(*values: Any) -> list[str]:
    """The values that are strings: JSON-LD may hold anything where a string is expected."""
    return [value for value in values if isinstance(value, str)]


def image_src(images: Iterable[etree._Element], *, every: bool = False) -> list[str]:
    """Real image URLs of ``img`` elements: ``data-src`` first (lazy loading puts a placeholder in src)."""
    urls = []
    for image in images:
        for name in ("data-src", "data-original", "src"):
            value = (image.get(name) or "").strip()
            if value and not value.startswith("data:"):
                urls.append(value)
                break
        if urls and not every:
            break
    return urls


def article_images(urls: Iterable[str]) -> list[str]:
    """Image URLs without the site's own (default share image, logo)."""
    return [url for url in urls if not is_site_image(url)]


def in_chrome(element: etree._Element) -> bool:
    return any(ancestor.tag in CHROME_TAGS for ancestor in element.iterancestors())


def add_first(loader: ItemLoader, field: str, page: T, sources: Sources[T]) -> str | None:
    """Adds the values of the first source whose values survive the field's input processors; a blank
    string is no value (an element whose text the HTML parser lost must not hide the next source)."""
    for name, source in sources:
        values = [v for v in source(page) if not (isinstance(v, str) and not v.strip())]
        if not values:
            continue  # an empty list adds nothing: skip the loader's processing of it
        loader.add_value(field, values)
        if loader.get_collected_values(field):
            return name
    return None


def first_found(page: T, finders: Sources[T]) -> list[Any]:
    """What the first finder that finds anything finds (a page's cards, its Latest News column)."""
    for _, find in finders:
        found = find(page)
        if found:
            return found
    return []


def as_dict(item: Article | FeedEntry) -> dict[str, Any]:
    """Every field of an item, absent ones as None: the golden-file form."""
    return dict(ItemAdapter(item).items())
