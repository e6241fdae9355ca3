"""datasette/metadata.yml against a real store: every table and column described, and a real Datasette
server on 127.0.0.1 answering the canned queries over HTTP."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from crawling import Crawled

from newscrawl.store import Store

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "datasette" / "metadata.yml"
SNAPSHOT = ROOT / "fixtures" / "snapshot"
# FTS5 keeps its index in these shadow tables; Datasette hides them.
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def test_every_table_and_column_is_described(tmp_path: Path) -> None:
    Store.open(tmp_path / "newscrawl.sqlite3").close()
    with closing(sqlite3.connect(tmp_path / "newscrawl.sqlite3")) as db:
        tables = [
            name
            # sqlite_sequence is SQLite's own (AUTOINCREMENT counters), not a table of the store.
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
            )
            if not (name.startswith("articles_fts") and name.endswith(FTS_SHADOWS))
        ]
        described = metadata()["databases"]["newscrawl"]["tables"]
        assert sorted(described) == sorted(tables)
        for table in tables:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1]]
            assert described[table]["description"], table
            assert sorted(described[table]["columns"]) == sorted(columns), table
            assert all(described[table]["columns"].values()), table


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def store(snapshot_crawl: Crawled) -> Path:
    return snapshot_crawl.data / "newscrawl.sqlite3"


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def datasette(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("datasette") / "datasette.log"
    command = [sys.executable, "-m", "datasette", "serve", str(store), "--metadata", str(METADATA)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(f"{base}/-/versions.json")
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def canned(base: str, name: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = get(
        f"{base}/newscrawl/{name}.json?{urlencode({**params, '_shape': 'array'})}"
    )
    return rows


@pytest.mark.datasette
def test_latest_articles(datasette: str, store: Path) -> None:
    with closing(sqlite3.connect(store)) as db:
        expected = [
            row[0] for row in db.execute("SELECT url FROM articles ORDER BY published_at DESC, url LIMIT 50")
        ]
        english = [
            row[0]
            for row in db.execute(
                "SELECT url FROM articles WHERE language = 'en' ORDER BY published_at DESC, url LIMIT 50"
            )
        ]
    assert [row["url"] for row in canned(datasette, "latest_articles", language="")] == expected
    assert [row["url"] for row in canned(datasette, "latest_articles", language="en")] == english


@pytest.mark.datasette
def test_story_across_languages(datasette: str, store: Path) -> None:
    with closing(sqlite3.connect(store)) as db:
        story_id, url = db.execute(
            "SELECT story_id, min(url) FROM articles GROUP BY story_id "
            "HAVING count(DISTINCT language) = 3 LIMIT 1"
        ).fetchone()
        expected = {row[0] for row in db.execute("SELECT url FROM articles WHERE story_id = ?", (story_id,))}
    rows = canned(datasette, "story_across_languages", url=url)
    assert {row["url"] for row in rows} == expected
    assert {row["language"] for row in rows} == {"az", "en", "ru"}


@pytest.mark.datasette
def test_search_and_runs(datasette: str, store: Path) -> None:
    with closing(sqlite3.connect(store)) as db:
        title = db.execute(
            "SELECT title FROM articles WHERE language = 'az' ORDER BY url LIMIT 1"
        ).fetchone()[0]
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    word = max(title.split(), key=len)
    found = canned(datasette, "search", q=f'"{word}"')
    assert any(row["title"] == title for row in found)
    assert len(canned(datasette, "runs_last_week")) == runs  # the crawl ran just now
    tables = get(f"{datasette}/newscrawl.json")
    assert any(t["name"] == "articles" and t["fts_table"] == "articles_fts" for t in tables["tables"])
