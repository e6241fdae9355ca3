"""The project's commands as a user runs them: ``scrapy runs``, and ``scrapy crawl`` refusing to start
next to another crawl of the same store, with the refusal in LOG_FILE (the job's log under Scrapyd)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl import runlock
from newscrawl.store import Store

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"

pytestmark = pytest.mark.slow


def scrapy(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSCRAWL_")}
    env.update(
        NEWSCRAWL_SQLITE=str(store),
        NEWSCRAWL_DATA_DIR=str(store.parent),
        NEWSCRAWL_REPLAY=str(SNAPSHOT),
        SCRAPY_SETTINGS_MODULE="newscrawl.settings",
    )
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_runs_lists_the_runs_oldest_first(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    first = store.start_run("report_feed", {}, "2026-01-29T21:00:00+04:00")
    store.finish_run(
        first,
        {
            "newscrawl/stored/articles/new": 57,
            "newscrawl/articles/skipped_known": 3,
            "newscrawl/feed_entries": 135,
            "newscrawl/failed/timeout": 2,
            "newscrawl/failed/timeout/en": 2,
        },
        "finished",
        "partial",
    )
    store.start_run("report_feed", {}, "2026-01-29T22:00:00+04:00")  # still running, or killed
    store.close()
    result = scrapy(tmp_path / "s.sqlite3", "runs")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["start", "(UTC)", "duration", "reason", "outcome", "new", "changed", "skipped",
                              "feed", "entries", "failures"]  # fmt: skip
    assert [row.split()[3:] for row in rows] == [
        ["finished", "partial", "57", "0", "3", "135", "2"],
        ["unfinished", "-", "0", "0", "0", "0", "0"],
    ]
    assert len(scrapy(tmp_path / "s.sqlite3", "runs", "-n", "1").stdout.splitlines()) == 2


def test_runs_without_a_store_says_so_in_one_sentence(tmp_path: Path) -> None:
    result = scrapy(tmp_path / "missing.sqlite3", "runs")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"scrapy runs: error: there is no store at {tmp_path / 'missing.sqlite3'}; run a crawl first, "
        "or point NEWSCRAWL_DATA_DIR or NEWSCRAWL_SQLITE at the store"
    ]
    assert not (tmp_path / "missing.sqlite3").exists()


def test_runs_refuses_a_bad_count(tmp_path: Path) -> None:
    result = scrapy(tmp_path / "s.sqlite3", "runs", "-n", "0")
    assert result.returncode == 2
    assert "-n must be a whole number of at least 1 (got '0'), e.g. -n 20" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_crawl_refuses_to_start_while_another_holds_the_store(tmp_path: Path) -> None:
    store = tmp_path / "newscrawl.sqlite3"
    Store.open(store).close()
    # What a running crawl holds between two commits, when SQLite's own lock is free.
    fd = runlock.hold(store)
    try:
        result = scrapy(store, "crawl", "report_feed", "-s", f"LOG_FILE={tmp_path / 'job.log'}")
    finally:
        os.close(fd)
    assert result.returncode == 1
    sentence = f"another crawl is writing to {store}; wait for it or set NEWSCRAWL_SQLITE to another file"
    assert f"scrapy crawl: error: {sentence}" in result.stderr
    log = (tmp_path / "job.log").read_text(encoding="utf-8")
    assert f"[newscrawl.commands.crawl] ERROR: {sentence}" in log
    assert not (tmp_path / "articles.jsonl").exists()

    # Free again once the other crawl is gone.
    result = scrapy(
        store, "crawl", "report_feed", "-a", "lang=en", "-a", "categories=none", "-a", "max_pages=1"
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_an_argument_error_goes_to_the_log_file_once(tmp_path: Path) -> None:
    result = scrapy(tmp_path / "s.sqlite3", "crawl", "report_feed", "-a", "lang=xx", "-s",
                    f"LOG_FILE={tmp_path / 'job.log'}")  # fmt: skip
    assert result.returncode == 2
    sentence = "lang must be a comma list of az, en, ru (got 'xx'): -a lang=en,ru"
    assert sentence in result.stderr
    errors = [line for line in (tmp_path / "job.log").read_text().splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and errors[0].endswith(sentence)
    assert not (tmp_path / "s.sqlite3").exists()


def test_without_log_file_the_sentence_is_printed_once(tmp_path: Path) -> None:
    result = scrapy(tmp_path / "s.sqlite3", "crawl", "report_feed", "-a", "lang=xx")
    assert result.stderr.count("lang must be a comma list") == 1
