"""Benchmark of `scrapy export`: rows per second against a bare pyarrow write of the same rows.

    .venv/bin/python bench/export.py [--articles 100000]

A temporary store gets ``--articles`` synthetic articles (az/en/ru, ~2 KB of body, tags and translations,
spread over 90 days) through bulk SQL into the schema ``Store`` creates. Then, in the same run:

1. the reference: the same article columns read with one SELECT and written by ``pyarrow.parquet`` into a
   single file, with no partitioning, no stories, no state and no card;
2. a full ``export_dataset`` to Parquet (partitions, stories, state, Data Package, card and chart), and
   the peak resident memory of the same export run alone in a child process;
3. an incremental export after 1% more articles, spread over every day and language of the store (each
   of the 270 partitions gets new rows: the most files an increment of this size can touch);
4. an incremental export after 1% of the stored articles changed (a corrected title, fetched again),
   spread the same way, so the parts that held them and the stories part are rewritten without them;
5. an incremental export after 1% more articles published in the last 3 days, as a nightly export after
   the day's crawls finds them.

``--cards K`` gives each article K headline cards (feed, category, home, sidebar), exported and written
by the reference too. Prints rows/s and ratios (goals: the full export at >= 0.5x the bare write, an
incremental one after a 1% change >= 10x faster than a full one); asserts nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newscrawl.export import export_dataset  # noqa: E402
from newscrawl.export.plan import TableChanges  # noqa: E402
from newscrawl.store import Store, content_hash  # noqa: E402

WORDS = ("neft", "qiymətləri", "Brent", "crude", "нефть", "подорожала", "analysts", "OPEC", "Bakı", "expect")
LANGS = ("az", "en", "ru")
START = date(2026, 1, 1)
COLUMNS = (
    "url, story_id, site_id, language, title, lead, body, word_count, published_at, modified_at, category, "
    "category_slug, author, image_url, images, has_video, source_agency, content_hash, version, first_seen, "
    "last_seen, changed_at, fetched_at"
)


LISTINGS = ("feed", "category:finance", "home", "sidebar")
CARD_COLUMNS = (
    "url, listing, language, title, published_at, category, image_url, media, listing_url, position, "
    "first_seen, last_seen"
)


def synthesise(path: Path, first: int, count: int, last_days: int = 0, cards: int = 0) -> None:
    """Articles first..first+count-1 (one story per three of them) through bulk SQL, published over the
    90 days, or over the last ``last_days`` of them; with ``cards`` headline cards each."""
    Store.open(path).close()
    articles, tags, translations, entries = [], [], [], []
    seen = "2026-04-01T00:00:00+00:00"
    for n in range(first, first + count):
        language, story = LANGS[n % 3], n // 3
        body = "\n\n".join(" ".join(WORDS[(n + i + j) % len(WORDS)] for j in range(40)) for i in range(5))
        day = START + timedelta(days=90 - last_days + story % last_days if last_days else story % 90)
        url = f"https://report.az/{'' if language == 'az' else language + '/'}finance/story-{n}"
        title = f"Story {story} in {language}: {WORDS[n % len(WORDS)]}"
        digest = content_hash({"url": url, "title": title, "body": body})
        articles.append(
            (url, story + 1, str(1_000_000 + n), language, title, body.split("\n\n", 1)[0], body, 200,
             f"{day.isoformat()}T{n % 24:02d}:00:00+04:00", None, "Finance", "finance", "Economy desk",
             f"https://static.report.az/photo/{n:08d}_850.jpg", "[]", 0, None, digest, 1,
             seen, seen, seen, seen)
        )  # fmt: skip
        tags += [(url, 0, "Oil"), (url, 1, WORDS[n % len(WORDS)])]
        for listing in LISTINGS[:cards]:
            entries.append(
                (url, listing, language, title, articles[-1][8], "Finance", articles[-1][13], '["photo"]',
                 "https://report.az/latest-news/", n % 20, seen, seen)
            )  # fmt: skip
        for other in LANGS:
            if other != language:
                translations.append((url, other, f"https://report.az/{other}/finance/story-{n}"))
    with sqlite3.connect(path) as db:
        db.executemany("INSERT OR IGNORE INTO stories (id) VALUES (?)", {(a[1],) for a in articles})
        db.executemany(f"INSERT INTO articles ({COLUMNS}) VALUES ({', '.join('?' * 23)})", articles)
        db.executemany("INSERT INTO tags (article_url, position, tag) VALUES (?, ?, ?)", tags)
        db.executemany("INSERT INTO translations (article_url, language, url) VALUES (?, ?, ?)", translations)
        db.executemany(f"INSERT INTO feed_entries ({CARD_COLUMNS}) VALUES ({', '.join('?' * 12)})", entries)


def bare_pyarrow(store: Path, out: Path) -> int:
    """The articles, and the cards when there are, each read by one SELECT and written to one file."""
    written = 0
    for columns, table_name in ((COLUMNS, "articles"), (CARD_COLUMNS, "feed_entries")):
        with sqlite3.connect(store) as db:
            cursor = db.execute(f"SELECT {columns} FROM {table_name}")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        if rows:
            table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
            pq.write_table(table, out.with_name(f"{table_name}-{out.name}"))
        written += len(rows)
    return written


def peak_rss(store: Path, tmp: Path) -> float:
    """MiB: the peak resident memory of a full export run alone in a child process, as its own
    ``VmHWM`` (``wait4``'s figure would include the pages of this process that the child was forked
    from)."""
    code = (
        "from newscrawl.export import export_dataset\n"
        f"export_dataset({str(store)!r}, {str(tmp / 'rss')!r})\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(result.stdout.split()[-1]) / 1024


def timed(label: str, rows: int, seconds: float) -> float:
    rate = rows / seconds
    print(f"{label:<44} {rows:>8} rows {seconds:8.2f} s {rate:>10,.0f} rows/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--cards", type=int, default=0, choices=range(len(LISTINGS) + 1), help="headline cards per article"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "newscrawl.sqlite3"
        print(f"synthesising {args.articles} articles ...", flush=True)
        synthesise(store, 0, args.articles, cards=args.cards)

        started = time.perf_counter()
        rows = bare_pyarrow(store, Path(tmp) / "bare.parquet")
        what = "articles + cards" if args.cards else "articles"
        reference = timed(f"bare pyarrow ({what}: SELECT + write_table)", rows, time.perf_counter() - started)

        started = time.perf_counter()
        result = export_dataset(store, Path(tmp) / "dataset")
        seconds = time.perf_counter() - started
        same = result.rows["articles"] + result.rows["feed_entries"]
        full = timed(f"scrapy export, full ({what})", same, seconds)
        everything = sum(result.rows.values())
        timed(f"scrapy export, full ({what} + stories)", everything, seconds)
        files = sum(len(change.written) for change in result.changes.values())
        print(f"  {files} part files; export/bare = {full / reference:.2f}x the bare rows/s ({what})")
        print(f"  peak RSS of a full export in a process of its own: {peak_rss(store, Path(tmp)):.0f} MiB")

        added = max(1, args.articles // 100)
        synthesise(store, args.articles, added, cards=args.cards)
        after, change = incremental(store, Path(tmp) / "dataset")
        print(
            f"scrapy export --incremental after {added} new articles: {after:.2f} s "
            f"({change.new} new rows written), {seconds / after:.1f}x faster than the full export"
        )

        with sqlite3.connect(store) as db:  # what a re-fetch of a corrected page writes
            db.execute(
                "UPDATE articles SET title = title || ' (corrected)', version = version + 1, "
                "last_seen = '2026-04-02T00:00:00+00:00' WHERE id % 100 = 7"
            )
        after, change = incremental(store, Path(tmp) / "dataset")
        print(
            f"scrapy export --incremental after {change.changed} changed articles: {after:.2f} s "
            f"({len(change.rewritten)} parts rewritten without their old versions), "
            f"{seconds / after:.1f}x faster than the full export"
        )

        synthesise(store, args.articles + added, added, last_days=3, cards=args.cards)
        after, change = incremental(store, Path(tmp) / "dataset")
        print(
            f"scrapy export --incremental after {change.new} new articles of the last 3 days: {after:.2f} s "
            f"({len(change.written)} parts written), {seconds / after:.1f}x faster than the full export"
        )


def incremental(store: Path, dataset: Path) -> tuple[float, TableChanges]:
    """Seconds of an incremental export, and what it changed of the articles."""
    started = time.perf_counter()
    result = export_dataset(store, dataset, incremental=True)
    return time.perf_counter() - started, result.changes["articles"]


if __name__ == "__main__":
    main()
