"""Incremental exports from the store's change logs (migration 0007): after any kind of write to the store,
an incremental export holds exactly the rows a full export of the same store holds, each once, and it
rewrites only the parts that held a changed key. Stores built through the Store API, no crawl."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from newscrawl.export import ExportError, export_dataset, parse_selection, plan, source
from newscrawl.export import dataset as dataset_module
from newscrawl.export.dataset import STATE_FILE
from newscrawl.items import Article, FeedEntry
from newscrawl.store import Store
from newscrawl.store.db import MIGRATIONS

LANGS = ("az", "en", "ru")
CATEGORIES = {"finance": "Finance", "sport": "Sport"}
NOW = "2026-03-01T00:00:00+00:00"


def url_of(n: int) -> str:
    language = LANGS[n % 3]
    slug = "finance" if n % 4 else "sport"
    return f"https://report.az/{'' if language == 'az' else language + '/'}{slug}/story-{n}/"


def article(n: int, **changes: Any) -> Article:
    slug = "finance" if n % 4 else "sport"
    values: dict[str, Any] = {
        "url": url_of(n),
        "language": LANGS[n % 3],
        "site_id": str(1000 + n),
        "title": f"Story {n}",
        "lead": f"Lead {n}.",
        "body": f"Lead {n}.\n\nBody of story {n}.",
        "word_count": 6,
        "published_at": f"2026-01-{1 + n % 5:02d}T{n % 24:02d}:15:00+04:00",
        "category": CATEGORIES[slug],
        "category_slug": slug,
        "tags": ["Oil", f"tag{n % 3}"] if n % 2 else [],
        "author": None if n % 5 == 0 else "Economy desk",
        "image_url": f"https://static.report.az/photo/{n}.jpg",
        "images": [],
        "has_video": bool(n % 7 == 0),
        "translations": {"en": url_of(n + 1)} if n % 3 == 0 else {},
        "fetched_at": NOW,
    }
    values.update(changes)
    return Article(**values)


def card(n: int, listing: str = "feed", **changes: Any) -> FeedEntry:
    values: dict[str, Any] = {
        "url": url_of(n),
        "language": LANGS[n % 3],
        "title": f"Story {n}",
        "published_at": f"2026-01-{1 + n % 5:02d}T{n % 24:02d}:15:00+04:00",
        "category": "Finance",
        "media": ["photo"] if n % 2 else [],
        "listing": listing,
        "listing_url": "https://report.az/latest-news/",
        "position": n % 20,
        "seen_at": NOW,
    }
    values.update(changes)
    return FeedEntry(**values)


def part_rows(out: Path, table: str) -> list[dict[str, Any]]:
    """Every row of a table in a dataset, with its partition from the folder names, sorted by key."""
    rows = []
    for path in sorted(out.glob(f"{table}/**/part-*")):
        partition = dict(part.split("=", 1) for part in path.relative_to(out).parts if "=" in part)
        if path.suffix == ".parquet":
            found = pq.read_table(path).to_pylist()
        else:
            text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            found = [json.loads(line) for line in text.decode("utf-8").splitlines()]
        rows += [{**row, **partition} for row in found]
    return sorted(rows, key=lambda row: (row["url"], row.get("listing", "")))


def same_as_full(store: Path, out: Path, tmp_path: Path, *options: str, **kwargs: Any) -> None:
    """The incremental dataset at out holds exactly what a full export of the store holds now."""
    full = tmp_path / f"full-{len(list(tmp_path.iterdir()))}"
    export_dataset(store, full, **kwargs)
    for table in ("articles", "feed_entries", "stories"):
        incremental = part_rows(out, table)
        keys = [(row["url"], row.get("listing")) for row in incremental]
        assert len(keys) == len(set(keys)), table
        assert incremental == part_rows(full, table), table
    # The cards count the same rows; only the number of part files, the export times and history differ.
    assert counted(out / "README.md") == counted(full / "README.md")


def counted(card: Path) -> list[str]:
    lines = card.read_text(encoding="utf-8").split("## Exports")[0].splitlines()
    lines = [re.sub(r"^(\| `\w+` \| \d+ \| )\d+( \|)", r"\1-\2", line) for line in lines]
    return [line for line in lines if not line.startswith("- Exported at:")]


def last_export(out: Path) -> dict[str, Any]:
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    tables: dict[str, Any] = state["history"][-1]["tables"]
    return tables


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite3"
    with closing(Store.open(path, batch_size=1000)) as store:
        for n in range(60):
            store.upsert_article(article(n))
            store.upsert_feed_entry(card(n))
            if n % 4:
                store.upsert_feed_entry(card(n, "category:finance", position=n % 10))
    return path


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_incremental_holds_what_a_full_export_holds_after_every_kind_of_write(
    store_path: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "dataset"
    export_dataset(store_path, out, fmt=fmt, incremental=True)  # the first one is full
    same_as_full(store_path, out, tmp_path, fmt=fmt)

    with closing(Store.open(store_path)) as store:
        for n in range(60, 66):  # new articles and their cards
            store.upsert_article(article(n))
            store.upsert_feed_entry(card(n))
        store.upsert_article(article(3, body="Lead 3.\n\nA corrected body."))  # a new version
        store.upsert_article(article(4, published_at="2026-01-09T10:00:00+04:00"))  # to another day
        store.upsert_article(article(7, tags=["Gas"], translations={"ru": url_of(11)}))  # merges 11 in
        store.upsert_article(article(8))  # fetched again, unchanged: only last_seen moves
        store.upsert_feed_entry(card(9, title="Story 9, corrected"))  # a corrected headline
        store.upsert_feed_entry(card(10, "category:finance", position=0))
    export_dataset(store_path, out, fmt=fmt, incremental=True)
    articles = last_export(out)["articles"]
    assert (articles["new"], articles["changed"], articles["removed"]) == (6, 5, 0)
    assert articles["rewritten"] and articles["unchanged"] == 60 - 5
    feed = last_export(out)["feed_entries"]
    assert (feed["new"], feed["changed"]) == (6, 2)
    same_as_full(store_path, out, tmp_path, fmt=fmt)

    export_dataset(store_path, out, fmt=fmt, incremental=True)  # nothing changed
    assert all(
        not t["written"] and not t["rewritten"] and not t["deleted"] for t in last_export(out).values()
    )
    same_as_full(store_path, out, tmp_path, fmt=fmt)

    with closing(sqlite3.connect(store_path)) as connection:  # a row removed from the store by hand
        connection.execute("DELETE FROM articles WHERE url = ?", (url_of(5),))
        connection.execute("DELETE FROM feed_entries WHERE url = ?", (url_of(5),))
        connection.commit()
    export_dataset(store_path, out, fmt=fmt, incremental=True)
    assert last_export(out)["articles"]["removed"] == last_export(out)["stories"]["removed"] == 1
    assert last_export(out)["feed_entries"]["removed"] == 2
    same_as_full(store_path, out, tmp_path, fmt=fmt)


def test_a_row_that_leaves_the_selection_leaves_the_dataset(store_path: Path, tmp_path: Path) -> None:
    selection = parse_selection(lang="en", category="finance")
    out = tmp_path / "dataset"
    export_dataset(store_path, out, selection=selection)
    moved = next(n for n in range(60) if n % 3 == 1 and n % 4)  # an English finance article
    with closing(Store.open(store_path)) as store:
        store.upsert_article(article(moved, category="Sport", category_slug="sport"))
    export_dataset(store_path, out, selection=selection, incremental=True)
    assert last_export(out)["articles"]["removed"] == 1
    assert url_of(moved) not in {row["url"] for row in part_rows(out, "articles")}
    same_as_full(store_path, out, tmp_path, selection=selection)


def test_a_killed_export_leaves_nothing_the_next_one_keeps(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    export_dataset(store_path, out)
    # What an export killed before it saved its state leaves: a key map and a part under temporary names.
    (out / "_export_keys-99.arrow").write_bytes(b"half a file")
    partition = next(out.glob("articles/*/*"))
    (partition / ".part-5.parquet.tmp").write_bytes(b"half a part")
    with closing(Store.open(store_path)) as store:
        store.upsert_article(article(60))
    export_dataset(store_path, out, incremental=True)
    assert not (out / "_export_keys-99.arrow").exists() and not list(out.glob("**/.*.tmp"))
    assert len(list(out.glob("_export_keys-*.arrow"))) == 1
    same_as_full(store_path, out, tmp_path)


def test_stores_and_datasets_without_change_logs(store_path: Path, tmp_path: Path) -> None:
    # A store not migrated to 0007 (no crawl ran since the upgrade; the export opens stores read-only):
    # what 0007 creates is dropped.
    with closing(sqlite3.connect(store_path)) as connection:
        triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%changes%'"
        for (name,) in connection.execute(triggers).fetchall():
            connection.execute(f"DROP TRIGGER {name}")
        for name in ("article_changes", "feed_entry_changes"):
            connection.execute(f"DROP TABLE {name}")
        connection.execute("DROP INDEX articles_language_published")
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
        connection.commit()
    out = tmp_path / "dataset"
    result = export_dataset(store_path, out)  # a full export needs no log
    assert result.rows["articles"] == 60
    with pytest.raises(ExportError, match=r"predates migration 0007\); run a crawl on it once"):
        export_dataset(store_path, out, incremental=True)
    # Opening the store migrates it; the dataset exported before then still needs one full export.
    Store.open(store_path).close()
    with pytest.raises(ExportError, match="before it kept a change log; run without --incremental once"):
        export_dataset(store_path, out, incremental=True)
    export_dataset(store_path, out)
    export_dataset(store_path, out, incremental=True)
    # A dataset whose state an older newscrawl wrote (per-row fingerprints, no key map).
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    (out / STATE_FILE).write_text(json.dumps({**state, "version": 1}), encoding="utf-8")
    with pytest.raises(ExportError, match="export state 1, now 2"):
        export_dataset(store_path, out, incremental=True)


def test_the_store_logs_every_write_once_per_key(store_path: Path) -> None:
    def log(table: str) -> dict[str, int]:
        with closing(sqlite3.connect(store_path)) as connection:
            column = "url" if table == "article_changes" else "url || ' ' || listing"
            return {str(r[0]): int(r[1]) for r in connection.execute(f"SELECT {column}, seq FROM {table}")}

    before = log("article_changes")
    assert set(before) == {url_of(n) for n in range(60)}
    with closing(Store.open(store_path)) as store:
        store.upsert_article(article(3))  # unchanged content: last_seen is exported, so it is a write
        store.upsert_feed_entry(card(4, title="Story 4, corrected"))
    after = log("article_changes")
    assert after[url_of(3)] > max(before.values())
    assert {url: seq for url, seq in after.items() if url != url_of(3)} == {
        url: seq for url, seq in before.items() if url != url_of(3)
    }
    assert log("feed_entry_changes")[f"{url_of(4)} feed"] > log("feed_entry_changes")[f"{url_of(5)} feed"]


def test_a_full_export_read_in_small_batches_writes_one_part_per_partition(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dataset(store_path, tmp_path / "whole")
    monkeypatch.setattr(source, "BATCH_ROWS", 3)  # partitions hold 2 to 7 rows: most span batches
    export_dataset(store_path, tmp_path / "batched")
    for table in ("articles", "feed_entries", "stories"):
        assert part_rows(tmp_path / "batched", table) == part_rows(tmp_path / "whole", table), table
    for table in ("articles", "feed_entries"):
        folders = [path.parent for path in (tmp_path / "batched").glob(f"{table}/*/*/part-*.parquet")]
        assert len(folders) == len(set(folders)) > 10, table


def test_an_incremental_export_of_many_changes_reads_them_in_batches(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dataset"
    export_dataset(store_path, out)
    with closing(Store.open(store_path)) as store:  # every article again, as a re-extraction would
        for n in range(60):
            store.upsert_article(article(n, title=f"Story {n}, edited"))
    monkeypatch.setattr(source, "BATCH_ROWS", 7)
    export_dataset(store_path, out, incremental=True)
    assert last_export(out)["articles"]["changed"] == 60
    same_as_full(store_path, out, tmp_path)


def test_a_changed_article_rewrites_only_the_stories_part_that_held_it(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "PART_ROWS", 10)
    out = tmp_path / "dataset"
    export_dataset(store_path, out)
    assert len(list(out.glob("stories/part-*.parquet"))) == 6
    with closing(Store.open(store_path)) as store:
        store.upsert_article(article(59, title="Story 59, edited"))
    export_dataset(store_path, out, incremental=True)
    stories = last_export(out)["stories"]
    assert (len(stories["rewritten"]), len(stories["written"]), stories["changed"]) == (1, 1, 1)
    same_as_full(store_path, out, tmp_path)


def test_the_pending_work_of_a_full_export_can_be_done_twice(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dataset"
    export_dataset(store_path, out)
    saved = dataset_module._atomic_json

    def lost_when_not_durable(path: Path, data: Any, durable: bool = True) -> None:
        if durable:  # the state that clears the pending work is lost, as in a crash right after it
            saved(path, data, durable)

    monkeypatch.setattr(dataset_module, "_atomic_json", lost_when_not_durable)
    export_dataset(store_path, out)  # a second full export replaces every part
    monkeypatch.undo()
    assert json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["pending"]["deletes"]
    export_dataset(store_path, out, incremental=True)  # finds the pending work and does it again
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    assert all((out / name).is_file() for name in state["files"])
    same_as_full(store_path, out, tmp_path)
