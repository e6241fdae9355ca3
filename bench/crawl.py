"""Crawl throughput, memory and CPU per stage: report_feed over the site simulator against `scrapy bench`.

    .venv/bin/python bench/crawl.py                       # 10,000 articles (a few minutes)
    .venv/bin/python bench/crawl.py --rss-sizes 10000 100000   # also peak RSS at 100,000 (long)
    .venv/bin/python bench/crawl.py --weight heavy        # 100-300 KB pages

In one run:

1. ``scrapy bench`` (Scrapy's own spider and server, default settings) on this machine, before and after
   the crawls: pages/s, their mean the reference (the machine's load changes within minutes).
2. ``report_feed`` with the full pipeline (parsing, loaders, dedupe, SQLite, JSON Lines) over the simulator
   with N articles, every edition, ``since`` far enough back to take them all, politeness relaxed on the
   command line (no delay, no AutoThrottle, 16 requests at a time): pages/s and its ratio to the reference
   (goal >= 0.7), profiled by py-spy into CPU ms per page for each stage of our code.
3. Peak RSS of the crawler process (``wait4``) at each size of ``--rss-sizes`` (goal: the largest within
   1.2x of the smallest).

Prints numbers and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _crawl import PY_SPY_RATE, STAGES, Crawl, crawl_simulator, hotspots, stats_of

from sitesim import SiteSimulator

GOAL_RATIO = 0.7
GOAL_RSS = 1.2
ARGS = {"since": "2000-01-01", "max_pages": "100000"}


def scrapy_bench(work: Path, seconds: int, name: str) -> Crawl:
    """`scrapy bench` outside the project (default settings), like for like with the simulator crawl."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "NEWSCRAWL_"))}
    command = [str(Path(sys.executable).parent / "scrapy"), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"]
    # In a directory of its own: scrapy bench must not find the project's scrapy.cfg.
    cwd = work / name
    cwd.mkdir()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    stats = stats_of(result.stderr)
    return Crawl(stats.get("elapsed_time_seconds", 0.0), 0.0, stats, result.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="articles of the throughput run")
    parser.add_argument(
        "--rss-sizes", default="", help="comma list of sizes for peak RSS (default: --articles)"
    )
    parser.add_argument("--weight", choices=("light", "heavy"), default="light")
    parser.add_argument("--bench-seconds", type=int, default=10, help="duration of scrapy bench")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, profile)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.rss_sizes.split(",") if s.strip()] or [args.articles]

    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-crawl-"))
    try:
        before = scrapy_bench(work, args.bench_seconds, "scrapy-bench-before")
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start")
        rate = before.pages_per_second
        print(f"scrapy bench, before               {rate:8.1f} pages/s ({before.pages} pages)")

        runs: dict[int, Crawl] = {}
        for size in dict.fromkeys([args.articles, *sizes]):
            with SiteSimulator(articles=size, seed=1, weight=args.weight) as sim:
                runs[size] = crawl_simulator(
                    work / f"crawl-{size}", sim.url, ARGS, profile=size == args.articles
                )
                state = sim.state()
            crawl = runs[size]
            articles = int(crawl.stats.get("newscrawl/stored/articles/new", 0))
            print(
                f"report_feed, {size:>7,} articles       {crawl.pages_per_second:8.1f} pages/s "
                f"({crawl.pages} pages, {articles:,} articles stored of {state['articles']:,}, "
                f"{crawl.seconds:.0f} s, peak RSS {crawl.rss_mb:.0f} MB)"
            )
            if crawl.stats.get("log_count/ERROR"):
                print(
                    f"  ({int(crawl.stats['log_count/ERROR'])} ERROR lines in {work}/crawl-{size}/crawl.log)"
                )

        after = scrapy_bench(work, args.bench_seconds, "scrapy-bench-after")
        print(
            f"scrapy bench, after                {after.pages_per_second:8.1f} pages/s ({after.pages} pages)"
        )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        reference = (before.pages_per_second + after.pages_per_second) / 2
        main_run = runs[args.articles]
        ratio = main_run.pages_per_second / reference if reference else 0.0
        verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
        print(
            f"ratio report_feed / scrapy bench     {ratio:8.2f}  "
            f"(to the mean of before and after; goal >= {GOAL_RATIO}: {verdict})"
        )
        if len(sizes) > 1:
            small, large = runs[min(sizes)], runs[max(sizes)]
            rss_ratio = large.rss_mb / small.rss_mb
            verdict = "met" if rss_ratio <= GOAL_RSS else "NOT met"
            print(
                f"peak RSS {max(sizes):,} / {min(sizes):,} articles  {rss_ratio:8.2f}  "
                f"({large.rss_mb:.0f} MB / {small.rss_mb:.0f} MB; goal <= {GOAL_RSS}: {verdict})"
            )

        if main_run.samples:
            pages = max(main_run.pages, 1)
            ms = 1000 / PY_SPY_RATE
            print(
                f"\nCPU ms per page by stage (py-spy, {main_run.samples} samples at {PY_SPY_RATE}/s, "
                f"{pages} pages)"
            )
            for stage in [*(name for name, _ in STAGES), "engine"]:
                count = main_run.stages.get(stage, 0)
                print(f"  {stage:<10} {count * ms / pages:7.2f} ms/page  {count / main_run.samples:6.1%}")
            print(f"  {'total':<10} {main_run.samples * ms / pages:7.2f} ms/page")
            profile = work / f"crawl-{args.articles}" / "profile.txt"
            print("\nhotspots (self time, any code)")
            for frame, count in hotspots(profile, ours_only=False):
                print(f"  {count / main_run.samples:6.1%}  {frame}")
            print("hotspots (deepest frame of newscrawl/ code)")
            for frame, count in hotspots(profile, ours_only=True):
                print(f"  {count / main_run.samples:6.1%}  {frame}")
        else:
            print(
                "\n(no profile: py-spy did not record; is it installed? pip install -r requirements-dev.txt)"
            )
    finally:
        if args.keep:
            print(f"\nwork directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
