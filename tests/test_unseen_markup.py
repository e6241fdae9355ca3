"""Hand-written report.az-style pages in markup the parser was not written against (fixtures/unseen).

Each page carries a field in a way the snapshot's pages do not: tags in another block, a figure with
its caption inside the body, a Russian credit naming ТАСС, the site's default share image as og:image,
media shown as icons or classes, category menus and the Latest News column without their known classes,
the older design's listing cards. The expectations beside each page were written by hand from the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from newscrawl.parsing import as_dict, category_links, parse_article, parse_cards, parse_sidebar

UNSEEN = Path(__file__).resolve().parents[1] / "fixtures" / "unseen"
CASES = sorted(UNSEEN.glob("*.expected.json"))
ARTICLES = [c for c in CASES if "expected" in json.loads(c.read_text(encoding="utf-8"))]
LISTINGS = [c for c in CASES if "cards" in json.loads(c.read_text(encoding="utf-8"))]


def load(case: Path) -> tuple[dict[str, Any], HtmlResponse]:
    spec = json.loads(case.read_text(encoding="utf-8"))
    page = case.with_name(case.name.replace(".expected.json", ".html"))
    return spec, HtmlResponse(url=spec["url"], body=page.read_bytes(), encoding="utf-8")


@pytest.mark.parametrize("case", ARTICLES, ids=[c.name.split(".")[0] for c in ARTICLES])
def test_unseen_article_page(case: Path) -> None:
    spec, response = load(case)
    article = as_dict(parse_article(response))
    assert {name: article[name] for name in spec["expected"]} == spec["expected"]


@pytest.mark.parametrize("case", LISTINGS, ids=[c.name.split(".")[0] for c in LISTINGS])
def test_unseen_listing_page(case: Path) -> None:
    spec, response = load(case)
    cards = [as_dict(entry) for entry in parse_cards(response, listing="home")]
    assert [
        {name: card[name] for name in want} for card, want in zip(cards, spec["cards"], strict=False)
    ] == spec["cards"]
    assert len(cards) == len(spec["cards"])
    sidebar = [as_dict(entry) for entry in parse_sidebar(response)]
    assert [
        {name: item[name] for name in want} for item, want in zip(sidebar, spec["sidebar"], strict=False)
    ] == spec["sidebar"]
    assert len(sidebar) == len(spec["sidebar"])
    if "categories" in spec:
        assert category_links(response) == spec["categories"]


def test_the_default_share_image_is_never_the_articles_image() -> None:
    for case in ARTICLES:
        _, response = load(case)
        image = parse_article(response).image_url
        assert image is None or "/photo/" in image


def test_a_menu_without_menu_markup_is_found_by_what_it_links_to() -> None:
    menu = (
        '<ul class="x"><li><a href="/diger-olkeler">A</a></li><li><a href="/komanda">B</a></li>'
        '<li><a href="/hadise">C</a></li><li><a href="/yeni-bolme">D</a></li></ul>'
    )
    lone = '<div class="s"><a href="/ikt">İKT</a></div>'
    page = f"<html><body><div>{menu}</div>{lone}</body></html>".encode()
    links = category_links(HtmlResponse(url="https://report.az/", body=page, encoding="utf-8"))
    assert list(links) == ["diger-olkeler", "komanda", "hadise", "yeni-bolme"]
    only_lone = f"<html><body>{lone}</body></html>".encode()
    assert category_links(HtmlResponse(url="https://report.az/", body=only_lone, encoding="utf-8")) == {}
