"""Helpers for tests that run real ``scrapy crawl report_feed`` subprocesses over a snapshot."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from scrapy.http import HtmlResponse

from newscrawl.replay import iter_snapshot, sidecar_path
from newscrawl.store import Run, Store, content_hash

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
SNAPSHOT_NEXT = ROOT / "fixtures" / "snapshot-next"
# Politeness off, for crawls of a closed port (the replay addon turns it off on its own).
NO_DELAY = ("-s DOWNLOAD_DELAY=0", "-s AUTOTHROTTLE_ENABLED=False")


@dataclass(frozen=True)
class Crawled:
    """A finished crawl: its data directory (store and JSON Lines) and its log (stderr)."""

    data: Path
    log: str

    def copy_to(self, data: Path) -> Path:
        """The crawl's files copied to ``data``, for a test that runs more crawls on top of it."""
        shutil.copytree(self.data, data, dirs_exist_ok=True)
        return data


def crawl_command(data: Path, snapshot: Path | None, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a crawl into ``data``; ``-s NAME=VALUE`` args become settings,
    the others spider arguments."""
    env = {
        **os.environ,
        "NEWSCRAWL_DATA_DIR": str(data),
        "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
        "NEWSCRAWL_PROGRESS_INTERVAL": "0",
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    env.pop("NEWSCRAWL_REPLAY", None)
    if snapshot is not None:
        env["NEWSCRAWL_REPLAY"] = str(snapshot)
    command = [sys.executable, "-m", "scrapy", "crawl", "report_feed"]
    for arg in args:
        command += ["-s", arg[3:]] if arg.startswith("-s ") else ["-a", arg]
    return command, env


def crawl(data: Path, snapshot: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = crawl_command(data, snapshot, *args)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_run(data: Path) -> Run:
    store = Store.open(data / "newscrawl.sqlite3")
    try:
        run = store.previous_run("report_feed")
    finally:
        store.close()
    assert run is not None
    return run


def manifest(snapshot: Path) -> dict[str, list[str]]:
    return json.loads((snapshot / "SNAPSHOT.json").read_text(encoding="utf-8"))


@functools.cache
def snapshot_pages(snapshot: Path) -> tuple[frozenset[str], frozenset[str]]:
    """Canonical URLs of the article pages and of the cards on listing pages of a snapshot, read from
    its files with plain selectors (not with the crawler's parser)."""
    from newscrawl.site import canonical_url

    articles, cards = set(), set()
    for url, path in iter_snapshot(snapshot):
        if path.suffix != ".html":
            continue
        response = HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")
        if response.css("div.news-detail__desc, div.editor-body"):
            articles.add(canonical_url(url))
        for href in response.css("div.index-post-block a.news__item::attr(href)").getall():
            cards.add(canonical_url(response.urljoin(href)))
    return frozenset(articles), frozenset(cards)


def stored_versions(data: Path) -> dict[str, str]:
    """url -> content hash of every article in the store of ``data`` (empty before the schema exists)."""
    path = data / "newscrawl.sqlite3"
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path, timeout=5)) as db:
        try:
            return dict(db.execute("SELECT url, content_hash FROM articles"))
        except sqlite3.OperationalError:  # schema not created yet
            return {}


def exported_versions(data: Path) -> list[tuple[str, str]]:
    """(url, content hash) of every line of ``articles.jsonl``, the hash computed from the line itself."""
    path = data / "articles.jsonl"
    if not path.exists():
        return []
    return [(str(line["url"]), content_hash(line)) for line in read_jsonl(path)]


def copy_snapshot(tmp_path: Path, statuses: dict[str, int]) -> Path:
    """A copy of the snapshot in which each URL of ``statuses`` answers that status (a sidecar says so)."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    for url, status in statuses.items():
        sidecar = sidecar_path(snapshot, url)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps({"url": url, "status": status, "headers": {}}), encoding="utf-8")
    return snapshot


# -- complete data across runs (test_completeness*.py) --------------------------------------------------

# Slowed down and committing often, so that a signal lands mid-crawl with part of the work stored.
SLOW = ("-s DOWNLOAD_DELAY=0.05", "-s CONCURRENT_REQUESTS=1", "-s NEWSCRAWL_SQLITE_BATCH=3")


@dataclass(frozen=True)
class Result:
    """What a store and its JSON Lines hold after one or more runs."""

    versions: dict[str, str]  # article url -> content hash, from the store
    exported: list[tuple[str, str]]  # (url, content hash) of each articles.jsonl line, sorted
    entries: list[tuple[str, str]]  # (url, listing) of each feed_entries.jsonl line, sorted

    @classmethod
    def of(cls, data: Path) -> Result:
        lines = read_jsonl(data / "feed_entries.jsonl") if (data / "feed_entries.jsonl").exists() else []
        return cls(
            stored_versions(data),
            sorted(exported_versions(data)),
            sorted((str(e["url"]), str(e["listing"])) for e in lines),
        )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def wait_until(process: subprocess.Popen[bytes], ready: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + 120
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, f"the crawl ended before the kill point:\n{log.read_text()[-3000:]}"
    assert ready(), "the kill point was not reached in time"
