"""Shared by the crawl benchmarks: a measured crawl of the site simulator, Scrapy's stats from its log,
and the split of a py-spy profile into the stages of our pipeline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# bench/incremental.py would shadow Twisted's dependency "incremental": drop this directory from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from newscrawl.dates import BAKU  # noqa: E402
from sitesim.crawls import crawl_command  # noqa: E402

_STAT = re.compile(r"^ '([^']+)': ([0-9.]+),?$", re.MULTILINE)
PY_SPY_RATE = 100  # samples per second of CPU time

# A sample belongs to the stage of the deepest frame that names one; patterns are file paths.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("store", ("newscrawl/store/", "newscrawl/ledger.py")),
    ("export", ("scrapy/extensions/feedexport.py", "scrapy/exporters.py", "newscrawl/feeds.py")),
    ("pipelines", ("newscrawl/pipelines.py",)),
    ("loaders", ("newscrawl/loaders.py", "itemloaders/", "itemadapter/")),
    (
        "parse",
        (
            "newscrawl/parsing/",
            "newscrawl/spiders/",
            "parsel/",
            "lxml/",
            "w3lib/html",
            "newscrawl/dates.py",
        ),
    ),
    (
        "download",
        (
            "twisted/web/",
            "twisted/internet/tcp.py",
            "twisted/internet/endpoints.py",
            "scrapy/core/downloader/",
            "scrapy/downloadermiddlewares/",
            "scrapy/http/",
            "scrapy/responsetypes.py",
            "newscrawl/origin.py",
            "newscrawl/middlewares.py",
            "h2/",
        ),
    ),
)
OTHER = "engine"  # Scrapy's engine, scheduler, signals, spider middlewares, the reactor's own machinery


def now_baku() -> datetime:
    """The crawl's clock, as the site simulator's naive Baku time, to the minute."""
    return datetime.now(BAKU).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=1)


@dataclass
class Crawl:
    seconds: float
    rss_mb: float
    stats: dict[str, float]
    log: str
    stages: Counter[str] = field(default_factory=Counter)
    samples: int = 0

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.stats.get("elapsed_time_seconds", self.seconds)


def stats_of(log: str) -> dict[str, float]:
    """The numeric stats of Scrapy's final dump."""
    dump = log.rsplit("Dumping Scrapy stats:", 1)[-1]
    return {name: float(value) for name, value in _STAT.findall(dump)}


def measured(command: list[str], env: dict[str, str], cwd: Path, profile: Path | None = None) -> Crawl:
    """Run a command; its wall time, its own peak RSS (wait4), Scrapy stats, and a py-spy profile."""
    started = time.perf_counter()
    with open(cwd / "crawl.log", "w+", encoding="utf-8") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        spy = None
        if profile is not None:
            py_spy = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
            record = ["record", "--pid", str(process.pid), "--rate", str(PY_SPY_RATE), "--nonblocking"]
            spy = subprocess.Popen(
                [py_spy, *record, "--format", "raw", "--output", str(profile)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if spy is not None:
            spy.wait(timeout=60)
        log_file.seek(0)
        log = log_file.read()
    crawl = Crawl(seconds, usage.ru_maxrss / 1024, stats_of(log), log)
    if profile is not None and profile.exists():
        crawl.stages, crawl.samples = split_profile(profile)
    return crawl


def crawl_simulator(
    work: Path,
    origin: str,
    args: dict[str, str],
    settings: dict[str, str] | None = None,
    profile: bool = False,
) -> Crawl:
    work.mkdir(parents=True, exist_ok=True)
    command, env = crawl_command(work, origin, args, settings)
    return measured(command, env, work, work / "profile.txt" if profile else None)


def split_profile(path: Path) -> tuple[Counter[str], int]:
    """Samples per stage of a py-spy raw profile (``frame;frame;... count`` per line)."""
    stages: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        stages[stage_of(stack.split(";"))] += count
    return stages, total


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, patterns in STAGES:
            if any(p in frame for p in patterns):
                return stage
    return OTHER


def hotspots(path: Path, ours_only: bool = True, top: int = 8) -> list[tuple[str, int]]:
    """Functions with the most samples at the top of the stack (self time); ours only by default."""
    found: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = stack.split(";")
        if ours_only:
            # The crawl command is at the root of every stack: skip it.
            ours = [f for f in frames if "newscrawl/" in f and "newscrawl/commands/" not in f]
            if not ours:
                continue
            frame = ours[-1]
        else:
            frame = frames[-1]
        found[re.sub(r":\d+\)$", ")", frame)] += int(count_text)
    return found.most_common(top)
