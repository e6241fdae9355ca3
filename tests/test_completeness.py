"""Every run yields the same, complete data: replays agree, interrupted runs lose nothing, kills neither
lose nor duplicate, failures are owed to the next run. Real ``scrapy crawl`` subprocesses throughout."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from crawling import (
    NO_DELAY,
    ROOT,
    SNAPSHOT,
    SNAPSHOT_NEXT,
    Crawled,
    copy_snapshot,
    crawl,
    crawl_command,
    exported_versions,
    last_run,
    manifest,
    read_jsonl,
    snapshot_pages,
    stored_versions,
)
from scrapy.http import HtmlResponse

from newscrawl.replay import iter_snapshot
from newscrawl.site import LANGUAGES, SITE, canonical_url

pytestmark = pytest.mark.slow

# Slowed down and committing often, so that a signal lands mid-crawl with part of the work stored.
SLOW = ("-s DOWNLOAD_DELAY=0.05", "-s CONCURRENT_REQUESTS=1", "-s NEWSCRAWL_SQLITE_BATCH=3")


@dataclass(frozen=True)
class Result:
    """What a store and its JSON Lines hold after one or more runs."""

    versions: dict[str, str]  # article url -> content hash, from the store
    exported: list[tuple[str, str]]  # (url, content hash) of each articles.jsonl line, sorted
    entries: list[tuple[str, str]]  # (url, listing) of each feed_entries.jsonl line, sorted

    @classmethod
    def of(cls, data: Path) -> Result:
        lines = read_jsonl(data / "feed_entries.jsonl") if (data / "feed_entries.jsonl").exists() else []
        return cls(
            stored_versions(data),
            sorted(exported_versions(data)),
            sorted((str(e["url"]), str(e["listing"])) for e in lines),
        )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def clean_full(snapshot_crawl: Crawled) -> Result:
    """One clean replay of the whole snapshot."""
    return Result.of(snapshot_crawl.data)


@pytest.fixture(scope="module")
def clean_default(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """One clean run of the snapshot with the default window."""
    data = tmp_path_factory.mktemp("clean-default")
    ok(crawl(data, SNAPSHOT))
    return Result.of(data)


# -- determinism ----------------------------------------------------------------------------------------


def listing_cards(snapshot: Path) -> set[tuple[str, str]]:
    """(article url, listing) of every card of the feed and category listings, from the snapshot's files:
    each listing's first page and the batches that carry its name in their URL."""
    keys = set()
    for lang in LANGUAGES:
        site = SITE[lang]
        for url, path in iter_snapshot(snapshot):
            if path.suffix != ".html":
                continue
            listing = None
            if url == site.feed_url or url.startswith(f"https://report.az{site.prefix}/infinity/index?"):
                listing = "feed"
            elif url.startswith(f"https://report.az{site.prefix}/infinity/category?slug="):
                listing = "category:" + url.split("slug=", 1)[1].split("&", 1)[0]
            elif any(url == site.category_url(c.slug) for c in site.categories):
                listing = "category:" + url.rsplit("/", 1)[1]
            if listing is None:
                continue
            response = HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")
            for href in response.css("div.index-post-block a.news__item::attr(href)").getall():
                keys.add((canonical_url(response.urljoin(href)), listing))
    return keys


def test_ten_replays_give_the_same_complete_data(tmp_path: Path, snapshot_crawl: Crawled) -> None:
    articles, _ = snapshot_pages(SNAPSHOT)
    missing = set(manifest(SNAPSHOT)["missing"])
    cards = listing_cards(SNAPSHOT)
    results = [Result.of(snapshot_crawl.data)]  # the first: the replay other tests share
    # Two at a time: the machine has two cores, and timing differences are what this test is after.
    for pair in range(5):
        running = []
        for n in (2 * pair, 2 * pair + 1) if pair else (1,):
            data = tmp_path / f"run{n}"
            command, env = crawl_command(data, SNAPSHOT, "since=2000-01-01")
            running.append((data, subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)))
        finished = [(data, process, process.communicate(timeout=300)[1]) for data, process in running]
        for data, process, stderr in finished:
            assert process.returncode == 0, stderr.decode()[-3000:]
            results.append(Result.of(data))
    first = results[0]
    assert set(first.versions) == articles  # every article page of the snapshot, the 404s aside
    assert not set(first.versions) & missing
    assert [url for url, _ in first.exported] == sorted(articles)  # each exported once
    assert cards <= set(first.entries)  # every card of every listing and batch
    assert len(first.entries) == len(set(first.entries))
    for other in results[1:]:
        assert other == first


# -- interrupted runs never narrow the window ------------------------------------------------------------


def test_a_run_stopped_by_a_signal_then_a_default_run_store_everything(
    tmp_path: Path, clean_default: Result
) -> None:
    command, env = crawl_command(tmp_path, SNAPSHOT, *SLOW)
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(first, lambda: len(stored_versions(tmp_path)) >= 5, tmp_path / "first.log")
        first.send_signal(signal.SIGINT)  # what Scrapyd's cancel.json sends
        assert first.wait(timeout=120) == 1
    assert last_run(tmp_path).finish_reason == "shutdown"
    assert 0 < len(stored_versions(tmp_path)) < len(clean_default.versions)

    ok(crawl(tmp_path, SNAPSHOT))
    assert stored_versions(tmp_path) == clean_default.versions


def test_a_blocked_run_then_a_default_run_store_everything(tmp_path: Path, clean_default: Result) -> None:
    blocked = copy_snapshot(tmp_path, {SITE[lang].home_url: 403 for lang in LANGUAGES})
    first = crawl(tmp_path, blocked, "-s NEWSCRAWL_BLOCKED_THRESHOLD=3")
    assert first.returncode == 1
    assert last_run(tmp_path).finish_reason == "blocked"
    ok(crawl(tmp_path, SNAPSHOT))
    assert stored_versions(tmp_path) == clean_default.versions


def test_an_unreachable_run_then_a_default_run_store_everything(
    tmp_path: Path, clean_default: Result
) -> None:
    # No replay: every request goes through a proxy on a closed loopback port, refused at once. Its
    # "now" is today, so a window taken from it would leave the whole snapshot behind. No politeness
    # delay: the refused requests still queued when the spider closes would each wait for it.
    command, env = crawl_command(tmp_path, None, "-s RETRY_TIMES=0", *NO_DELAY)
    env["https_proxy"] = env["http_proxy"] = "http://127.0.0.1:9"
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1
    assert last_run(tmp_path).finish_reason == "unreachable"
    ok(crawl(tmp_path, SNAPSHOT))
    assert stored_versions(tmp_path) == clean_default.versions


# -- kills --------------------------------------------------------------------------------------------


def wait_until(process: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, f"the crawl ended before the kill point:\n{log.read_text()[-3000:]}"
    assert ready(), "the kill point was not reached in time"


def kill_when(data: Path, snapshot: Path, ready: Callable[[], bool], *args: str) -> None:
    command, env = crawl_command(data, snapshot, *args, *SLOW)
    log = data / f"killed-{time.monotonic_ns()}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        wait_until(process, ready, log)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)


def feed_entry_rows(data: Path) -> int:
    path = data / "newscrawl.sqlite3"
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=5)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM feed_entries").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


@pytest.mark.parametrize("stored_before_kill", [1, 25, 50])
def test_a_kill_then_a_rerun_gives_the_store_and_lines_of_a_clean_run(
    tmp_path: Path, clean_full: Result, stored_before_kill: int
) -> None:
    kill_when(
        tmp_path, SNAPSHOT, lambda: len(stored_versions(tmp_path)) >= stored_before_kill, "since=2000-01-01"
    )
    assert len(stored_versions(tmp_path)) < len(clean_full.versions)
    ok(crawl(tmp_path, SNAPSHOT, "since=2000-01-01"))
    after = Result.of(tmp_path)
    assert after.versions == clean_full.versions
    # Exactly once: each stored version has one line, and every line is a stored version.
    assert after.exported == clean_full.exported
    assert after.entries == clean_full.entries


def test_a_kill_during_an_incremental_run_keeps_the_newest_versions(
    tmp_path: Path, snapshot_crawl: Crawled
) -> None:
    # Both start from a clean replay of the whole snapshot.
    reference = snapshot_crawl.copy_to(tmp_path / "reference")
    ok(crawl(reference, SNAPSHOT_NEXT))
    expected = Result.of(reference)

    data = snapshot_crawl.copy_to(tmp_path / "killed")
    cards_before = feed_entry_rows(data)
    # Killed once the new run has committed cards of its own: the corrected headline's card may be in
    # the store while its article is not.
    kill_when(data, SNAPSHOT_NEXT, lambda: feed_entry_rows(data) > cards_before)
    ok(crawl(data, SNAPSHOT_NEXT))
    after = Result.of(data)
    assert after.versions == expected.versions
    assert after.exported == expected.exported
    assert after.entries == expected.entries


# -- failures are owed, statuses are never parsed ---------------------------------------------------


def deepest_feed_card(lang: str) -> tuple[str, str]:
    """An article of the edition's feed that only its last batch shows: its canonical URL, and the URL the
    card links (an old-design article keeps its trailing slash)."""
    site = SITE[lang]
    batches = sorted(
        (url, path)
        for url, path in iter_snapshot(SNAPSHOT)
        if url.startswith(f"https://report.az{site.prefix}/infinity/index?") and path.stat().st_size > 200
    )
    url, path = batches[0]  # the oldest cursor: the last batch with cards
    response = HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")
    hrefs = response.css("div.index-post-block a.news__item::attr(href)").getall()
    linked = response.urljoin(hrefs[-1])
    return canonical_url(linked), linked


def test_an_article_that_failed_is_requested_by_the_next_run_behind_known_pages(tmp_path: Path) -> None:
    failing, linked = deepest_feed_card("en")
    broken = copy_snapshot(tmp_path, {linked: 503})
    first = crawl(tmp_path, broken, "since=2000-01-01", "-s RETRY_TIMES=1")
    assert first.returncode == 3, first.stderr[-3000:]  # finished, but partial
    assert f"Article failed (http_5xx), owed to the next run: {failing}" in first.stderr
    run = last_run(tmp_path)
    assert (run.finish_reason, run.outcome) == ("finished", "partial")
    assert run.stats["newscrawl/failed/http_5xx"] == 1
    assert failing not in stored_versions(tmp_path)

    # The site recovers. The feed's first page is all known now; the article sits in its last batch.
    second = ok(crawl(tmp_path, SNAPSHOT))
    assert failing in stored_versions(tmp_path)
    run = last_run(tmp_path)
    assert run.outcome == "complete"
    assert run.stats["newscrawl/articles/owed"] == 1
    assert run.stats.get("newscrawl/articles/requested", 0) == 0
    assert "Article failed" not in second.stderr


def test_error_pages_are_never_parsed(tmp_path: Path) -> None:
    # Blocked-burst detection off: each 403 is a failure named in the log, and the home pages' cards
    # are not read from the error pages.
    homes = {SITE[lang].home_url: 403 for lang in LANGUAGES}
    first = crawl(
        tmp_path, copy_snapshot(tmp_path, homes), "since=2000-01-01", "-s NEWSCRAWL_BLOCKED_THRESHOLD=0"
    )
    assert first.returncode == 3, first.stderr[-3000:]
    run = last_run(tmp_path)
    assert run.stats["newscrawl/failed/http_403"] == len(LANGUAGES)
    for url in homes:
        assert f"Home page {url} failed (http_403)" in first.stderr
    entries = read_jsonl(tmp_path / "feed_entries.jsonl")
    assert not [e for e in entries if e["listing"] in ("home", "sidebar")]
    # The listings were walked from the site model: every article is still there.
    assert set(stored_versions(tmp_path)) == snapshot_pages(SNAPSHOT)[0]


# -- outputs follow the command line ------------------------------------------------------------------


def test_dash_capital_o_replaces_the_default_json_lines(tmp_path: Path) -> None:
    command, env = crawl_command(tmp_path / "data", SNAPSHOT, "since=2000-01-01")
    command += ["-O", str(tmp_path / "out.jsonl")]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "data" / "articles.jsonl").exists()
    assert not (tmp_path / "data" / "feed_entries.jsonl").exists()
    lines = read_jsonl(tmp_path / "out.jsonl")
    assert {line["url"] for line in lines if "body" in line} == snapshot_pages(SNAPSHOT)[0]


def test_paths_and_contact_are_settings(tmp_path: Path) -> None:
    command, env = crawl_command(tmp_path / "ignored", SNAPSHOT, "since=2000-01-01", "lang=en")
    for name in ("NEWSCRAWL_DATA_DIR", "NEWSCRAWL_SQLITE"):
        env.pop(name)
    command += [
        "-s",
        f"NEWSCRAWL_DATA_DIR={tmp_path / 'chosen'}",
        "-s",
        "NEWSCRAWL_CONTACT_URL=https://x.test/c",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "ignored").exists()
    assert (tmp_path / "chosen" / "newscrawl.sqlite3").is_file()
    assert (tmp_path / "chosen" / "articles.jsonl").is_file()
    assert "'USER_AGENT': 'newscrawl/0.1 (+https://x.test/c)'" in result.stderr
    assert (
        json.loads((tmp_path / "chosen" / "articles.jsonl").read_text().splitlines()[0])["language"] == "en"
    )
