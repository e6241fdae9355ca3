"""A window of the past cut short (SIGKILL, SIGINT as Scrapyd's cancel.json sends it,
``CLOSESPIDER_ITEMCOUNT``, a failed batch) and resumed: the same articles as one uninterrupted run,
within 1.3x its listing pages."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from windows import history_parts as _history
from windows import listing_pages as _listing_pages
from windows import stored as _stored
from windows import truth as _truth

from sitesim import SiteSimulator
from sitesim.crawls import ROOT, crawl_command, read_jsonl
from sitesim.soak import SETTINGS, clock_after, crawl

pytestmark = pytest.mark.slow


def _window(sim: SiteSimulator) -> dict[str, str]:
    articles = sim.articles()
    return {"since": articles[-50]["published"], "until": articles[30]["published"]}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], int]:
    """One uninterrupted run of the window that the cut runs below are compared with."""
    data = tmp_path_factory.mktemp("whole")
    with SiteSimulator(articles=1500, seed=44) as sim:
        code, log = crawl(data, sim, clock_after(sim), args=_window(sim))
        assert code == 0, log[-3000:]
        return _stored(data), _listing_pages(sim)


def _signal_when_reached(
    data: Path, sim: SiteSimulator, clock: str, args: dict[str, str], signum: signal.Signals
) -> str:
    """Start the window's run, send it ``signum`` once some edition's mark has moved (mid-window); its
    log."""
    command, env = crawl_command(data, sim.url, args, {**SETTINGS, "NEWSCRAWL_CLOCK": clock})
    with (data / "killed.log").open("w") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.2)
                if not (data / "newscrawl.sqlite3").exists():
                    continue
                try:
                    with closing(sqlite3.connect(data / "newscrawl.sqlite3", timeout=1)) as db:
                        reached = db.execute("SELECT count(*) FROM history WHERE reached IS NOT NULL")
                        if reached.fetchone()[0]:
                            break
                except sqlite3.OperationalError:
                    continue
        finally:
            process.send_signal(signum)
            process.wait(timeout=120)
    return (data / "killed.log").read_text()


# SIGINT is what Scrapyd's cancel.json sends (its default signal): Scrapy's graceful shutdown.
@pytest.mark.parametrize("cut", ["kill", "sigint", "itemcount", "failed_page"])
def test_a_cut_window_resumes_where_it_stopped(
    tmp_path: Path, cut: str, uninterrupted: tuple[set[str], int]
) -> None:
    whole, whole_pages = uninterrupted
    data = tmp_path / "cut"
    data.mkdir()
    with SiteSimulator(articles=1500, seed=44) as sim:
        args, clock = _window(sim), clock_after(sim)
        if cut == "kill":
            _signal_when_reached(data, sim, clock, args, signal.SIGKILL)
        elif cut == "sigint":
            log = _signal_when_reached(data, sim, clock, args, signal.SIGINT)
            assert "shutting down gracefully" in log and "(shutdown)" in log, log[-3000:]
        elif cut == "itemcount":
            code, log = crawl(data, sim, clock, args=args, settings={"CLOSESPIDER_ITEMCOUNT": "400"})
            assert code is not None and "closespider_itemcount" in log, log[-3000:]
        else:  # a batch that fails, with no retry: its walk is cut off there
            sim.set_faults(["5xx=0.05:batches"], seed=3)
            code, log = crawl(data, sim, clock, args=args, settings={"RETRY_TIMES": "0"})
            sim.set_faults([])
            assert code == 3 and "cut off at page" in log, log[-3000:]
        cut_stored = _stored(data)
        assert 0 < len(cut_stored) < len(whole)
        assert any(reached for _, reached, _, _ in _history(data))
        code, log = crawl(data, sim, clock, args=args)
        assert code == 0, log[-3000:]
        assert "resuming the window below" in log
        assert _stored(data) == whole == _truth(sim, args["since"], args["until"])
        lines = [str(line["url"]) for line in read_jsonl(data / "articles.jsonl")]
        assert len(lines) == len(set(lines))
        pages = _listing_pages(sim)
        print(f"{cut}: cut+resume read {pages} listing pages, one uninterrupted run {whole_pages}")
        assert pages <= 1.3 * whole_pages, (pages, whole_pages)
        assert all(done for _, _, done, _ in _history(data))
