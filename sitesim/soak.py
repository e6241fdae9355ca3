"""A season of scheduled runs over the site simulator, checked against the simulator's own article list.

Each run is ``scrapy crawl report_feed`` with default arguments into one store, as the 15-minute timer
runs it, with the crawl's clock (``NEWSCRAWL_CLOCK``) set a few minutes after the site's newest article.
Between runs the site publishes new articles and corrects headlines, now and then an outage lets hours
of articles pile up, some runs go through faults, some are killed with SIGKILL, and some headlines are
corrected long after publication. At the end, :func:`judge` compares the store with the site.

Used by ``bench/soak.py`` (30 runs, several seeds) and ``tests/test_soak.py`` (a short season).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from newscrawl.dates import BAKU
from newscrawl.store import content_hash
from sitesim import SiteSimulator
from sitesim.crawls import ROOT, crawl_command, read_jsonl

# What a faulty run meets: each faulty run draws two or three of these.
FAULT_MIX = (
    "5xx=0.08",
    "hang=0.03",
    "reset=0.03",
    "truncate=0.03",
    "429=0.02:articles",
    "empty=0.06:articles",
    "empty=0.15:batches",
    "redirect=0.05:articles",
    "slow=0.05",
)
# Short timeouts keep a season fast: a hang lasts longer than a download may.
SETTINGS = {
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "2",
    "SPIDERMON_ENABLED": "False",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Season:
    """What a season is made of; every draw comes from ``seed``."""

    runs: int = 30
    articles: int = 300
    seed: int = 1
    add: tuple[int, int] = (10, 60)  # articles published between two runs
    change: tuple[int, int] = (0, 5)  # recent headlines corrected between two runs
    late_correction_share: float = 0.2  # runs after which an older headline (6 h to 2 days) is corrected
    fault_share: float = 0.3
    kill_share: float = 0.2
    outage_share: float = 0.1
    outage: tuple[int, int] = (100, 250)  # articles published during an outage (8 to 20 hours)
    kill_after: tuple[float, float] = (1.0, 5.0)  # seconds into a killed run
    # Instead of seconds: a killed run is killed once its JSON Lines grew by this many lines, so that the
    # kill lands mid-crawl whatever the machine's speed (a run that writes fewer ends unkilled).
    kill_at_lines: tuple[int, int] | None = None
    settle: bool = True  # a last healthy run, as the timer's run half a day later would be
    settle_after_hours: float = 12.0  # NEWSCRAWL_RECHECK_HOURS


@dataclass
class RunRecord:
    number: int
    clock: str
    added: int
    changed: int
    late: int
    faults: list[str]
    killed: bool
    outage: bool
    exit_code: int | None
    seconds: float


@dataclass
class Verdict:
    """The store against the site, after the season."""

    in_scope: int
    stored: int
    missing: list[str]
    stale: list[str]
    duplicated: list[str]
    extra: list[str]
    owed: list[str]
    article_requests: int  # article pages the site served (retries included)
    articles_requested: int  # article requests the crawler decided to make (runs that closed)
    ideal: int  # one fetch per stored version
    days: float  # crawl clock from the first run to the last
    listing_pages: int  # pages read by all walks
    recheck_pages: int  # pages read by re-walks of the correction window
    recheck_walks: int
    feed_pages: float  # pages per ordinary Latest News walk, on average
    runs: list[RunRecord] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "in_scope": self.in_scope,
            "stored": self.stored,
            "missing": len(self.missing),
            "stale": len(self.stale),
            "duplicated": len(self.duplicated),
            "extra": len(self.extra),
            "owed": len(self.owed),
            "article_requests": self.article_requests,
            "ideal": self.ideal,
            "requests_per_ideal": round(self.article_requests / self.ideal, 3) if self.ideal else None,
            "days": round(self.days, 2),
            "listing_pages_per_day": round(self.listing_pages / self.days) if self.days else None,
            "recheck_pages_per_day": round(self.recheck_pages / self.days) if self.days else None,
            "recheck_extra_pages_per_day": round(
                (self.recheck_pages - self.recheck_walks * self.feed_pages) / self.days
            )
            if self.days
            else None,
            "kills": sum(r.killed for r in self.runs),
            "faulty_runs": sum(bool(r.faults) for r in self.runs),
            "outages": sum(r.outage for r in self.runs),
            "exit_codes": dict(Counter(str(r.exit_code) for r in self.runs)),
        }


def clock_after(sim: SiteSimulator, minutes: float = 5.0) -> str:
    """The crawl's clock: a few minutes after the site's newest article, in Baku time."""
    newest = datetime.fromisoformat(sim.state()["now"]).replace(tzinfo=BAKU)
    return (newest + timedelta(minutes=minutes)).isoformat()


def crawl(
    data: Path,
    sim: SiteSimulator,
    clock: str,
    kill_after: float | None = None,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    kill_at_lines: int | None = None,
) -> tuple[int | None, str]:
    """One scheduled run; SIGKILLed after ``kill_after`` seconds, or once its JSON Lines grew by
    ``kill_at_lines`` lines, if given. Its exit code (None if killed) and its log."""
    command, env = crawl_command(
        data, sim.url, args or {}, {**SETTINGS, "NEWSCRAWL_CLOCK": clock, **(settings or {})}
    )
    log = data / "crawl.log"
    with log.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        if kill_at_lines is not None:
            added = _LineCounter(data)
            while process.poll() is None:
                if added() >= kill_at_lines:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    return None, log.read_text(encoding="utf-8")
                time.sleep(0.02)
            return process.returncode, log.read_text(encoding="utf-8")
        try:
            process.wait(timeout=kill_after if kill_after is not None else 600)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                raise
            process.send_signal(signal.SIGKILL)
            process.wait()
            return None, log.read_text(encoding="utf-8")
    return process.returncode, log.read_text(encoding="utf-8")


class _LineCounter:
    """Lines added to both JSON Lines files of ``data`` since it was made, reading only the new bytes."""

    NAMES = ("articles.jsonl", "feed_entries.jsonl")

    def __init__(self, data: Path) -> None:
        self.data = data
        self.offsets = {name: _size(data / name) for name in self.NAMES}
        self.lines = 0

    def __call__(self) -> int:
        for name in self.NAMES:
            # A run cuts back what a killed run left uncommitted: count from the cut.
            self.offsets[name] = min(self.offsets[name], _size(self.data / name))
            try:
                with (self.data / name).open("rb") as stream:
                    stream.seek(self.offsets[name])
                    new = stream.read()
            except FileNotFoundError:
                continue
            self.offsets[name] += len(new)
            self.lines += new.count(b"\n")
        return self.lines


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def play(
    data: Path,
    sim: SiteSimulator,
    season: Season,
    on_run: Callable[[RunRecord, str], None] | None = None,
) -> list[RunRecord]:
    """Play the season's runs against a started simulator, into ``data``."""
    rng = random.Random(f"soak:{season.seed}")
    records: list[RunRecord] = []
    corrected_late: list[str] = []
    for number in range(1, season.runs + 1):
        added = changed = late = 0
        outage = number > 1 and rng.random() < season.outage_share
        if number > 1:
            added = rng.randint(*season.outage) if outage else rng.randint(*season.add)
            changed = rng.randint(*season.change)
            sim.advance(add=added, change=changed)
            if rng.random() < season.late_correction_share:
                late_url = _late_candidate(sim, rng)
                if late_url is not None:
                    sim.correct(late_url)
                    corrected_late.append(late_url)
                    late = 1
        faults: list[str] = []
        if number > 1 and rng.random() < season.fault_share:
            faults = rng.sample(FAULT_MIX, rng.randint(2, 3))
        sim.set_faults(faults, seed=number)
        killed = number > 1 and rng.random() < season.kill_share
        kill_after = rng.uniform(*season.kill_after) if killed else None
        kill_at = None
        if killed and season.kill_at_lines:
            # A draw of its own, so the season's other draws stay those of a time-based season.
            kill_at = random.Random(f"soak:{season.seed}:kill:{number}").randint(*season.kill_at_lines)
        if kill_at is not None:
            kill_after = None
        clock = clock_after(sim)
        started = time.monotonic()
        code, log = crawl(data, sim, clock, kill_after, kill_at_lines=kill_at)
        seconds = time.monotonic() - started
        record = RunRecord(number, clock, added, changed, late, faults, code is None, outage, code, seconds)
        records.append(record)
        if on_run is not None:
            on_run(record, log)
    if season.settle:
        # Half a day later with no news: the re-walk of the correction window is due again, so every
        # headline corrected during the season has had its chance to be fetched.
        sim.set_faults([])
        clock = clock_after(sim, minutes=season.settle_after_hours * 60 + 5)
        started = time.monotonic()
        code, log = crawl(data, sim, clock)
        seconds = time.monotonic() - started
        record = RunRecord(season.runs + 1, clock, 0, 0, 0, [], False, False, code, seconds)
        records.append(record)
        if on_run is not None:
            on_run(record, log)
    return records


def _late_candidate(sim: SiteSimulator, rng: random.Random) -> str | None:
    """An article published 6 hours to 2 days before the site's newest one."""
    articles = sim.articles()
    if not articles:
        return None
    newest = datetime.fromisoformat(articles[0]["published"])
    old = [
        a["url"]
        for a in articles
        if timedelta(hours=6) <= newest - datetime.fromisoformat(a["published"]) <= timedelta(days=2)
    ]
    return rng.choice(old) if old else None


def judge(data: Path, sim: SiteSimulator, runs: list[RunRecord] | None = None) -> Verdict:
    """The store in ``data`` against the site's own article list."""
    truth = {a["url"]: a for a in sim.articles()}
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        first_since = db.execute(
            "SELECT json_extract(args, '$.since') FROM runs ORDER BY id LIMIT 1"
        ).fetchone()
        stored = {url: title for url, title in db.execute("SELECT url, title FROM articles")}
        owed = [row[0] for row in db.execute("SELECT url FROM failures ORDER BY url")]
        requested = sum(
            json.loads(stats or "{}").get("newscrawl/articles/requested", 0)
            + json.loads(stats or "{}").get("newscrawl/articles/owed", 0)
            for (stats,) in db.execute("SELECT stats FROM runs")
        )
        versions = db.execute("SELECT coalesce(sum(version), 0) FROM articles").fetchone()[0]
        clocks = [datetime.fromisoformat(c) for (c,) in db.execute("SELECT clock FROM runs ORDER BY id")]
        pages, recheck_pages, recheck_walks = db.execute(
            "SELECT coalesce(sum(pages), 0), coalesce(sum(pages * recheck), 0), coalesce(sum(recheck), 0) "
            "FROM walks WHERE ended_at IS NOT NULL"
        ).fetchone()
        feed_pages = db.execute(
            "SELECT coalesce(avg(pages), 0) FROM walks WHERE listing = 'feed' AND recheck = 0 "
            "AND ended_at IS NOT NULL"
        ).fetchone()[0]
    start = datetime.fromisoformat(first_since[0])
    in_scope = {
        url
        for url, a in truth.items()
        if datetime.fromisoformat(a["published"]).replace(tzinfo=BAKU) >= start
    }
    lines = Counter((str(line["url"]), content_hash(line)) for line in read_jsonl(data / "articles.jsonl"))
    counts = sim.state()["counts"]
    return Verdict(
        in_scope=len(in_scope),
        stored=len(stored),
        missing=sorted(in_scope - stored.keys()),
        stale=sorted(url for url in in_scope & stored.keys() if stored[url] != truth[url]["title"]),
        duplicated=sorted(url for (url, _), n in lines.items() if n > 1),
        extra=sorted(stored.keys() - in_scope),
        owed=owed,
        article_requests=int(counts.get("requests/article", 0)),
        articles_requested=int(requested),
        ideal=int(versions),
        days=(max(clocks) - min(clocks)).total_seconds() / 86400 if clocks else 0.0,
        listing_pages=int(pages),
        recheck_pages=int(recheck_pages),
        recheck_walks=int(recheck_walks),
        feed_pages=float(feed_pages),
        runs=runs or [],
    )
