"""The SQLite store against real files in tmp_path."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from newscrawl.items import Article, FeedEntry
from newscrawl.store import CONTENT_FIELDS, SCHEMA_VERSION, Card, Store, StoreError, Walk, content_hash
from newscrawl.store.db import MIGRATIONS

EN = "https://report.az/en/finance/oil-prices-rise"
AZ = "https://report.az/maliyye-xeberleri/neft-qiymetleri-artib"
RU = "https://report.az/ru/finansy/ceny-na-neft-vyrosli"


def article(url: str = EN, **fields: object) -> Article:
    base = Article(
        url=url,
        language="en" if "/en/" in url else "ru" if "/ru/" in url else "az",
        site_id="1000001",
        title="Oil prices rise",
        lead="Brent crude rose on Thursday.",
        body="Brent crude rose on Thursday.\n\nAnalysts expect volatility.",
        word_count=8,
        published_at="2026-01-29T15:08:00+04:00",
        category="Finance",
        category_slug="finance",
        tags=["Oil", "Brent"],
        images=["https://static.report.az/photo/a_850.jpg"],
        has_video=False,
        fetched_at="2026-01-29T17:00:00+00:00",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def card(url: str = EN, listing: str = "feed", **fields: object) -> FeedEntry:
    base = FeedEntry(
        url=url,
        language="en",
        title="Oil prices rise",
        category="Finance",
        published_at="2026-01-29T15:08:00+04:00",
        media=["photo"],
        listing=listing,
        listing_url="https://report.az/en/latest-news",
        position=0,
        seen_at="2026-01-29T17:00:00+00:00",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path):
    store = Store.open(tmp_path / "data" / "newscrawl.sqlite3")
    yield store
    store.close()


def row(store: Store, query: str, *args: object) -> tuple:
    store.commit()
    return store.connection.execute(query, args).fetchone()


def test_open_creates_directory_file_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.sqlite3"
    store = Store.open(path)
    store.close()
    assert path.is_file()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert {
        "articles",
        "stories",
        "tags",
        "translations",
        "url_aliases",
        "feed_entries",
        "gone",
        "runs",
    } <= names
    assert "articles_fts" in names


def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    store.upsert_article(article())
    store.close()
    store = Store.open(path)
    assert store.counts()["articles"] == 1
    assert store.article_hash(EN) == content_hash(article())
    store.close()


def test_migrates_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    store = Store.open(path)
    assert store.counts()["articles"] == 0
    store.close()


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=r"newer than this newscrawl understands .*upgrade newscrawl"):
        Store.open(path)


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"these are my notes, not a database" * 200)
    with pytest.raises(StoreError, match="is not a SQLite database; move it aside"):
        Store.open(path)


def test_a_locked_database_fails_at_open_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "newscrawl.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as raised:
            Store.open(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(raised.value) == (
        f"another crawl is writing to {path}; wait for it or set NEWSCRAWL_SQLITE to another file"
    )
    Store.open(path).close()  # free again once the other writer is gone


def test_a_locked_new_database_fails_at_open(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="another crawl is writing to"):
            Store.open(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_directory_that_cannot_be_created_fails_with_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    with pytest.raises(
        StoreError, match=r"cannot create the directory .* set NEWSCRAWL_SQLITE to a file in a writable"
    ):
        Store.open(blocker / "newscrawl.sqlite3")


def test_a_path_that_cannot_be_written_fails_with_one_sentence(tmp_path: Path) -> None:
    target = tmp_path / "store.sqlite3"
    target.mkdir()  # a directory where the file should be: fails even for root
    with pytest.raises(StoreError, match=r"cannot write the SQLite store .* set NEWSCRAWL_SQLITE to a file"):
        Store.open(target)


def test_upsert_new_unchanged_changed(store: Store) -> None:
    first = article()
    assert store.upsert_article(first) == "new"
    assert store.upsert_article(replace(first, fetched_at="2026-01-30T09:00:00+00:00")) == "unchanged"
    assert row(store, "SELECT first_seen, last_seen, version FROM articles WHERE url = ?", EN) == (
        "2026-01-29T17:00:00+00:00",
        "2026-01-30T09:00:00+00:00",
        1,
    )
    edited = replace(first, body="Brent crude rose 2% on Thursday.", fetched_at="2026-01-31T10:00:00+00:00")
    assert store.upsert_article(edited) == "changed"
    got = row(
        store,
        "SELECT first_seen, last_seen, content_hash, previous_hash, changed_at, previous_changed_at, "
        "version, body FROM articles WHERE url = ?",
        EN,
    )
    assert got == (
        "2026-01-29T17:00:00+00:00",
        "2026-01-31T10:00:00+00:00",
        content_hash(edited),
        content_hash(first),
        "2026-01-31T10:00:00+00:00",
        "2026-01-29T17:00:00+00:00",
        2,
        "Brent crude rose 2% on Thursday.",
    )
    assert store.article_hash(EN) == content_hash(edited)
    assert store.counts()["articles"] == 1


def test_changed_tags_replace_the_old_ones(store: Store) -> None:
    store.upsert_article(article())
    store.upsert_article(article(tags=["Oil", "OPEC"]))
    store.commit()
    tags = store.connection.execute("SELECT tag FROM tags WHERE article_url = ? ORDER BY position", (EN,))
    assert [t[0] for t in tags] == ["Oil", "OPEC"]


def test_content_hash_ignores_fetched_at_but_not_content() -> None:
    assert content_hash(article()) == content_hash(article(fetched_at="2027-01-01T00:00:00+00:00"))
    assert content_hash(article()) != content_hash(article(tags=["Oil"]))
    assert content_hash(article()) == content_hash({**article().__dict__})


def test_alias_resolves_to_the_first_url(store: Store) -> None:
    store.upsert_article(article())
    moved = "https://report.az/en/finance/oil-prices-rise1"
    assert store.url_for_site_id("1000001", "en") == EN
    assert store.url_for_site_id("1000001", "ru") is None
    assert store.url_for_site_id("999", "en") is None
    store.add_alias(moved, EN)
    assert store.article_hash(moved) == content_hash(article())
    assert row(store, "SELECT url FROM url_aliases WHERE alias_url = ?", moved) == (EN,)


def test_translations_share_one_story_and_merge_stories(store: Store) -> None:
    # The English page arrives first and names only the Azerbaijani version.
    store.upsert_article(article(translations={"az": AZ}))
    # The Russian page names nobody stored yet: a story of its own for now.
    store.upsert_article(article(RU, site_id="1000003", translations={}))
    assert store.story_id(EN) != store.story_id(RU)
    # The Azerbaijani page names both: the two stories become one.
    store.upsert_article(article(AZ, site_id="1000002", translations={"en": EN, "ru": RU}))
    assert store.story_id(EN) == store.story_id(RU) == store.story_id(AZ)
    assert store.counts()["stories"] == 1


def test_a_later_article_joins_the_story_of_the_page_that_named_it(store: Store) -> None:
    store.upsert_article(article(translations={"ru": RU}))
    store.upsert_article(article(RU, site_id="1000003"))
    assert store.story_id(RU) == store.story_id(EN)
    assert store.counts()["stories"] == 1


def test_feed_entry_first_and_last_seen(store: Store) -> None:
    assert store.upsert_feed_entry(card()) == "new"
    assert store.upsert_feed_entry(card(listing="category:finance")) == "new"
    assert store.upsert_feed_entry(card(listing="home")) == "new"
    moved = card(seen_at="2026-01-29T17:30:00+00:00", position=7, image_url="https://static.report.az/t.jpg")
    assert store.upsert_feed_entry(moved) == "seen"  # same text, another place on the listing
    later = card(seen_at="2026-01-29T18:00:00+00:00", title="Oil prices rise sharply", position=3)
    assert store.upsert_feed_entry(later) == "changed"  # a corrected headline
    assert store.upsert_feed_entry(later) == "seen"  # once per change
    assert row(
        store,
        "SELECT first_seen, last_seen, title, position, media FROM feed_entries "
        "WHERE url = ? AND listing = ?",
        EN,
        "feed",
    ) == ("2026-01-29T17:00:00+00:00", "2026-01-29T18:00:00+00:00", "Oil prices rise sharply", 3, '["photo"]')
    assert store.counts()["feed_entries"] == 3


def test_a_card_is_known_against_the_card_its_article_was_stored_for(store: Store) -> None:
    shown = Card("Oil prices rise", "2026-01-29T15:08:00+04:00")
    assert not store.card_known(EN, shown)  # never seen
    store.upsert_feed_entry(card())
    assert not store.card_known(EN, shown)  # card seen, article never stored
    store.upsert_article(article(), shown)
    assert store.card_known(EN, shown)
    assert not store.card_known(EN, Card("Oil prices rise sharply", shown.published_at))
    assert not store.card_known(EN, Card(shown.title, "2026-01-29T15:30:00+04:00"))
    # A corrected card stored without its article (a run killed in between) does not count.
    store.upsert_feed_entry(card(listing="home", title="Oil up", seen_at="2026-01-29T18:00:00+00:00"))
    assert not store.card_known(EN, Card("Oil up", shown.published_at))
    assert store.card_known(EN, shown)


def test_an_article_stored_by_this_run_is_not_known_to_it(store: Store) -> None:
    shown = Card("Oil prices rise", "2026-01-29T15:08:00+04:00")
    store.upsert_article(article(), shown, run_id=7)
    assert not store.card_known(EN, shown, before_run=7)
    assert store.card_known(EN, shown, before_run=8)


def test_a_card_is_known_through_an_alias(store: Store) -> None:
    moved = "https://report.az/en/finance/oil-prices-rise1"
    shown = Card("Oil prices rise", "2026-01-29T15:08:00+04:00")
    store.upsert_article(article(), shown)
    store.add_alias(moved, EN)
    assert store.card_known(moved, shown)


def test_gone_articles_count_as_known(store: Store) -> None:
    missing = "https://report.az/en/finance/withdrawn-story"
    shown = Card("Withdrawn", "2026-01-29T15:08:00+04:00", "en", "feed")
    assert not store.card_known(missing, shown)
    store.remember_gone(missing, shown, 404)
    assert store.card_known(missing, shown)
    assert not store.card_known(missing, Card("Withdrawn, corrected", shown.published_at))
    assert row(store, "SELECT title, status FROM gone WHERE url = ?", missing) == ("Withdrawn", 404)
    assert store.counts()["gone"] == 1


def test_failures_are_owed_until_settled(store: Store) -> None:
    shown = Card("Oil prices rise", "2026-01-29T15:08:00+04:00", "en", "feed")
    store.record_failure(EN, shown, "http_5xx", 503, run_id=1)
    store.record_failure(EN, shown, "timeout", None, run_id=2)
    [owed] = store.failures()
    assert (owed.url, owed.link, owed.reason, owed.attempts, owed.card) == (EN, EN, "timeout", 2, shown)
    store.settle_failure(EN)
    assert store.failures() == []


def test_walks_record_how_a_listing_ended(store: Store) -> None:
    for _ in range(2):
        store.start_run("report_feed", {}, "2026-01-29T21:00:00+04:00")
    assert store.last_walk("en", "feed", before_run=10) is None
    store.start_walk(1, "en", "feed")
    assert store.last_walk("en", "feed", before_run=10) == Walk(1, None, False, None)
    store.end_walk(1, "en", "feed", 3, "an empty batch", "0001-01-02T00:00:00+00:00")
    assert store.last_walk("en", "feed", before_run=10) == Walk(
        1, "an empty batch", True, "0001-01-02T00:00:00+00:00"
    )
    store.spoil_walk(1, "en", "feed")
    assert store.last_walk("en", "feed", before_run=10) == Walk(1, "an empty batch", False, None)
    store.start_walk(2, "en", "feed")  # a later run that never ended its walk (killed)
    assert store.last_walk("en", "feed", before_run=10) == Walk(2, None, False, None)
    assert store.last_walk("en", "feed", before_run=2) == Walk(1, "an empty batch", False, None)
    assert store.last_walk("ru", "feed", before_run=10) is None


def test_runs(store: Store) -> None:
    assert store.previous_run("report_feed") is None
    first = store.start_run("report_feed", {"lang": "en"}, "2026-01-29T21:00:00+04:00")
    assert store.previous_run("report_feed") is None  # not finished yet
    store.finish_run(first, {"item_scraped_count": 3}, "finished", "complete")
    second = store.start_run("report_feed", {"lang": "az"}, "2026-01-29T22:00:00+04:00")
    assert second > first
    run = store.previous_run("report_feed")
    assert run is not None
    assert (run.id, run.args, run.stats, run.clock, run.finish_reason, run.outcome) == (
        first,
        {"lang": "en"},
        {"item_scraped_count": 3},
        "2026-01-29T21:00:00+04:00",
        "finished",
        "complete",
    )
    assert run.finished_at is not None
    assert store.previous_run("other_spider") is None
    # A run stopped by a signal is the latest run, but not the latest clean one.
    store.finish_run(second, {}, "shutdown", "shutdown")
    assert store.previous_run("report_feed").id == second  # type: ignore[union-attr]
    assert store.previous_run("report_feed", clean=True).id == first  # type: ignore[union-attr]


def test_runs_are_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store.open(path, batch_size=1000)
    run_id = store.start_run("report_feed", {}, "2026-01-29T21:00:00+04:00")
    with closing(sqlite3.connect(path)) as reader:
        assert reader.execute("SELECT id FROM runs").fetchall() == [(run_id,)]
    store.close()


def test_writes_are_committed_in_batches_and_at_close(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store.open(path, batch_size=3)
    reader = sqlite3.connect(path)

    def visible() -> int:
        return int(reader.execute("SELECT count(*) FROM feed_entries").fetchone()[0])

    for position in range(4):
        store.upsert_feed_entry(card(f"{EN}{position}"))
    assert visible() == 3
    store.close()
    assert visible() == 4
    reader.close()


def test_fts_finds_a_word_of_a_body_and_follows_updates(store: Store) -> None:
    store.upsert_article(article())
    store.upsert_article(article(AZ, body="Neft qiymətləri bahalaşıb.", title="Neft", site_id="2"))
    assert store.search("volatility") == [EN]
    assert store.search("qiymətləri") == [AZ]
    store.upsert_article(article(body="Brent crude fell on Friday."))
    assert store.search("volatility") == []
    assert store.search("friday") == [EN]


def test_datasette_finds_the_search_index(store: Store) -> None:
    # The query Datasette (datasette/utils/__init__.py, detect_fts_sql) runs to offer ?_search= on a table.
    found = store.connection.execute(
        "SELECT name FROM sqlite_master WHERE rootpage = 0 AND "
        "sql LIKE '%VIRTUAL TABLE%USING FTS%content=\"articles\"%'"
    ).fetchall()
    assert found == [("articles_fts",)]


def test_counts(store: Store) -> None:
    store.upsert_article(article(translations={"az": AZ}))
    store.upsert_feed_entry(card())
    assert store.counts() == {
        "stories": 1,
        "articles": 1,
        "tags": 2,
        "translations": 1,
        "url_aliases": 0,
        "feed_entries": 1,
        "gone": 0,
        "runs": 0,
        "walks": 0,
        "coverage": 0,
        "failures": 0,
    }


def test_close_twice_is_harmless(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    store.close()
    store.close()


def legacy_hash(item: Article) -> str:
    """The content hash as stores before item schema 2.0 computed it, over that schema's spelling."""
    content = {name: getattr(item, name) for name in CONTENT_FIELDS}
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def test_migration_0006_nulls_empty_agencies_and_keeps_hashes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    # A store at migration 0005 holding an article as schema 1 spelled it: "" agency, null tags and
    # translations; a null images column (a body read from JSON-LD).
    old = article(tags=None, translations=None, images=[], has_video=None, body="B", word_count=1)
    with closing(sqlite3.connect(path)) as connection:
        for script in MIGRATIONS[:5]:
            connection.executescript(script)
        connection.execute("PRAGMA user_version = 5")
        connection.execute("INSERT INTO stories DEFAULT VALUES")
        connection.execute(
            "INSERT INTO articles (url, story_id, language, title, body, published_at, images, "
            "source_agency, content_hash, first_seen, last_seen, changed_at) "
            "VALUES (?, 1, 'en', ?, ?, ?, NULL, '', ?, ?, ?, ?)",
            (
                EN,
                old.title,
                old.body,
                old.published_at,
                legacy_hash(replace(old, source_agency="")),
                "t",
                "t",
                "t",
            ),
        )
        connection.commit()
    store = Store.open(path)
    try:
        assert row(store, "SELECT source_agency, images, source_agency_text FROM articles") == (
            None,
            "[]",
            None,
        )
        # The same page parsed in the schema 2 spelling is unchanged: no new version on upgrade.
        new = replace(old, tags=[], translations={}, source_agency_text="Yonhap News Agency")
        assert store.upsert_article(new) == "unchanged"
        assert row(store, "SELECT version, source_agency_text FROM articles") == (1, "Yonhap News Agency")
    finally:
        store.close()


def test_source_agency_text_is_stored(store: Store) -> None:
    store.upsert_article(article(source_agency="Yonhap", source_agency_text="Yonhap News Agency"))
    assert row(store, "SELECT source_agency, source_agency_text FROM articles") == (
        "Yonhap",
        "Yonhap News Agency",
    )
