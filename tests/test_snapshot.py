"""The offline snapshot: reproducible from the story data, internally consistent, true to the seed page."""

from __future__ import annotations

import doctest
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
from lxml import html as lxml_html
from parsel import Selector
from w3lib.url import add_or_replace_parameters

from fixtures.generator import build, pages, render, stories
from newscrawl.replay import url_to_path
from newscrawl.site import BASE_URL, SITE, canonical_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SNAPSHOTS = ("snapshot", "snapshot-next")
# The text of the real English article page the snapshot reproduces (fixtures/seed/README.md).
SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "report-az-en-article.txt"
SEED_URL = (
    "https://report.az/en/other-countries/s-korean-ministers-head-to-washington-to-discuss-bilateral-trade"
)

# Links to listing pages: the nav, edition switch and logo, sidebar categories and the "All News Feed" link.
LISTING_LINKS = (
    "nav.main-menu a::attr(href), .lang-switch a::attr(href), a.logo::attr(href),"
    " a.latest-news__category::attr(href), a.latest-news__all::attr(href)"
)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _normalised(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _file(snapshot: Path, url: str) -> Path:
    return snapshot / url_to_path(url)


@dataclass
class Listings:
    """What a walk over every listing page (home, Latest News, categories, batches) of a snapshot finds."""

    pages: dict[str, str] = field(default_factory=dict)  # listing or batch URL -> body
    chains: dict[str, list[str]] = field(default_factory=dict)  # listing URL -> its batch URLs in order
    articles: set[str] = field(default_factory=set)  # absolute article URLs of cards and sidebar items
    card_titles: dict[str, set[str]] = field(default_factory=dict)  # article URL -> headlines on its cards
    timestamps: dict[str, list[str]] = field(default_factory=dict)  # listing or batch URL -> card timestamps


def _cards(url: str, page: Selector, found: Listings) -> list[str]:
    for card in page.css("div.index-post-block"):
        href = urljoin(BASE_URL, card.css("a.news__item::attr(href)").get(""))
        found.articles.add(href)
        found.card_titles.setdefault(href, set()).add(
            _normalised(" ".join(card.css(".news__title::text").getall()))
        )
    found.articles.update(urljoin(BASE_URL, h) for h in page.css("a.latest-news__link::attr(href)").getall())
    found.timestamps[url] = page.css("div.index-post-block::attr(data-timestamp)").getall()
    return found.timestamps[url]


def _walk(snapshot: Path) -> Listings:
    """Follow nav, sidebar, feed and batch links from each edition's home page, as the spider does."""
    found = Listings()
    queue = [lang.home_url for lang in SITE.values() if _file(snapshot, lang.home_url).exists()]
    assert queue, f"no home page in {snapshot}"
    while queue:
        url = queue.pop()
        if url in found.pages:
            continue
        path = _file(snapshot, url)
        assert path.is_file(), f"{url} is linked from a listing page but missing from {snapshot.name}"
        found.pages[url] = path.read_text(encoding="utf-8")
        page = Selector(text=found.pages[url])
        timestamps = _cards(url, page, found)
        queue.extend(urljoin(BASE_URL, href) for href in page.css(LISTING_LINKS).getall())
        for container in page.css("div.loadContainer"):
            found.chains[url] = _chain(snapshot, BASE_URL + container.attrib["data-url"], timestamps, found)
    return found


def _chain(snapshot: Path, data_url: str, timestamps: list[str], found: Listings) -> list[str]:
    """Request batches until an empty one, checking each holds only cards older than its cursor."""
    chain: list[str] = []
    while timestamps:
        cursor = timestamps[-1]
        url = add_or_replace_parameters(data_url, {"date": cursor, "oldest": "1"})
        path = _file(snapshot, url)
        assert path.is_file(), f"batch {url} is missing from {snapshot.name}"
        assert len(chain) < 100, f"the batches of {data_url} never end"
        chain.append(url)
        found.pages[url] = path.read_text(encoding="utf-8")
        if not found.pages[url].strip():
            break
        timestamps = _cards(url, Selector(text=found.pages[url]), found)
        assert timestamps, f"{url} is neither empty nor a fragment of cards"
        assert all(t < cursor for t in timestamps), f"{url} holds cards not older than its cursor {cursor}"
    return chain


@pytest.fixture(scope="module")
def walks() -> dict[str, Listings]:
    return {name: _walk(FIXTURES / name) for name in SNAPSHOTS}


def _manifest(name: str) -> dict[str, object]:
    return json.loads((FIXTURES / name / "SNAPSHOT.json").read_text(encoding="utf-8"))


def _article_pages(name: str) -> dict[str, bytes]:
    """Snapshot path -> bytes of every article page (current or older design)."""
    return {
        path: body
        for path, body in _files(FIXTURES / name).items()
        if b'class="news-detail"' in body or b'class="news-title"' in body
    }


@pytest.mark.parametrize("module", [render, pages, stories])
def test_generator_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_rendering_reproduces_the_committed_snapshots(tmp_path: Path) -> None:
    build.render_all(tmp_path)
    for name in SNAPSHOTS:
        committed, rendered = _files(FIXTURES / name), _files(tmp_path / name)
        assert sorted(rendered) == sorted(committed), f"{name}: run python -m fixtures.generator"
        changed = [path for path in committed if committed[path] != rendered[path]]
        assert not changed, f"{name}: {changed[:5]} differ; run python -m fixtures.generator"


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_every_listing_link_resolves(name: str, walks: dict[str, Listings]) -> None:
    snapshot, walk = FIXTURES / name, walks[name]
    missing = set(_manifest(name)["missing"])  # type: ignore[arg-type]
    assert missing, "the snapshot should keep at least one card whose page answers 404"
    for url in sorted(walk.articles):
        if canonical_url(url) in missing:
            assert not _file(snapshot, url).exists(), f"{url} is listed as missing but has a page"
        else:
            assert _file(snapshot, url).is_file(), f"{url} has a card but no page in {name}"
    assert missing <= {canonical_url(u) for u in walk.articles}, "a missing story has no card"


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_listings_are_newest_first_and_end_in_an_empty_batch(name: str, walks: dict[str, Listings]) -> None:
    walk = walks[name]
    for url, timestamps in walk.timestamps.items():
        assert timestamps == sorted(timestamps, reverse=True), f"{url}: cards are not newest first"
        assert len(set(timestamps)) == len(timestamps), f"{url}: two cards share a timestamp"
    for lang in SITE.values():
        if lang.home_url not in walk.pages:
            continue
        assert len(walk.chains[lang.feed_url]) >= 3, f"{lang.feed_url}: fewer than 3 batches"
        filled = [c.slug for c in lang.categories if walk.chains.get(lang.category_url(c.slug))]
        assert len(filled) >= 4, f"{lang.code}: fewer than 4 categories with stories"
    for url, chain in walk.chains.items():
        if chain:
            assert not walk.pages[chain[-1]].strip(), f"{url}: the last batch is not empty"
            assert all(walk.pages[batch].strip() for batch in chain[:-1]), f"{url}: an empty batch mid-chain"


def test_every_snapshot_file_is_reachable_from_the_home_pages(walks: dict[str, Listings]) -> None:
    for name in SNAPSHOTS:
        snapshot, walk = FIXTURES / name, walks[name]
        reached = {url_to_path(u).as_posix() for u in walk.pages} | {
            url_to_path(u).as_posix() for u in walk.articles
        }
        extra = {"SNAPSHOT.json", url_to_path(f"{BASE_URL}/robots.txt", "text/plain").as_posix()}
        assert sorted(set(_files(snapshot)) - reached - extra) == []


def _seed_lines() -> list[str]:
    lines = [
        _normalised(line.removeprefix("\ufeff")) for line in SEED.read_text(encoding="utf-8").splitlines()
    ]
    return [line.removeprefix("• ") for line in lines if line]


def test_seed_article_shows_what_the_real_page_shows() -> None:
    seed = _seed_lines()
    page = lxml_html.fromstring((FIXTURES / "snapshot" / url_to_path(SEED_URL)).read_bytes())
    visible = _normalised(page.body.text_content())
    for line in seed:
        assert line in visible
    # Title to "All News Feed": the same text in the same order (trending bar, then the nav, come first).
    assert " ".join(seed[2:]) in visible
    assert seed[-1] == "All News Feed" and "Latest News" in seed
    assert visible.count(seed[0]) == 2  # mobile and desktop trending bars


def test_seed_story_data_is_the_seed_page() -> None:
    seed = _seed_lines()
    story = next(s for s in stories.load_stories() if s.key == "en-seed")
    assert story.url == SEED_URL
    assert [stories.plain_text(p) for p in story.paragraphs] == seed[
        seed.index("15:08") + 2 : seed.index("15:08") + 11
    ]
    assert story.title == seed[2]


def test_article_counts_and_designs() -> None:
    articles = _article_pages("snapshot")
    per_lang: dict[str, int] = {}
    for path in articles:
        parts = path.split("/")
        lang = parts[1] if parts[1] in ("en", "ru") else "az"
        per_lang[lang] = per_lang.get(lang, 0) + 1
    assert sorted(per_lang) == ["az", "en", "ru"], "every edition needs its stories file"
    assert min(per_lang.values()) >= 15
    assert sum(per_lang.values()) >= 45
    old = sorted(path for path, body in articles.items() if b'class="news-title"' in body)
    assert len(old) == 2
    assert all(path.endswith("/_.html") for path in old)


def test_snapshot_next_adds_the_new_stories_and_changes_one_page(walks: dict[str, Listings]) -> None:
    before, after = _article_pages("snapshot"), _article_pages("snapshot-next")
    data = stories.load_stories()
    new = {url_to_path(s.url).as_posix() for s in data if s.is_new}
    corrected = [s for s in data if s.correction]
    assert len(new) >= 2 and len(corrected) == 1
    assert set(after) - set(before) == new
    assert set(before) <= set(after)
    changed = sorted(path for path in before if before[path] != after[path])
    assert changed == [url_to_path(corrected[0].url).as_posix()]
    manifest = _manifest("snapshot-next")
    assert manifest["new"] == sorted(canonical_url(s.url) for s in data if s.is_new)
    assert manifest["changed"] == [canonical_url(corrected[0].url)]
    assert manifest["fetched_at"] == "2026-01-29T22:00:00+04:00"
    assert _manifest("snapshot")["fetched_at"] == "2026-01-29T21:00:00+04:00"

    story = corrected[0]
    title, modified = story.correction  # type: ignore[misc]
    page = Selector(text=after[changed[0]].decode("utf-8"))
    assert _normalised(page.css("h1.section-title::text").get("")) == title
    assert page.css('meta[property="og:title"]::attr(content)').get() == title
    assert page.css('meta[property="article:modified_time"]::attr(content)').get() == pages.iso(modified)
    old_page = Selector(text=before[changed[0]].decode("utf-8"))
    assert _normalised(old_page.css("h1.section-title::text").get("")) == story.title
    assert walks["snapshot-next"].card_titles[story.url] == {title}
    assert walks["snapshot"].card_titles[story.url] == {story.title}
