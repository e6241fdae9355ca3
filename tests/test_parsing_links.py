"""The cheap look at a page's source that spares the exact look at its links for other editions, and the
cheap path of canonical_url for plain URLs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from lxml import html
from w3lib.url import safe_url_string

from newscrawl.parsing.links import may_link_other_editions, other_edition_links
from newscrawl.replay import iter_snapshot
from newscrawl.site import canonical_url, language_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _may(language: str, source: bytes) -> bool:
    return may_link_other_editions(source, source.lower(), language)


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [
        ("en", b'<a href="/en/finance/x">', False),  # its own edition
        ("en", b'<a href="https://report.az/en/1234">', False),
        ("en", b'<a href="/finance/x">', True),  # an az article
        ("en", b'<a HREF="/finance/x">', True),  # capitals
        ("en", b'<a href="/EN/finance/x">', True),  # "EN" is no edition prefix: an az path
        ("en", b'<a href="/ru/1234">', True),  # a short link
        ("az", b'<a href="/maliyye/x"><a href="/en/">', False),
        ("az", b'<a href="/ru/biznes/x">', True),
        ("az", b"<a href='//report.az/en/finance/x'>", True),
        ("ru", b'<a href="/ru/x/y" title="/x/y">', False),
        ("ru", b'<a href="/x/y&amp;z">', True),  # an entity: only the parsed page can tell
        ("ru", b'<a href="/x/y', True),  # unclosed quote
    ],
)
def test_the_source_look_keeps_every_link_of_another_edition(
    language: str, source: bytes, expected: bool
) -> None:
    assert _may(language, source) is expected


def test_no_source_or_a_nul_is_never_ruled_out() -> None:
    assert may_link_other_editions(None, None, "en") is True


@pytest.mark.parametrize("snapshot", ["snapshot", "snapshot-next", "unseen"])
def test_a_page_ruled_out_by_its_source_has_no_link_to_another_edition(snapshot: str) -> None:
    checked = ruled_out = 0
    pages = (
        [(f"https://report.az/{p.stem}", p) for p in (FIXTURES / "unseen").glob("*.html")]
        if snapshot == "unseen"
        else iter_snapshot(FIXTURES / snapshot)
    )
    for url, path in pages:
        if path.suffix != ".html" or not path.read_bytes().strip():
            continue
        body = path.read_bytes()
        language = language_of(url)
        links = list(other_edition_links(html.fromstring(body), language, url))
        may = _may(language, body)
        assert may or not links, url
        checked += 1
        ruled_out += not may
    assert checked and ruled_out  # the look rules pages out, and never one with such a link


@pytest.mark.parametrize(
    "url",
    [
        "https://report.az/en/x/?utm=1#top",  # the shortcut: plain path, query and fragment dropped
        "http://www.report.az/az/x",
        "https://report.az?x",
        "https://report.az/en/amp/x.",
        "https://report.az/en/../x",  # the general path: dot segments, capitals, escapes, spaces
        "https://report.az/en/./x/",
        "https://REPORT.az/en/x",
        "https://report.az/en/x y",
        "https://report.az/en/x%2F",
        "https://report.az/x?a b\\c",
        "https://static.report.az/photo/a_850.jpg",  # other hosts: kept as they are, or made safe
        "https://static.report.az/photo/a_850.jpg?v=1",
        "https://static.report.az/photo/a 850.jpg",
        "https://127.0.0.1/x",
    ],
)
def test_canonical_url_shortcut_agrees_with_safe_url_string(url: str) -> None:
    parts = urlsplit(safe_url_string(url))
    if parts.hostname not in ("report.az", "www.report.az"):
        assert canonical_url(url) == urlunsplit(parts)
        return
    path = parts.path or "/"
    for alias, replacement in (("/az/", "/"), ("/en/amp/", "/en/"), ("/ru/amp/", "/ru/")):
        if path.startswith(alias):
            path = replacement + path[len(alias) :]
            break
    expected = "https://report.az" + (path.rstrip("/") or "/")
    assert canonical_url(url) == expected
