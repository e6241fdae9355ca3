"""The cost of the WARC archive (NEWSCRAWL_WARC) and the speed of re-extraction from it.

    .venv/bin/python bench/warc.py                       # 1,000 articles, heavy pages (a few minutes)
    .venv/bin/python bench/warc.py --articles 3000 --rounds 3 --weight light

In one run, over the site simulator (like bench/crawl.py: full pipeline, politeness relaxed):

1. **Write cost.** ``report_feed`` without and with the archive, alternating, ``--rounds`` times each:
   pages/s of each and the archive's overhead on pages/s (goal <= 10 %).
2. **Disk.** Bytes of the archive per article page (its gzipped request and response records), per
   stored article (everything the crawl archived, listings and robots.txt included), and per day at
   report.az's volume (about 300 articles a day, docs/store.md).
3. **Re-extraction.** ``reextract`` over the archive into a copy of the store, with 1 and with 2
   processes, in article pages/s, against the parse-only speed (``parse_article`` on an HtmlResponse of
   the same bodies, already in memory, as bench/parse.py measures it; goal >= 0.7x per core).

Prints numbers and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _crawl import crawl_simulator

from newscrawl.parsing import parse_article
from newscrawl.site import is_article_url
from newscrawl.store import Store
from newscrawl.warc import ReadReport, iter_records, warc_files
from newscrawl.warc.reextract import reextract
from sitesim import SiteSimulator

ARGS = {"since": "2000-01-01", "max_pages": "100000"}
ARTICLES_A_DAY = 300  # report.az's volume, docs/store.md
GOAL_OVERHEAD = 0.10
GOAL_REEXTRACT = 0.7


def record_sizes(files: list[Path]) -> list[tuple[str, str, int]]:
    """(type, URI, compressed bytes) of every record: each is one gzip member, so its bytes run from its
    offset to the next record's (or the end of the file)."""
    out: list[tuple[str, str, int]] = []
    for path in files:
        records = list(iter_records([path], ReadReport(), check_digests=False))
        ends = [r.offset for r in records[1:]] + [path.stat().st_size]
        out += [(r.type, r.uri, end - r.offset) for r, end in zip(records, ends, strict=True)]
    return out


def parse_only(files: list[Path], rounds: int = 3) -> tuple[float, int]:
    """Article pages/s of parse_article alone on the archived 200 article bodies (read beforehand)."""
    from scrapy.http import HtmlResponse

    bodies = []
    for record in iter_records(files, ReadReport(), check_digests=False):
        if record.type == "response" and is_article_url(record.uri):
            http, body = record.http()
            if http.get_statuscode() == "200":
                bodies.append((record.uri, body))
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for url, body in bodies:
            parse_article(HtmlResponse(url=url, body=body, encoding="utf-8"))
        best = max(best, len(bodies) / (time.perf_counter() - started))
    return best, len(bodies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--weight", choices=("light", "heavy"), default="heavy")
    parser.add_argument("--rounds", type=int, default=2, help="crawls without and with the archive, each")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-warc-"))
    try:
        print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start")
        print(f"site simulator: {args.articles:,} articles, {args.weight} pages; {args.rounds} rounds")
        rates: dict[str, list[float]] = {"plain": [], "warc": []}
        archive = work / "warc-0" / "arc"
        with SiteSimulator(articles=args.articles, seed=1, weight=args.weight) as sim:
            for n in range(args.rounds):
                for mode in ("plain", "warc"):
                    data = work / f"{mode}-{n}"
                    settings = {"NEWSCRAWL_WARC": str(data / "arc")} if mode == "warc" else {}
                    crawl = crawl_simulator(data, sim.url, ARGS, settings)
                    rates[mode].append(crawl.pages_per_second)
                    stored = int(crawl.stats.get("newscrawl/stored/articles/new", 0))
                    print(
                        f"  round {n + 1} {mode:<5} {crawl.pages_per_second:7.1f} pages/s "
                        f"({crawl.pages} pages, {stored:,} articles, {crawl.seconds:.0f} s)"
                    )
        plain, warc = statistics.median(rates["plain"]), statistics.median(rates["warc"])
        overhead = 1 - warc / plain if plain else 0.0
        verdict = "met" if overhead <= GOAL_OVERHEAD else "NOT met"
        print(f"write cost: {plain:.1f} pages/s without, {warc:.1f} with the archive (medians)")
        print(f"  overhead on pages/s {overhead:6.1%} (goal <= {GOAL_OVERHEAD:.0%}: {verdict})")

        files = warc_files(archive)
        sizes = record_sizes(files)
        total = sum(f.stat().st_size for f in files)
        article_uris = {uri for kind, uri, _ in sizes if kind == "response" and is_article_url(uri)}
        per_page = sum(n for kind, uri, n in sizes if uri in article_uris and kind != "warcinfo")
        per_page /= max(len(article_uris), 1)
        store = work / "warc-0" / "newscrawl.sqlite3"
        probe = Store.open(store)
        try:
            articles = int(probe.connection.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            probe.close()
        per_article = total / max(articles, 1)
        print(f"disk: {total:,} bytes in {len(files)} file(s) for {articles:,} articles")
        print(f"  {per_page / 1024:7.1f} KiB per article page (request + response records, gzipped)")
        print(f"  {per_article / 1024:7.1f} KiB per stored article (everything archived / articles)")
        print(
            f"  {per_article * ARTICLES_A_DAY / 1024**2:7.1f} MiB per day at {ARTICLES_A_DAY} articles a day"
        )

        parse_rate, pages = parse_only(files)
        print(f"re-extraction over {pages:,} article pages:")
        print(f"  parse only (parse_article, bodies in memory)  {parse_rate:7.1f} pages/s")
        for jobs in (1, 2):
            copy = work / f"reextract-{jobs}.sqlite3"
            shutil.copy(store, copy)
            target = Store.open(copy)
            try:
                summary = reextract(files, target, jobs=jobs, progress=io.StringIO())
            finally:
                target.close()
            rate = summary.articles / summary.seconds if summary.seconds else 0.0
            ratio = rate / parse_rate / jobs if parse_rate else 0.0
            verdict = "met" if ratio >= GOAL_REEXTRACT else "NOT met"
            print(
                f"  reextract --jobs {jobs}  {rate:7.1f} pages/s ({summary.articles} articles, "
                f"{summary.unchanged} unchanged, {summary.changed} changed, {sum(summary.failed.values())} "
                f"failed; {ratio:.2f}x parse-only per core, goal >= {GOAL_REEXTRACT}: {verdict})"
            )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
