"""Page parsing against the golden files, the seed page, the story data and broken input."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from newscrawl.dates import isoformat, parse_date, utc_isoformat
from newscrawl.items import Article
from newscrawl.parsing import (
    as_dict,
    category_links,
    feed_link,
    last_card_timestamp,
    load_more_url,
    next_batch_url,
    parse_article,
    parse_cards,
    parse_sidebar,
)
from newscrawl.replay import EXTENSION_TYPES, find_file, iter_snapshot, path_to_url
from newscrawl.site import BASE_URL, SITE, canonical_url, is_article_url, listing_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = FIXTURES / "expected"
SNAPSHOTS = ("snapshot", "snapshot-next")
STORIES = FIXTURES / "generator" / "stories"
# The text of the real English article page the snapshot reproduces (fixtures/seed/README.md).
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "report-az-en-article.txt"
SEED_URL = (
    "https://report.az/en/other-countries/s-korean-ministers-head-to-washington-to-discuss-bilateral-trade"
)
SEED_TITLE = "S. Korean ministers head to Washington to discuss bilateral trade"
REQUIRED = ("title", "body", "url", "language", "published_at")


def response_for(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers={"Content-Type": EXTENSION_TYPES[".html"]})


def snapshot_time(name: str) -> str:
    meta = json.loads((FIXTURES / name / "SNAPSHOT.json").read_text(encoding="utf-8"))
    return utc_isoformat(meta["fetched_at"])


def page_of(golden: Path) -> tuple[str, Path]:
    """The URL and file of the page a golden file describes."""
    relative = golden.relative_to(EXPECTED)
    snapshot, page = relative.parts[0], Path(*relative.parts[1:]).with_suffix(".html")
    return path_to_url(page.as_posix()), FIXTURES / snapshot / page


def parse_page(url: str, body: bytes, fetched_at: str, stats: Any = None) -> Any:
    response = response_for(url, body)
    if is_article_url(url):
        return as_dict(parse_article(response, fetched_at=fetched_at, stats=stats))
    listing = listing_for(url)
    assert listing is not None, f"{url} is neither an article nor a listing"
    entries = parse_cards(response, listing=listing, seen_at=fetched_at) + parse_sidebar(
        response, seen_at=fetched_at
    )
    return [as_dict(entry) for entry in entries]


GOLDENS = sorted(EXPECTED.rglob("*.json"))


def test_every_article_and_listing_page_has_a_golden() -> None:
    pages = {
        (name, path.relative_to(FIXTURES / name).with_suffix(".json"))
        for name in SNAPSHOTS
        for url, path in iter_snapshot(FIXTURES / name)
        if path.suffix == ".html" and (is_article_url(url) or listing_for(url) is not None)
    }
    goldens = {(g.relative_to(EXPECTED).parts[0], Path(*g.relative_to(EXPECTED).parts[1:])) for g in GOLDENS}
    assert pages, "the snapshot has no pages: render it with `make snapshot`"
    assert pages == goldens


@pytest.mark.parametrize("golden", GOLDENS, ids=[str(g.relative_to(EXPECTED)) for g in GOLDENS])
def test_page_parses_to_its_golden(golden: Path) -> None:
    url, page = page_of(golden)
    expected = json.loads(golden.read_text(encoding="utf-8"))
    snapshot = golden.relative_to(EXPECTED).parts[0]
    assert parse_page(url, page.read_bytes(), snapshot_time(snapshot)) == expected


def test_article_goldens_have_every_field_and_no_empty_essentials() -> None:
    articles = [json.loads(g.read_text(encoding="utf-8")) for g in GOLDENS]
    articles = [a for a in articles if isinstance(a, dict)]
    assert articles
    for article in articles:
        assert set(article) == set(as_dict(Article()))
        assert all(article[name] not in (None, "") for name in REQUIRED), article["url"]


# --- the seed page ----------------------------------------------------------------------------------


def seed_facts() -> dict[str, Any]:
    """What the real page shows, read from its text: body, tags line, headlines, sidebar."""
    lines = [line.strip().lstrip("• ") for line in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    title_at = [i for i, line in enumerate(lines) if line == SEED_TITLE]
    latest = lines.index("Latest News")
    sidebar, rest = [], lines[latest + 1 : lines.index("All News Feed")]
    while rest:
        time, rest = rest[0], rest[1:]
        photo = rest[0] == "Photo"
        rest = rest[1:] if photo else rest
        sidebar.append((time, rest[0], rest[1], photo))
        rest = rest[2:]
    return {
        "category": lines[title_at[0] + 1],
        "date": lines[title_at[0] + 2],
        "time": lines[title_at[0] + 3],
        "paragraphs": lines[title_at[1] + 1 : latest - 3],
        "tags_line": lines[latest - 3],
        "headlines": lines[latest - 2 : latest],
        "sidebar": sidebar,
    }


@pytest.fixture(scope="module")
def seed_response() -> HtmlResponse:
    path = find_file(FIXTURES / "snapshot", SEED_URL)
    assert path is not None
    return response_for(SEED_URL, path.read_bytes())


def test_seed_article_comes_out_as_the_seed_page_says(seed_response: HtmlResponse) -> None:
    facts = seed_facts()
    article = parse_article(seed_response)
    assert article.title == SEED_TITLE
    assert article.published_at == "2026-01-29T15:08:00+04:00"
    assert article.published_at == isoformat(parse_date(facts["date"], facts["time"]))
    assert article.category == facts["category"] == "Other countries"
    assert article.category_slug == "other-countries"
    assert article.body is not None
    assert article.body.split("\n\n") == facts["paragraphs"]
    assert len(facts["paragraphs"]) == 9
    assert article.lead == facts["paragraphs"][0]
    assert article.tags == ["South Korea", "United States", "Kim Jung-kwan", "US tariffs"]
    assert " ".join(article.tags) == facts["tags_line"]
    assert article.source_agency == "Yonhap"
    assert article.source_agency_text == "Yonhap News Agency"


def test_seed_translations_lead_to_its_az_and_ru_versions(seed_response: HtmlResponse) -> None:
    translations = parse_article(seed_response).translations
    assert translations is not None and set(translations) == {"az", "ru"}
    titles = []
    for language in ("az", "ru"):
        path = find_file(FIXTURES / "snapshot", translations[language])
        assert path is not None, translations[language]
        version = parse_article(response_for(translations[language], path.read_bytes()))
        assert version.language == language
        assert version.translations is not None and version.translations["en"] == canonical_url(SEED_URL)
        titles.append(version.title)
    assert titles == seed_facts()["headlines"]


def test_seed_sidebar_lists_the_seed_pages_latest_news(seed_response: HtmlResponse) -> None:
    entries = parse_sidebar(seed_response)
    got = [
        (e.published_at[11:16] if e.published_at else None, e.title, e.category, "photo" in (e.media or ()))
        for e in entries
    ]
    assert got == seed_facts()["sidebar"]
    assert len(entries) == 9 and sum(photo for *_, photo in got) == 2
    assert all(e.listing == "sidebar" and e.url and e.url.startswith(f"{BASE_URL}/en/") for e in entries)
    assert [e.position for e in entries] == list(range(9))
    assert feed_link(seed_response) == SITE["en"].feed_url


# --- every article page against the story data it was rendered from -------------------------------


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def stories() -> list[dict[str, Any]]:
    found = []
    for path in sorted(STORIES.glob("*.json")):
        for story in json.loads(path.read_text(encoding="utf-8")):
            found.append({**story, "lang": path.stem})
    return found


def story_url(story: dict[str, Any]) -> str:
    return canonical_url(f"{SITE[story['lang']].prefix}/{story['category']}/{story['slug']}")


def story_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(name, story) for name in SNAPSHOTS for story in stories()]


@pytest.mark.parametrize(
    ("snapshot", "story"), story_cases(), ids=[f"{n}:{s['lang']}:{s['key']}" for n, s in story_cases()]
)
def test_article_page_agrees_with_its_story(snapshot: str, story: dict[str, Any]) -> None:
    moment = datetime.fromisoformat(
        json.loads((FIXTURES / snapshot / "SNAPSHOT.json").read_text())["fetched_at"]
    )
    published = parse_date(story["published"])
    assert published is not None
    url = story_url(story)
    path = find_file(FIXTURES / snapshot, url + ("/" if story.get("design") == "old" else ""))
    if story.get("missing") or published > moment:
        assert path is None
        return
    assert path is not None, f"{url} is not in {snapshot}"
    article = parse_article(response_for(url, path.read_bytes()))
    correction = story.get("next")
    title = story["title"]
    if isinstance(correction, dict) and (parse_date(correction["modified"]) or moment) <= moment:
        title = correction["title"]
    assert article.url == url
    assert article.language == story["lang"]
    assert article.title == plain(title)
    assert article.body is not None
    assert article.body.split("\n\n") == [plain(p) for p in story["paragraphs"]]
    assert article.tags == story["tags"]
    assert article.published_at == isoformat(published)
    assert article.category_slug == story["category"]
    image = story.get("image")
    assert article.image_url == (f"https://static.report.az/photo/{image}_850.jpg" if image else None)
    by_key = {s["key"]: s for s in stories()}
    for language, url_there in article.translations.items():
        assert url_there == story_url(by_key[story["translations"][language]])


# --- broken and foreign input ---------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


def missing_counted(article: Article, stats: Stats) -> None:
    none = {name for name, value in as_dict(article).items() if value is None and name != "fetched_at"}
    missing = [key for key in stats.values if key.startswith("newscrawl/field_missing/")]
    assert {key.rpartition("/")[2] for key in missing} == none
    sources = [key for key in stats.values if key not in missing]
    assert all(key.startswith("newscrawl/field_source/") for key in sources)
    found = {key.split("/")[2] for key in sources}
    assert found <= {name for name, value in as_dict(article).items() if value is not None} | {"body"}


@pytest.mark.parametrize(
    "body", [b"", b"<html>", b"<html><body><p>Just a paragraph</p></body></html>", b"\xff\xfe<<>>"]
)
def test_non_article_input_gives_an_empty_article(body: bytes) -> None:
    stats = Stats()
    article = parse_article(response_for(SEED_URL, body), stats=stats)
    assert article.title is None and article.body is None and article.published_at is None
    assert article.url == canonical_url(SEED_URL)  # the URL it was fetched from is still known
    missing_counted(article, stats)
    assert stats.values["newscrawl/field_missing/title"] == 1


def test_truncated_article_keeps_what_arrived(seed_response: HtmlResponse) -> None:
    body = seed_response.body
    cut = body.index(b"news-detail__desc")
    stats = Stats()
    article = parse_article(response_for(SEED_URL, body[: cut + 400]), stats=stats)
    assert article.title == SEED_TITLE
    assert article.published_at == "2026-01-29T15:08:00+04:00"
    missing_counted(article, stats)
    assert "newscrawl/field_missing/site_id" in stats.values  # .copy-url comes after the cut


def test_broken_json_ld_is_ignored(seed_response: HtmlResponse) -> None:
    body = re.sub(rb'(<script type="application/ld\+json">)', rb"\1{not json", seed_response.body)
    article = parse_article(response_for(SEED_URL, body))
    assert article.title == SEED_TITLE and article.author is None


def test_body_text_skips_comments_scripts_and_tweets() -> None:
    page = (
        '<h1 class="section-title">T</h1><div class="news-detail__desc">'
        "<p>One<!-- editor note --> <b>two</b><br>three<script>var x = 1;</script>.</p>"
        '<blockquote class="twitter-tweet"><p>tweet</p></blockquote><p>Four.</p>'
        '<div class="tags"><a href="/en/tags/x">x</a></div></div>'
    )
    article = parse_article(response_for(SEED_URL, page.encode()))
    assert article.body == "One two three.\n\nFour."
    assert article.tags == ["x"] and article.has_video is False and article.images == []


def test_empty_fragment_ends_a_listing() -> None:
    response = response_for("https://report.az/infinity/index?date=2026-01-01+00%3A00%3A00&oldest=1", b"")
    assert parse_cards(response, listing="feed") == []
    assert last_card_timestamp(response) is None and load_more_url(response) is None
    assert parse_sidebar(response) == [] and feed_link(response) is None and category_links(response) == {}


# --- listing navigation ---------------------------------------------------------------------------


def test_listing_navigation_from_the_feed_page() -> None:
    url = SITE["en"].feed_url
    path = find_file(FIXTURES / "snapshot", url)
    assert path is not None
    response = response_for(url, path.read_bytes())
    cards = parse_cards(response, listing="feed")
    assert cards and [c.position for c in cards] == list(range(len(cards)))
    cursor = last_card_timestamp(response)
    assert cursor is not None and isoformat(parse_date(cursor)) == cards[-1].published_at
    data_url = load_more_url(response)
    assert data_url == f"{BASE_URL}/en/infinity/index"
    batch = find_file(FIXTURES / "snapshot", next_batch_url(data_url, cursor))
    assert batch is not None, "the next batch the parser asks for is in the snapshot"
    assert category_links(response) == {
        c.slug: SITE["en"].category_url(c.slug) for c in SITE["en"].categories
    }


def test_category_batch_url_keeps_its_slug() -> None:
    url = next_batch_url("https://report.az/en/infinity/category?slug=finance", "2026-01-29 20:11:00")
    assert listing_for(url) == "category:finance"
    assert find_file(FIXTURES / "snapshot", url) is not None
