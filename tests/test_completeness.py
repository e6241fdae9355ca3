"""Every run yields the same, complete data: replays agree, interrupted runs lose nothing, outputs follow
the command line (kills and owed failures: test_completeness_kills.py). Real ``scrapy crawl`` subprocesses
throughout."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from crawling import (
    NO_DELAY,
    ROOT,
    SLOW,
    SNAPSHOT,
    Crawled,
    Result,
    copy_snapshot,
    crawl,
    crawl_command,
    last_run,
    manifest,
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
