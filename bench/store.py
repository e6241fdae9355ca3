"""Benchmark of the SQLite store: write rate and memory of the dedupe path.

    .venv/bin/python bench/store.py [--articles 20000] [--known 10000 100000]

1. Articles per second through ``Store.upsert_article`` into a file-backed store (goal: 5,000/s), beside
   the same rows inserted by one plain ``executemany`` into a bare table in the same run: the reference;
   then cards per second through ``Store.upsert_feed_entry``, new and seen again.
2. Peak RSS of the dedupe path (``DedupePipeline`` and ``StorePipeline`` through the ledger, over a run of
   items, half of them already stored)
   against a store of 10k and of 100k known articles, each measured in a fresh subprocess with
   ``resource.getrusage`` (goal: the larger within 1.2x of the smaller).

Prints numbers and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# bench/incremental.py would shadow Twisted's dependency "incremental": drop this directory from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from newscrawl.items import Article, FeedEntry  # noqa: E402
from newscrawl.store import Store  # noqa: E402

GOAL_PER_SECOND = 5_000
GOAL_RSS_RATIO = 1.2
WORDS = ("neft", "qiymətləri", "Brent", "crude", "rose", "analysts", "expect", "volatility", "OPEC", "Baku")


def make_article(n: int) -> Article:
    """A realistic article: ~2 KB of body, tags, two translations, its own site id."""
    body = "\n\n".join(" ".join(WORDS[(n + i + j) % len(WORDS)] for j in range(40)) for i in range(5))
    return Article(
        url=f"https://report.az/en/finance/story-{n}",
        language="en",
        site_id=str(1_000_000 + n),
        title=f"Story number {n} about {WORDS[n % len(WORDS)]}",
        lead=body.split("\n\n", 1)[0],
        body=body,
        word_count=200,
        published_at="2026-01-29T15:08:00+04:00",
        category="Finance",
        category_slug="finance",
        tags=["Oil", "Brent", WORDS[n % len(WORDS)]],
        author="Economy desk",
        image_url=f"https://static.report.az/photo/{n:08d}_850.jpg",
        images=[],
        has_video=False,
        source_agency="",
        translations={
            "az": f"https://report.az/maliyye-xeberleri/xeber-{n}",
            "ru": f"https://report.az/ru/finansy/novost-{n}",
        },
        fetched_at="2026-01-29T17:00:00+00:00",
    )


def fill(path: Path, count: int) -> float:
    """Upsert count articles into a new store at path; return the seconds it took (close included)."""
    articles = [make_article(n) for n in range(count)]
    start = time.perf_counter()
    store = Store.open(path)
    for article in articles:
        store.upsert_article(article)
    store.close()
    return time.perf_counter() - start


def cards(path: Path, count: int) -> tuple[float, float]:
    """Seconds to upsert count new cards into the store at path, then the same cards seen again."""
    entries = [
        FeedEntry(
            url=f"https://report.az/en/finance/card-{n}",
            language="en",
            title=f"Headline {n}",
            published_at="2026-01-29T15:08:00+04:00",
            category="Finance",
            listing="feed",
            listing_url="https://report.az/en/latest-news",
            position=n % 20,
            seen_at="2026-01-29T17:00:00+00:00",
        )
        for n in range(count)
    ]
    timings = []
    store = Store.open(path)
    for _ in range(2):
        start = time.perf_counter()
        for entry in entries:
            store.upsert_feed_entry(entry)
        store.commit()
        timings.append(time.perf_counter() - start)
    store.close()
    return timings[0], timings[1]


def reference(path: Path, count: int) -> float:
    """One executemany of the same rows into a bare table of the same columns, in WAL mode."""
    articles = [make_article(n) for n in range(count)]
    rows = [
        (
            a.url,
            a.site_id,
            a.language,
            a.title,
            a.lead,
            a.body,
            a.word_count,
            a.published_at,
            a.category,
            a.category_slug,
            a.author,
            a.image_url,
            json.dumps(a.tags),
            json.dumps(a.translations),
            a.fetched_at,
        )
        for a in articles
    ]
    start = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE bare (url TEXT PRIMARY KEY, site_id, language, title, lead, body, word_count, "
        "published_at, category, category_slug, author, image_url, tags, translations, fetched_at)"
    )
    connection.execute("BEGIN")
    connection.executemany(f"INSERT INTO bare VALUES ({', '.join('?' * 15)})", rows)
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - start


def dedupe_rss(path: Path, known: int, items: int) -> dict[str, float]:
    """Run in a fresh process: the dedupe path over items against a store of known articles."""
    from newscrawl.ledger import Ledger
    from newscrawl.pipelines import DedupePipeline, StorePipeline

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ledger = Ledger(None, Store.open(path, batch_size=None), 100)  # type: ignore[arg-type]
    pipelines = (DedupePipeline(ledger, None), StorePipeline(ledger, None))
    passed = dropped = 0
    start = time.perf_counter()
    # Half of the run's articles are already stored (the newest known ones), half are new.
    for n in range(known - items // 2, known + items // 2):
        try:
            item = make_article(n)
            for pipeline in pipelines:
                item = pipeline.process_item(item, None)  # type: ignore[arg-type]
            ledger.item_scraped(item, None)  # type: ignore[arg-type]
            passed += 1
        except Exception:  # DropItem
            dropped += 1
    seconds = time.perf_counter() - start
    ledger.commit()
    ledger.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "known": known,
        "passed": passed,
        "dropped": dropped,
        "items_per_second": items / seconds,
        "maxrss_before_kib": before,
        "maxrss_kib": after,
    }


def vm_hwm_kib() -> int:
    """Peak RSS of this process's own address space (unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(*args: str) -> str:
    command = [sys.executable, __file__, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles written in part 1")
    parser.add_argument("--known", type=int, nargs=2, default=[10_000, 100_000], help="store sizes in part 2")
    parser.add_argument("--items", type=int, default=10_000, help="items through the dedupe path in part 2")
    parser.add_argument("--fill-child", nargs=2, metavar=("PATH", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--rss-child", nargs=2, metavar=("PATH", "KNOWN"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.fill_child:
        fill(Path(args.fill_child[0]), int(args.fill_child[1]))
        return
    if args.rss_child:
        result = dedupe_rss(Path(args.rss_child[0]), int(args.rss_child[1]), args.items)
        print(json.dumps({**result, "vm_hwm_kib": vm_hwm_kib()}))
        return

    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-") as tmp:
        work = Path(tmp)
        # Memory first, while this parent is still small: Linux carries ru_maxrss across fork and exec,
        # so a child started from a grown parent would report the parent's peak. Stores are filled in
        # children of their own for the same reason.
        results = []
        for known in args.known:
            path = work / f"known-{known}.sqlite3"
            child("--fill-child", str(path), str(known))
            results.append(
                json.loads(child("--items", str(args.items), "--rss-child", str(path), str(known)))
            )
        print(f"dedupe path: {args.items:,} items (half of them stored), a fresh process per store size")
        for r in results:
            print(
                f"  {r['known']:>7,} known: peak RSS {r['maxrss_kib'] / 1024:6.1f} MiB "
                f"(after imports {r['maxrss_before_kib'] / 1024:.1f} MiB; "
                f"VmHWM {r['vm_hwm_kib'] / 1024:.1f} MiB), "
                f"{r['items_per_second']:,.0f} items/s, {r['dropped']:,} dropped"
            )
        ratio = results[-1]["maxrss_kib"] / results[0]["maxrss_kib"]
        print(
            f"  peak RSS {args.known[-1]:,} / {args.known[0]:,} known: {ratio:.2f}x "
            f"(goal <= {GOAL_RSS_RATIO}x)"
        )

        count = args.articles
        store_rate = count / fill(work / "store.sqlite3", count)
        bare_rate = count / reference(work / "bare.sqlite3", count)
        print(f"write: {count:,} articles into a file-backed store")
        print(
            f"  Store.upsert_article: {store_rate:10,.0f} articles/s "
            f"({store_rate / GOAL_PER_SECOND:.2f}x the goal)"
        )
        print(f"  plain executemany:    {bare_rate:10,.0f} rows/s     (reference, same run)")
        print(f"  store / reference:    {store_rate / bare_rate:10.2f}")
        new, seen = cards(work / "store.sqlite3", count)
        print(
            f"  Store.upsert_feed_entry: {count / new:7,.0f} new cards/s, "
            f"{count / seen:,.0f} cards/s seen again"
        )


if __name__ == "__main__":
    main()
