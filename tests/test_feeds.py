"""JSON Lines that survive a killed crawl: torn-tail repair, unbuffered writes, and a real SIGKILL."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from scrapy.utils.test import get_crawler

from newscrawl.feeds import LineSafeFileFeedStorage, cut_torn_tail
from newscrawl.items import Article

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (b'{"a": 1}\n{"a": 2}\n', b'{"a": 1}\n{"a": 2}\n'),
        (b'{"a": 1}\n{"a": 2}\n{"a": 3', b'{"a": 1}\n{"a": 2}\n'),
        (b'{"a": 1', b""),
        (b"", b""),
        (
            b'{"a": "' + b"x" * 200_000 + b'"}\n{"b": "' + b"y" * 150_000,
            b'{"a": "' + b"x" * 200_000 + b'"}\n',
        ),
    ],
    ids=["whole", "torn", "only-a-torn-line", "empty", "torn-line-longer-than-a-chunk"],
)
def test_cut_torn_tail(tmp_path: Path, content: bytes, kept: bytes) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(content)
    assert cut_torn_tail(path) == len(content) - len(kept)
    assert path.read_bytes() == kept


def test_cut_torn_tail_of_a_missing_file(tmp_path: Path) -> None:
    assert cut_torn_tail(tmp_path / "nothing.jsonl") == 0


def storage(path: Path | str, overwrite: bool = False) -> tuple[LineSafeFileFeedStorage, object]:
    if not is_reactor_installed():
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    crawler = get_crawler()
    spider = crawler._create_spider("test")
    built = LineSafeFileFeedStorage.from_crawler(crawler, str(path), feed_options={"overwrite": overwrite})
    return built, spider


def test_open_repairs_the_tail_before_appending(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "data" / "articles.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"url": "a"}\n{"url": "b"}\n{"url": "c", "ti')
    store, spider = storage(path)
    with caplog.at_level(logging.WARNING, logger="newscrawl.feeds"):
        file = store.open(spider)  # type: ignore[arg-type]
    file.write(b'{"url": "d"}\n')
    store.store(file)
    assert path.read_bytes() == b'{"url": "a"}\n{"url": "b"}\n{"url": "d"}\n'
    assert store.stats is not None
    assert store.stats.get_value("newscrawl/feeds/torn_tail_bytes") == len(b'{"url": "c", "ti')
    assert [r.getMessage() for r in caplog.records] == [
        f"Cut a torn last line of 16 bytes from {path} (an earlier run was killed)"
    ]


def test_overwrite_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"url": "old"}\n{"url": "to')
    store, spider = storage(f"file://{path}", overwrite=True)
    file = store.open(spider)  # type: ignore[arg-type]
    file.write(b'{"url": "new"}\n')
    store.store(file)
    assert path.read_bytes() == b'{"url": "new"}\n'
    assert store.stats is not None
    assert store.stats.get_value("newscrawl/feeds/torn_tail_bytes") is None


def test_each_exported_line_is_in_the_file_before_close(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "articles.jsonl"
    store, spider = storage(path)
    file = store.open(spider)  # type: ignore[arg-type]
    exporter = JsonLinesItemExporter(file, encoding="utf-8")
    exporter.start_exporting()
    exporter.export_item(Article(url="https://report.az/en/a/1", title="Neft qiymətləri"))
    # Read through another handle while ours is still open: nothing may wait in a buffer.
    line = path.read_bytes()
    assert line.endswith(b"\n")
    assert json.loads(line)["title"] == "Neft qiymətləri"
    exporter.export_item(Article(url="https://report.az/en/a/2"))
    assert len(path.read_bytes().splitlines()) == 2
    exporter.finish_exporting()
    store.store(file)


SPIDER = """
import time
import scrapy
from newscrawl.items import Article

class Slow(scrapy.Spider):
    name = "slow"
    start_urls = ["data:,"]

    def parse(self, response):
        for n in range(COUNT):
            yield Article(
                url=f"https://report.az/en/finance/story-{n}",
                language="en",
                site_id=str(1000000 + n),
                title=f"Story {n}",
                body="Ödəniş " * 50,
                published_at="2026-01-29T15:08:00+04:00",
                fetched_at="2026-01-29T17:00:00+00:00",
            )
            time.sleep(DELAY)
"""


def crawl(tmp_path: Path, count: int, delay: float) -> subprocess.Popen[bytes]:
    (tmp_path / "slow.py").write_text(SPIDER.replace("COUNT", str(count)).replace("DELAY", str(delay)))
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    settings = {
        "NEWSCRAWL_SQLITE": str(tmp_path / "data" / "newscrawl.sqlite3"),
        # Small batches: most items the kill interrupts are already committed, so a line lost in a
        # write buffer would be lost for good (the next run drops the item as a duplicate), and a line
        # written past the last commit would be written twice unless the next run cuts it.
        "NEWSCRAWL_SQLITE_BATCH": "5",
        "ITEM_PIPELINES": json.dumps(
            {
                "newscrawl.pipelines.ValidatePipeline": 100,
                "newscrawl.pipelines.DedupePipeline": 200,
                "newscrawl.pipelines.StorePipeline": 300,
            }
        ),
        "EXTENSIONS": json.dumps({"newscrawl.ledger.Ledger": 100}),
        "FEED_STORAGES": json.dumps(
            {"": "newscrawl.feeds.LineSafeFileFeedStorage", "file": "newscrawl.feeds.LineSafeFileFeedStorage"}
        ),
        "FEED_EXPORT_ENCODING": "utf-8",
        "TELNETCONSOLE_ENABLED": "0",
    }
    command = [sys.executable, "-m", "scrapy", "runspider", "slow.py", "-o", "data/articles.jsonl"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    with (tmp_path / "crawl.log").open("wb") as log:
        return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def stored(tmp_path: Path) -> int:
    path = tmp_path / "data" / "newscrawl.sqlite3"
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path, timeout=5)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0


@pytest.mark.slow
def test_a_crawl_killed_halfway_then_run_again(tmp_path: Path) -> None:
    count = 400
    jsonl = tmp_path / "data" / "articles.jsonl"
    first = crawl(tmp_path, count, delay=0.01)
    deadline = time.monotonic() + 120
    # Kill once a third is committed to the store, at no particular point of the JSON Lines output.
    while stored(tmp_path) < count // 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.poll() is None, (tmp_path / "crawl.log").read_text()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert stored(tmp_path) < count
    # A kill can land inside a write: leave the half line such a kill leaves.
    with jsonl.open("ab") as file:
        file.write(b'{"url": "https://report.az/en/finance/sto')

    second = crawl(tmp_path, count, delay=0)
    assert second.wait(timeout=300) == 0
    log = (tmp_path / "crawl.log").read_text(encoding="utf-8")
    assert re.search(r"'newscrawl/feeds/torn_tail_bytes': 41\b", log), log

    with closing(sqlite3.connect(tmp_path / "data" / "newscrawl.sqlite3")) as db:
        urls = [r[0] for r in db.execute("SELECT url FROM articles")]
    expected = {f"https://report.az/en/finance/story-{n}" for n in range(count)}
    assert sorted(urls) == sorted(expected)  # each one exactly once
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["url"] for r in records) == sorted(expected)  # each one exactly once
    assert records[0]["body"].startswith("Ödəniş")
