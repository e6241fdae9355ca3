"""The report_feed spider end to end: real crawls (subprocesses) replaying the bundled snapshot."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from newscrawl.replay import iter_snapshot, sidecar_path
from newscrawl.site import LANGUAGES, SITE, canonical_url
from newscrawl.spiders import ArgumentError
from newscrawl.spiders.report_feed import Arguments, ReportFeedSpider
from newscrawl.store import Run, Store

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
SNAPSHOT_NEXT = ROOT / "fixtures" / "snapshot-next"


def crawl_command(data: Path, snapshot: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(data),
        "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
        "NEWSCRAWL_PROGRESS_INTERVAL": "0",
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "report_feed"]
    for arg in args:
        command += ["-s", arg[3:]] if arg.startswith("-s ") else ["-a", arg]
    return command, env


def crawl(data: Path, snapshot: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = crawl_command(data, snapshot, *args)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_run(data: Path) -> Run:
    store = Store.open(data / "newscrawl.sqlite3")
    try:
        run = store.previous_run("report_feed")
    finally:
        store.close()
    assert run is not None
    return run


def manifest(snapshot: Path) -> dict[str, list[str]]:
    return json.loads((snapshot / "SNAPSHOT.json").read_text(encoding="utf-8"))


@functools.cache
def snapshot_pages(snapshot: Path) -> tuple[set[str], set[str]]:
    """Canonical URLs of the article pages and of the cards on listing pages of a snapshot."""
    articles, cards = set(), set()
    for url, path in iter_snapshot(snapshot):
        if path.suffix != ".html":
            continue
        response = HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")
        if response.css("div.news-detail__desc, div.editor-body"):
            articles.add(canonical_url(url))
        for href in response.css("div.index-post-block a.news__item::attr(href)").getall():
            cards.add(canonical_url(response.urljoin(href)))
    return articles, cards


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("full")
    result = crawl(data, SNAPSHOT, "since=2000-01-01")
    assert result.returncode == 0, result.stderr[-3000:]
    return data


def test_every_article_exactly_once(full_run: Path) -> None:
    articles, _ = snapshot_pages(SNAPSHOT)
    urls = [item["url"] for item in read_jsonl(full_run / "articles.jsonl")]
    assert len(urls) == len(set(urls))
    assert set(urls) == articles


def test_every_card_is_a_feed_entry(full_run: Path) -> None:
    _, cards = snapshot_pages(SNAPSHOT)
    entries = read_jsonl(full_run / "feed_entries.jsonl")
    assert {entry["url"] for entry in entries} >= cards
    keys = [(entry["url"], entry["listing"]) for entry in entries]
    assert len(keys) == len(set(keys))


def test_missing_pages_survived_and_counted(full_run: Path) -> None:
    missing = set(manifest(SNAPSHOT)["missing"])
    run = last_run(full_run)
    stats = run.stats
    assert missing
    assert run.finish_reason == "finished"
    assert stats["newscrawl/replay/missing"] == len(missing)
    assert stats["newscrawl/articles/http_404"] == len(missing)
    assert stats["newscrawl/articles/requested"] == len(snapshot_pages(SNAPSHOT)[0]) + len(missing)
    assert not any(key.startswith("spider_exceptions") for key in stats)


def test_incremental_runs_fetch_only_new_and_changed(tmp_path: Path) -> None:
    first = crawl(tmp_path, SNAPSHOT, "since=2000-01-01")
    assert first.returncode == 0, first.stderr[-3000:]
    articles_before = len(read_jsonl(tmp_path / "articles.jsonl"))

    second = crawl(tmp_path, SNAPSHOT_NEXT)
    assert second.returncode == 0, second.stderr[-3000:]
    expected = set(manifest(SNAPSHOT_NEXT)["new"]) | set(manifest(SNAPSHOT_NEXT)["changed"])
    stats = last_run(tmp_path).stats
    assert stats["newscrawl/articles/requested"] == len(expected)
    assert stats["newscrawl/articles/skipped_known"] > 0
    new_lines = read_jsonl(tmp_path / "articles.jsonl")[articles_before:]
    assert {item["url"] for item in new_lines} == expected

    third = crawl(tmp_path, SNAPSHOT_NEXT)
    assert third.returncode == 0, third.stderr[-3000:]
    stats = last_run(tmp_path).stats
    assert stats.get("newscrawl/articles/requested", 0) == 0
    assert stats["newscrawl/feed_entries"] > 0


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("lang=de", "lang must be a comma list of az, en, ru"),
        ("categories=sport", "categories must be all, none or a comma list"),
        ("since=yesterday", "since must be an ISO date or datetime"),
        ("max_pages=0", "max_pages must be a whole number of at least 1"),
    ],
)
def test_bad_argument_stops_with_one_sentence(tmp_path: Path, argument: str, message: str) -> None:
    result = crawl(tmp_path, SNAPSHOT, argument)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "articles.jsonl").exists()


def test_arguments_defaults_and_scrapyd_extras() -> None:
    args = ReportFeedSpider.check_arguments(_job="abc", setting="X=1")
    assert args.languages == ("az", "en", "ru")
    assert args.categories is None
    assert args.since is None
    assert args.max_pages > 0
    assert Arguments.parse(categories="none").categories == frozenset()
    with pytest.raises(ArgumentError):
        Arguments.parse(lang="en", categories="drugie-strany")


def stored_articles(data: Path) -> list[str]:
    path = data / "newscrawl.sqlite3"
    if not path.exists():
        return []
    with closing(sqlite3.connect(path, timeout=5)) as db:
        try:
            return [row[0] for row in db.execute("SELECT url FROM articles")]
        except sqlite3.OperationalError:  # schema not created yet
            return []


def test_killed_halfway_then_run_again(tmp_path: Path) -> None:
    articles, _ = snapshot_pages(SNAPSHOT)
    # Slowed down and committing often, so the kill lands mid-crawl with part of the work stored.
    slow = ("-s DOWNLOAD_DELAY=0.05", "-s CONCURRENT_REQUESTS=1", "-s NEWSCRAWL_SQLITE_BATCH=5")
    command, env = crawl_command(tmp_path, SNAPSHOT, "since=2000-01-01", *slow)
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while len(stored_articles(tmp_path)) < 10 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    assert 0 < len(stored_articles(tmp_path)) < len(articles)

    second = crawl(tmp_path, SNAPSHOT, "since=2000-01-01")
    assert second.returncode == 0, second.stderr[-3000:]
    urls = stored_articles(tmp_path)
    assert len(urls) == len(set(urls))
    assert set(urls) == articles
    for name in ("articles.jsonl", "feed_entries.jsonl"):
        lines = (tmp_path / name).read_bytes().split(b"\n")
        assert lines[-1] == b""  # ends in a newline: no torn last line
        for line in lines[:-1]:
            json.loads(line)


def copy_snapshot_with_status(tmp_path: Path, status: int) -> Path:
    """A copy of the snapshot whose three home pages answer ``status`` (a recorded sidecar says so)."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    for url in (SITE[lang].home_url for lang in LANGUAGES):
        sidecar = sidecar_path(snapshot, url)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps({"url": url, "status": status, "headers": {}}), encoding="utf-8")
    return snapshot


def test_a_burst_of_403_closes_the_spider_as_blocked(tmp_path: Path) -> None:
    snapshot = copy_snapshot_with_status(tmp_path, 403)
    result = crawl(tmp_path, snapshot, "-s NEWSCRAWL_BLOCKED_THRESHOLD=3")
    assert result.returncode == 1
    assert "the site is blocking this crawler, so the crawl stops" in result.stderr
    assert last_run(tmp_path).finish_reason == "blocked"
    assert "newscrawl/articles/requested" not in last_run(tmp_path).stats


def test_an_unreachable_site_ends_with_one_sentence(tmp_path: Path) -> None:
    # No replay: every request goes through a proxy on a closed loopback port, refused at once.
    command, env = crawl_command(tmp_path, SNAPSHOT, "-s RETRY_TIMES=0")
    env = {k: v for k, v in env.items() if k != "NEWSCRAWL_REPLAY"}
    env["https_proxy"] = env["http_proxy"] = "http://127.0.0.1:9"
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "report.az cannot be reached" in result.stderr
    assert "make demo" in result.stderr
    assert last_run(tmp_path).finish_reason == "unreachable"


def test_a_locked_store_stops_the_run_at_start(tmp_path: Path) -> None:
    Store.open(tmp_path / "newscrawl.sqlite3").close()
    with closing(sqlite3.connect(tmp_path / "newscrawl.sqlite3", isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another crawl writing to the same file
        result = crawl(tmp_path, SNAPSHOT)
    assert result.returncode == 1
    assert "scrapy crawl: error: another crawl is writing to" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "articles.jsonl").exists()
