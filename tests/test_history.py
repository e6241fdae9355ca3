"""Windows of the past (``-a since=... -a until=...``) against the site simulator's own article list:
exact at their boundaries, through the batch cursor or, when the site ignores it, from page 1; and the
continuous history (``-a history=...``) over several runs. Cut windows: tests/test_history_cuts.py."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from windows import history_parts as _history
from windows import listing_pages as _listing_pages
from windows import stored as _stored
from windows import truth as _truth

from newscrawl.arguments import DEFAULT_HISTORY_BUDGET
from newscrawl.dates import BAKU
from newscrawl.spiders.report_feed import ReportFeedSpider
from sitesim import SiteSimulator
from sitesim.crawls import ROOT, read_jsonl
from sitesim.soak import clock_after, crawl

pytestmark = pytest.mark.slow

ARTICLES = 600


def test_a_window_stores_exactly_its_articles_including_both_boundaries(tmp_path: Path) -> None:
    with SiteSimulator(articles=ARTICLES, seed=41) as sim:
        articles = sim.articles()
        # The boundaries are the publishing times of two articles: both belong to the window.
        until, since = articles[120]["published"], articles[380]["published"]
        # until spelled in UTC: the same instant as the card's Baku time.
        until_utc = datetime.fromisoformat(until).replace(tzinfo=BAKU).astimezone(UTC).isoformat()
        code, log = crawl(tmp_path, sim, clock_after(sim), args={"since": since, "until": until_utc})
        assert code == 0, log[-3000:]
        truth = _truth(sim, since, until)
        stored = _stored(tmp_path)
        assert articles[120]["url"] in stored and articles[380]["url"] in stored
        assert stored == truth
        # Cards newer than until were neither stored nor requested; nothing started from page 1.
        counts = sim.state()["counts"]
        assert counts["requests/article"] == len(truth)
        assert "requests/feed" not in counts and "requests/home" not in counts
        entries = read_jsonl(tmp_path / "feed_entries.jsonl")
        assert {str(e["url"]) for e in entries} == truth
        assert all(done for _, _, done, _ in _history(tmp_path))
        assert "ignored the cursor" not in log

        # The same window again: done, nothing read.
        sim.reset_counts()
        code, log = crawl(tmp_path, sim, clock_after(sim), args={"since": since, "until": until})
        assert code == 0, log[-3000:]
        assert _listing_pages(sim) == 0
        assert "read completely by an earlier run" in log


@pytest.mark.parametrize("archive", [True, False])
def test_a_site_that_ignores_the_cursor_is_noticed_and_read_another_way(
    tmp_path: Path, archive: bool
) -> None:
    with SiteSimulator(articles=ARTICLES, seed=42, ignore_cursor=True, no_archive=not archive) as sim:
        articles = sim.articles()
        until, since = articles[200]["published"], articles[450]["published"]
        code, log = crawl(tmp_path, sim, clock_after(sim), args={"since": since, "until": until})
        assert code == 0, log[-3000:]
        assert "the site ignored the cursor; reading the daily archive instead" in log
        assert "'newscrawl/failed/cursor_ignored': 3" in log  # once per edition
        assert _stored(tmp_path) == _truth(sim, since, until)
        counts = sim.state()["counts"]
        if archive:
            assert counts["requests/archive"] >= 3 and "requests/feed" not in counts
        else:
            assert "the daily archive answered 404" in log and "it is missing for this edition" in log
            assert "'newscrawl/failed/archive_missing': 3" in log
            assert counts["requests/feed"] == 3  # then page 1 of each edition's feed
        assert all(done for _, _, done, _ in _history(tmp_path))


def test_until_errors_exit_2_with_one_sentence(tmp_path: Path) -> None:
    with SiteSimulator(articles=100, seed=43) as sim:
        clock = clock_after(sim)
        cases = {
            "is before since": {"since": "2026-01-20", "until": "2026-01-10"},
            "is after the crawl's now": {"since": "2026-01-20", "until": "2027-01-01"},
            "until must be an ISO date or datetime": {"since": "2026-01-20", "until": "last tuesday"},
            "needs since": {"until": "2026-01-10"},
        }
        for message, args in cases.items():
            code, log = crawl(tmp_path, sim, clock, args=args)
            assert code == 2, log[-2000:]
            assert message in log and "Traceback" not in log
        assert sim.state()["counts"].get("requests/article", 0) == 0


def test_continuous_history_over_several_runs_ends_with_the_whole_site(tmp_path: Path) -> None:
    with SiteSimulator(articles=900, seed=45) as sim:
        history = sim.articles()[-1]["published"][:10]  # the day of the site's first article
        args = {"history": history, "history_budget": "8"}
        done = False
        for run in range(10):
            if run:
                sim.advance(add=30)  # new articles between runs: no gap may open behind them
            code, log = crawl(tmp_path, sim, clock_after(sim), args=args)
            assert code == 0, log[-3000:]
            assert "History (" in log
            parts = _history(tmp_path)
            # The budget is shared by the editions: the one whose Latest News walk ends last may find it
            # spent in an early run, and start its history in a later one.
            assert 1 <= len(parts) <= 3, log[-6000:]
            if len(parts) == 3 and all(done for _, _, done, _ in parts):
                done = True
                break
        assert done and run > 1  # the budget spread the history over several runs
        truth = {a["url"] for a in sim.articles() if a["published"][:10] >= history}
        assert _stored(tmp_path) == truth
        lines = [str(line["url"]) for line in read_jsonl(tmp_path / "articles.jsonl")]
        assert len(lines) == len(set(lines))
        runs = subprocess.run(
            [sys.executable, "-m", "scrapy", "runs"],
            cwd=ROOT,
            env={**os.environ, "NEWSCRAWL_SQLITE": str(tmp_path / "newscrawl.sqlite3")},
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"history az: complete, toward {history}" in runs.stdout


def test_a_budget_in_minutes_and_the_history_in_the_progress_lines(tmp_path: Path) -> None:
    with SiteSimulator(articles=300, seed=47) as sim:
        history = sim.articles()[-1]["published"][:10]
        clock = clock_after(sim)
        # Minutes count from the run's start: this budget is spent before the ordinary walk ends.
        code, log = crawl(tmp_path, sim, clock, args={"history": history, "history_budget": "0.0001m"})
        assert code == 0, log[-3000:]
        assert "the budget of 0.0001 minutes is spent before its walk" in log, log[-3000:]
        assert "newscrawl/history/pages" not in log and "history at" not in log
        assert not any(done for _, _, done, _ in _history(tmp_path))
        # Ten hours: the whole history in this run, its position and pace in the progress line.
        code, log = crawl(tmp_path, sim, clock, args={"history": history, "history_budget": "600m"})
        assert code == 0, log[-3000:]
        finished = next(line for line in log.splitlines() if "Finished (finished)" in line)
        for lang in ("az", "en", "ru"):
            assert f"{lang}: " in finished and "articles/day, ETA" in finished, finished
        assert finished.count("history at") == 3, finished
        parts = _history(tmp_path)
        assert len(parts) == 3 and all(done for _, _, done, _ in parts), parts
        truth = {a["url"] for a in sim.articles() if a["published"][:10] >= history}
        assert _stored(tmp_path) == truth


BAD_BUDGET = "history_budget must be listing pages or minutes of the run"


def test_history_errors_exit_2(tmp_path: Path) -> None:
    with SiteSimulator(articles=100, seed=46) as sim:
        clock = clock_after(sim)
        for args, message in (
            ({"history": "2026-01-01", "until": "2026-01-10", "since": "2026-01-05"}, "cannot be combined"),
            ({"history": "2026-01-01", "history_budget": "0"}, BAD_BUDGET),
            ({"history": "2026-01-01", "history_budget": "2.5p"}, BAD_BUDGET),
            ({"history": "2099-01-01"}, "is after the crawl's now"),
        ):
            code, log = crawl(tmp_path, sim, clock, args=args)
            assert code == 2 and message in log, log[-2000:]


def test_the_history_setting_stands_for_the_argument() -> None:
    crawler = get_crawler(ReportFeedSpider, {"NEWSCRAWL_HISTORY": "2025-01-01"})
    args = ReportFeedSpider.from_crawler(crawler).args
    assert args.history is not None and args.history.isoformat() == "2025-01-01T00:00:00+04:00"
    assert args.history_budget == DEFAULT_HISTORY_BUDGET
    assert ReportFeedSpider.from_crawler(get_crawler(ReportFeedSpider, {})).args.history is None
