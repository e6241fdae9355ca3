"""Drift monitors: a crawl of the snapshot passes them all; each is tripped by a snapshot copy that
breaks what it watches (a field removed, 500s, no cards, no new articles, an early close)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from crawling import SNAPSHOT, Crawled, crawl, last_run

from newscrawl.replay import iter_snapshot, sidecar_path
from newscrawl.site import LANGUAGES, SITE

MONITORS = (
    "Finish Reason Monitor/Should have the expected finished reason(s)",
    "Field coverage/Every field keeps its coverage",
    "Listings/Listing pages give cards",
    "HTTP errors/4xx/5xx responses stay below their share",
    "New articles/New articles arrive within the window",
    "Item schemas/Items fit their schemas",
)
JSON_LD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)


def failed(data: Path) -> set[str]:
    stats = last_run(data).stats
    prefix = "newscrawl/monitors/failed/"
    return {key[len(prefix) :] for key in stats if key.startswith(prefix)}


def copy_snapshot(tmp_path: Path) -> Path:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    return snapshot


def article_pages(snapshot: Path) -> list[tuple[str, Path]]:
    return [
        (url, path)
        for url, path in iter_snapshot(snapshot)
        if path.suffix == ".html"
        and re.search("news-detail__desc|editor-body", path.read_text(encoding="utf-8"))
    ]


@pytest.mark.slow
def test_a_crawl_of_the_snapshot_passes_every_monitor(snapshot_crawl: Crawled) -> None:
    stats = last_run(snapshot_crawl.data).stats
    assert stats["newscrawl/monitors/passed"] == len(MONITORS)
    assert stats["newscrawl/monitors/failed"] == 0
    assert "Monitor failed" not in snapshot_crawl.log
    for name in MONITORS:
        assert f"{name}... OK" in snapshot_crawl.log


@pytest.mark.slow
def test_author_removed_trips_field_coverage(tmp_path: Path) -> None:
    snapshot = copy_snapshot(tmp_path)
    for _, path in article_pages(snapshot):  # the author exists only in JSON-LD
        path.write_text(JSON_LD.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")
    result = crawl(tmp_path / "data", snapshot, "since=2000-01-01")
    assert result.returncode == 0, result.stderr[-3000:]
    assert failed(tmp_path / "data") == {MONITORS[1]}
    assert "field coverage below threshold: author 0% < 65%" in result.stderr


@pytest.mark.slow
def test_500s_trip_the_error_share(tmp_path: Path) -> None:
    snapshot = copy_snapshot(tmp_path)
    for url, _ in article_pages(snapshot):
        sidecar = sidecar_path(snapshot, url)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps({"url": url, "status": 500, "headers": {}}), encoding="utf-8")
    result = crawl(tmp_path / "data", snapshot, "since=2000-01-01", "-s RETRY_TIMES=0")
    assert result.returncode == 3, result.stderr[-3000:]  # finished, but articles failed
    assert MONITORS[3] in failed(tmp_path / "data")
    assert re.search(r"\d+ of \d+ responses were 4xx/5xx", result.stderr)


@pytest.mark.slow
def test_listings_without_cards_trip_the_listing_monitor(tmp_path: Path) -> None:
    snapshot = copy_snapshot(tmp_path)
    for _, path in iter_snapshot(snapshot):
        if path.suffix == ".html" and "index-post-block" in path.read_text(encoding="utf-8"):
            path.write_text("<html><body><p>Under maintenance</p></body></html>", encoding="utf-8")
    result = crawl(tmp_path / "data", snapshot, "since=2000-01-01", "lang=en")
    assert result.returncode == 3, result.stderr[-3000:]  # every listing cut off at its first page
    assert "cut off at page 1 (empty_listing)" in result.stderr
    assert MONITORS[2] in failed(tmp_path / "data")
    assert "listing pages gave no cards in: en" in result.stderr


@pytest.mark.slow
def test_no_new_articles_over_the_window_trips_its_monitor(tmp_path: Path) -> None:
    snapshot = copy_snapshot(tmp_path)
    for _, path in article_pages(snapshot):
        path.unlink()  # every card's page answers 404: nothing new can be stored
    result = crawl(tmp_path / "data", snapshot, "since=2000-01-01", "-s NEWSCRAWL_MONITOR_MAX_ERROR_SHARE=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert failed(tmp_path / "data") == {MONITORS[4]}
    assert "no new article in the 1 day, 0:00:00 before" in result.stderr


@pytest.mark.slow
def test_an_early_close_trips_the_finish_reason(tmp_path: Path) -> None:
    result = crawl(tmp_path / "data", SNAPSHOT, "since=2000-01-01", "-s CLOSESPIDER_PAGECOUNT=5")
    run = last_run(tmp_path / "data")
    assert run.finish_reason == "closespider_pagecount"
    assert MONITORS[0] in failed(tmp_path / "data")
    assert 'Finished with "closespider_pagecount"' in result.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_thresholds_hold_on_the_snapshot_articles(language: str) -> None:
    from newscrawl import settings

    goldens = Path(__file__).resolve().parents[1] / "fixtures" / "expected" / "snapshot"
    articles = [json.loads(p.read_text(encoding="utf-8")) for p in goldens.rglob("*.json")]
    articles = [a for a in articles if isinstance(a, dict) and a["language"] == language]
    assert articles and SITE[language]
    for field, threshold in settings.NEWSCRAWL_MONITOR_FIELD_COVERAGE.items():
        coverage = sum(a[field] not in (None, [], {}) for a in articles) / len(articles)
        assert coverage >= threshold, (language, field, coverage)
