"""The report_feed spider end to end: real crawls (subprocesses) replaying the bundled snapshot."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from contextlib import closing
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
    last_run,
    manifest,
    read_jsonl,
    snapshot_pages,
)
from scrapy.utils.test import get_crawler

from newscrawl.arguments import Arguments
from newscrawl.exceptions import ArgumentError
from newscrawl.schemas import ARTICLE, FEED_ENTRY, validator
from newscrawl.site import LANGUAGES, SITE
from newscrawl.spiders.report_feed import ReportFeedSpider
from newscrawl.store import Store


@pytest.fixture
def full_run(snapshot_crawl: Crawled) -> Path:
    return snapshot_crawl.data


@pytest.mark.slow
def test_every_article_exactly_once(full_run: Path) -> None:
    articles, _ = snapshot_pages(SNAPSHOT)
    urls = [item["url"] for item in read_jsonl(full_run / "articles.jsonl")]
    assert len(urls) == len(set(urls))
    assert set(urls) == articles


@pytest.mark.slow
def test_every_card_is_a_feed_entry(full_run: Path) -> None:
    _, cards = snapshot_pages(SNAPSHOT)
    entries = read_jsonl(full_run / "feed_entries.jsonl")
    assert {entry["url"] for entry in entries} >= cards
    keys = [(entry["url"], entry["listing"]) for entry in entries]
    assert len(keys) == len(set(keys))


def assert_items_fit_their_schemas(data: Path, stats: dict[str, object]) -> None:
    """Every line of the JSON Lines fits its schema, and the run validated its items and found none bad."""
    for name, schema in (("articles.jsonl", ARTICLE), ("feed_entries.jsonl", FEED_ENTRY)):
        lines = read_jsonl(data / name)
        assert lines
        for line in lines:
            assert [error.message for error in validator(schema).iter_errors(line)] == [], line["url"]
    assert stats["spidermon/validation/items"] >= stats["item_scraped_count"]  # type: ignore[operator]
    assert "spidermon/validation/items/errors" not in stats
    assert not [key for key in stats if key.startswith("newscrawl/dropped/invalid_")]


@pytest.mark.slow
def test_every_item_of_the_snapshot_fits_its_schema(full_run: Path) -> None:
    assert_items_fit_their_schemas(full_run, last_run(full_run).stats)


@pytest.mark.slow
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


@pytest.mark.slow
def test_incremental_runs_fetch_only_new_and_changed(tmp_path: Path, snapshot_crawl: Crawled) -> None:
    snapshot_crawl.copy_to(tmp_path)  # the first run: the whole snapshot
    articles_before = len(read_jsonl(tmp_path / "articles.jsonl"))
    entries_before = len(read_jsonl(tmp_path / "feed_entries.jsonl"))

    second = crawl(tmp_path, SNAPSHOT_NEXT)
    assert second.returncode == 0, second.stderr[-3000:]
    expected = set(manifest(SNAPSHOT_NEXT)["new"]) | set(manifest(SNAPSHOT_NEXT)["changed"])
    stats = last_run(tmp_path).stats
    assert stats["newscrawl/articles/requested"] == len(expected)
    assert stats["newscrawl/articles/skipped_known"] > 0
    new_lines = read_jsonl(tmp_path / "articles.jsonl")[articles_before:]
    assert {item["url"] for item in new_lines} == expected
    assert_items_fit_their_schemas(tmp_path, stats)
    # A corrected headline reaches feed_entries.jsonl with its new text, on the listings it was on before.
    changed = {
        item["url"]: item["title"] for item in new_lines if item["url"] in manifest(SNAPSHOT_NEXT)["changed"]
    }
    first_entries = read_jsonl(tmp_path / "feed_entries.jsonl")[:entries_before]
    corrected = [
        e for e in read_jsonl(tmp_path / "feed_entries.jsonl")[entries_before:] if e["url"] in changed
    ]
    assert corrected and all(e["title"] == changed[e["url"]] for e in corrected)
    assert {(e["url"], e["listing"]) for e in corrected} & {(e["url"], e["listing"]) for e in first_entries}
    assert stats["newscrawl/stored/feed_entries/changed"] >= 1
    entries_after = len(read_jsonl(tmp_path / "feed_entries.jsonl"))

    third = crawl(tmp_path, SNAPSHOT_NEXT)
    assert third.returncode == 0, third.stderr[-3000:]
    stats = last_run(tmp_path).stats
    assert stats.get("newscrawl/articles/requested", 0) == 0
    assert stats["newscrawl/feed_entries"] > 0
    # Once per change: the same corrected cards again write no line.
    assert len(read_jsonl(tmp_path / "feed_entries.jsonl")) == entries_after


@pytest.mark.slow
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
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "articles.jsonl").exists()


def test_arguments_defaults_and_scrapyd_extras() -> None:
    args = ReportFeedSpider.from_crawler(get_crawler(ReportFeedSpider), _job="abc", setting="X=1").args
    assert args.languages == ("az", "en", "ru")
    assert args.categories is None
    assert args.since is None
    assert args.max_pages > 0
    assert Arguments.parse(categories="none").categories == frozenset()
    with pytest.raises(ArgumentError):
        Arguments.parse(lang="en", categories="drugie-strany")


@pytest.mark.slow
def test_a_burst_of_403_closes_the_spider_as_blocked(tmp_path: Path) -> None:
    snapshot = copy_snapshot(tmp_path, {SITE[lang].home_url: 403 for lang in LANGUAGES})
    result = crawl(tmp_path, snapshot, "-s NEWSCRAWL_BLOCKED_THRESHOLD=3")
    assert result.returncode == 1
    assert "the site is blocking this crawler, so the crawl stops" in result.stderr
    assert last_run(tmp_path).finish_reason == "blocked"
    assert "newscrawl/articles/requested" not in last_run(tmp_path).stats


@pytest.mark.slow
def test_an_unreachable_site_ends_with_one_sentence(tmp_path: Path) -> None:
    # No replay: every request goes through a proxy on a closed loopback port, refused at once. No
    # politeness delay: the refused requests still queued when the spider closes would each wait for it.
    command, env = crawl_command(tmp_path, SNAPSHOT, "-s RETRY_TIMES=0", *NO_DELAY)
    env = {k: v for k, v in env.items() if k != "NEWSCRAWL_REPLAY"}
    env["https_proxy"] = env["http_proxy"] = "http://127.0.0.1:9"
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "report.az cannot be reached" in result.stderr
    assert "make demo" in result.stderr
    assert last_run(tmp_path).finish_reason == "unreachable"


@pytest.mark.slow
def test_a_locked_store_stops_the_run_at_start(tmp_path: Path) -> None:
    Store.open(tmp_path / "newscrawl.sqlite3").close()
    with closing(sqlite3.connect(tmp_path / "newscrawl.sqlite3", isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another crawl writing to the same file
        result = crawl(tmp_path, SNAPSHOT)
    assert result.returncode == 1
    assert "scrapy crawl: error: another crawl is writing to" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "articles.jsonl").exists()


@pytest.mark.slow
def test_scrapy_check_runs_the_callbacks_contracts_on_the_snapshot(tmp_path: Path) -> None:
    command, env = crawl_command(tmp_path, SNAPSHOT)
    command[3:] = ["check", "report_feed"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"Ran [1-9]\d* contracts", result.stderr), result.stderr[-3000:]
    assert "OK" in result.stderr
    store = Store.open(tmp_path / "newscrawl.sqlite3")
    try:
        assert store.counts()["runs"] == 0  # a check is no run: it narrows no window, owes nothing
        assert store.failures() == []
    finally:
        store.close()


@pytest.mark.slow
def test_scrapy_parse_shows_an_article_from_a_bare_url(tmp_path: Path) -> None:
    command, env = crawl_command(tmp_path, SNAPSHOT)
    url = "https://report.az/en/other-countries/s-korean-ministers-head-to-washington-to-discuss-bilateral-trade"
    command[3:] = ["parse", "--spider", "report_feed", "-c", "parse_article", url]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'title': 'S. Korean ministers head to Washington to discuss bilateral trade'" in result.stdout
