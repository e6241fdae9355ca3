"""Render mode against a real Splash server (started by the ``splash_url`` fixture) and the site simulator.

Every crawl reads first pages only (``max_pages=1``): within one run a listing stops at a page of articles
stored moments before, so how far each listing goes depends on the order responses arrive in, and the
comparisons below must not.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator

from newscrawl.items import FeedEntry
from newscrawl.parsing import parse_cards
from newscrawl.replay import find_file, iter_snapshot, sidecar_path
from sitesim import SiteSimulator

pytestmark = [pytest.mark.splash, pytest.mark.sitesim]

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
FAST = ("-s DOWNLOAD_DELAY=0", "-s AUTOTHROTTLE_ENABLED=False", "-s CONCURRENT_REQUESTS_PER_DOMAIN=8")
JS_LISTING = "https://report.az/en/latest-news"


def crawl(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")},
        "NEWSCRAWL_DATA_DIR": str(data),
        "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
        "NEWSCRAWL_PROGRESS_INTERVAL": "0",
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        **env,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "report_feed", "-a", "since=2000-01-01"]
    for arg in (*FAST, "-a max_pages=1", *args):
        option, value = arg.split(" ", 1) if arg.startswith("-") else ("-a", arg)
        command += [option, value]
    return subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600)


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outputs(data: Path) -> dict[str, list[str]]:
    """Both JSON Lines files, each item without its clock fields, sorted."""
    return {
        name: sorted(
            json.dumps({k: v for k, v in item.items() if k not in ("seen_at", "fetched_at")}, sort_keys=True)
            for item in read_jsonl(data / f"{name}.jsonl")
        )
        for name in ("articles", "feed_entries")
    }


def last_run(data: Path) -> tuple[str, dict[str, Any], list[str]]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        reason, stats = next(db.execute("SELECT finish_reason, stats FROM runs ORDER BY id DESC LIMIT 1"))
        gone = sorted(row[0] for row in db.execute("SELECT url FROM gone"))
    return reason, json.loads(stats), gone


@pytest.fixture(scope="module")
def static_site() -> Iterator[str]:
    with SiteSimulator(stories="snapshot") as sim:
        yield sim.url


@pytest.fixture(scope="module")
def js_site() -> Iterator[SiteSimulator]:
    with SiteSimulator(stories="snapshot", js_listings=True) as sim:
        yield sim


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, splash_url: str, static_site: str, js_site: SiteSimulator
) -> dict[str, Path]:
    """The static site crawled plain (the reference), and the script-built variant plain, through
    Splash (archived in WARC), in auto mode, and through Splash while recording."""
    plan = {
        "reference": (static_site, "plain", {}),
        "plain": (js_site.url, "plain", {}),
        "splash": (js_site.url, "splash", {"NEWSCRAWL_WARC": "arc"}),
        "auto": (js_site.url, "auto", {}),
        "recorded": (js_site.url, "splash", {"NEWSCRAWL_RECORD": "record"}),
    }
    done = {}
    for name, (origin, mode, extra) in plan.items():
        data = tmp_path_factory.mktemp(name)
        env = {"NEWSCRAWL_ORIGIN": origin, "SPLASH_URL": splash_url}
        env.update({k: str(data / v) for k, v in extra.items()})
        result = crawl(data, env, f"render={mode}")
        if name == "plain":
            # Its listings show no card as served: each is cut off at its first page, and the run says so.
            assert result.returncode == 3, result.stderr[-4000:]
            assert "(empty_listing)" in result.stderr
            assert "Traceback" not in result.stderr, result.stderr[-4000:]
        else:
            ok(result)
        done[name] = data
    return done


def test_plain_crawl_of_the_script_built_listings_finds_no_card(runs: dict[str, Path]) -> None:
    listings = {entry["listing"] for entry in read_jsonl(runs["plain"] / "feed_entries.jsonl")}
    assert listings <= {"home", "sidebar"}
    reference = {entry["listing"] for entry in read_jsonl(runs["reference"] / "feed_entries.jsonl")}
    assert "feed" in reference and any(listing.startswith("category:") for listing in reference)


def test_splash_gives_what_the_static_pages_give(runs: dict[str, Path]) -> None:
    reference = outputs(runs["reference"])
    assert reference["articles"] and reference["feed_entries"]
    assert outputs(runs["splash"]) == reference
    reason, stats, _ = last_run(runs["splash"])
    assert reason == "finished"
    assert stats["newscrawl/render/pages"] == stats["splash/render.json/request_count"]
    assert "offsite/filtered" not in stats


def test_auto_renders_only_the_script_built_pages(runs: dict[str, Path]) -> None:
    assert outputs(runs["auto"]) == outputs(runs["reference"])
    _, stats, _ = last_run(runs["auto"])
    # One render per listing's first page: the Latest News and category pages are built by script.
    listings = {
        (entry["language"], entry["listing"])
        for entry in read_jsonl(runs["reference"] / "feed_entries.jsonl")
        if entry["listing"] not in ("home", "sidebar")
    }
    assert stats["newscrawl/render/pages"] == stats["splash/render.json/request_count"] == len(listings)


def test_articles_with_a_youtube_embed_render(runs: dict[str, Path]) -> None:
    embeds = {
        url
        for url, path in iter_snapshot(SNAPSHOT)
        if path.suffix == ".html" and "youtube.com/embed" in path.read_text(encoding="utf-8")
    }
    rendered = {a["url"]: a for a in read_jsonl(runs["splash"] / "articles.jsonl")}
    found = embeds & set(rendered)
    assert found  # the embeds are not reachable from here: without the filter each page fails with 502
    assert all(rendered[url]["has_video"] and rendered[url]["body"] for url in found)


def test_pages_rendered_by_a_real_splash_are_archived_under_their_page_url(runs: dict[str, Path]) -> None:
    data = runs["splash"]
    records = []
    for path in sorted((data / "arc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                body = record.content_stream().read()
                records.append((record.rec_type, record.rec_headers, body))
    assert records and records[0][0] == "warcinfo"
    uris = [headers.get_header("WARC-Target-URI") for kind, headers, _ in records if kind != "warcinfo"]
    assert uris and all(uri.startswith("https://report.az/") for uri in uris)
    assert not any("render.json" in uri or "127.0.0.1" in uri for uri in uris)
    metadata = [body.decode() for kind, _, body in records if kind == "metadata"]
    _, stats, _ = last_run(data)
    assert len(metadata) == stats["newscrawl/render/pages"] > 0
    assert all("rendered-by: splash" in text and "splash-endpoint: render.json" in text for text in metadata)
    # The rendered HTML, not Splash's JSON, is the page's response.
    pages = [body for kind, _, body in records if kind == "response"]
    assert sum(b"<!DOCTYPE html" in body[:200] for body in pages) > 50
    assert not any(body.lstrip().startswith(b'{"') for body in pages)


def test_a_404_behind_splash_is_a_404(runs: dict[str, Path]) -> None:
    _, stats, gone = last_run(runs["splash"])
    _, reference_stats, reference_gone = last_run(runs["reference"])
    assert gone and gone == reference_gone
    assert all(url.startswith("https://report.az/") for url in gone)
    assert stats["newscrawl/articles/http_404"] == reference_stats["newscrawl/articles/http_404"]


def test_record_keeps_rendered_pages_under_their_own_urls(
    runs: dict[str, Path], js_site: SiteSimulator
) -> None:
    record = runs["recorded"] / "record"
    hosts = {path.name for path in record.iterdir() if path.is_dir() and path.name != ".meta"}
    assert hosts == {"report.az"}
    page = find_file(record, JS_LISTING)
    assert page is not None
    assert cards(page.read_bytes())  # the cards the script inserted
    status, served = js_site.get("/en/latest-news")
    assert status == 200 and not cards(served)
    _, _, gone = last_run(runs["recorded"])
    assert gone
    for url in gone:
        assert json.loads(sidecar_path(record, url).read_text(encoding="utf-8"))["status"] == 404


@pytest.mark.parametrize("mode", ["plain", "splash"])
def test_a_recorded_rendered_crawl_replays_the_same(
    runs: dict[str, Path], tmp_path: Path, mode: str, splash_url: str
) -> None:
    env = {"NEWSCRAWL_REPLAY": str(runs["recorded"] / "record"), "SPLASH_URL": splash_url}
    ok(crawl(tmp_path, env, f"render={mode}"))
    assert outputs(tmp_path) == outputs(runs["recorded"]) == outputs(runs["reference"])
    _, stats, gone = last_run(tmp_path)
    assert gone == last_run(runs["reference"])[2]
    assert ("splash/render.json/request_count" in stats) == (mode == "splash")


def cards(body: bytes) -> list[FeedEntry]:
    page = HtmlResponse(JS_LISTING, body=body, encoding="utf-8")
    return parse_cards(page, listing="feed", seen_at="2026-01-29T17:00:00+00:00")


class StatusHandler(BaseHTTPRequestHandler):
    """Every page answers ``status``; robots.txt allows everything."""

    status: ClassVar[int] = 403

    def do_GET(self) -> None:
        robots = self.path == "/robots.txt"
        body = b"User-agent: *\nAllow: /\n" if robots else b"<html><body>no</body></html>"
        self.send_response(200 if robots else self.status)
        self.send_header("Content-Type", "text/plain" if robots else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("status", [403, 429])
def test_a_burst_of_403_or_429_behind_splash_closes_as_blocked(
    tmp_path: Path, splash_url: str, status: int
) -> None:
    handler = type("Handler", (StatusHandler,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {"NEWSCRAWL_ORIGIN": f"http://127.0.0.1:{server.server_port}", "SPLASH_URL": splash_url}
        result = crawl(tmp_path, env, "render=splash", "-s NEWSCRAWL_BLOCKED_THRESHOLD=3")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1, result.stderr[-3000:]
    assert "report.az answered 3 requests in a row with 403/429" in result.stderr
    assert "(last: https://report.az/" in result.stderr
    reason, stats, _ = last_run(tmp_path)
    assert reason == "blocked"
    assert stats[f"newscrawl/blocked/{status}"] == 3
    assert stats["splash/render.json/request_count"] == 3


def test_a_render_that_times_out_is_retried_then_logged_and_counted(tmp_path: Path, splash_url: str) -> None:
    with SiteSimulator(stories="snapshot", faults=["hang=1:articles"], hang_seconds=20) as sim:
        env = {"NEWSCRAWL_ORIGIN": sim.url, "SPLASH_URL": splash_url}
        result = crawl(
            tmp_path,
            env,
            "render=splash",
            "lang=en",
            "-s NEWSCRAWL_SPLASH_TIMEOUT=1",
            "-s RETRY_TIMES=1",
            "-s SPIDERMON_ENABLED=False",  # the monitors judge a site, not a fault run
        )
    assert result.returncode == 3, result.stderr[-4000:]  # finished, but its articles failed
    assert "Traceback" not in result.stderr
    _, stats, _ = last_run(tmp_path)
    requested = stats["newscrawl/articles/requested"]
    assert requested > 0
    assert stats["newscrawl/failed/splash_timeout"] == requested
    assert stats["retry/count"] == requested  # one retry each
    assert "newscrawl/articles/parsed" not in stats
    logged = [
        line
        for line in result.stderr.splitlines()
        if "[newscrawl.render.answers] ERROR: Splash timed out" in line
    ]
    assert len(logged) == requested
    assert all("https://report.az/en/" in line and "(2 tries)" in line for line in logged)
