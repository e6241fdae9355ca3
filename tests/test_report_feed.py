"""Each callback of the report_feed spider on the snapshot's pages, against their golden JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from w3lib.url import url_query_cleaner

from newscrawl.items import Article, FeedEntry
from newscrawl.ledger import Ledger
from newscrawl.parsing import as_dict
from newscrawl.replay import find_file, iter_snapshot, split_extension
from newscrawl.site import SITE, canonical_url, is_article_url, language_of, listing_for
from newscrawl.spiders.report_feed import ReportFeedSpider

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
EXPECTED = ROOT / "fixtures" / "expected" / "snapshot"
MISSING = set(json.loads((SNAPSHOT / "SNAPSHOT.json").read_text(encoding="utf-8"))["missing"])
PAGES = [(url, path) for url, path in iter_snapshot(SNAPSHOT) if path.suffix == ".html"]


def golden(path: Path) -> Any:
    stem, _ = split_extension(path.relative_to(SNAPSHOT).as_posix())
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


def without_times(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in ("seen_at", "fetched_at")}


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[ReportFeedSpider]:
    settings = {"NEWSCRAWL_SQLITE": str(tmp_path / "store.sqlite3"), "EXTENSIONS": {Ledger: 0}}
    crawler = get_crawler(ReportFeedSpider, settings)
    spider = ReportFeedSpider.from_crawler(crawler, since="2000-01-01")
    list(spider.first_requests())  # begins the run in the store
    yield spider
    spider.ledger.close()


def response_for(url: str, path: Path) -> HtmlResponse:
    return HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")


def assert_in_snapshot(url: str) -> None:
    assert find_file(SNAPSHOT, url) is not None or canonical_url(url) in MISSING, url


def split(results: Any) -> tuple[list[FeedEntry], list[Request], list[Article]]:
    outputs = list(results)
    return (
        [o for o in outputs if isinstance(o, FeedEntry)],
        [o for o in outputs if isinstance(o, Request)],
        [o for o in outputs if isinstance(o, Article)],
    )


HOMES = [(url, path) for url, path in PAGES if listing_for(url) == "home"]
LISTINGS = [(url, path) for url, path in PAGES if (listing_for(url) or "home") != "home"]
ARTICLES = [(url, path) for url, path in PAGES if is_article_url(url)]


@pytest.mark.parametrize(("url", "path"), HOMES, ids=[u for u, _ in HOMES])
def test_parse_home(spider: ReportFeedSpider, url: str, path: Path) -> None:
    lang = language_of(url)
    entries, requests, _ = split(spider.parse_home(response_for(url, path), lang))
    assert [without_times(as_dict(e)) for e in entries] == [without_times(e) for e in golden(path)]
    listings = {r.cb_kwargs["listing"]: r.url for r in requests if r.callback == spider.parse_listing}
    assert listings["feed"] == SITE[lang].feed_url
    assert {k for k in listings if k.startswith("category:")} == {
        f"category:{c.slug}" for c in SITE[lang].categories
    }
    for request in requests:
        assert_in_snapshot(request.url)


@pytest.mark.parametrize(("url", "path"), LISTINGS, ids=[u for u, _ in LISTINGS])
def test_parse_listing(spider: ReportFeedSpider, url: str, path: Path) -> None:
    listing = listing_for(url)
    assert listing is not None
    is_batch = "/infinity/" in url
    data_url = url_query_cleaner(url, ("date", "oldest"), remove=True) if is_batch else None
    entries, requests, _ = split(
        spider.parse_listing(
            response_for(url, path), language_of(url), listing, page=2 if is_batch else 1, data_url=data_url
        )
    )
    cards = [without_times(e) for e in golden(path) if e["listing"] != "sidebar"]
    assert [without_times(as_dict(e)) for e in entries] == cards
    articles = [r for r in requests if r.callback == spider.parse_article]
    assert [canonical_url(r.url) for r in articles] == [card["url"] for card in cards]
    batches = [r for r in requests if r.callback == spider.parse_listing]
    # A page with cards asks for the next batch; an empty batch ends the listing.
    assert len(batches) == (1 if cards else 0)
    for request in requests:
        assert_in_snapshot(request.url)


@pytest.mark.parametrize(("url", "path"), ARTICLES, ids=[u for u, _ in ARTICLES])
def test_parse_article(spider: ReportFeedSpider, url: str, path: Path) -> None:
    _, requests, articles = split(spider.parse_article(response_for(url, path), language_of(url)))
    assert requests == []
    assert [without_times(as_dict(a)) for a in articles] == [without_times(golden(path))]
