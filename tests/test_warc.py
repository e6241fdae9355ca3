"""The WARC archive (newscrawl/warc/): writing every response, reading it back with two readers, replay
from it, kills, rotation, rendered pages, and re-extraction after a parser change."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from crawling import SNAPSHOT, crawl, read_jsonl
from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newscrawl import parsing
from newscrawl.exceptions import ReplaySettingsError
from newscrawl.store import Store
from newscrawl.warc import (
    ReadReport,
    RunWriter,
    WarcAddon,
    WarcIndex,
    WarcMiddleware,
    archive_clock,
    check_settings,
    iter_records,
    warc_files,
)
from newscrawl.warc.reextract import REASON, reextract

ROOT = Path(__file__).resolve().parents[1]
SINCE = "since=2000-01-01"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def without_fetched_at(data: Path) -> dict[str, str]:
    rows = read_jsonl(data / "articles.jsonl")
    return {
        str(row["url"]): json.dumps({k: v for k, v in row.items() if k != "fetched_at"}, sort_keys=True)
        for row in rows
    }


def stored(data: Path) -> dict[str, tuple[Any, ...]]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        return {row["url"]: tuple(row) for row in db.execute("SELECT * FROM articles ORDER BY url")}


def run_stats(data: Path) -> dict[str, Any]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        (stats,) = next(db.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1"))
    return dict(json.loads(stats))


# -- a crawl of the snapshot, archived, and replayed from its archive ------------------------------------


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("warc")
    paths = {"data": base / "data", "arc": base / "arc", "replayed": base / "replayed"}
    paths["data"].mkdir()
    result = crawl(paths["data"], SNAPSHOT, SINCE, f"-s NEWSCRAWL_WARC={paths['arc']}")
    assert result.returncode == 0, result.stderr[-3000:]
    paths["replayed"].mkdir()
    result = crawl(paths["replayed"], paths["arc"], SINCE)
    assert result.returncode == 0, result.stderr[-3000:]
    return paths


def warcio_records(files: list[Path]) -> list[tuple[str, str, str, str]]:
    """(type, target URI, record id, block digest) of every record, read by warcio with digests checked."""
    out = []
    for path in files:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, check_digests="raise"):
                record.content_stream().read()  # reading to the end checks the digests
                headers = record.rec_headers
                out.append(
                    (
                        record.rec_type,
                        headers.get_header("WARC-Target-URI") or "",
                        headers.get_header("WARC-Record-ID"),
                        headers.get_header("WARC-Block-Digest"),
                    )
                )
    return out


@pytest.mark.slow
def test_the_archive_reads_back_with_warcio_digests_checked(archived: dict[str, Path]) -> None:
    files = warc_files(archived["arc"])
    assert len(files) == 1
    assert files[0].name.startswith("newscrawl-") and files[0].name.endswith("-00001.warc.gz")
    records = warcio_records(files)
    assert records[0][0] == "warcinfo"
    types = [r[0] for r in records]
    assert types.count("response") == types.count("request") > 60
    assert all(uri.startswith("https://report.az/") for kind, uri, _, _ in records if kind != "warcinfo")
    report = ReadReport()
    ours = list(iter_records(files, report))
    assert not report.torn and not report.bad_digest
    info = ours[0].fields()
    assert info["software"].startswith("newscrawl/")
    assert json.loads(info["newscrawl-arguments"]) == {"since": "2000-01-01"}
    assert info["robots"] == "obey" and info["http-header-user-agent"].startswith("newscrawl/")
    assert archive_clock(archived["arc"]) == datetime.fromisoformat(info["newscrawl-clock"])
    # Every response of the crawl is in the archive: robots.txt, pages, batches and the 404s.
    stats = run_stats(archived["data"])
    assert types.count("response") == stats["downloader/response_count"]
    statuses = {r.uri: r.http()[0].get_statuscode() for r in ours if r.type == "response"}
    assert statuses["https://report.az/robots.txt"] == "200"
    assert "404" in statuses.values()
    for record in ours:
        if record.type == "response":
            assert record.headers.get_header("WARC-Payload-Digest", "").startswith("sha1:")
            assert record.date.endswith("Z")


@pytest.mark.slow
def test_a_second_reader_sees_the_same_records(archived: dict[str, Path]) -> None:
    files = warc_files(archived["arc"])
    ours = warcio_records(files)
    try:
        from fastwarc.warc import ArchiveIterator as FastIterator
    except ImportError:
        # The CLI of warcio reads the files again on its own, with its own index code.
        out = subprocess.run(
            [str(Path(sys.executable).with_name("warcio")), "index", "-f", "warc-type,warc-target-uri"]
            + [str(f) for f in files],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        theirs_cli = [json.loads(line) for line in out.splitlines()]
        assert [(r["warc-type"], r.get("warc-target-uri", "")) for r in theirs_cli] == [
            (r[0], r[1]) for r in ours
        ]
        return
    theirs = []
    for path in files:
        with open(path, "rb") as handle:
            for record in FastIterator(handle, parse_http=False):
                assert record.verify_block_digest(consume=True)
                theirs.append(
                    (
                        str(record.record_type),
                        record.headers.get("WARC-Target-URI") or "",
                        record.record_id,
                        record.headers.get("WARC-Block-Digest"),
                    )
                )
    assert theirs == ours


@pytest.mark.slow
def test_warcio_check_passes(archived: dict[str, Path]) -> None:
    files = [str(f) for f in warc_files(archived["arc"])]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_replay_from_the_archive_stores_the_same_articles(archived: dict[str, Path]) -> None:
    ours, theirs = without_fetched_at(archived["data"]), without_fetched_at(archived["replayed"])
    assert len(ours) == 60
    assert theirs == ours
    content = slice(3, 17)  # site_id .. source_agency, content_hash (columns of 0001_initial.sql)
    assert {u: r[content] for u, r in stored(archived["replayed"]).items()} == {
        u: r[content] for u, r in stored(archived["data"]).items()
    }
    stats = run_stats(archived["replayed"])
    assert stats["newscrawl/replay/hit"] == stats["downloader/response_count"]
    assert "newscrawl/replay/missing" not in stats  # the 404s were archived and are answered as such


@pytest.mark.slow
def test_replay_from_a_single_file_and_its_index_is_built_once(
    archived: dict[str, Path], tmp_path: Path
) -> None:
    (file,) = warc_files(archived["arc"])
    index = WarcIndex(file, db=tmp_path / "index.sqlite3")
    try:
        assert index.refresh() == 0  # built when opened; nothing new since
        record = index.latest("https://report.az/robots.txt")
        assert record is not None and record.http()[0].get_statuscode() == "200"
        assert index.latest("https://report.az/nowhere") is None
    finally:
        index.close()
    data = tmp_path / "data"
    data.mkdir()
    result = crawl(data, file, SINCE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert without_fetched_at(data) == without_fetched_at(archived["data"])


# -- the middleware on its own: redirects and errors, the add-on ----------------------------------------


def test_redirects_and_errors_are_archived_before_the_middlewares_that_act_on_them(tmp_path: Path) -> None:
    settings = Settings({"NEWSCRAWL_WARC": str(tmp_path / "arc")})
    settings.set("DOWNLOADER_MIDDLEWARES", {})
    WarcAddon().update_settings(settings)
    # Nearer the downloader than retries (550), decompression (590) and redirects (600).
    assert settings["DOWNLOADER_MIDDLEWARES"]["newscrawl.warc.WarcMiddleware"] > 600
    crawler = get_crawler(Spider, {"NEWSCRAWL_WARC": str(tmp_path / "arc"), "USER_AGENT": "ua/1"})
    middleware = WarcMiddleware.from_crawler(crawler)
    spider = crawler.spider = Spider("report_feed")
    answers = [
        (301, {"Location": "https://report.az/en/"}, b""),
        (503, {"Retry-After": "5"}, b"busy"),
        (404, {}, b"gone"),
    ]
    for status, headers, body in answers:
        request = Request("https://report.az/en", headers={"User-Agent": "ua/1"})
        middleware.process_response(request, Response(request.url, status, headers, body))
    middleware.spider_closed(spider, "finished")
    records = [r for r in iter_records(warc_files(tmp_path / "arc")) if r.type == "response"]
    assert [r.http()[0].get_statuscode() for r in records] == ["301", "503", "404"]
    assert records[0].http()[0].get_header("Location") == "https://report.az/en/"
    requests = [r for r in iter_records(warc_files(tmp_path / "arc")) if r.type == "request"]
    assert requests[0].http()[0].protocol == "GET" or requests[0].block.startswith(b"GET /en HTTP/1.1")
    assert b"Host: report.az" in requests[0].block and b"User-Agent: ua/1" in requests[0].block


def test_without_the_setting_nothing_is_wired() -> None:
    settings = Settings({"NEWSCRAWL_WARC": ""})
    settings.set("DOWNLOADER_MIDDLEWARES", {})
    WarcAddon().update_settings(settings)
    assert settings["DOWNLOADER_MIDDLEWARES"] == {}
    with pytest.raises(NotConfigured):
        WarcMiddleware.from_crawler(get_crawler(Spider, {"NEWSCRAWL_WARC": ""}))


def test_a_bad_size_limit_stops_with_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ReplaySettingsError, match=r"^NEWSCRAWL_WARC_MAX_BYTES must be a positive number"):
        check_settings(Settings({"NEWSCRAWL_WARC": str(tmp_path), "NEWSCRAWL_WARC_MAX_BYTES": "0"}))


# -- rotation and kills ----------------------------------------------------------------------------------


def write_pages(writer: RunWriter, count: int, size: int) -> None:
    for n in range(count):
        body = random.Random(n).randbytes(size)  # incompressible: the sizes are what is written
        writer.exchange(
            f"https://report.az/en/x/page-{n}",
            datetime.now(UTC),
            ("GET", [("Host", "report.az")], b""),
            (200, "OK", [("Content-Type", "text/html")], body),
        )


def test_files_rotate_by_size_each_with_its_warcinfo(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, {"software": "newscrawl/test"}, max_bytes=20_000)
    write_pages(writer, 30, 6_400)
    writer.close()
    files = warc_files(tmp_path)
    assert files == writer.files and len(files) > 3
    assert [f.name[-14:] for f in files] == [f"-{n:05d}.warc.gz" for n in range(1, len(files) + 1)]
    responses = []
    for path in files:
        assert path.stat().st_size <= 20_000
        records = list(iter_records([path]))
        assert records[0].type == "warcinfo"
        assert records[0].fields()["newscrawl-file-serial"] == path.name[-13:-8].lstrip("0")
        responses += [r.uri for r in records if r.type == "response"]
    assert responses == [f"https://report.az/en/x/page-{n}" for n in range(30)]


@pytest.mark.slow
def test_a_crawl_rotates_its_files_and_replays_from_all_of_them(
    archived: dict[str, Path], tmp_path: Path
) -> None:
    data, arc = tmp_path / "data", tmp_path / "arc"
    data.mkdir()
    result = crawl(data, SNAPSHOT, SINCE, f"-s NEWSCRAWL_WARC={arc}", "-s NEWSCRAWL_WARC_MAX_BYTES=100000")
    assert result.returncode == 0, result.stderr[-3000:]
    files = warc_files(arc)
    assert len(files) > 3
    assert all(next(iter_records([f])).type == "warcinfo" for f in files)
    replayed = tmp_path / "replayed"
    replayed.mkdir()
    result = crawl(replayed, arc, SINCE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert without_fetched_at(replayed) == without_fetched_at(archived["data"])


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_warc import RunWriter, write_pages
    writer = RunWriter(Path({arc!r}), {{"software": "newscrawl/test"}}, max_bytes=3_000_000)
    print("writing", flush=True)
    write_pages(writer, 100_000, 400_000)
    """
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_kill_while_writing_leaves_readable_files_and_the_next_run_writes_new_ones(tmp_path: Path) -> None:
    arc = tmp_path / "arc"
    script = KILLED_WRITER.format(tests=str(ROOT / "tests"), arc=str(arc))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stdout.readline() == b"writing\n"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(f.stat().st_size for f in warc_files(arc)) < 8_000_000:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    killed = warc_files(arc)
    assert len(killed) >= 2
    # Cut the last file inside its last record too, as a kill in the middle of a write would.
    last = killed[-1]
    size = last.stat().st_size
    with open(last, "r+b") as handle:
        handle.truncate(size - 1000)
    before = {f: sha256(f) for f in killed}
    report = ReadReport()
    pages = [r.uri for r in iter_records(killed, report) if r.type == "response"]
    assert report.torn == {str(last): 1}  # detected, skipped, counted: never raised
    assert pages == [f"https://report.az/en/x/page-{n}" for n in range(len(pages))]
    # The next run: new files, the old ones untouched.
    writer = RunWriter(arc, {"software": "newscrawl/test"})
    write_pages(writer, 3, 1000)
    writer.close()
    assert set(warc_files(arc)) == set(killed) | set(writer.files) and not set(killed) & set(writer.files)
    assert {f: sha256(f) for f in killed} == before
    assert [r.uri for r in iter_records(writer.files) if r.type == "response"] == [
        f"https://report.az/en/x/page-{n}" for n in range(3)
    ]
    # Replay over the directory with the torn file: no crash, the torn record counted.
    index = WarcIndex(arc, db=tmp_path / "index.sqlite3")
    try:
        assert index.torn() == 1
        assert index.latest(pages[-1]) is not None
    finally:
        index.close()


# -- rendered pages ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_rendered_pages_are_archived_under_their_page_url_with_how_they_were_rendered(tmp_path: Path) -> None:
    # Under replay, render requests go through scrapy-splash and are answered in render.json's shape
    # (no Splash server needed): the archive sees what it would see from a real Splash.
    data, arc = tmp_path / "data", tmp_path / "arc"
    data.mkdir()
    splash = f"http://127.0.0.1:{closed_port()}"
    result = crawl(
        data,
        SNAPSHOT,
        SINCE,
        "max_pages=1",
        "render=splash",
        f"-s NEWSCRAWL_WARC={arc}",
        f"-s SPLASH_URL={splash}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = list(iter_records(warc_files(arc)))
    assert all("127.0.0.1" not in r.uri and "render.json" not in r.uri for r in records)
    responses = {r.headers.get_header("WARC-Record-ID"): r for r in records if r.type == "response"}
    metadata = [r for r in records if r.type == "metadata"]
    assert metadata
    stats = run_stats(data)
    assert len(metadata) == stats["newscrawl/warc/rendered"] == stats["newscrawl/render/pages"]
    bodies = []
    for meta in metadata:
        fields = meta.fields()
        assert fields["rendered-by"] == "splash" and fields["splash-endpoint"] == "render.json"
        args = json.loads(fields["splash-arguments"])
        assert args["html"] == 1 and "url" not in args
        page = responses[meta.headers.get_header("WARC-Refers-To")]
        assert page.uri == meta.uri and page.uri.startswith("https://report.az/")
        http, body = page.http()
        assert http.get_statuscode() == fields["http-status"]
        assert b'"history"' not in body  # the rendered HTML, not Splash's JSON
        bodies.append(body)
    assert sum(body.lstrip().startswith(b"<!DOCTYPE html") for body in bodies) > 60
    rendered_urls = {m.uri for m in metadata}
    assert not any(r.type == "request" and r.uri in rendered_urls for r in records)
    # A rendered page replays from the archive, plain and rendered alike.
    replayed = tmp_path / "replayed"
    replayed.mkdir()
    result = crawl(replayed, arc, SINCE, "max_pages=1", "render=splash", f"-s SPLASH_URL={splash}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert without_fetched_at(replayed) == without_fetched_at(data)


# -- re-extraction --------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("re-extraction tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.slow
def test_reextraction_after_a_parser_change_updates_exactly_the_affected_field(
    archived: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    store_file = tmp_path / "newscrawl.sqlite3"
    shutil.copy(archived["data"] / "newscrawl.sqlite3", store_file)
    before = stored(tmp_path)
    # A deliberate parser change: the author source now upper-cases what it reads.
    (name, source), *rest = parsing.ARTICLE_SOURCES["author"]
    changed = (name, lambda page: [value.upper() for value in source(page)])
    monkeypatch.setitem(parsing.ARTICLE_SOURCES, "author", (changed, *rest))
    jsonl = tmp_path / "articles.jsonl"
    shutil.copy(archived["data"] / "articles.jsonl", jsonl)
    lines_before = read_jsonl(jsonl)
    store = Store.open(store_file)
    results: dict[str, str] = {}
    try:
        summary = reextract(
            warc_files(archived["arc"]),
            store,
            progress=io.StringIO(),
            on_result=results.__setitem__,
            jsonl=jsonl,
        )
        offset = store.feed_offset(str(jsonl.resolve()))
    finally:
        store.close()
    after = stored(tmp_path)
    with closing(sqlite3.connect(store_file)) as db:
        db.row_factory = sqlite3.Row
        rows = {row["url"]: dict(row) for row in db.execute("SELECT * FROM articles")}
        columns = [c[1] for c in db.execute("PRAGMA table_info(articles)")]
    affected = {
        url
        for url, row in rows.items()
        if row["author"] is not None and row["author"] != row["author"].lower()
    }
    old_authors = {url: dict(zip(columns, before[url], strict=False))["author"] for url in before}
    expected = {url for url, author in old_authors.items() if author and author.upper() != author}
    assert expected and affected == expected
    assert summary.changed == len(expected)
    assert summary.unchanged == 60 - len(expected)
    assert summary.new == 0 and not summary.failed and summary.articles == 60 and summary.pages > 60
    assert {url for url, result in results.items() if result == "changed"} == expected
    bookkeeping = {"author", "content_hash", "previous_hash", "previous_changed_at", "changed_at", "version"}
    bookkeeping |= {"change_reason", "fetched_at", "last_seen"}
    for url, row in rows.items():
        old = dict(zip(columns, before[url], strict=False))
        if url in expected:
            assert row["author"] == old["author"].upper()
            assert row["version"] == old["version"] + 1 and row["change_reason"] == REASON
            assert row["previous_hash"] == old["content_hash"]
            assert {k: v for k, v in row.items() if k not in bookkeeping} == {
                k: v for k, v in old.items() if k not in bookkeeping
            }
        else:
            assert tuple(row.values()) == tuple(after[url]) == before[url]  # not rewritten at all
    # Each new version is appended to the JSON Lines, as the crawl exports it, and committed with it.
    lines = read_jsonl(jsonl)
    assert lines[: len(lines_before)] == lines_before and offset == jsonl.stat().st_size
    appended = {str(line["url"]): line for line in lines[len(lines_before) :]}
    assert set(appended) == expected
    old_lines = {str(line["url"]): line for line in lines_before}
    for url, line in appended.items():
        assert line["author"] == str(old_lines[url]["author"]).upper()
        same = {k: v for k, v in line.items() if k not in ("author", "fetched_at")}
        assert same == {k: v for k, v in old_lines[url].items() if k not in ("author", "fetched_at")}
        assert list(line) == list(old_lines[url])  # the same fields in the same order


@pytest.mark.slow
def test_the_reextract_command_counts_an_unchanged_archive(archived: dict[str, Path], tmp_path: Path) -> None:
    store_file = tmp_path / "newscrawl.sqlite3"
    shutil.copy(archived["data"] / "newscrawl.sqlite3", store_file)
    before = stored(tmp_path)
    jsonl = tmp_path / "articles.jsonl"
    shutil.copy(archived["data"] / "articles.jsonl", jsonl)
    lines = jsonl.read_bytes()
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "reextract",
            str(archived["arc"]),
            "--store",
            str(store_file),
            "--jobs",
            "2",
            "--jsonl",
            str(jsonl),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "unchanged: 60" in result.stdout and "changed: 0" in result.stdout
    assert "failed: 0" in result.stdout
    assert "reextract: 60/60 articles" in result.stderr  # progress
    assert stored(tmp_path) == before
    assert jsonl.read_bytes() == lines


@pytest.mark.slow
def test_the_reextract_command_refuses_what_is_no_archive(tmp_path: Path) -> None:
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "reextract", str(tmp_path), "--store", str(tmp_path / "s.sqlite3")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "is no WARC file and no directory holding any" in result.stderr


def test_a_crawl_change_leaves_no_reason(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite3")
    try:
        article = {"url": "https://report.az/en/x/y", "language": "en", "title": "T", "body": "B"}
        store.upsert_article(article)
        store.upsert_article({**article, "title": "T2"}, reason=REASON)
        store.upsert_article({**article, "title": "T3"})
        store.commit()
        rows = list(store.connection.execute("SELECT version, change_reason FROM articles"))
    finally:
        store.close()
    assert rows == [(3, None)]


def test_iterating_files_is_in_name_order(tmp_path: Path) -> None:
    for name in (
        "newscrawl-2-1-00001.warc.gz",
        "newscrawl-1-1-00001.warc.gz",
        "notes.txt",
        ".hidden.warc.gz",
    ):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in warc_files(tmp_path)] == [
        "newscrawl-1-1-00001.warc.gz",
        "newscrawl-2-1-00001.warc.gz",
    ]


def test_a_bad_gzip_level_stops_with_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ReplaySettingsError, match=r"^NEWSCRAWL_WARC_GZIP_LEVEL must be a zlib level"):
        check_settings(Settings({"NEWSCRAWL_WARC": str(tmp_path), "NEWSCRAWL_WARC_GZIP_LEVEL": "fast"}))


@pytest.mark.slow
def test_a_crawl_of_the_origin_archives_report_az_urls_redirects_and_errors(tmp_path: Path) -> None:
    from sitesim import SiteSimulator
    from sitesim.crawls import run_crawl

    data, arc = tmp_path / "data", tmp_path / "arc"
    faults = ["redirect=0.5:articles", "5xx=0.2:articles"]
    with SiteSimulator(articles=100, seed=4, faults=faults) as sim:
        result = run_crawl(data, sim.url, {"since": "2000-01-01", "lang": "en"}, {"NEWSCRAWL_WARC": str(arc)})
        counts = sim.state()["counts"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert counts["faults/redirect"] and counts["faults/5xx"]
    report = ReadReport()
    records = list(iter_records(warc_files(arc), report))
    assert not report.torn and not report.bad_digest
    for record in records:
        assert b"127.0.0.1" not in record.block, record.uri  # never the origin, in headers or bodies
        assert record.type == "warcinfo" or record.uri.startswith("https://report.az/")
    statuses = [r.http()[0].get_statuscode() for r in records if r.type == "response"]
    assert len(statuses) == run_stats(data)["downloader/response_count"]
    assert statuses.count("301") == counts["faults/redirect"]
    assert sum(s.startswith("5") for s in statuses) == counts["faults/5xx"]
    redirects = [r for r in records if r.type == "response" and r.block.startswith(b"HTTP/1.1 301")]
    assert all(r.http()[0].get_header("Location").startswith("https://report.az/") for r in redirects)
    # Replayed from the archive: each URL's latest response (the redirect, the 200 after a 5xx).
    replayed = tmp_path / "replayed"
    replayed.mkdir()
    result = crawl(replayed, arc, SINCE, "lang=en")
    assert result.returncode == 0, result.stderr[-3000:]
    assert without_fetched_at(replayed) == without_fetched_at(data)


def test_a_gzipped_page_is_archived_as_received_and_reextracted_decoded(tmp_path: Path) -> None:
    import gzip

    from newscrawl.replay import iter_snapshot
    from newscrawl.site import is_article_url

    url, path = next((u, p) for u, p in iter_snapshot(SNAPSHOT) if is_article_url(u) and p.suffix == ".html")
    page = path.read_bytes()
    writer = RunWriter(tmp_path / "arc", {"software": "newscrawl/test"})
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    writer.exchange(
        url,
        datetime.now(UTC),
        ("GET", [("Host", "report.az")], b""),
        (200, "OK", headers, gzip.compress(page)),
    )
    writer.close()
    index = WarcIndex(tmp_path / "arc", db=tmp_path / "index.sqlite3")
    try:
        record = index.latest(url)
        assert record is not None
        http, body = record.http()
        assert http.get_header("Content-Encoding") == "gzip" and gzip.decompress(body) == page
    finally:
        index.close()
    store = Store.open(tmp_path / "s.sqlite3")
    try:
        summary = reextract(writer.files, store, progress=None)
        (title,) = store.connection.execute("SELECT title FROM articles").fetchone()
    finally:
        store.close()
    assert (summary.new, summary.articles, dict(summary.failed)) == (1, 1, {})
    assert title == parsing.parse_article(HtmlResponse(url=url, body=page, encoding="utf-8")).title


def test_a_file_cut_anywhere_reads_as_its_whole_records_never_an_error(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path / "arc", {"software": "newscrawl/test"})
    write_pages(writer, 4, 3000)
    writer.close()
    (whole,) = writer.files
    data = whole.read_bytes()
    records = list(iter_records([whole]))
    ends = [r.offset for r in records[1:]] + [len(data)]
    cut = tmp_path / "cut.warc.gz"
    for size in range(0, len(data), 97):
        cut.write_bytes(data[:size])
        report = ReadReport()
        read = [(r.type, r.uri) for r in iter_records([cut], report)]
        complete = sum(end <= size for end in ends)
        expected = [(r.type, r.uri) for r in records]
        # A record cut only in its gzip trailer still has its whole block, digest checked: it is read.
        assert read in (expected[:complete], expected[: complete + 1]), size
        assert sum(report.torn.values()) == (0 if size in (0, *ends) else 1), size
