"""The parser's own parse of a page's bytes gives the tree parsel builds from the page's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from scrapy.http import HtmlResponse

from newscrawl.parsing.markup import _tree_of_bytes, tree_of
from newscrawl.replay import EXTENSION_TYPES, iter_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _response(url: str, body: bytes, content_type: str = EXTENSION_TYPES[".html"]) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize("snapshot", ["snapshot", "snapshot-next"])
def test_every_snapshot_page_parses_to_the_tree_of_its_text(snapshot: str) -> None:
    pages = [(url, path) for url, path in iter_snapshot(FIXTURES / snapshot) if path.suffix == ".html"]
    assert pages
    for url, path in pages:
        ours, parsel = _response(url, path.read_bytes()), _response(url, path.read_bytes())
        if path.read_bytes().strip():
            assert _tree_of_bytes(ours) is not None, url  # read from its bytes, not through parsel
        assert etree.tostring(tree_of(ours)) == etree.tostring(parsel.selector.root), url


@pytest.mark.parametrize(
    "body",
    [
        b"\xc2\xa0<html><body><p>NBSP before the markup</p></body></html>",  # str.strip() drops it
        b"<html><body><p>a\x00b</p></body></html>",  # NUL
        b"\xef\xbb\xbf<html><body><p>BOM</p></body></html>",
        b"<html><body><p>caf\xe9 in Latin-1 bytes</p></body></html>",  # not UTF-8
        b"plain text",
        b"",
        # white space around the markup
        b"\n  <!DOCTYPE html>\n<html><body><p>white space around</p></body></html>\n\n",
        b"\t<html><body><p>x</p></body></html>\r\n <!-- a comment after -->\n",
        b"<p>a fragment</p>   \n",
    ],
)
def test_odd_pages_parse_to_the_tree_of_their_text(body: bytes) -> None:
    url = "https://report.az/en/finance/x"
    ours, parsel = _response(url, body), _response(url, body)
    assert etree.tostring(tree_of(ours)) == etree.tostring(parsel.selector.root)


def test_a_response_is_parsed_once() -> None:
    response = _response("https://report.az/", b"<html><body><a href='/en/'>x</a></body></html>")
    assert tree_of(response) is tree_of(response)
