"""Every run yields the same, complete data (continued from test_completeness.py): kills neither lose nor
duplicate, failures are owed to the next run. Real ``scrapy crawl`` subprocesses throughout."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from crawling import (
    ROOT,
    SLOW,
    SNAPSHOT,
    SNAPSHOT_NEXT,
    Crawled,
    Result,
    copy_snapshot,
    crawl,
    crawl_command,
    last_run,
    ok,
    read_jsonl,
    snapshot_pages,
    stored_versions,
    wait_until,
)
from scrapy.http import HtmlResponse

from newscrawl.replay import iter_snapshot
from newscrawl.site import LANGUAGES, SITE, canonical_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_full(snapshot_crawl: Crawled) -> Result:
    """One clean replay of the whole snapshot."""
    return Result.of(snapshot_crawl.data)


# -- kills --------------------------------------------------------------------------------------------


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
