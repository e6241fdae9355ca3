"""An incremental run after a full one: what the second run fetches when K articles appeared and M headlines
changed.

    .venv/bin/python bench/incremental.py [--articles 2000] [--add 50] [--change 5]

1. The site simulator with N articles, the newest published a minute ago, so the spider's own clock and
   its default ``since`` apply as on a scheduled run.
2. A first full run (``since`` far back, no page limit), politeness relaxed on the command line.
3. The site moves on (``/_sim/advance``): K new articles, M recent headlines corrected.
4. A second run with the spider's default arguments (``since`` = 6 h before the previous run), same store.

Reports the second run's article requests (goal: exactly K + M), its listing requests, and its time against
the first run's, counted by the simulator and by the spider's stats. Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _crawl import crawl_simulator, now_baku

from sitesim import SiteSimulator

LISTING_KINDS = ("home", "feed", "category", "feed_batch", "category_batch")


def listing_requests(counts: dict[str, int]) -> int:
    return sum(counts.get(f"requests/{kind}", 0) for kind in LISTING_KINDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--add", type=int, default=50)
    parser.add_argument("--change", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-incremental-"))
    try:
        with SiteSimulator(articles=args.articles, seed=1, end=now_baku().isoformat()) as sim:
            first = crawl_simulator(work, sim.url, {"since": "2000-01-01", "max_pages": "100000"})
            first_counts = sim.state()["counts"]
            changes = sim.advance(add=args.add, change=args.change)
            sim.reset_counts()
            second = crawl_simulator(work, sim.url, {})
            second_counts = sim.state()["counts"]
        goal = args.add + args.change
        requested = second_counts.get("requests/article", 0)
        print(
            f"site: {args.articles:,} articles, then {len(changes['new'])} new and {len(changes['changed'])} "
            "corrected headlines"
        )
        print(
            f"first run   {first_counts.get('requests/article', 0):6,} article requests  "
            f"{listing_requests(first_counts):5,} listing requests  {first.seconds:6.1f} s"
        )
        listings = listing_requests(second_counts)
        print(
            f"second run  {requested:6,} article requests  {listings:5,} listing requests  "
            f"{second.seconds:6.1f} s"
        )
        verdict = "met" if requested == goal else "NOT met"
        spider_count = int(second.stats.get("newscrawl/articles/requested", 0))
        print(
            f"second run article requests {requested} (spider's count {spider_count}); "
            f"goal exactly K + M = {goal}: {verdict}"
        )
        print(f"second run time / first run time  {second.seconds / first.seconds:.3f}")
        stored = int(second.stats.get("newscrawl/stored/articles/new", 0))
        changed = int(second.stats.get("newscrawl/stored/articles/changed", 0))
        print(f"second run stored {stored} new and {changed} changed articles")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
