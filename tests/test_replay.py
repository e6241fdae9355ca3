"""The snapshot layout (URL <-> file), replay and record through Scrapy's downloader."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newscrawl.replay import (
    RecordMiddleware,
    ReplayAddon,
    ReplayDownloadHandler,
    ReplayPathError,
    ReplaySettingsError,
    check_settings,
    decode_body,
    find_file,
    iter_snapshot,
    path_to_url,
    url_to_path,
)

LAYOUT_EXAMPLES = [
    ("https://report.az/", "text/html", "report.az/_.html"),
    ("https://report.az/en/", "text/html", "report.az/en/_.html"),
    ("https://report.az/en/finance", "text/html", "report.az/en/finance.html"),
    ("https://report.az/en/finance/some-story", "text/html", "report.az/en/finance/some-story.html"),
    ("https://report.az/robots.txt", "text/plain", "report.az/robots.txt.txt"),
    (
        "https://report.az/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1",
        "text/html",
        "report.az/infinity/index@date=2026-01-29+15%3A08%3A00&oldest=1.html",
    ),
    (
        "https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1",
        "text/html",
        "report.az/en/infinity/category@slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1.html",
    ),
    ("https://report.az/news-sitemap.xml", "application/xml", "report.az/news-sitemap.xml.xml"),
    ("https://report.az/api/x", "application/json; charset=utf-8", "report.az/api/x.json"),
    ("https://static.report.az/photo/a_850.jpg", "image/jpeg", "static.report.az/photo/a_850.jpg.bin"),
    ("http://127.0.0.1:8123/a", "text/html", "127.0.0.1:8123/a.html"),
]


@pytest.mark.parametrize(("url", "content_type", "path"), LAYOUT_EXAMPLES)
def test_layout_examples_both_ways(url: str, content_type: str, path: str) -> None:
    assert url_to_path(url, content_type) == PurePosixPath(path)
    scheme = url.split(":", 1)[0]
    assert path_to_url(path, scheme=scheme) == url
    assert path_to_url(PurePosixPath(path), scheme=scheme) == url


ROUND_TRIP = [
    "https://report.az/",
    "https://report.az/en/",
    "https://report.az/en/finance/",
    "https://report.az/en/finance",
    "https://report.az/search?query=Ilham%20Aliyev",
    "https://report.az/search?query=neft+qiym%C9%99ti",
    "https://report.az/x?path=a%2Fb%2Fc&y=1",
    "https://report.az/_",
    "https://report.az/_/_/x",
    "https://report.az/en/_?q=_",
    "https://report.az/robots.txt",
    "https://report.az/maliyye-xeberleri/az%C9%99rbaycan%C4%B1n-neft-g%C9%99lirl%C9%99ri-art%C4%B1b1",
    "https://report.az/a//b",
    "https://report.az/.well-known/security.txt",
    "https://report.az/a%40b?c@d",
    "https://report.az/?q=1",
    "https://report.az/archive/2026/01/29",
    "http://127.0.0.1:8123/en/",
]


@pytest.mark.parametrize("url", ROUND_TRIP)
@pytest.mark.parametrize("content_type", ["text/html", "text/plain", "application/octet-stream"])
def test_round_trip(url: str, content_type: str) -> None:
    path = url_to_path(url, content_type)
    assert not path.is_absolute()
    assert ".." not in path.parts
    assert path_to_url(path, scheme=url.split(":", 1)[0]) == url


def test_distinct_urls_get_distinct_files() -> None:
    paths = [url_to_path(url) for url in ROUND_TRIP]
    assert len(set(paths)) == len(paths)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        (
            "https://report.az/en/xəbər?q=neft qiyməti/son",
            "https://report.az/en/x%C9%99b%C9%99r?q=neft%20qiym%C9%99ti%2Fson",
        ),
        ("https://REPORT.AZ:443/en/%5F", "https://report.az/en/_"),
        ("https://report.az/a@b", "https://report.az/a%40b"),
        ("https://report.az/x#fragment", "https://report.az/x"),
    ],
)
def test_equivalent_urls_replay_in_normal_form(url: str, normal: str) -> None:
    assert path_to_url(url_to_path(url)) == normal
    assert url_to_path(url) == url_to_path(normal)


@pytest.mark.parametrize(
    "url",
    [
        "https://report.az/../etc/passwd",
        "https://report.az/en/../../x",
        "https://report.az/%2e%2e/x",
        "https://report.az/%2E%2e",
        "https://report.az/./x",
        "https://report.az/%2e/x",
        "https://report.az/en/a%2Fb",
        "https://report.az/en/a%2fb",
        "https://report.az/en/a%5Cb",
        "https://report.az/en/a\\b",
        "https://report.az/..\\..\\x",
        "https://report.az/a%00b",
        "https://report.az/a\x00b",
        "file:///etc/passwd",
        "https:///etc/passwd",
        "/etc/passwd",
        "https://report.az/" + "x" * 300,
    ],
)
def test_escaping_urls_are_refused(url: str) -> None:
    with pytest.raises(ReplayPathError):
        url_to_path(url)


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd.html",
        "report.az/../../etc/passwd.html",
        "report.az/%2e%2e/x.html",
        "../report.az/x.html",
        "report.az/a%2Fb.html",
        "report.az.html",
        "report.az/x.exe",
        "report.az/.html",
    ],
)
def test_escaping_paths_are_refused(path: str) -> None:
    with pytest.raises(ReplayPathError):
        path_to_url(path)


def test_refused_errors_are_value_errors_with_one_sentence() -> None:
    with pytest.raises(ValueError, match=r"^'https://report.az/%2e%2e/x' has a segment '%2e%2e', .*\.$"):
        url_to_path("https://report.az/%2e%2e/x")


def _write(root: Path, relative: str, body: bytes = b"x") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def test_find_file_whatever_the_extension(tmp_path: Path) -> None:
    robots = _write(tmp_path, "report.az/robots.txt.txt")
    home = _write(tmp_path, "report.az/_.html")
    assert find_file(tmp_path, "https://report.az/robots.txt") == robots
    assert find_file(tmp_path, "https://report.az/") == home
    assert find_file(tmp_path, "https://report.az/en/") is None
    _write(tmp_path, "report.az/_.json")
    with pytest.raises(ReplayPathError, match="2 files"):
        find_file(tmp_path, "https://report.az/")


def test_find_file_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    outside = _write(tmp_path, "outside/secret.html")
    root = tmp_path / "snapshot"
    (root / "report.az").mkdir(parents=True)
    (root / "report.az" / "en").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(ReplayPathError, match="outside the snapshot root"):
        find_file(root, "https://report.az/en/secret")


def test_iter_snapshot_lists_pages_and_skips_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, "SNAPSHOT.json", b"{}")
    _write(tmp_path, ".meta/report.az/_.json", b"{}")
    _write(tmp_path, "report.az/.x.html.1234.tmp")
    pages = {
        "https://report.az/": _write(tmp_path, "report.az/_.html"),
        "https://report.az/robots.txt": _write(tmp_path, "report.az/robots.txt.txt"),
        "https://report.az/en/_": _write(tmp_path, "report.az/en/%5F.html"),
        "https://report.az/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1": _write(
            tmp_path, "report.az/infinity/index@date=2026-01-29+15%3A08%3A00&oldest=1.html"
        ),
    }
    listed = list(iter_snapshot(tmp_path))
    assert dict(listed) == pages
    assert [path for _, path in listed] == sorted(path for _, path in listed)
    for url, path in listed:
        assert find_file(tmp_path, url) == path


# --- replay and record through Scrapy's downloader, each crawl in its own process ------------------------

REPO = Path(__file__).resolve().parent.parent

PROBE_SPIDER = '''
import base64, json, os

import scrapy


class Probe(scrapy.Spider):
    """Requests PROBES and writes what each answer looked like to PROBE_OUT."""

    name = "probe"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "FEEDS": {},
        "ADDONS": {"newscrawl.replay.ReplayAddon": 0},
        "LOG_LEVEL": "DEBUG",
    }

    async def start(self):
        self.seen = {}
        for key, url, meta in json.loads(os.environ["PROBES"]):
            yield scrapy.Request(
                url, meta={**meta, "key": key}, dont_filter=True, callback=self.parse, errback=self.failed
            )

    def parse(self, response):
        self.seen[response.meta["key"]] = {
            "url": response.url,
            "status": response.status,
            "class": type(response).__name__,
            "headers": {
                name: response.headers.get(name, b"").decode("latin-1")
                for name in ("Content-Type", "Location", "ETag", "Last-Modified")
            },
            "body": base64.b64encode(response.body).decode(),
        }

    def failed(self, failure):
        self.seen[failure.request.meta["key"]] = {"error": failure.type.__name__}

    def closed(self, reason):
        stats = self.crawler.stats.get_stats()
        settings = {
            name: self.crawler.settings.get(name)
            for name in ("DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS_PER_DOMAIN")
        }
        with open(os.environ["PROBE_OUT"], "w") as out:
            json.dump({"seen": self.seen, "stats": stats, "settings": settings}, out, default=str)
'''

GZIPPED_HTML = "<html><body><p>Sıxılmış səhifə: gzip</p></body></html>".encode()
FINANCE_HTML = "<html><body><h1>Finance</h1><p>Xəbərlər, новости</p></body></html>".encode()
ROBOTS = b"User-agent: *\nDisallow: /private\n"


class _Site(BaseHTTPRequestHandler):
    """A few report.az-like pages; remembers whether it really sent gzip."""

    gzip_sent: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path = self.path
        if path == "/robots.txt":
            self._send(200, ROBOTS, {"Content-Type": "text/plain"})
        elif path == "/en/finance":
            headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}
            headers["Last-Modified"] = "Thu, 29 Jan 2026 17:00:00 GMT"
            self._send(200, FINANCE_HTML, headers)
        elif path == "/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1":
            self._send(200, b'<div class="index-post-block">batch</div>', {"Content-Type": "text/html"})
        elif path == "/en/gzipped":
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.gzip_sent.append(path)
                body = gzip.compress(GZIPPED_HTML)
                self._send(
                    200, body, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
                )
            else:
                self._send(200, GZIPPED_HTML, {"Content-Type": "text/html; charset=utf-8"})
        elif path == "/old":
            location = f"http://{self.headers['Host']}/new"
            self._send(301, b"<a href='/new'>moved</a>", {"Content-Type": "text/html", "Location": location})
        elif path == "/new":
            self._send(200, b"<p>new home</p>", {"Content-Type": "text/html; charset=utf-8"})
        else:
            self._send(404, b"<h1>Not found</h1>", {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _crawl(
    tmp_path: Path, run: str, probes: list[tuple[str, str, dict[str, object]]], **env: str
) -> tuple[dict[str, Any], str]:
    spider = tmp_path / "probe.py"
    spider.write_text(PROBE_SPIDER)
    out = tmp_path / f"{run}.json"
    environ = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        "NEWSCRAWL_DATA_DIR": str(tmp_path / "data"),
        "NEWSCRAWL_REPLAY": "",
        "NEWSCRAWL_RECORD": "",
        "PROBES": json.dumps(probes),
        "PROBE_OUT": str(out),
        **env,
    }
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider)]
    if env.get("NEWSCRAWL_RECORD"):
        # Politeness delays only slow the recording down; robots.txt is obeyed as in settings.py. Replay
        # runs keep settings.py as it is, so what ReplayAddon changes shows.
        command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    done = subprocess.run(command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    result = json.loads(out.read_text()) if out.exists() else {}
    return result, output


@pytest.mark.slow
def test_record_then_replay_answers_the_same(site: str, tmp_path: Path) -> None:
    probes: list[tuple[str, str, dict[str, object]]] = [
        ("html", f"{site}/en/finance", {}),
        ("query", f"{site}/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1", {}),
        ("gzip", f"{site}/en/gzipped", {}),
        ("redirect-followed", f"{site}/old", {}),
        ("redirect", f"{site}/old", {"dont_redirect": True, "handle_httpstatus_list": [301]}),
        ("404", f"{site}/gone", {"handle_httpstatus_list": [404]}),
        ("robots", f"{site}/robots.txt", {}),
        ("refused", f"{site}/en/a%2Fb", {"handle_httpstatus_list": [404]}),
    ]
    snapshot = tmp_path / "recorded"
    recorded, output = _crawl(tmp_path, "record", probes, NEWSCRAWL_RECORD=str(snapshot))
    assert recorded, output
    assert _Site.gzip_sent == ["/en/gzipped"]
    host = site.removeprefix("http://")

    # The files are plain, readable and where the layout says.
    assert (snapshot / host / "en" / "gzipped.html").read_bytes() == GZIPPED_HTML
    assert (snapshot / host / "en" / "finance.html").read_bytes() == FINANCE_HTML
    assert (snapshot / host / "robots.txt.txt").read_bytes() == ROBOTS
    moved = json.loads((snapshot / ".meta" / host / "old.json").read_text())
    assert (moved["url"], moved["status"]) == (f"{site}/old", 301)
    assert moved["headers"]["Location"] == f"{site}/new"
    assert "Content-Encoding" not in json.loads(
        (snapshot / ".meta" / host / "en" / "gzipped.json").read_text()
    )
    assert dict(iter_snapshot(snapshot, scheme="http")) == {
        f"{site}/robots.txt": snapshot / host / "robots.txt.txt",
        f"{site}/en/finance": snapshot / host / "en" / "finance.html",
        probes[1][1]: snapshot / host / "en" / "infinity" / (url_to_path(probes[1][1]).name),
        f"{site}/en/gzipped": snapshot / host / "en" / "gzipped.html",
        f"{site}/old": snapshot / host / "old.html",
        f"{site}/new": snapshot / host / "new.html",
        f"{site}/gone": snapshot / host / "gone.html",
    }
    record_stats = recorded["stats"]
    assert record_stats["newscrawl/record/refused"] == 1
    assert "newscrawl/replay/hit" not in record_stats

    replayed, output = _crawl(
        tmp_path,
        "replay",
        [*probes, ("never", f"{site}/never-recorded", {"handle_httpstatus_list": [404]})],
        NEWSCRAWL_REPLAY=str(snapshot),
    )
    assert replayed, output
    for key, *_ in probes:
        if key == "refused":
            continue
        live, again = recorded["seen"][key], replayed["seen"][key]
        assert again == live, key
    assert recorded["seen"]["redirect-followed"]["url"] == f"{site}/new"
    assert recorded["seen"]["gzip"]["body"] == base64.b64encode(GZIPPED_HTML).decode()
    assert recorded["seen"]["html"]["headers"]["ETag"] == '"v1"'
    assert replayed["seen"]["never"]["status"] == 404
    assert replayed["seen"]["never"]["body"] == ""
    assert replayed["seen"]["refused"]["error"] == "ReplayPathError"
    stats = replayed["stats"]
    assert stats["newscrawl/replay/missing"] == 1
    # Every response recorded once (robots.txt twice: the middleware's and the probe's) is replayed once.
    assert stats["newscrawl/replay/hit"] == record_stats["newscrawl/record/saved"] == 9
    assert "newscrawl/record/saved" not in stats
    assert replayed["settings"] == {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    }


@pytest.mark.slow
def test_a_bad_replay_directory_stops_the_crawl_in_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-snapshot"
    result, output = _crawl(
        tmp_path, "bad", [("home", "https://report.az/", {})], NEWSCRAWL_REPLAY=str(missing)
    )
    sentence = (
        f"NEWSCRAWL_REPLAY={missing} is not a directory; point it at a snapshot such as fixtures/snapshot."
    )
    assert sentence in output
    assert result == {}  # the spider never opened
    assert "Spider opened" not in output


@pytest.mark.slow
def test_replay_and_record_together_are_refused(tmp_path: Path) -> None:
    result, output = _crawl(
        tmp_path,
        "both",
        [("home", "https://report.az/", {})],
        NEWSCRAWL_REPLAY=str(tmp_path),
        NEWSCRAWL_RECORD=str(tmp_path / "out"),
    )
    assert "NEWSCRAWL_REPLAY and NEWSCRAWL_RECORD are both set; unset one" in output
    assert result == {}


# --- the components in-process: answers that need no crawl ---------------------------------------------


def _replay(root: Path, url: str, **settings: object) -> tuple[Response | None, Failure | None, Crawler]:
    crawler = get_crawler(Spider, {"NEWSCRAWL_REPLAY": str(root), **settings})
    handler = ReplayDownloadHandler.from_crawler(crawler)
    coroutine = handler.download_request(Request(url))
    try:
        coroutine.send(None)  # replay answers at once, nothing waits on the event loop
    except StopIteration as done:
        return done.value, None, crawler
    except Exception as exc:
        return None, Failure(exc), crawler
    coroutine.close()
    raise AssertionError("replay waited for something")


@pytest.mark.parametrize(
    ("relative", "url", "content_type", "response_class"),
    [
        (
            "report.az/en/finance.html",
            "https://report.az/en/finance",
            b"text/html; charset=utf-8",
            HtmlResponse,
        ),
        (
            "report.az/robots.txt.txt",
            "https://report.az/robots.txt",
            b"text/plain; charset=utf-8",
            TextResponse,
        ),
        (
            "report.az/news-sitemap.xml.xml",
            "https://report.az/news-sitemap.xml",
            b"application/xml; charset=utf-8",
            XmlResponse,
        ),
        ("report.az/p/a.jpg.bin", "https://report.az/p/a.jpg", b"application/octet-stream", Response),
    ],
)
def test_a_hand_made_page_replays_as_200_with_the_type_of_its_extension(
    tmp_path: Path, relative: str, url: str, content_type: bytes, response_class: type[Response]
) -> None:
    body = b"\xff\xd8\xff\x00\x10JFIF" if relative.endswith(".bin") else b"<p>\xc9\x99</p>"
    _write(tmp_path, relative, body)
    response, failure, crawler = _replay(tmp_path, url)
    assert failure is None and response is not None
    assert (response.url, response.status, response.body) == (url, 200, body)
    assert response.headers[b"Content-Type"] == content_type
    assert type(response) is response_class
    assert crawler.stats is not None and crawler.stats.get_value("newscrawl/replay/hit") == 1


def test_a_sidecar_gives_status_and_headers(tmp_path: Path) -> None:
    _write(tmp_path, "report.az/en/old.html", b"moved")
    meta = {"url": "https://report.az/en/old", "status": 301, "fetched_at": "2026-01-29T17:00:00+00:00"}
    meta["headers"] = {"Content-Type": "text/html", "Location": "https://report.az/en/new"}
    _write(tmp_path, ".meta/report.az/en/old.json", json.dumps(meta).encode())
    response, _, _ = _replay(tmp_path, "https://report.az/en/old")
    assert response is not None
    assert (response.status, response.headers[b"Location"]) == (301, b"https://report.az/en/new")


def test_a_missing_page_is_an_empty_404_and_counted(tmp_path: Path) -> None:
    response, _, crawler = _replay(tmp_path, "https://report.az/en/nowhere?x=1")
    assert response is not None
    assert (response.status, response.body, response.url) == (404, b"", "https://report.az/en/nowhere?x=1")
    assert crawler.stats is not None and crawler.stats.get_value("newscrawl/replay/missing") == 1


def test_a_refused_url_fails_the_request_only(tmp_path: Path) -> None:
    response, failure, _ = _replay(tmp_path, "https://report.az/en/%2e%2e/%2e%2e/etc/passwd")
    assert response is None and failure is not None
    assert failure.check(ReplayPathError)


def test_record_writes_plain_bodies_sidecars_and_one_file_per_url(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"NEWSCRAWL_RECORD": str(tmp_path / "rec")})
    middleware = RecordMiddleware.from_crawler(crawler)
    url = "https://report.az/en/x?q=a/b"
    compressed = HtmlResponse(
        url,
        body=gzip.compress(b"<p>one</p>"),
        headers={"Content-Type": "text/html", "Content-Encoding": "gzip", "Set-Cookie": "a=b", "ETag": "e1"},
    )
    assert middleware.process_response(Request(url), compressed) is compressed
    page = tmp_path / "rec/report.az/en/x@q=a%2Fb.html"
    assert page.read_bytes() == b"<p>one</p>"
    meta = json.loads((tmp_path / "rec/.meta/report.az/en/x@q=a%2Fb.json").read_text())
    assert meta["headers"] == {"Content-Type": "text/html", "ETag": "e1"}
    assert (meta["url"], meta["status"]) == (url, 200)
    assert datetime.fromisoformat(meta["fetched_at"]).utcoffset() == timedelta(0)

    as_json = TextResponse(url, body=b"{}", headers={"Content-Type": "application/json"})
    middleware.process_response(Request(url), as_json)
    assert not page.exists()
    assert find_file(tmp_path / "rec", url) == tmp_path / "rec/report.az/en/x@q=a%2Fb.json"
    assert [p.name for p in (tmp_path / "rec/report.az/en").iterdir()] == ["x@q=a%2Fb.json"]  # no temp left
    assert crawler.stats is not None and crawler.stats.get_value("newscrawl/record/saved") == 2


def test_record_keeps_a_body_it_cannot_decode_with_its_encoding(tmp_path: Path) -> None:
    crawler = get_crawler(Spider, {"NEWSCRAWL_RECORD": str(tmp_path)})
    middleware = RecordMiddleware.from_crawler(crawler)
    url = "https://report.az/z"
    response = Response(
        url, body=b"\x28\xb5\x2f\xfd", headers={"Content-Type": "text/html", "Content-Encoding": "zstd"}
    )
    middleware.process_response(Request(url), response)
    meta = json.loads((tmp_path / ".meta/report.az/z.json").read_text())
    assert meta["headers"]["Content-Encoding"] == "zstd"
    assert (tmp_path / "report.az/z.html").read_bytes() == b"\x28\xb5\x2f\xfd"


def test_record_is_off_without_its_setting() -> None:
    with pytest.raises(NotConfigured):
        RecordMiddleware.from_crawler(get_crawler(Spider, {"NEWSCRAWL_RECORD": ""}))


@pytest.mark.parametrize("codings", ["gzip", "deflate", "x-gzip", "gzip, deflate"])
def test_decode_body_undoes_what_scrapy_asks_for(codings: str) -> None:
    body = b"<p>x</p>" * 100
    encoded = body
    for coding in codings.split(", "):
        encoded = gzip.compress(encoded) if "gzip" in coding else zlib.compress(encoded)
    assert decode_body(encoded, codings) == (body, "")
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_body(raw_deflate.compress(body) + raw_deflate.flush(), "deflate") == (body, "")


def test_check_settings_sentences(tmp_path: Path) -> None:
    a_file = _write(tmp_path, "file")
    with pytest.raises(
        ReplaySettingsError, match=r"^NEWSCRAWL_REPLAY=.*/file is not a directory; point it at"
    ):
        check_settings(Settings({"NEWSCRAWL_REPLAY": str(a_file)}))
    with pytest.raises(
        ReplaySettingsError, match=r"^NEWSCRAWL_RECORD=.*/file/x cannot be created \(.*\); point"
    ):
        check_settings(Settings({"NEWSCRAWL_RECORD": str(a_file / "x")}))
    check_settings(Settings({"NEWSCRAWL_RECORD": str(tmp_path / "new" / "dir")}))
    assert (tmp_path / "new" / "dir").is_dir()
    check_settings(Settings({}))


def test_replay_addon_overrides_politeness_but_not_the_command_line(tmp_path: Path) -> None:
    settings = Settings(
        {"DOWNLOAD_DELAY": 1.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 1, "NEWSCRAWL_REPLAY": str(tmp_path)}
    )
    settings.set("AUTOTHROTTLE_ENABLED", True, priority="cmdline")
    ReplayAddon().update_settings(settings)
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 16
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    live = Settings({"DOWNLOAD_DELAY": 1.0})
    ReplayAddon().update_settings(live)
    assert live.getfloat("DOWNLOAD_DELAY") == 1.0
