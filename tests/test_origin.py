"""NEWSCRAWL_ORIGIN: a crawl of the loopback simulator carries the real report.az URLs, as a replay does."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from crawling import Crawled

from sitesim import SiteSimulator
from sitesim.crawls import crawl_command, read_jsonl, run_crawl

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SINCE = {"since": "2000-01-01"}


@pytest.fixture(scope="module")
def both_crawls(
    tmp_path_factory: pytest.TempPathFactory, snapshot_crawl: Crawled
) -> Iterator[tuple[Path, Path, str]]:
    """The snapshot replayed (the replay other tests share), and the simulator serving the snapshot's
    stories crawled through the origin."""
    replayed, served = snapshot_crawl.data, tmp_path_factory.mktemp("origin")
    with SiteSimulator(stories="snapshot") as sim:
        result = run_crawl(served, sim.url, SINCE)
    assert result.returncode == 0, result.stderr[-3000:]
    yield replayed, served, result.stderr


def _without(items: list[dict[str, object]], field: str) -> list[dict[str, object]]:
    rows = [{k: v for k, v in item.items() if k != field} for item in items]
    return sorted(rows, key=lambda row: (str(row["url"]), str(row.get("listing", ""))))


@pytest.mark.sitesim
def test_articles_through_the_origin_equal_the_replay_apart_from_fetched_at(
    both_crawls: tuple[Path, Path, str],
) -> None:
    replayed, served = both_crawls[:2]
    ours = {row["url"]: row for row in _without(read_jsonl(served / "articles.jsonl"), "fetched_at")}
    theirs = {row["url"]: row for row in _without(read_jsonl(replayed / "articles.jsonl"), "fetched_at")}
    both = ours.keys() & theirs.keys()
    assert len(both) >= 50
    assert [ours[url] for url in sorted(both)] == [theirs[url] for url in sorted(both)]


@pytest.mark.sitesim
def test_both_crawls_store_every_article_of_the_snapshot(both_crawls: tuple[Path, Path, str]) -> None:
    replayed, served = both_crawls[:2]
    for data in (replayed, served):
        assert len({row["url"] for row in read_jsonl(data / "articles.jsonl")}) == 60


@pytest.mark.sitesim
def test_feed_entries_through_the_origin_equal_the_replay_apart_from_seen_at(
    both_crawls: tuple[Path, Path, str],
) -> None:
    replayed, served, _ = both_crawls
    ours = _without(read_jsonl(served / "feed_entries.jsonl"), "seen_at")
    assert ours == _without(read_jsonl(replayed / "feed_entries.jsonl"), "seen_at")


@pytest.mark.sitesim
def test_the_store_and_log_name_report_az_never_the_origin(both_crawls: tuple[Path, Path, str]) -> None:
    _, served, log = both_crawls
    with closing(sqlite3.connect(served / "newscrawl.sqlite3")) as db:
        urls = [row[0] for row in db.execute("SELECT url FROM articles")]
        dump = "\n".join(db.iterdump())
    assert len(urls) >= 50 and all(url.startswith("https://report.az/") for url in urls)
    assert "127.0.0.1" not in dump
    assert "127.0.0.1" not in (served / "articles.jsonl").read_text(encoding="utf-8")
    assert "Fetching report.az from http://127.0.0.1:" in log
    assert "Traceback" not in log


@pytest.mark.sitesim
def test_redirects_from_the_origin_are_mapped_back_to_report_az(tmp_path: Path) -> None:
    # Every slash-less article URL answers 301 to its slash form, with an absolute Location at the origin.
    with SiteSimulator(articles=100, seed=4, faults=["redirect=1.0:articles"]) as sim:
        result = run_crawl(
            tmp_path, sim.url, {**SINCE, "lang": "en", "categories": "none"}, {"LOG_LEVEL": "DEBUG"}
        )
        counts = sim.state()["counts"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert counts["faults/redirect"] > 10
    articles = read_jsonl(tmp_path / "articles.jsonl")
    assert len(articles) == counts["faults/redirect"]
    assert all(str(a["url"]).startswith("https://report.az/en/") for a in articles)
    assert "Redirecting (301) to <GET https://report.az/en/" in result.stderr
    assert "127.0.0.1" not in (tmp_path / "articles.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("origin", "replay", "message"),
    [
        (
            "127.0.0.1:8080",
            "",
            "NEWSCRAWL_ORIGIN='127.0.0.1:8080' must be an origin such as http://127.0.0.1:8080",
        ),
        ("http://127.0.0.1:9/x", "", "no path"),
        ("http://127.0.0.1:9", "fixtures/snapshot", "NEWSCRAWL_ORIGIN and NEWSCRAWL_REPLAY are both set"),
    ],
)
def test_a_bad_origin_stops_the_crawl_with_one_sentence(
    tmp_path: Path, origin: str, replay: str, message: str
) -> None:
    import subprocess

    command, env = crawl_command(tmp_path, origin)
    if replay:
        env["NEWSCRAWL_REPLAY"] = replay
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
