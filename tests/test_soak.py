"""Scheduled runs into one store, with the crawl's clock fixed (``NEWSCRAWL_CLOCK``): nothing is lost.

One case per way a season of runs used to lose articles silently, then a short season of faults, kills
and outages checked against the simulator's own article list (``bench/soak.py`` runs the long one).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sitesim import SiteSimulator
from sitesim.crawls import read_jsonl
from sitesim.soak import Season, clock_after, crawl, judge, play

pytestmark = pytest.mark.sitesim

ARTICLES = 300


def _stored(data: Path) -> dict[str, str]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        return dict(db.execute("SELECT url, title FROM articles"))


def _owed(data: Path) -> dict[str, str]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        return dict(db.execute("SELECT url, reason FROM failures"))


def _site(sim: SiteSimulator) -> dict[str, str]:
    return {a["url"]: a["title"] for a in sim.articles()}


def _in_window(sim: SiteSimulator, since: str) -> set[str]:
    start = datetime.fromisoformat(since)
    return {a["url"] for a in sim.articles() if datetime.fromisoformat(a["published"] + "+04:00") >= start}


def _first_since(data: Path) -> str:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        row = db.execute("SELECT json_extract(args, '$.since') FROM runs ORDER BY id LIMIT 1").fetchone()
    return str(row[0])


def test_empty_article_pages_are_failed_owed_named_and_fetched_by_the_next_run(tmp_path: Path) -> None:
    with SiteSimulator(articles=ARTICLES, seed=31) as sim:
        sim.set_faults(["empty=0.6:articles"], seed=1)
        clock = clock_after(sim)
        code, log = crawl(tmp_path, sim, clock)
        owed = _owed(tmp_path)
        assert code == 3, log[-3000:]  # finished, partial
        assert len(owed) > 20 and set(owed.values()) == {"empty_body"}
        assert not set(owed) & set(_stored(tmp_path))
        # More than NEWSCRAWL_OWED_LOG_CAP (20): the log names the file that lists them all.
        listed = re.search(r"(\d+) articles are owed to the next run; their URLs are listed in (\S+)", log)
        assert listed is not None and int(listed.group(1)) == len(owed)
        assert {line.split()[0] for line in Path(listed.group(2)).read_text().splitlines()} == set(owed)
        assert all(f"Article failed (empty_body), owed to the next run: {url}" in log for url in owed)

        sim.set_faults([])
        code, log = crawl(tmp_path, sim, clock)
        assert code == 0, log[-3000:]
        assert _owed(tmp_path) == {}
        assert set(_stored(tmp_path)) == _in_window(sim, _first_since(tmp_path))


def test_an_empty_batch_is_asked_again_before_a_walk_counts_as_complete(tmp_path: Path) -> None:
    # Every infinite-scroll batch answers an empty 200 the first time it is asked, then its cards.
    with SiteSimulator(articles=ARTICLES, seed=32) as sim:
        sim.set_faults(["empty=1:batches:once"], seed=1)
        code, log = crawl(tmp_path, sim, clock_after(sim))
        assert code == 0, log[-3000:]
        glitches = sim.state()["counts"]["faults/empty/feed_batch"]
        retried = re.search(r"'newscrawl/empty_body/retried': (\d+)", log)
        assert glitches > 3 and retried is not None and int(retried.group(1)) >= glitches
        window = _in_window(sim, _first_since(tmp_path))
        assert set(_stored(tmp_path)) == window
        # The next run stops at a page of known cards: it must not have been misled by the first.
        sim.set_faults([])
        sim.advance(add=10)
        code, log = crawl(tmp_path, sim, clock_after(sim))
        assert code == 0, log[-3000:]
        assert set(_stored(tmp_path)) == _in_window(sim, _first_since(tmp_path))


def test_a_finished_run_with_gaps_does_not_move_the_next_window_past_them(tmp_path: Path) -> None:
    with SiteSimulator(articles=ARTICLES, seed=33) as sim:
        code, log = crawl(tmp_path, sim, clock_after(sim))
        assert code == 0, log[-3000:]
        # An outage of about 20 hours, then a run whose listings are cut at their first page.
        sim.advance(add=250)
        sim.set_faults(["5xx=1:batches"], seed=1)
        code, log = crawl(tmp_path, sim, clock_after(sim))
        assert code == 3, log[-3000:]
        assert "cut off at page 2 (http_5xx)" in log
        # The timer's next run, a quarter of an hour later.
        sim.set_faults([])
        sim.advance(add=5)
        code, log = crawl(tmp_path, sim, clock_after(sim))
        assert code == 0, log[-3000:]
        assert set(_stored(tmp_path)) == _in_window(sim, _first_since(tmp_path))


def test_a_headline_corrected_a_day_after_publication_is_fetched_again_within_a_day(tmp_path: Path) -> None:
    with SiteSimulator(articles=ARTICLES, seed=34) as sim:
        first_clock = clock_after(sim)
        code, log = crawl(tmp_path, sim, first_clock)
        assert code == 0, log[-3000:]
        newest = datetime.fromisoformat(sim.articles()[0]["published"])
        late = next(
            a for a in sim.articles() if newest - datetime.fromisoformat(a["published"]) > timedelta(hours=20)
        )
        assert late["url"] in _stored(tmp_path)
        corrected = sim.correct(late["url"])
        assert corrected["title"] != late["title"]
        # Runs every six hours; the correction must be in the store within a day of it.
        clock = datetime.fromisoformat(first_clock)
        for _ in range(4):
            sim.advance(add=75)
            clock += timedelta(hours=6)
            code, log = crawl(tmp_path, sim, clock.isoformat())
            assert code == 0, log[-3000:]
        assert _stored(tmp_path)[late["url"]] == corrected["title"]
        versions = [a for a in read_jsonl(tmp_path / "articles.jsonl") if a["url"] == late["url"]]
        assert [a["title"] for a in versions] == [late["title"], corrected["title"]]


def test_a_bad_clock_stops_the_run_with_one_sentence(tmp_path: Path) -> None:
    with SiteSimulator(articles=100, seed=35) as sim:
        code, log = crawl(tmp_path, sim, "last tuesday")
    assert code == 1
    assert "NEWSCRAWL_CLOCK='last tuesday' must be an ISO date and time" in log
    assert "Traceback" not in log


def test_a_season_of_faults_kills_and_outages_ends_with_every_article_at_its_latest_version(
    tmp_path: Path,
) -> None:
    season = Season(
        runs=10,
        articles=ARTICLES,
        seed=7,
        kill_share=0.3,
        fault_share=0.4,
        outage_share=0.2,
        kill_at_lines=(1, 40),  # killed mid-crawl whatever the machine's speed
    )
    with SiteSimulator(articles=ARTICLES, seed=7, hang_seconds=5) as sim:
        runs = play(tmp_path, sim, season)
        verdict = judge(tmp_path, sim, runs)
    assert any(run.killed for run in runs) and any(run.faults for run in runs)
    assert any(run.outage for run in runs) and any(run.late for run in runs)
    assert verdict.in_scope > ARTICLES * 0.9
    assert verdict.missing == []
    assert verdict.stale == []
    assert verdict.duplicated == []
    assert verdict.extra == []
    assert verdict.owed == []
