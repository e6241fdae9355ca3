"""A backfill: ``since=30d`` over the site simulator, and what it would cost at the default politeness.

    .venv/bin/python bench/backfill.py [--articles 12000] [--days 30]

The simulator holds N articles at its default rate (300 a day across the editions), the newest published a
minute ago. One crawl with ``-a since=<days>d -a max_pages=100000`` (politeness relaxed on the command
line to finish quickly) counts the listing and article requests. From those counts and the politeness
settings of newscrawl/settings.py (one request at a time, DOWNLOAD_DELAY between requests; AutoThrottle
only ever lengthens the delay) it computes the articles per second a polite backfill reaches at best: no
waiting involved. Also computed: how many of the window's articles the default ``max_pages`` would reach.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from _crawl import crawl_simulator, now_baku

from newscrawl import settings
from newscrawl.arguments import DEFAULT_MAX_PAGES
from newscrawl.site import SITE
from sitesim import SiteSimulator
from sitesim.timeline import GeneratedIndex

LISTING_KINDS = ("home", "feed", "category", "feed_batch", "category_batch")


def reachable(index: GeneratedIndex, max_pages: int, since_seconds: float) -> set[int]:
    """Site ids on the first ``max_pages`` pages of every listing, no older than the window."""
    found: set[int] = set()
    for lang in index.languages:
        listings = [(None, index.feed_size)] + [(c.slug, index.category_size) for c in SITE[lang].categories]
        for category, size in listings:
            for story in index.listing(lang, category, None, max_pages * size):
                if (index.now - story.published).total_seconds() <= since_seconds:
                    found.add(story.site_id)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=12_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    end = now_baku()
    index = GeneratedIndex(seed=1, articles=args.articles, end=end)
    window = timedelta(days=args.days)
    in_window = sum(1 for ordinal in range(len(index)) if end - index.story(ordinal).published <= window)
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-backfill-"))
    try:
        with SiteSimulator(articles=args.articles, seed=1, end=end.isoformat()) as sim:
            crawl = crawl_simulator(work, sim.url, {"since": f"{args.days}d", "max_pages": "100000"})
            counts = sim.state()["counts"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    articles = counts.get("requests/article", 0)
    listings = sum(counts.get(f"requests/{kind}", 0) for kind in LISTING_KINDS)
    total = sum(v for k, v in counts.items() if k.startswith("requests/"))
    stored = int(crawl.stats.get("newscrawl/stored/articles/new", 0))
    delay = float(settings.DOWNLOAD_DELAY)
    polite_seconds = total * delay / settings.CONCURRENT_REQUESTS_PER_DOMAIN
    print(
        f"site: {args.articles:,} articles over {(index.now - index.oldest).days} days; "
        f"{in_window:,} published in the last {args.days} days"
    )
    print(
        f"backfill since={args.days}d: {articles:,} article requests, {stored:,} stored, "
        f"{listings:,} listing requests, {total:,} requests in all ({crawl.seconds:.0f} s relaxed)"
    )
    print(f"listing requests per article          {listings / max(articles, 1):.3f}")
    print(
        f"at the default politeness (DOWNLOAD_DELAY {delay:g} s, {settings.CONCURRENT_REQUESTS_PER_DOMAIN} "
        f"request at a time): at least {polite_seconds / 3600:.1f} h, at most "
        f"{stored / polite_seconds:.2f} articles/s"
    )
    default_reach = len(reachable(index, DEFAULT_MAX_PAGES, window.total_seconds()))
    print(
        f"with the default max_pages={DEFAULT_MAX_PAGES}, listings reach {default_reach:,} of the "
        f"{in_window:,} articles in the window ({default_reach / max(in_window, 1):.0%}); pass -a max_pages "
        "for a deep backfill"
    )


if __name__ == "__main__":
    main()
