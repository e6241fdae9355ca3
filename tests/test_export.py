"""`scrapy export` end to end: real crawls of the snapshot, real exports, read back by DuckDB, pandas and
the standard library, validated by the frictionless package."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as pads
import pytest
from crawling import Crawled

from newscrawl.dates import BAKU
from newscrawl.schemas import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
SNAPSHOT_NEXT = ROOT / "fixtures" / "snapshot-next"
BIN = Path(sys.executable).parent

ARTICLE_TEXT = (
    "url, story_id, site_id, title, lead, body, word_count, published_at, modified_at, category, "
    "category_slug, author, image_url, images, has_video, source_agency, source_agency_text, content_hash, "
    "version, first_seen, last_seen, changed_at, fetched_at"
)
TIMES = ("published_at", "modified_at", "first_seen", "last_seen", "changed_at", "fetched_at")


def crawl(data: Path, snapshot: Path, *args: str) -> None:
    env = {
        **os.environ,
        "NEWSCRAWL_REPLAY": str(snapshot),
        "NEWSCRAWL_DATA_DIR": str(data),
        "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
        "NEWSCRAWL_PROGRESS_INTERVAL": "0",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "report_feed", *(f"-a{arg}" for arg in args)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def export(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSCRAWL_SQLITE": str(store)}
    command = [sys.executable, "-m", "scrapy", "export", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def exported(store: Path, out: Path, *args: str) -> Path:
    result = export(store, str(out), *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return out


def query(store: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(store)) as db:
        return [tuple(row) for row in db.execute(sql, params)]


def store_articles(store: Path, *, typed: bool = False) -> dict[str, dict[str, Any]]:
    """Every stored article as the export should give it; ``typed``: as Parquet readers give it (times
    as instants, translations as a struct of the three languages)."""
    with closing(sqlite3.connect(store)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(f"SELECT language, {ARTICLE_TEXT} FROM articles").fetchall()
        tags: dict[str, list[str]] = {}
        for url, tag in db.execute("SELECT article_url, tag FROM tags ORDER BY article_url, position"):
            tags.setdefault(url, []).append(tag)
        translations: dict[str, dict[str, str]] = {}
        for url, language, other in db.execute("SELECT article_url, language, url FROM translations"):
            translations.setdefault(url, {})[language] = other
    articles = {}
    for row in rows:
        article = dict(row)
        article["has_video"] = None if article["has_video"] is None else bool(article["has_video"])
        article["tags"] = tags.get(article["url"], [])
        article["images"] = json.loads(article["images"])
        article["translations"] = translations.get(article["url"], {})
        if typed:
            for name in TIMES:
                if article[name] is not None:
                    article[name] = datetime.fromisoformat(article[name])
            article["translations"] = {lang: article["translations"].get(lang) for lang in ("az", "en", "ru")}
        articles[article["url"]] = article
    return articles


def manifest(snapshot: Path) -> dict[str, list[str]]:
    return json.loads((snapshot / "SNAPSHOT.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store(snapshot_crawl: Crawled) -> Path:
    return snapshot_crawl.data / "newscrawl.sqlite3"


@pytest.fixture(scope="module")
def datasets(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[tuple[str, ...]], Path]:
    """The store exported once per set of options, for the tests that only read an export."""
    made: dict[tuple[str, ...], Path] = {}

    def dataset(options: tuple[str, ...]) -> Path:
        if options not in made:
            made[options] = exported(store, tmp_path_factory.mktemp("export") / "dataset", *options)
        return made[options]

    return dataset


@pytest.fixture(scope="module")
def parquet(datasets: Callable[[tuple[str, ...]], Path]) -> Path:
    return datasets(())


def partition_of(path: str) -> tuple[str, str]:
    parts = dict(part.split("=", 1) for part in Path(path).parts if "=" in part)
    return parts["language"], parts["date"]


def check_articles(store: Path, rows: list[dict[str, Any]], *, typed: bool = False) -> None:
    """Every stored article exactly once, in its partition, every field exactly as stored."""
    expected = store_articles(store, typed=typed)
    urls = [row["url"] for row in rows]
    assert len(urls) == len(set(urls)) == len(expected)
    assert set(urls) == set(expected)
    scripts = {"ə": 0, "ы": 0}
    for row in rows:
        want = expected[row["url"]]
        assert row["language"] == want["language"]
        assert str(row["date"]) == str(want["published_at"])[:10] or typed
        for name, value in want.items():
            if name != "language":
                assert row[name] == value, (row["url"], name)
        for letter in scripts:
            scripts[letter] += letter in row["body"]
    # The comparison above covered Azerbaijani and Cyrillic text.
    assert all(scripts.values()), scripts
    if typed:  # the date folder is the publication day in Baku time, whatever the instant's zone
        baku = {url: article["published_at"].astimezone(BAKU).date() for url, article in expected.items()}
        assert all(str(row["date"]) == baku[row["url"]].isoformat() for row in rows)


# -- Parquet, read by DuckDB ----------------------------------------------------------------------------


def duck_rows(sql: str) -> list[dict[str, Any]]:
    relation = duckdb.sql(sql)
    names = relation.columns
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


@pytest.mark.slow
def test_parquet_read_back_with_duckdb(store: Path, parquet: Path) -> None:
    rows = duck_rows(
        f"SELECT *, filename FROM read_parquet('{parquet}/articles/*/*/*.parquet', "
        "hive_partitioning = true, filename = true)"
    )
    for row in rows:
        assert (row["language"], str(row["date"])) == partition_of(row["filename"])
    check_articles(store, rows, typed=True)
    described = duckdb.sql(f"DESCRIBE FROM read_parquet('{parquet}/articles/*/*/*.parquet')").fetchall()
    types = {row[0]: row[1] for row in described}
    assert (types["published_at"], types["tags"], types["word_count"], types["has_video"]) == (
        "TIMESTAMP WITH TIME ZONE",
        "VARCHAR[]",
        "BIGINT",
        "BOOLEAN",
    )
    assert types["translations"] == "STRUCT(az VARCHAR, en VARCHAR, ru VARCHAR)"


@pytest.mark.slow
def test_pandas_with_the_pyarrow_backend_reads_typed_values(store: Path, parquet: Path) -> None:
    frame = pd.read_parquet(parquet / "articles", dtype_backend="pyarrow")
    assert str(frame["published_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(frame["tags"].dtype) == "list<element: string>[pyarrow]"
    check_articles(store, frame.to_dict("records"), typed=True)


@pytest.mark.slow
def test_polars_reads_typed_values(store: Path, parquet: Path) -> None:
    frame = pl.read_parquet(f"{parquet}/articles/**/*.parquet", hive_partitioning=True)
    assert frame.schema["fetched_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["tags"] == pl.List(pl.String)
    check_articles(store, frame.to_dicts(), typed=True)


@pytest.mark.slow
def test_pyarrow_dataset_reads_typed_values_and_the_schema(store: Path, parquet: Path) -> None:
    from newscrawl.export.tables import ARTICLES
    from newscrawl.export.writers import arrow_schema

    dataset = pads.dataset(parquet / "articles", format="parquet", partitioning="hive")
    for fragment in dataset.get_fragments():
        assert fragment.physical_schema.equals(arrow_schema(ARTICLES), check_metadata=True)
    check_articles(store, dataset.to_table().to_pylist(), typed=True)


@pytest.mark.slow
def test_parquet_feed_entries_and_stories(store: Path, parquet: Path) -> None:
    entries = duck_rows(
        f"SELECT url, listing, language, date, title, published_at FROM "
        f"read_parquet('{parquet}/feed_entries/*/*/*.parquet', hive_partitioning = true)"
    )
    stored = [
        (*row[:4], None if row[4] is None else datetime.fromisoformat(row[4]))
        for row in query(store, "SELECT url, listing, language, title, published_at FROM feed_entries")
    ]
    assert len(entries) == len(stored)
    assert {(e["url"], e["listing"], e["language"], e["title"], e["published_at"]) for e in entries} == set(
        stored
    )
    for entry in entries:  # an instant in Parquet, the Baku day in the folder name
        assert str(entry["date"]) == entry["published_at"].astimezone(BAKU).date().isoformat()

    stories = duck_rows(
        f"SELECT story_id, language, url, title FROM read_parquet('{parquet}/stories/*.parquet')"
    )
    assert sorted((s["story_id"], s["language"], s["url"], s["title"]) for s in stories) == sorted(
        query(store, "SELECT story_id, language, url, title FROM articles")
    )
    # The store links stories across languages; the export keeps every link.
    multilingual = duckdb.sql(
        f"SELECT count(*) FROM (SELECT story_id FROM read_parquet('{parquet}/stories/*.parquet') "
        "GROUP BY story_id HAVING count(DISTINCT language) > 1)"
    ).fetchall()[0]
    linked = query(
        store,
        "SELECT count(*) FROM (SELECT story_id FROM articles GROUP BY story_id "
        "HAVING count(DISTINCT language) > 1)",
    )
    assert multilingual[0] == linked[0][0] > 0


@pytest.mark.slow
def test_pandas_reads_the_parquet_dataset(store: Path, parquet: Path) -> None:
    articles = pd.read_parquet(parquet / "articles")
    counts = articles.groupby("language", observed=True).size().to_dict()
    assert counts == dict(query(store, "SELECT language, count(*) FROM articles GROUP BY language"))


# -- CSV and JSON Lines ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_csv_read_back_with_pandas(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "csv", "--format", "csv")
    rows = []
    for path in sorted(out.glob("articles/*/*/*.csv")):
        frame = pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8")
        language, day = partition_of(str(path))
        for record in frame.to_dict("records"):
            record.update(language=language, date=day)
            for name in ("tags", "images", "translations"):
                record[name] = json.loads(record[name])
            for name in ("story_id", "word_count", "version"):
                record[name] = int(record[name])
            record["has_video"] = {"true": True, "false": False, "": None}[record["has_video"]]
            # pandas reads an empty field as "", null or not; the store's nulls are compared as "".
            rows.append(record)
    expected = store_articles(store)
    for row in rows:
        for name, value in expected[row["url"]].items():
            if value is None:
                row[name] = None if row[name] == "" else row[name]
    check_articles(store, rows)


@pytest.mark.slow
def test_csv_quotes_text_and_keeps_null_apart_from_empty(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "csv", "--format", "csv", "--lang", "en")
    raw = b"".join(path.read_bytes() for path in sorted(out.glob("articles/*/*/*.csv")))
    assert raw.decode("utf-8")  # UTF-8, no BOM
    assert not raw.startswith(b"\xef\xbb\xbf")
    # A null source_agency is an empty unquoted field; an empty string would be a quoted "" and the item
    # schemas allow none.
    null_agency = query(
        store, "SELECT count(*) FROM articles WHERE language = 'en' AND source_agency IS NULL"
    )[0][0]
    with_body: list[dict[str, str]] = []
    for path in sorted(out.glob("articles/*/*/*.csv")):
        lines = path.read_text(encoding="utf-8")
        with_body += list(csv.DictReader(io.StringIO(lines, newline="")))
        assert lines.startswith('"url","story_id",')
    assert len(with_body) == query(store, "SELECT count(*) FROM articles WHERE language = 'en'")[0][0]
    assert null_agency > 0 and raw.count(b',"",') == 0
    assert sum(row["source_agency"] == "" for row in with_body) == null_agency
    bodies = dict(query(store, "SELECT url, body FROM articles WHERE language = 'en'"))
    assert {row["url"]: row["body"] for row in with_body} == bodies


@pytest.mark.slow
def test_jsonl_gzip_read_back_with_the_standard_library(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "jsonl", "--format", "jsonl", "--gzip")
    rows = []
    for path in sorted(out.glob("articles/*/*/*.jsonl.gz")):
        language, day = partition_of(str(path))
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                rows.append({**json.loads(line), "language": language, "date": day})
    check_articles(store, rows)
    translations = query(store, "SELECT article_url, language, url FROM translations")
    assert {(r["url"], lang, url) for r in rows for lang, url in r["translations"].items()} == set(
        translations
    )


# -- Data Package, card, chart ------------------------------------------------------------------------------


def frictionless(dataset: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "datapackage.json"],
        cwd=dataset,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("options", [("--format", "jsonl", "--gzip"), ("--format", "csv")])
def test_frictionless_validates_the_package(
    datasets: Callable[[tuple[str, ...]], Path], options: tuple[str, ...]
) -> None:
    out = datasets(options)
    result = frictionless(out)
    assert result.returncode == 0, result.stdout[-3000:]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    paths = {resource["path"] for resource in package["resources"]}
    on_disk = {str(p.relative_to(out)) for p in out.glob("*/**/part-*") if p.is_file()}
    assert paths == on_disk
    for table in package["tables"].values():
        schema = json.loads((out / table["schema"]).read_text(encoding="utf-8"))
        assert all(field["description"] and field["type"] for field in schema["fields"])


@pytest.mark.slow
def test_the_package_and_card_state_the_schema_version_and_link_only_a_set_project_url(
    store: Path, parquet: Path, tmp_path: Path
) -> None:
    package = json.loads((parquet / "datapackage.json").read_text(encoding="utf-8"))
    assert package["version"] == SCHEMA_VERSION and "homepage" not in package
    card = (parquet / "README.md").read_text(encoding="utf-8")
    assert f"Item schema: version {SCHEMA_VERSION}" in card
    assert "github.com" not in card and "`list<string>`" in card
    env = {**os.environ, "NEWSCRAWL_SQLITE": str(store), "NEWSCRAWL_PROJECT_URL": "https://example.org/nc"}
    command = [sys.executable, "-m", "scrapy", "export", str(tmp_path / "linked"), "--lang", "en"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (
        json.loads((tmp_path / "linked" / "datapackage.json").read_text())["homepage"]
        == env["NEWSCRAWL_PROJECT_URL"]
    )
    assert "[newscrawl](https://example.org/nc)" in (tmp_path / "linked" / "README.md").read_text()


@pytest.mark.slow
def test_incremental_onto_an_older_schema_is_refused(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "dataset", "--lang", "en")
    state_path = out / "_export_state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    del state["schema"]  # as exports before item schema 2.0 wrote it
    state_path.write_text(json.dumps(state), encoding="utf-8")
    result = export(store, str(out), "--lang", "en", "--incremental")
    assert result.returncode == 1
    assert f"follows item schema 1, this newscrawl writes {SCHEMA_VERSION}" in result.stderr


@pytest.mark.slow
def test_frictionless_catches_a_damaged_part(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "dataset", "--format", "csv", "--lang", "en")
    part = sorted(out.glob("articles/*/*/*.csv"))[0]
    damaged = part.read_bytes().replace(b",true,", b",maybe,").replace(b",false,", b",maybe,")
    assert damaged != part.read_bytes()
    part.write_bytes(damaged)
    result = frictionless(out)
    assert result.returncode != 0
    assert "type-error" in result.stdout and "has_video" in result.stdout


@pytest.mark.slow
def test_card_counts_come_from_the_store(store: Path, parquet: Path) -> None:
    card = (parquet / "README.md").read_text(encoding="utf-8")
    for language, count in query(store, "SELECT language, count(*) FROM articles GROUP BY language"):
        assert f"| {language} | {count} |" in card
    for language, category, count in query(
        store, "SELECT language, category, count(*) FROM articles GROUP BY language, category"
    ):
        assert f"| {language} | {category} | {count} |" in card
    first, last = query(
        store, "SELECT min(substr(published_at, 1, 10)), max(substr(published_at, 1, 10)) FROM articles"
    )[0]
    assert f"Publication days: {first} to {last}" in card
    gone = query(store, "SELECT url FROM gone")
    assert f"{len(gone)} article page(s) linked from a card answered 404" in card
    assert all(url in card for (url,) in gone)
    with_author = query(store, "SELECT count(*) FROM articles WHERE author IS NOT NULL AND author != ''")[0][
        0
    ]
    assert f"| `author` | {with_author} |" in card
    assert "```python\nimport duckdb\n" in card and "```python\nimport pandas as pd\n" in card
    chart = ElementTree.fromstring((parquet / "overview.svg").read_bytes())
    texts = {text.text for text in chart.iter("{http://www.w3.org/2000/svg}text")}
    dated = "SELECT language, count(*) FROM articles WHERE published_at IS NOT NULL GROUP BY language"
    assert all(f"{language} ({count})" in texts for language, count in query(store, dated))


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("--format", "jsonl", "--gzip"), ("--format", "csv")])
def test_card_loading_snippets_run(
    store: Path, datasets: Callable[[tuple[str, ...]], Path], options: tuple[str, ...]
) -> None:
    out = datasets(options)
    card = (out / "README.md").read_text(encoding="utf-8")
    snippets = [block.split("```", 1)[0] for block in card.split("```python\n")[1:]]
    assert len(snippets) == 2
    for snippet in snippets:
        result = subprocess.run(
            [sys.executable, "-c", snippet], cwd=out, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        for language, count in query(store, "SELECT language, count(*) FROM articles GROUP BY language"):
            assert re.search(rf"\b{language}\b\W+{count}\b", result.stdout), (snippet, result.stdout)


@pytest.mark.slow
def test_selection(store: Path, tmp_path: Path) -> None:
    out = exported(
        store, tmp_path / "sel", "--lang", "en,ru", "--since", "2026-01-29", "--category", "finance,finansy"
    )
    rows = duck_rows(
        f"SELECT url, language, date, category_slug "
        f"FROM read_parquet('{out}/articles/*/*/*.parquet', hive_partitioning = true)"
    )
    expected = query(
        store,
        "SELECT url FROM articles WHERE language IN ('en', 'ru') "
        "AND substr(published_at, 1, 10) >= '2026-01-29' "
        "AND category_slug IN ('finance', 'finansy')",
    )
    assert rows and {row["url"] for row in rows} == {url for (url,) in expected}
    assert {row["language"] for row in rows} == {"en", "ru"}


# -- incremental --------------------------------------------------------------------------------------------


def dataset_urls(out: Path) -> list[str]:
    return [
        row[0]
        for row in duckdb.sql(f"SELECT url FROM read_parquet('{out}/articles/*/*/*.parquet')").fetchall()
    ]


@pytest.mark.slow
def test_incremental_export_adds_exactly_the_new_and_changed(tmp_path: Path, snapshot_crawl: Crawled) -> None:
    data = snapshot_crawl.copy_to(tmp_path / "data")  # a replay of the whole snapshot
    store = data / "newscrawl.sqlite3"
    out = exported(store, tmp_path / "dataset", "--incremental")
    before = {p: p.stat().st_mtime_ns for p in out.glob("articles/**/*.parquet")}

    crawl(data, SNAPSHOT_NEXT)
    titles_before = dict(query(store, "SELECT url, title FROM articles"))
    out = exported(store, out, "--incremental")
    state = json.loads((out / "_export_state.json").read_text(encoding="utf-8"))
    written = state["history"][-1]["tables"]["articles"]["written"]
    added = duck_rows(
        "SELECT url, title FROM read_parquet([" + ", ".join(f"'{out / name}'" for name in written) + "])"
    )
    new, changed = set(manifest(SNAPSHOT_NEXT)["new"]), set(manifest(SNAPSHOT_NEXT)["changed"])
    assert {row["url"] for row in added} == new | changed
    assert len(added) == len(new) + len(changed)
    summary = state["history"][-1]["tables"]["articles"]
    assert (summary["new"], summary["changed"]) == (len(new), len(changed))
    assert all(name not in before for name in map(lambda n: out / n, written))
    # The changed article's previous version left the dataset with the file that held it.
    assert len(summary["rewritten"]) == len({partition_of(str(out / n)) for n in summary["rewritten"]}) >= 1
    urls = dataset_urls(out)
    assert len(urls) == len(set(urls))
    assert sorted(urls) == sorted(url for (url,) in query(store, "SELECT url FROM articles"))
    for row in added:
        assert row["title"] == titles_before[row["url"]]

    # Nothing changed since: a third export writes no part file.
    again = export(store, str(out), "--incremental")
    assert again.returncode == 0, again.stderr
    state = json.loads((out / "_export_state.json").read_text(encoding="utf-8"))
    assert all(not t["written"] and not t["rewritten"] for t in state["history"][-1]["tables"].values())
    assert sorted(dataset_urls(out)) == sorted(urls)


@pytest.mark.slow
def test_leftovers_of_a_killed_export_are_removed(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "dataset", "--lang", "az")
    partition = sorted(out.glob("articles/*/*"))[0]
    leftover = partition / ".part-7.parquet.tmp"
    leftover.write_bytes(next(partition.glob("part-0.parquet")).read_bytes())
    out = exported(store, out, "--lang", "az", "--incremental")
    assert not leftover.exists()
    urls = dataset_urls(out)
    assert (
        len(urls)
        == len(set(urls))
        == query(store, "SELECT count(*) FROM articles WHERE language = 'az'")[0][0]
    )


@pytest.mark.slow
def test_a_full_export_replaces_the_previous_one(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "dataset", "--format", "csv")
    out = exported(store, out, "--format", "csv", "--lang", "ru")
    files = list(out.glob("articles/*/*/*.csv"))
    assert files and all("language=ru" in str(path) for path in files)
    assert not list(out.glob("**/.*.tmp"))


# -- bad input ----------------------------------------------------------------------------------------------


def bad_inputs(store: Path, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str], str]]:
    out = str(tmp_path / "out")
    yield [out], {"NEWSCRAWL_SQLITE": str(tmp_path / "missing.sqlite3")}, "there is no store at"
    yield [out, "--lang", "de"], {}, "--lang must be a comma list of az, en, ru"
    yield [out, "--since", "2026-13-01"], {}, "--since '2026-13-01' is not a calendar day"
    yield [out, "--until", "yesterday"], {}, "--until must be a day written YYYY-MM-DD"
    yield [out, "--since", "2026-02-01", "--until", "2026-01-01"], {}, "is before --since"
    yield [out, "--category", "sport"], {}, "--category sport is not a category slug"
    yield [out, "--format", "xml"], {}, "--format must be one of parquet, jsonl, csv"
    yield [out, "--gzip"], {}, "--gzip applies to jsonl and csv"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    yield [str(blocker / "dataset")], {}, "choose an output directory you can write to"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    yield [str(foreign)], {}, "already holds files that are not a newscrawl export"


@pytest.mark.slow
def test_bad_input_is_one_sentence(store: Path, tmp_path: Path) -> None:
    for args, env, message in bad_inputs(store, tmp_path):
        command = [sys.executable, "-m", "scrapy", "export", *args]
        environment = {**os.environ, "NEWSCRAWL_SQLITE": str(store), **env}
        result = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_incremental_with_other_options_is_refused(store: Path, tmp_path: Path) -> None:
    out = exported(store, tmp_path / "dataset", "--lang", "en")
    result = export(store, str(out), "--lang", "ru", "--incremental")
    assert result.returncode == 1
    assert "was exported with other options (--format parquet --lang en)" in result.stderr
    assert "Traceback" not in result.stderr
