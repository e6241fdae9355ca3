"""The loopback site simulator: the snapshot's own pages, determinism, the control endpoint, faults."""

from __future__ import annotations

import bisect
import http.client
import json
import math
import random
import socket
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itemadapter import ItemAdapter
from parsel import Selector
from scrapy.http import HtmlResponse

from newscrawl.dates import BAKU
from newscrawl.parsing import next_batch_url, parse_cards
from newscrawl.replay import iter_snapshot
from newscrawl.site import BASE_URL, LANGUAGES, SITE, canonical_url, language_of
from sitesim import SimulatorError, SiteSimulator
from sitesim.faults import FAULT_KINDS, Fault, FaultPlan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def stories_sim() -> Iterator[SiteSimulator]:
    with SiteSimulator(stories="snapshot") as sim:
        yield sim


@pytest.fixture(scope="module")
def generated() -> Iterator[SiteSimulator]:
    with SiteSimulator(articles=300, seed=7) as sim:
        yield sim


def _article_paths(sim: SiteSimulator, lang: str = "en", pages: int = 3) -> list[str]:
    """Article paths from the Latest News page and its first batches, as a crawler finds them."""
    status, body = sim.get(
        {"az": "/son-xeberler", "en": "/en/latest-news", "ru": "/ru/poslednie-novosti"}[lang]
    )
    assert status == 200
    page = Selector(text=body.decode())
    data_url = page.css(".loadContainer::attr(data-url)").get()
    found = page.css("a.news__item::attr(href)").getall()
    for _ in range(pages - 1):
        stamps = Selector(text=body.decode()).css("div.index-post-block::attr(data-timestamp)").getall()
        if not stamps:
            break  # an empty batch ends the listing
        cursor = stamps[-1]
        status, body = sim.get(f"{data_url}?date={cursor.replace(' ', '+').replace(':', '%3A')}&oldest=1")
        assert status == 200
        found += Selector(text=body.decode()).css("a.news__item::attr(href)").getall()
    return found


# -- the snapshot's stories --------------------------------------------------------------------------


@pytest.mark.sitesim
@pytest.mark.parametrize("name", ["snapshot", "snapshot-next"])
def test_story_mode_serves_the_committed_snapshot_byte_for_byte(name: str) -> None:
    with SiteSimulator(stories=name) as sim:
        files = list(iter_snapshot(FIXTURES / name))
        assert len(files) > 100
        for url, path in files:
            status, body = sim.get(_path(url))
            assert (status, body) == (200, path.read_bytes()), url


@pytest.mark.sitesim
def test_story_mode_answers_404_for_the_deliberately_missing_pages(stories_sim: SiteSimulator) -> None:
    missing = json.loads((FIXTURES / "snapshot" / "SNAPSHOT.json").read_text())["missing"]
    assert missing
    for url in missing:
        assert stories_sim.get(_path(url))[0] == 404
    assert stories_sim.get("/en/no-such-section/at-all")[0] == 404


@pytest.mark.sitesim
def test_story_mode_moves_to_snapshot_next_on_advance() -> None:
    with SiteSimulator(stories="snapshot") as sim:
        sim.advance()
        for url, path in iter_snapshot(FIXTURES / "snapshot-next"):
            assert sim.get(_path(url)) == (200, path.read_bytes()), url


# -- a generated site --------------------------------------------------------------------------------


@pytest.mark.sitesim
def test_same_seed_same_site_other_seed_other_site(generated: SiteSimulator) -> None:
    paths = ["/", "/en/", "/ru/latest-news", "/en/finance", *_article_paths(generated)[:25]]
    with SiteSimulator(articles=300, seed=7) as twin, SiteSimulator(articles=300, seed=8) as other:
        assert [twin.get(p) for p in paths] == [generated.get(p) for p in paths]
        assert other.get("/en/latest-news") != generated.get("/en/latest-news")


@pytest.mark.sitesim
def test_generated_site_has_every_article_once_across_the_listing_chain(generated: SiteSimulator) -> None:
    state = generated.state()
    assert state["articles"] == 300
    seen: list[str] = []
    for lang in ("az", "en", "ru"):
        seen += _article_paths(generated, lang, pages=300 // 20 + 2)
    assert len(seen) == len(set(seen)) == 300
    for path in seen[::17]:
        status, body = generated.get(path)
        page = Selector(text=body.decode())
        assert status == 200
        assert page.css("link[rel=canonical]::attr(href)").get() == "https://report.az" + path
        assert page.css(".news-detail__desc p")


@pytest.mark.sitesim
def test_control_endpoint_adds_articles_and_corrects_headlines() -> None:
    with SiteSimulator(articles=200, seed=3) as sim:
        before = sim.state()
        feed_before = set(_article_paths(sim, "en", 1))
        changes = sim.advance(add=12, change=4)
        assert len(changes["new"]) == 12 and len(changes["changed"]) == 4
        assert sim.state()["articles"] == before["articles"] + 12
        assert changes["now"] > before["now"]
        newest = {*_article_paths(sim, "az", 1), *_article_paths(sim, "en", 1), *_article_paths(sim, "ru", 1)}
        assert {_path(u) for u in changes["new"]} <= newest
        assert feed_before - newest  # older cards moved down
        for url in changes["changed"]:
            page = Selector(text=sim.get(_path(url))[1].decode())
            assert page.css('meta[property="article:modified_time"]::attr(content)').get() == (
                changes["now"] + "+04:00"
            )
        # The same parameters given at start reproduce the same site, changed headlines included.
        with SiteSimulator(articles=200, seed=3, add=12, change=4) as restarted:
            for url in changes["new"][:3] + changes["changed"]:
                assert restarted.get(_path(url)) == sim.get(_path(url))


@pytest.mark.sitesim
def test_heavy_pages_weigh_100_to_300_kb_and_parse_the_same() -> None:
    from scrapy.http import HtmlResponse

    from newscrawl.parsing import parse_article, parse_cards

    with (
        SiteSimulator(articles=100, seed=2) as light,
        SiteSimulator(articles=100, seed=2, weight="heavy") as heavy,
    ):
        for path in ["/en/latest-news", "/", _article_paths(light, "en", 1)[0]]:
            light_body, heavy_body = light.get(path)[1], heavy.get(path)[1]
            assert 100_000 <= len(heavy_body) <= 300_000, path
            assert len(light_body) < 40_000
            url = "https://report.az" + path
            pair = [HtmlResponse(url=url, body=b, encoding="utf-8") for b in (light_body, heavy_body)]
            if "latest" in path or path == "/":
                cards = [
                    [ItemAdapter(e).asdict() for e in parse_cards(r, listing="feed", seen_at="x")]
                    for r in pair
                ]
                assert cards[0] == cards[1] and cards[0]
            else:
                articles = [ItemAdapter(parse_article(r, fetched_at="x")).asdict() for r in pair]
                assert articles[0] == articles[1]


@pytest.mark.sitesim
def test_js_listing_has_no_cards_in_html_but_their_data_in_a_script(generated: SiteSimulator) -> None:
    plain = Selector(text=generated.get("/en/latest-news")[1].decode())
    scripted = Selector(text=generated.get("/_js/en/latest-news")[1].decode())
    assert plain.css("div.index-post-block") and not scripted.css("div.index-post-block")
    script = scripted.css("script:not([type])::text").get() or ""
    data = json.loads(script.split("var cards = ", 1)[1].split(";\n", 1)[0])
    # The script's data carries what the HTML cards show, card for card.
    shown = [
        {
            "href": card.css("a.news__item::attr(href)").get(),
            "timestamp": card.attrib["data-timestamp"],
            "title": card.css(".news__title::text").get(),
            "category": card.css(".news__category::text").get(),
            "day": card.css("ul.news__date li::text").getall()[0],
            "time": card.css("ul.news__date li::text").getall()[1],
            "media": card.css(".news__media::text").getall(),
        }
        for card in plain.css("div.index-post-block")
    ]
    assert [{k: v for k, v in c.items() if k != "image"} for c in data] == shown
    assert [bool(c["image"]) for c in data] == [
        bool(card.css("img")) for card in plain.css("div.index-post-block")
    ]
    assert (
        scripted.css(".loadContainer::attr(data-url)").get()
        == plain.css(".loadContainer::attr(data-url)").get()
    )


@pytest.mark.sitesim
def test_bad_options_stop_the_simulator_with_one_sentence() -> None:
    with pytest.raises(SimulatorError, match=r"--articles must be from 100 to 100,000 \(got 5\)"):
        SiteSimulator(articles=5).start()
    with pytest.raises(SimulatorError, match="unknown fault 'boom'"):
        SiteSimulator(faults=["boom=0.1"]).start()


# -- faults ------------------------------------------------------------------------------------------

RATE = 0.1
SLOW, HANG, CLIENT_TIMEOUT = 0.2, 30.0, 1.5


def _observe(port: int, path: str) -> str:
    """What a client sees for one request, named like the fault that causes it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status >= 500:
            return "5xx"
        if response.status == 429:
            return "429" if response.getheader("Retry-After") else "429 without Retry-After"
        if response.status == 301:
            return "redirect" if response.getheader("Location", "").endswith(path + "/") else "bad redirect"
        length = int(response.getheader("Content-Length") or -1)
        body = response.read()
        if not body:
            return "empty"
        return "ok" if length in (-1, len(body)) else "short"
    except TimeoutError:
        return "hang"
    except ConnectionResetError:
        return "reset"
    except http.client.IncompleteRead:
        return "truncate"
    finally:
        connection.close()


@pytest.mark.sitesim
def test_every_fault_occurs_where_the_seed_puts_it_at_its_rate() -> None:
    faults = [f"{kind}={RATE}" for kind in FAULT_KINDS]
    options = {"hang_seconds": HANG, "slow_seconds": SLOW, "fault_seed": 11}
    with SiteSimulator(articles=600, seed=5, faults=faults, **options) as sim:
        clean = SiteSimulator(articles=600, seed=5)
        with clean:
            paths = [p for lang in ("az", "en", "ru") for p in _article_paths(clean, lang, pages=12)]
        paths = paths[:500]
        port = urlsplit(sim.url).port
        assert port is not None
        with ThreadPoolExecutor(max_workers=64) as pool:
            seen = list(pool.map(lambda p: _observe(port, p), paths))
        counts = sim.state()["counts"]
    plan = FaultPlan(tuple(Fault.parse(f) for f in faults), seed=11)
    expected = [plan.draw(p, "article") or "ok" for p in paths]
    # A slow answer arrives whole; a reset may reach the client before or after part of the body.
    assert _cut_equal(expected, seen), [
        (p, e, s) for p, e, s in zip(paths, expected, seen, strict=True) if e != s
    ]
    n = len(paths)
    spread = 4 * math.sqrt(n * RATE * (1 - RATE))
    tally = Counter(expected)
    for kind in FAULT_KINDS:
        assert abs(tally[kind] - n * RATE) <= spread, (kind, tally[kind])
        assert counts.get(f"faults/{kind}", 0) == tally[kind]


def _cut_equal(expected: list[str], seen: list[str]) -> bool:
    """Equal, where a reset may also look like a short read to the client."""
    cut = {"reset", "truncate"}
    return all(
        (e == "slow" and s == "ok") or e == s or (e in cut and s in cut)
        for e, s in zip(expected, seen, strict=True)
    )


@pytest.mark.sitesim
def test_faults_are_scoped_and_robots_is_never_faulted() -> None:
    with SiteSimulator(articles=100, seed=1, faults=["5xx=1.0:articles"]) as sim:
        assert sim.get("/robots.txt")[0] == 200
        assert sim.get("/en/latest-news")[0] == 200
        article = _article_paths(sim, "en", 1)[0]
        assert sim.get(article)[0] in (500, 502, 503, 504)


@pytest.mark.sitesim
def test_a_hang_is_cut_when_the_client_leaves() -> None:
    with SiteSimulator(articles=100, seed=1, faults=["hang=1.0:listings"], hang_seconds=HANG) as sim:
        port = urlsplit(sim.url).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"GET /en/ HTTP/1.1\r\nHost: x\r\n\r\n")
            raw.settimeout(0.3)
            with pytest.raises(TimeoutError):
                raw.recv(1)
        assert sim.state()["counts"]["faults/hang"] == 1


@pytest.mark.sitesim
@pytest.mark.slow
def test_the_batch_cursor_holds_for_any_moment_of_a_year_of_100000_articles() -> None:
    """Any moment of the simulated year as a cursor (the history walks enter the feed there): the batch
    holds the newest cards of that edition's feed strictly older than it, newest first; below the first
    article the batch is empty."""
    rng = random.Random(19)
    with SiteSimulator(articles=100_000, seed=3) as sim:
        articles = sim.articles()
        first = datetime.fromisoformat(articles[-1]["published"])
        last = datetime.fromisoformat(articles[0]["published"])
        for lang in LANGUAGES:
            feed = sorted(
                (a["published"], canonical_url(a["url"])) for a in articles if language_of(a["url"]) == lang
            )
            data_url = f"{BASE_URL}{SITE[lang].prefix}/infinity/index"
            moments = [first + (last - first) * rng.random() for _ in range(12)]
            moments += [datetime.fromisoformat(feed[len(feed) // 2][0]), first, last + timedelta(days=1)]
            for moment in moments:
                cursor = moment.strftime("%Y-%m-%d %H:%M:%S")
                url = next_batch_url(data_url, cursor)
                status, body = sim.get(_path(url))
                assert status == 200, (lang, cursor)
                cards = parse_cards(HtmlResponse(url, body=body, encoding="utf-8"), listing="feed")
                older = feed[: bisect.bisect_left(feed, (moment.strftime("%Y-%m-%dT%H:%M:%S"),))]
                expected = older[::-1][: len(cards)]
                assert len(cards) == min(len(older), 20), (lang, cursor, len(cards), len(older))
                got = [
                    (_baku(c.published_at), canonical_url(c.url))
                    for c in cards
                    if c.published_at is not None and c.url
                ]
                assert got == expected, (lang, cursor)


def _baku(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(BAKU).strftime("%Y-%m-%dT%H:%M:%S")
