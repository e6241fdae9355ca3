"""The history benchmark: the whole past of a simulated report.az read through the batch cursor.

    .venv/bin/python bench/backfill.py [--articles 100000] [--compare 10000] [--runs 10]

1. A complete history crawl, Latest News only, down to the first article: one window run
   (``-a since=<the first article> -a until=<the newest>``) over a simulator of ``--articles`` articles,
   politeness relaxed on the command line. Reported: listing pages per article (goal <= 0.06 with 20
   cards a page), whether every article is stored exactly once (store and JSON Lines against the
   simulator's own list), the crawl's peak RSS against the same crawl of a ``--compare``-article site
   (goal <= 1.2x), and the time the same requests would take at the default politeness, computed from
   newscrawl/settings.py, never waited for.
2. The same history as continuous history cut into ``--runs`` budgeted runs (``-a history=<the first
   article's day> -a history_budget=<its pages / runs>``) against one run with a budget large enough:
   the same articles, and the listing pages of the cut runs against the single one (goal <= 1.1x).

Asserts nothing. ``--articles 2000 --compare 1000 --runs 4`` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from _crawl import ROOT

from newscrawl import settings
from sitesim import SiteSimulator
from sitesim.crawls import crawl_command, read_jsonl
from sitesim.soak import SETTINGS, clock_after

LISTING_KINDS = ("home", "feed", "category", "feed_batch", "category_batch", "archive")
# Runs a command and prints its peak RSS (KiB): the wrapper's only child is the crawl.
PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def run(data: Path, sim: SiteSimulator, args: dict[str, str], clock: str) -> tuple[int, int, float]:
    """One crawl: exit code, peak RSS in KiB, seconds."""
    command, env = crawl_command(data, sim.url, args, {**SETTINGS, "LOG_LEVEL": "WARNING"})
    command = [sys.executable, "-c", PEAK_RSS, *command, "-s", f"NEWSCRAWL_CLOCK={clock}"]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    rss = int(result.stderr.strip().splitlines()[-1])
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
    return result.returncode, rss, seconds


def listing_pages(sim: SiteSimulator) -> int:
    counts = sim.state()["counts"]
    return sum(int(counts.get(f"requests/{kind}", 0)) for kind in LISTING_KINDS)


def stored(data: Path) -> tuple[set[str], int]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        urls = {url for (url,) in db.execute("SELECT url FROM articles")}
    lines = [str(line["url"]) for line in read_jsonl(data / "articles.jsonl")]
    return urls, len(lines) - len(set(lines))


def window_crawl(articles: int, work: Path, name: str = "window") -> dict[str, float]:
    """Part 1 for one site size."""
    data = work / f"{name}-{articles}"
    data.mkdir()
    with SiteSimulator(articles=articles, seed=1) as sim:
        site = sim.articles()
        since, until = site[-1]["published"], site[0]["published"]
        code, rss, seconds = run(data, sim, {"since": since, "until": until}, clock_after(sim))
        pages = listing_pages(sim)
        counts = sim.state()["counts"]
        urls, duplicated = stored(data)
        truth = {a["url"] for a in site}
        requests = sum(int(v) for k, v in counts.items() if k.startswith("requests/"))
    return {
        "articles": len(truth),
        "code": code,
        "pages": pages,
        "pages_per_article": pages / max(len(truth), 1),
        "stored": len(urls),
        "missing": len(truth - urls),
        "extra": len(urls - truth),
        "duplicated_lines": duplicated,
        "rss_mib": rss / 1024,
        "seconds": seconds,
        "requests": requests,
    }


def continuous(articles: int, runs: int, budget: int, work: Path, name: str) -> dict[str, float]:
    """Part 2: continuous history until done and nothing owed, ``budget`` pages a run, at most ``runs * 3``
    runs. Run it from a checkout nobody changes meanwhile: a crawl reads some modules only when it first
    needs them."""
    data = work / name
    data.mkdir()
    with SiteSimulator(articles=articles, seed=1) as sim:
        site = sim.articles()
        history = site[-1]["published"][:10]
        args = {"history": history, "history_budget": str(budget)}
        made = 0
        clock = clock_after(sim)
        history_pages = 0
        while made < runs * 3:
            made += 1
            code, _, _ = run(data, sim, args, clock)
            with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
                parts = list(db.execute("SELECT done, pages FROM history WHERE until = 'frontier'"))
                owed = db.execute("SELECT count(*) FROM failures").fetchone()[0]
            history_pages = sum(pages for _, pages in parts)
            # Done once every edition's frontier is done and no article is owed: a run that ends with
            # articles owed (exit 3) leaves them to the next run, as the timer would.
            if code not in (0, 3) or (parts and all(done for done, _ in parts) and not owed):
                break
        pages = listing_pages(sim)
        urls, duplicated = stored(data)
        truth = {a["url"] for a in site if a["published"][:10] >= history}
    return {
        "runs": made,
        "pages": pages,
        "history_pages": history_pages,
        "stored": len(urls),
        "missing": len(truth - urls),
        "extra": len(urls - truth),
        "duplicated_lines": duplicated,
    }


def report_window(big: dict[str, float], small: dict[str, float]) -> None:
    delay = float(settings.DOWNLOAD_DELAY)
    polite = big["requests"] * delay / settings.CONCURRENT_REQUESTS_PER_DOMAIN
    print(json.dumps({"window": big, "compare": small}, indent=1))
    print(
        f"complete history of {big['articles']:,.0f} articles (feed only, one window run): "
        f"{big['pages']:,.0f} listing pages, {big['pages_per_article']:.4f} per article; "
        f"stored {big['stored']:,.0f}, missing {big['missing']:,.0f}, extra {big['extra']:,.0f}, "
        f"duplicated JSON lines {big['duplicated_lines']:,.0f}; {big['seconds']:.0f} s relaxed"
    )
    print(
        f"peak RSS {big['rss_mib']:.0f} MiB against {small['rss_mib']:.0f} MiB for "
        f"{small['articles']:,.0f} articles: {big['rss_mib'] / small['rss_mib']:.2f}x"
    )
    print(
        f"at the default politeness (DOWNLOAD_DELAY {delay:g} s, "
        f"{settings.CONCURRENT_REQUESTS_PER_DOMAIN} request at a time): {big['requests']:,.0f} requests, "
        f"at least {polite / 3600:.1f} h"
    )


def report_continuous(articles: int, runs: int, window_pages: int, work: Path) -> None:
    whole = continuous(articles, 1, window_pages * 2 + 100, work, "continuous-one")
    budget = max(1, math.ceil(window_pages / runs))
    cut = continuous(articles, runs, budget, work, "continuous-cut")
    print(json.dumps({"one_run": whole, "cut": cut}, indent=1))
    print(
        f"continuous history of {articles:,} articles in {cut['runs']:.0f} runs of {budget} pages against "
        f"one run: {cut['pages']:,.0f} against {whole['pages']:,.0f} listing pages "
        f"({cut['pages'] / max(whole['pages'], 1):.2f}x; of them history walks "
        f"{cut['history_pages']:,.0f} against {whole['history_pages']:,.0f}, "
        f"{cut['history_pages'] / max(whole['history_pages'], 1):.2f}x; the rest are each run's ordinary "
        f"walk of every listing); stored {cut['stored']:,.0f} against "
        f"{whole['stored']:,.0f} (missing {cut['missing']:,.0f}, extra {cut['extra']:,.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--part", choices=("window", "continuous", "both"), default="both", help="which part (default both)"
    )
    parser.add_argument(
        "--continuous-articles",
        type=int,
        help="site size of part 2 (default --articles); its budget is "
        "a --runs'th of that site's window pages, measured first when part 1 is not run",
    )
    parser.add_argument(
        "--window-pages",
        type=int,
        help="part 2 alone: the window pages of its site, as part 1 printed them (skips measuring them)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-history-"))
    try:
        if args.part in ("window", "both"):
            big = window_crawl(args.articles, work)
            report_window(big, window_crawl(args.compare, work))
        if args.part in ("continuous", "both"):
            size = args.continuous_articles or args.articles
            if args.part == "both" and size == args.articles:
                window_pages = big["pages"]
            elif args.window_pages:
                window_pages = args.window_pages
            else:
                window_pages = window_crawl(size, work, name="window-for-budget")["pages"]
            report_continuous(size, args.runs, int(window_pages), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
