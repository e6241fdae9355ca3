"""Malformed pages and cards, as a broken or hostile site could send them: each one goes through the
spider's callbacks and the pipelines without an exception, raises the counter that names what was lost,
and keeps the fields that survive."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from newscrawl.items import Article, FeedEntry
from newscrawl.ledger import Ledger
from newscrawl.pipelines import DedupePipeline, StorePipeline, ValidatePipeline
from newscrawl.spiders.report_feed import ReportFeedSpider

ROOT = Path(__file__).resolve().parents[1]
SEED_URL = (
    "https://report.az/en/other-countries/s-korean-ministers-head-to-washington-to-discuss-bilateral-trade"
)
SEED = (
    (ROOT / "fixtures" / "snapshot" / "report.az" / "en" / "other-countries")
    .joinpath("s-korean-ministers-head-to-washington-to-discuss-bilateral-trade.html")
    .read_text(encoding="utf-8")
)
RU_URL = "https://report.az/ru/drugie-strany/ministr-torgovli-yuzhnoy-korei-pribyl-v-vashington-dlya-obsuzhdeniya-torgovyh-poshlin"
RU = (
    (ROOT / "fixtures" / "snapshot" / "report.az" / "ru" / "drugie-strany")
    .joinpath("ministr-torgovli-yuzhnoy-korei-pribyl-v-vashington-dlya-obsuzhdeniya-torgovyh-poshlin.html")
    .read_text(encoding="utf-8")
)
TITLE = "S. Korean ministers head to Washington to discuss bilateral trade"
LISTING_URL = "https://report.az/en/finance"
CARD = """<div class="index-post-block" data-timestamp="{stamp}">
  <a class="news__item" href="{href}"><h2 class="news__title">{title}</h2>
  <span class="news__category">Finance</span>
  <ul class="news__date"><li>29 January, 2026</li><li>20:45</li></ul></a>
</div>"""
GOOD_CARD = {"stamp": "2026-01-29 20:45:00", "href": "/en/finance/a-story", "title": "A story"}


def page(*cards: dict[str, str]) -> str:
    blocks = "".join(CARD.format(**{**GOOD_CARD, **card}) for card in cards)
    container = '<div class="loadContainer" data-url="/en/infinity/category?slug=finance">'
    return f"<html><body>{container}{blocks}</div></body></html>"


def seed(old: str, new: str, count: int = 1) -> str:
    assert old in SEED, old
    return SEED.replace(old, new, count)


def without_jsonld(html: str) -> str:
    return re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)


def without_head_facts(html: str) -> str:
    html = without_jsonld(html)
    return re.sub(r'<meta property="(?:og:title|article:published_time)"[^>]*>', "", html)


@dataclass
class Case:
    name: str
    callback: str  # parse_article, parse_listing, parse_home
    body: bytes | str
    counter: str | None  # a stat that must be raised (None: nothing is lost, so nothing to count)
    survives: dict[str, Any] = field(default_factory=dict)  # field -> value (or predicate) of the item
    url: str = SEED_URL
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


DEEP = "<span>" * 10_000 + "deep" + "</span>" * 10_000
CASES = [
    # -- article pages --------------------------------------------------------------------------
    Case(
        "title of 10k characters",
        "parse_article",
        seed(f'<h1 class="section-title">{TITLE}', '<h1 class="section-title">' + "T" * 10_000),
        None,
        {"title": lambda v: v.startswith("TTT") and len(v) == 10_000},
    ),
    Case(
        "no title anywhere",
        "parse_article",
        without_head_facts(seed(f'<h1 class="section-title">{TITLE}</h1>', "")).replace(TITLE, "x"),
        "newscrawl/dropped/missing_title",
    ),
    Case(
        "no body",
        "parse_article",
        without_jsonld(
            re.sub(
                r'<div class="news-detail__desc">.*?<div class="tags">',
                '<div class="news-detail__desc"><div class="tags">',
                SEED,
                flags=re.S,
            )
        ),
        "newscrawl/dropped/missing_body",
    ),
    Case(
        "impossible visible date, no machine date",
        "parse_article",
        without_head_facts(seed("29 January, 2026", "31 February, 2026")),
        "newscrawl/dropped/missing_published_at",
    ),
    Case(
        "broken JSON-LD",
        "parse_article",
        seed('"@type": "NewsArticle"', '"@type": "NewsArticle",,, {{'),
        None,
        {"title": TITLE, "author": None},
    ),
    Case(
        "JSON-LD date in year 9999 with an offset",
        "parse_article",
        without_head_facts(
            seed(
                '<script type="application/ld+json">',
                '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": '
                '"9999-12-31T23:59:59-05:00"}</script><script type="x">',
            )
        ),
        None,
        {"published_at": "2026-01-29T15:08:00+04:00"},
    ),
    Case(
        "year 1 with an offset in meta",
        "parse_article",
        without_jsonld(seed('content="2026-01-29T15:08:00+04:00"', 'content="0001-01-01T00:00:00+05:00"')),
        None,
        {"published_at": "2026-01-29T15:08:00+04:00"},
    ),
    Case(
        "NUL bytes in the body",
        "parse_article",
        seed("South Korean Industry Minister", "South\x00 Korean Industry\x00 Minister"),
        None,
        {"body": lambda v: "\x00" not in v and v.startswith("South Korean Industry Minister")},
    ),
    Case(
        "10,000 nested tags in the title",
        "parse_article",
        seed(f'<h1 class="section-title">{TITLE}</h1>', f'<h1 class="section-title">{DEEP}</h1>'),
        None,
        {"title": lambda v: v is not None},
    ),
    Case(
        "10,000 nested tags in the last paragraph",
        "parse_article",
        seed('<div class="tags">', f'<p>{DEEP}</p><div class="tags">'),
        None,
        {"lead": lambda v: v.startswith("South Korean")},
    ),
    Case(
        "right-to-left override in the title",
        "parse_article",
        seed(f">{TITLE}</h1>", f">\u202e{TITLE}</h1>"),
        None,
        {"title": TITLE},
    ),
    Case(
        "noscript paragraph in the body",
        "parse_article",
        seed(
            '<div class="news-detail__desc">',
            '<div class="news-detail__desc"><noscript><p>Enable JavaScript to read</p></noscript>',
        ),
        None,
        {"body": lambda v: "JavaScript" not in v},
    ),
    Case(
        "template paragraph in the body",
        "parse_article",
        seed(
            '<div class="news-detail__desc">',
            '<div class="news-detail__desc"><template><p>Placeholder text</p></template>',
        ),
        None,
        {"body": lambda v: "Placeholder" not in v},
    ),
    Case(
        "script in a paragraph",
        "parse_article",
        seed("South Korean Industry Minister", "<script>var ad = 1;</script>South Korean Industry Minister"),
        None,
        {"body": lambda v: "var ad" not in v},
    ),
    Case(
        "canonical link off the site",
        "parse_article",
        seed(
            f'<link rel="canonical" href="{SEED_URL}">',
            '<link rel="canonical" href="https://evil.example.com/x">',
        ),
        "newscrawl/identity/offsite_canonical",
        {"url": SEED_URL},
    ),
    Case(
        "canonical link to another article",
        "parse_article",
        without_jsonld(
            seed(
                f'<link rel="canonical" href="{SEED_URL}">',
                '<link rel="canonical" href="https://report.az/en/finance/another-story">',
            )
        ).replace('property="og:url"', 'property="og:x"'),
        "newscrawl/identity/canonical_mismatch",
        {"url": SEED_URL, "title": TITLE},
    ),
    Case(
        "windows-1251 page without a charset",
        "parse_article",
        RU.replace('<meta charset="utf-8">', "").encode("cp1251", errors="replace"),
        None,
        {"title": lambda v: v.startswith("Министр торговли")},
        url=RU_URL,
        headers={"Content-Type": "text/html"},
    ),
    Case("empty 200 article", "parse_article", b"", "newscrawl/dropped/missing_title", headers={}),
    Case(
        "binary body",
        "parse_article",
        bytes(range(256)) * 40,
        "newscrawl/dropped/missing_title",
        headers={"Content-Type": "application/octet-stream"},
    ),
    Case(
        "JSON instead of HTML",
        "parse_article",
        b'{"error": "rate limited"}',
        "newscrawl/dropped/missing_title",
        headers={"Content-Type": "application/json"},
    ),
    Case(
        "SQL in the title",
        "parse_article",
        seed(f">{TITLE}</h1>", ">Robert'); DROP TABLE articles;--</h1>"),
        None,
        {"title": "Robert'); DROP TABLE articles;--"},
    ),
    Case(
        "page cut off mid-body",
        "parse_article",
        SEED[: SEED.rindex("The minister will also hold")],
        None,
        {"title": TITLE, "lead": lambda v: v.startswith("South Korean")},
    ),
    Case(
        "a page of 2 MB",
        "parse_article",
        seed('<div class="tags">', "<p>" + "word " * 400_000 + '</p><div class="tags">'),
        None,
        {"title": TITLE, "word_count": lambda v: v > 400_000},
    ),
    # -- listing pages and cards --------------------------------------------------------------------
    Case(
        "mailto card",
        "parse_listing",
        page({"href": "mailto:desk@report.az"}),
        "newscrawl/skipped/bad_scheme",
        url=LISTING_URL,
    ),
    Case(
        "javascript card",
        "parse_listing",
        page({"href": "javascript:void(0)"}),
        "newscrawl/skipped/no_href",
        url=LISTING_URL,
    ),
    Case(
        "card without a link",
        "parse_listing",
        page({"href": ""}).replace('href=""', ""),
        "newscrawl/skipped/no_href",
        url=LISTING_URL,
    ),
    Case(
        "offsite card",
        "parse_listing",
        page({"href": "https://evil.example.com/en/finance/x"}),
        "newscrawl/skipped/offsite",
        url=LISTING_URL,
    ),
    Case(
        # The HTML parser gives up past a depth of about 2,000: the title is lost, counted, and the
        # card's article is still requested.
        "card title of 10,000 nested tags",
        "parse_listing",
        page({"title": DEEP}),
        "newscrawl/articles/requested",
        url=LISTING_URL,
    ),
    Case(
        "card timestamp in year 9999",
        "parse_listing",
        page({"stamp": "9999-12-31 23:59:59"}),
        None,
        {"url": "https://report.az/en/finance/a-story", "published_at": "2026-01-29T20:45:00+04:00"},
        url=LISTING_URL,
    ),
    Case(
        "card timestamp of garbage",
        "parse_listing",
        page({"stamp": "'; DROP TABLE--"}),
        None,
        {"url": "https://report.az/en/finance/a-story", "published_at": "2026-01-29T20:45:00+04:00"},
        url=LISTING_URL,
    ),
    Case(
        "empty first page of a category",
        "parse_listing",
        b"",
        "newscrawl/failed/empty_listing",
        url=LISTING_URL,
        headers={},
    ),
    Case(
        "binary first page of a category",
        "parse_listing",
        bytes(range(256)) * 40,
        "newscrawl/failed/empty_listing",
        url=LISTING_URL,
        headers={"Content-Type": "application/octet-stream"},
    ),
    Case(
        "one bad card among good ones",
        "parse_listing",
        page({"href": "mailto:x@y"}, {"href": "/en/finance/b-story", "title": "B"}),
        "newscrawl/skipped/bad_scheme",
        {"url": "https://report.az/en/finance/b-story", "title": "B"},
        url=LISTING_URL,
    ),
    Case(
        "empty home page",
        "parse_home",
        b"",
        "newscrawl/fallback/feed_link",
        url="https://report.az/en/",
        headers={},
    ),
]


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[ReportFeedSpider]:
    settings = {"NEWSCRAWL_SQLITE": str(tmp_path / "store.sqlite3"), "EXTENSIONS": {Ledger: 0}}
    crawler = get_crawler(ReportFeedSpider, settings)
    spider = ReportFeedSpider.from_crawler(crawler, since="2000-01-01")
    crawler.spider = spider
    list(spider.first_requests())
    yield spider
    spider.ledger.close()


def response_for(case: Case) -> Response:
    body = case.body.encode("utf-8") if isinstance(case.body, str) else case.body
    content_type = case.headers.get("Content-Type", "")
    cls: type[Response] = (
        HtmlResponse if "html" in content_type else TextResponse if content_type else Response
    )
    request = Request(case.url, meta={"article_url": case.url})
    return cls(url=case.url, body=body, headers=case.headers, request=request)


def run_callback(spider: ReportFeedSpider, case: Case) -> list[Any]:
    response = response_for(case)
    callback: Callable[..., Any] = getattr(spider, case.callback)
    kwargs: dict[str, Any] = {"lang": "ru" if case.url == RU_URL else "en"}
    if case.callback == "parse_listing":
        kwargs.update(listing="category:finance", page=1)
    return list(callback(response, **kwargs))


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_loses_one_item_at_most_and_says_why(spider: ReportFeedSpider, case: Case) -> None:
    outputs = run_callback(spider, case)
    pipelines = [
        cls.from_crawler(spider.crawler) for cls in (ValidatePipeline, DedupePipeline, StorePipeline)
    ]
    items = []
    for output in outputs:
        if isinstance(output, Article | FeedEntry):
            try:
                for pipeline in pipelines:
                    output = pipeline.process_item(output)
            except DropItem:
                continue
            items.append(output)
    stats = spider.crawler.stats.get_stats()  # type: ignore[union-attr]
    if case.counter is not None:
        assert stats.get(case.counter, 0) > 0, sorted(k for k in stats if k.startswith("newscrawl/"))
    if case.survives:
        kind = Article if case.callback == "parse_article" else FeedEntry
        survivors = [item for item in items if isinstance(item, kind)]
        assert survivors, f"the {kind.__name__} was lost; stats: {stats}"
        item = survivors[-1]
        for name, expected in case.survives.items():
            value = getattr(item, name)
            assert expected(value) if callable(expected) else value == expected, (name, str(value)[:200])
