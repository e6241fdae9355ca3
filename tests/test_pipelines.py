"""Validate, dedupe and store pipelines, driven through a crawler built by scrapy.utils.test.get_crawler."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from scrapy.utils.test import get_crawler

from newscrawl.items import Article, FeedEntry
from newscrawl.ledger import Ledger
from newscrawl.pipelines import DedupePipeline, SchemaValidationPipeline, StorePipeline, ValidatePipeline
from newscrawl.store import Card, Store, StoreError

EN = "https://report.az/en/finance/oil-prices-rise"
MOVED = "https://report.az/en/finance/oil-prices-rise1"


def article(url: str = EN, **fields: Any) -> Article:
    base = Article(
        url=url,
        language="en",
        site_id="1000001",
        title="Oil prices rise",
        body="Brent crude rose on Thursday.",
        published_at="2026-01-29T15:08:00+04:00",
        tags=["Oil"],
        fetched_at="2026-01-29T17:00:00+00:00",
    )
    return replace(base, **fields)


def card(url: str = EN, listing: str = "feed", **fields: Any) -> FeedEntry:
    base = FeedEntry(
        url=url,
        language="en",
        title="Oil prices rise",
        published_at="2026-01-29T15:08:00+04:00",
        listing=listing,
        listing_url="https://report.az/en/latest-news",
        position=0,
        seen_at="2026-01-29T17:00:00+00:00",
    )
    return replace(base, **fields)


class Run:
    """One crawl's pipelines over one store file, as Scrapy chains them, with the ledger that owns it."""

    def __init__(self, path: Path, **settings: Any) -> None:
        if not is_reactor_installed():
            install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from newscrawl import settings as project

        self.crawler = get_crawler(
            settings_dict={
                "NEWSCRAWL_SQLITE": str(path),
                "NEWSCRAWL_SQLITE_BATCH": 100,
                "EXTENSIONS": {Ledger: 0},
                "SPIDERMON_ENABLED": True,
                "SPIDERMON_VALIDATION_SCHEMAS": project.SPIDERMON_VALIDATION_SCHEMAS,
                "SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS": True,
                **settings,
            }
        )
        self.spider = self.crawler._create_spider("test")
        self.pipelines = [
            ValidatePipeline.from_crawler(self.crawler),
            SchemaValidationPipeline.from_crawler(self.crawler),
            DedupePipeline.from_crawler(self.crawler),
            StorePipeline.from_crawler(self.crawler),
        ]
        ledger = self.crawler.get_extension(Ledger)
        assert ledger is not None
        self.ledger = ledger
        self.store = ledger.store
        self.passed: list[Any] = []

    def feed(self, *items: Any, exported: bool = True) -> list[str | None]:
        """Each item's drop reason, or None for an item that reached the end of the chain (and, with
        ``exported``, was then written to the JSON Lines, as the feed exporter does on item_scraped)."""
        reasons: list[str | None] = []
        for item in items:
            try:
                for pipeline in self.pipelines:
                    item = pipeline.process_item(item)
            except DropItem as drop:
                reasons.append(str(drop).split(":", 1)[0])
            else:
                self.passed.append(item)
                reasons.append(None)
                if exported:
                    self.ledger.item_scraped(item, self.spider)
        return reasons

    def stats(self, prefix: str = "newscrawl/") -> dict[str, int]:
        assert self.crawler.stats is not None
        return {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith(prefix)}

    def close(self) -> None:
        self.ledger.commit()
        self.ledger.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "newscrawl.sqlite3"


def test_one_store_per_crawler_opened_at_start(db: Path) -> None:
    run = Run(db)
    assert run.pipelines[2].ledger is run.pipelines[3].ledger is run.ledger  # type: ignore[attr-defined]
    assert db.is_file()
    run.close()


def test_a_locked_store_stops_the_pipelines_at_start(db: Path) -> None:
    Store.open(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"another crawl is writing to .* set NEWSCRAWL_SQLITE"):
            Run(db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_validate_drops_missing_fields_with_stats_and_one_warning(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = Run(db)
    with caplog.at_level(logging.DEBUG, logger="newscrawl.pipelines"):
        reasons = run.feed(
            article(title=None),
            article("https://report.az/en/finance/b", title="  "),
            article("https://report.az/en/finance/c", body=None),
            article("https://report.az/en/finance/d", published_at=""),
            card(title=None),
            card(language="de"),
            {"unrelated": True},
            "not an item",
        )
    assert reasons == [
        "missing_title",
        "missing_title",
        "missing_body",
        "missing_published_at",
        "missing_title",
        "unknown_language",
        "unknown_item",
        "unknown_item",
    ]
    assert run.stats("newscrawl/dropped/") == {
        "newscrawl/dropped/missing_title": 3,
        "newscrawl/dropped/missing_body": 1,
        "newscrawl/dropped/missing_published_at": 1,
        "newscrawl/dropped/unknown_language": 1,
        "newscrawl/dropped/unknown_item": 2,
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Dropping invalid items (missing_title), for example {EN}",
        "Dropping invalid items (missing_body), for example https://report.az/en/finance/c",
        "Dropping invalid items (missing_published_at), for example https://report.az/en/finance/d",
        f"Dropping invalid items (unknown_language), for example {EN}",
        "Dropping invalid items (unknown_item), for example {'unrelated': True}",
    ]
    assert run.store.counts()["articles"] == 0
    run.close()


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (article(source_agency=""), "invalid_source_agency"),  # an absent scalar spelled ""
        (article(author=""), "invalid_author"),
        (article(tags=None), "invalid_tags"),  # a null list
        (article(translations=None), "invalid_translations"),
        (article(word_count="12"), "invalid_word_count"),  # a wrong type
        (article(has_video="yes"), "invalid_has_video"),
        (article(published_at="29 January 2026"), "invalid_published_at"),
        (article(translations={"de": "https://report.az/x"}), "invalid_translations"),
        (card(media=None), "invalid_media"),
        (card(position="0"), "invalid_position"),
        (card(image_url=""), "invalid_image_url"),
    ],
)
def test_schema_drops_each_malformed_shape_with_its_counter(db: Path, item: Any, reason: str) -> None:
    run = Run(db)
    assert run.feed(
        article("https://report.az/en/finance/fine"), card("https://report.az/en/finance/fine")
    ) == [
        None,
        None,
    ]
    assert run.feed(item) == [reason]
    assert run.stats("newscrawl/dropped/") == {f"newscrawl/dropped/{reason}": 1}
    validation = run.stats("spidermon/validation/items")
    assert validation == {
        "spidermon/validation/items": 3,
        "spidermon/validation/items/errors": 1,
        "spidermon/validation/items/dropped": 1,
    }
    run.close()


def test_an_article_that_fails_its_schema_is_owed_with_the_reason(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = Run(db)
    bad = article(tags=None)
    run.ledger.requested(EN, Card(None, None), EN)
    run.ledger.fetched(EN, EN)
    with caplog.at_level(logging.DEBUG, logger="newscrawl.pipelines"):
        try:
            for pipeline in run.pipelines:
                pipeline.process_item(bad)
        except DropItem as drop:
            run.ledger.item_dropped(bad, None, drop, run.spider)
        else:
            pytest.fail("an article with null tags passed")
    run.ledger.commit()
    assert [(f.url, f.reason) for f in run.store.failures()] == [(EN, "dropped_invalid_tags")]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Dropping items that do not fit their schema (invalid_tags), for example {EN}: tags: Invalid array",
        f"Article failed (dropped_invalid_tags), owed to the next run: {EN}",
    ]
    run.close()


def test_a_corrected_card_reaches_the_json_lines_once(db: Path) -> None:
    first = Run(db)
    assert first.feed(card()) == [None]
    first.close()
    second = Run(db)
    assert second.feed(card(position=4)) == ["feed_entry_seen"]  # the same card, moved down the listing
    second.close()
    third = Run(db)
    corrected = card(title="Oil prices rise sharply", seen_at="2026-01-30T09:00:00+00:00")
    assert third.feed(corrected) == [None]  # passed on: the feed exporter writes its line
    assert third.stats("newscrawl/stored/") == {"newscrawl/stored/feed_entries/changed": 1}
    third.close()
    fourth = Run(db)
    assert fourth.feed(replace(corrected, position=2)) == ["feed_entry_seen"]  # once per change
    fourth.close()


def test_dict_items_pass_like_dataclasses(db: Path) -> None:
    run = Run(db)
    assert run.feed(asdict(article()), asdict(card())) == [None, None]
    assert run.stats("newscrawl/stored/") == {
        "newscrawl/stored/articles/new": 1,
        "newscrawl/stored/feed_entries/new": 1,
    }
    run.close()


def test_within_a_run_by_url_and_by_site_id(db: Path) -> None:
    run = Run(db)
    assert run.feed(article(), article(), article(MOVED)) == [None, "duplicate", "alias"]
    assert run.store.counts()["articles"] == 1
    assert run.store.article_hash(MOVED) == run.store.article_hash(EN)
    # Another language may reuse the digits: not an alias.
    ru = "https://report.az/ru/finansy/ceny-na-neft"
    assert run.feed(article(ru, language="ru")) == [None]
    assert run.stats("newscrawl/dropped/") == {"newscrawl/dropped/duplicate": 1, "newscrawl/dropped/alias": 1}
    run.close()


def test_across_runs_unchanged_changed_and_alias(db: Path) -> None:
    first = Run(db)
    assert first.feed(article(), card()) == [None, None]
    first.close()

    second = Run(db)
    later = "2026-01-30T09:00:00+00:00"
    assert second.feed(
        article(fetched_at=later),  # same content
        article(MOVED, fetched_at=later),  # same story, new slug, same content
        card(seen_at=later),  # same card, same listing
        card(listing="category:finance", seen_at=later),  # same card, another listing
    ) == ["duplicate", "alias", "feed_entry_seen", None]
    assert second.stats() == {
        "newscrawl/dropped/duplicate": 1,
        "newscrawl/dropped/alias": 1,
        "newscrawl/dropped/feed_entry_seen": 1,
        "newscrawl/stored/articles/unchanged": 1,
        "newscrawl/stored/feed_entries/seen": 1,
        "newscrawl/stored/feed_entries/new": 1,
    }
    second.store.commit()
    last_seen = second.store.connection.execute(
        "SELECT a.last_seen, f.first_seen, f.last_seen FROM articles a, feed_entries f "
        "WHERE a.url = ? AND f.url = a.url AND f.listing = 'feed'",
        (EN,),
    ).fetchone()
    assert last_seen == (later, "2026-01-29T17:00:00+00:00", later)
    second.close()

    third = Run(db)
    edited = article(body="Brent crude rose 2% on Thursday.", fetched_at="2026-01-31T09:00:00+00:00")
    assert third.feed(edited) == [None]
    assert third.stats() == {"newscrawl/stored/articles/changed": 1}
    assert third.store.counts()["articles"] == 1
    third.close()


def test_a_new_slug_with_new_text_becomes_a_new_version_of_the_first_url(db: Path) -> None:
    first = Run(db)
    first.feed(article())
    first.close()

    second = Run(db)
    renamed = article(MOVED, title="Oil prices rise sharply")
    assert second.feed(renamed) == [None]
    assert second.passed[0].url == EN
    assert second.stats() == {"newscrawl/stored/articles/changed": 1}
    assert second.store.counts()["articles"] == 1
    assert second.store.counts()["url_aliases"] == 1
    second.close()


def test_feed_entries_once_per_url_and_listing_per_run(db: Path) -> None:
    run = Run(db)
    assert run.feed(card(), card(position=7), card(listing="home"), card("https://report.az/en/x/y")) == [
        None,
        "feed_entry_duplicate",
        None,
        None,
    ]
    assert run.stats("newscrawl/stored/") == {"newscrawl/stored/feed_entries/new": 3}
    run.close()


def test_batched_commits_reach_the_file(db: Path) -> None:
    run = Run(db, NEWSCRAWL_SQLITE_BATCH=2)
    run.feed(
        card("https://report.az/en/a/1"), card("https://report.az/en/a/2"), card("https://report.az/en/a/3")
    )
    with closing(sqlite3.connect(db)) as reader:
        assert reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0] == 2
    run.close()
    with closing(sqlite3.connect(db)) as reader:
        assert reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0] == 3


def test_an_item_is_never_committed_before_its_json_line(db: Path) -> None:
    run = Run(db, NEWSCRAWL_SQLITE_BATCH=1)
    # Written to the store, but the feed exporter has not written its line yet: nothing is committed.
    assert run.feed(card("https://report.az/en/a/1"), exported=False) == [None]
    assert run.feed(card("https://report.az/en/a/2"), exported=False) == [None]
    with closing(sqlite3.connect(db)) as reader:
        assert reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0] == 0
    run.ledger.item_scraped(run.passed[0], run.spider)
    with closing(sqlite3.connect(db)) as reader:
        assert reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0] == 0
    run.ledger.item_scraped(run.passed[1], run.spider)  # the last line is out: the batch commits
    with closing(sqlite3.connect(db)) as reader:
        assert reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0] == 2
    run.close()
