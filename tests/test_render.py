"""Render mode without a Splash server: request building, the add-on, the render.json answer as pages,
replay of render requests from the snapshot, and the one sentence when Splash does not answer."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.crawler import CrawlerRunner
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler, get_reactor_settings
from twisted.internet.error import ConnectError, TCPTimedOutError
from twisted.python.failure import Failure

from newscrawl.failures import failure_reason
from newscrawl.render import (
    PAGE_URL,
    RenderAddon,
    Renderer,
    RenderFailureMiddleware,
    RenderResponseMiddleware,
    RenderSettingsError,
    check_splash,
    page_url,
    parse_mode,
    rendered_json,
    rendered_page,
)
from newscrawl.spiders.report_feed import ReportFeedSpider

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens there


def crawl(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "NEWSCRAWL_DATA_DIR": str(data),
        "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
        "NEWSCRAWL_PROGRESS_INTERVAL": "0",
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        **env,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "report_feed"]
    for arg in args:
        command += ["-s", arg[3:]] if arg.startswith("-s ") else ["-a", arg]
    return subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=300)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def renderer(mode: str, **settings: object) -> Renderer:
    return Renderer(mode, Settings(settings), ["report.az"])


# -- modes and requests ------------------------------------------------------------------------------


def test_modes() -> None:
    assert parse_mode(" AUTO ") == "auto"
    assert parse_mode("") == "plain"
    with pytest.raises(RenderSettingsError, match="render must be plain, splash or auto"):
        parse_mode("browser")


def test_plain_mode_builds_plain_requests() -> None:
    request = renderer("plain").request("https://report.az/en/", cb_kwargs={"lang": "en"})
    assert type(request) is Request
    assert "splash" not in request.meta
    assert renderer("auto").request("https://report.az/en/").meta.get("splash") is None


def test_splash_request_asks_render_json_with_status_and_no_third_party_hosts() -> None:
    request = renderer("splash", NEWSCRAWL_SPLASH_TIMEOUT=12).request(
        "https://report.az/en/x", meta={"card": 1}, cb_kwargs={"lang": "en"}
    )
    splash = request.meta["splash"]
    assert splash["endpoint"] == "render.json"
    args = splash["args"]
    assert (args["html"], args["history"], args["images"], args["timeout"]) == (1, 1, 0, 12.0)
    assert args["allowed_domains"] == "report.az"
    assert args["url"] == request.url == "https://report.az/en/x"
    assert "resource_timeout" not in args  # it drops the status from Splash 3.5's history
    assert request.meta["card"] == 1
    assert request.cb_kwargs == {"lang": "en"}
    assert page_url(request) == "https://report.az/en/x"


def test_under_an_origin_splash_loads_the_origin_but_the_request_keeps_the_real_url() -> None:
    request = renderer("splash", NEWSCRAWL_ORIGIN="http://127.0.0.1:9999").request(
        "https://report.az/en/?a=1"
    )
    assert request.url == "https://report.az/en/?a=1"
    assert request.meta["splash"]["args"]["url"] == "http://127.0.0.1:9999/en/?a=1"
    assert request.meta["splash"]["args"]["allowed_domains"] == "report.az,127.0.0.1"
    assert page_url(request) == "https://report.az/en/?a=1"


def test_auto_rerenders_only_pages_not_rendered_yet() -> None:
    auto = renderer("auto")
    plain = auto.request("https://report.az/en/latest-news", cb_kwargs={"lang": "en"}, meta={"k": 1})
    response = Response("https://report.az/en/latest-news", request=plain)
    again = auto.rerender(response)
    assert again is not None and "splash" in again.meta
    assert again.cb_kwargs == {"lang": "en"} and again.meta["k"] == 1
    assert auto.rerender(Response(again.url, request=again)) is None
    assert renderer("splash").rerender(response) is None
    assert renderer("plain").rerender(response) is None


# -- the add-on ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["splash", "auto"])
def test_addon_switches_scrapy_splash_on(mode: str) -> None:
    # Under replay the add-on does not ask a Splash server whether it answers (the replay does instead).
    settings = {"NEWSCRAWL_RENDER": mode, "NEWSCRAWL_REPLAY": str(SNAPSHOT), "ADDONS": {RenderAddon: 10}}
    crawler = get_crawler(settings_dict=settings)
    crawler._apply_settings()
    settings = crawler.settings
    downloader = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert downloader["scrapy_splash.SplashMiddleware"] == 725
    assert downloader["scrapy_splash.SplashCookiesMiddleware"] == 723
    assert downloader["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] == 810
    assert downloader["newscrawl.render.answers.RenderResponseMiddleware"] == 700
    assert settings.getdict("SPIDER_MIDDLEWARES")["scrapy_splash.SplashDeduplicateArgsMiddleware"] == 100
    assert settings["REQUEST_FINGERPRINTER_CLASS"] == "scrapy_splash.SplashRequestFingerprinter"


def test_addon_does_nothing_in_plain_mode() -> None:
    crawler = get_crawler(settings_dict={"NEWSCRAWL_RENDER": "plain", "ADDONS": {RenderAddon: 10}})
    crawler._apply_settings()
    assert not any("splash" in key for key in crawler.settings.getdict("DOWNLOADER_MIDDLEWARES"))


def test_render_argument_reaches_the_settings_before_the_addons(tmp_path: Path) -> None:
    settings = {
        **get_reactor_settings(),
        "NEWSCRAWL_SQLITE": str(tmp_path / "store.sqlite3"),
        "NEWSCRAWL_REPLAY": str(SNAPSHOT),  # no Splash server needed
        "ADDONS": {RenderAddon: 10},
    }
    crawler = CrawlerRunner(settings).create_crawler(ReportFeedSpider)  # settings not applied yet
    crawler.spider = crawler._create_spider(render="auto")
    crawler._apply_settings()
    assert crawler.spider.renderer.mode == "auto"
    assert "scrapy_splash.SplashMiddleware" in crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")


# -- the render.json answer as a page ---------------------------------------------------------------


def splash_request(url: str) -> Request:
    request = renderer("splash").request(url)
    request.meta["_splash_processed"] = True
    return request.replace(url="http://127.0.0.1:8050/render.json")


@pytest.mark.parametrize("status", [200, 403, 404, 429])
def test_rendered_page_carries_the_target_url_and_its_real_status(status: int) -> None:
    request = splash_request("https://report.az/en/x")
    body = rendered_json("https://report.az/en/x", status, {"Date": "Thu, 29 Jan 2026"}, "<p>é</p>")
    page = rendered_page(request, Response(request.url, status=200, body=body, request=request))
    assert page is not None
    assert (page.url, page.status) == ("https://report.az/en/x", status)
    assert page.text == "<p>é</p>"
    assert page.headers[b"Date"] == b"Thu, 29 Jan 2026"
    assert "rendered" in page.flags


def test_a_splash_error_is_no_page() -> None:
    request = splash_request("https://report.az/en/x")
    body = json.dumps({"error": 504, "type": "GlobalTimeoutError", "info": {"timeout": 1}}).encode()
    assert rendered_page(request, Response(request.url, status=504, body=body, request=request)) is None
    assert rendered_page(Request("https://report.az/"), Response("https://report.az/", body=b"{}")) is None


def test_page_url_prefers_the_recorded_target() -> None:
    request = Request("http://127.0.0.1:8050/render.json", meta={PAGE_URL: "https://report.az/a"})
    assert page_url(request) == "https://report.az/a"


# -- Splash down ---------------------------------------------------------------------------------------


def test_check_splash_names_the_fix_when_splash_does_not_answer() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(RenderSettingsError) as caught:
        check_splash(Settings({"SPLASH_URL": url}), "splash")
    message = str(caught.value)
    assert message.startswith(f"render=splash needs Splash, which does not answer at {url}")
    assert "make splash" in message and "tools/splash.sh start" in message
    assert check_splash(Settings({"SPLASH_URL": url}), "plain") == "plain"
    assert (
        check_splash(Settings({"SPLASH_URL": url, "NEWSCRAWL_REPLAY": str(SNAPSHOT)}), "splash") == "splash"
    )


@pytest.mark.slow
@pytest.mark.parametrize("how", ["argument", "setting"])
def test_splash_down_stops_the_crawl_at_start_with_one_sentence(tmp_path: Path, how: str) -> None:
    env = {"SPLASH_URL": f"http://127.0.0.1:{closed_port()}"}
    args: tuple[str, ...] = ("render=splash",)
    if how == "setting":
        env["NEWSCRAWL_RENDER"] = "splash"
        args = ()
    result = crawl(tmp_path, env, *args)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert "Traceback" not in result.stderr
    assert errors == [
        f"scrapy crawl: error: render=splash needs Splash, which does not answer at {env['SPLASH_URL']} "
        "(Connection refused); start it with `make splash` (or `tools/splash.sh start`), or point "
        "SPLASH_URL at a running Splash."
    ]
    assert not (tmp_path / "articles.jsonl").exists()


@pytest.mark.slow
def test_a_bad_render_value_stops_with_one_sentence(tmp_path: Path) -> None:
    result = crawl(tmp_path, {}, "render=chrome")
    assert result.returncode != 0
    assert "render must be plain, splash or auto (got 'chrome')" in result.stderr
    assert "Traceback" not in result.stderr
    result = crawl(tmp_path, {"NEWSCRAWL_RENDER": "chrome"})
    assert result.returncode == 1
    assert "NEWSCRAWL_RENDER must be plain, splash or auto (got 'chrome')" in result.stderr
    assert "Traceback" not in result.stderr


# -- replay answers render requests by their target URL -----------------------------------------------


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = {}
    for mode in ("plain", "splash"):
        data = tmp_path_factory.mktemp(mode)
        # A Splash URL where nothing listens: replay must not need a server.
        env = {"NEWSCRAWL_REPLAY": str(SNAPSHOT), "SPLASH_URL": f"http://127.0.0.1:{closed_port()}"}
        # First pages only: within one run, a listing stops at a page of articles stored moments
        # before, so how far each listing goes depends on the order responses arrive in.
        result = crawl(data, env, "since=2000-01-01", "max_pages=1", f"render={mode}")
        assert result.returncode == 0, result.stderr[-3000:]
        runs[mode] = data
    return runs


def without_times(items: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(
        (json.dumps({k: v for k, v in item.items() if k not in ("seen_at", "fetched_at")}, sort_keys=True))
        for item in items
    )  # type: ignore[return-value]


@pytest.mark.slow
def test_render_mode_replays_the_same_articles_and_entries(replayed: dict[str, Path]) -> None:
    for name in ("articles.jsonl", "feed_entries.jsonl"):
        plain = read_jsonl(replayed["plain"] / name)
        rendered = read_jsonl(replayed["splash"] / name)
        assert plain
        assert without_times(rendered) == without_times(plain)


def gone_and_stats(data: Path) -> tuple[list[str], dict[str, int]]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        gone = sorted(row[0] for row in db.execute("SELECT url FROM gone"))
        (stats,) = next(db.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1"))
    return gone, json.loads(stats)


@pytest.mark.slow
def test_render_mode_under_replay_keeps_real_urls_everywhere(replayed: dict[str, Path]) -> None:
    data = replayed["splash"]
    for name in ("articles.jsonl", "feed_entries.jsonl"):
        assert "127.0.0.1" not in (data / name).read_text(encoding="utf-8")
    gone, stats = gone_and_stats(data)
    missing = json.loads((SNAPSHOT / "SNAPSHOT.json").read_text(encoding="utf-8"))["missing"]
    assert gone and set(gone) <= set(missing)
    assert gone == gone_and_stats(replayed["plain"])[0]
    assert stats["newscrawl/replay/missing"] == len(gone)
    assert stats["newscrawl/articles/http_404"] == len(gone)
    # An empty answer asked again (the end of a listing, confirmed) is a rendered page scrapy-splash
    # does not count a second time.
    retried = stats.get("newscrawl/empty_body/retried", 0)
    assert stats["splash/render.json/request_count"] + retried == stats["newscrawl/render/pages"] > 0
    assert not any(key.startswith(("offsite/", "spider_exceptions")) for key in stats)


# -- the middlewares on Splash's other answers ---------------------------------------------------------


def splash_answer(request: Request, data: dict[str, object], status: int = 200) -> Response:
    return Response(request.url, status=status, body=json.dumps(data).encode(), request=request)


def test_a_render_without_a_status_is_asked_once_more_then_taken_as_200() -> None:
    crawler = get_crawler()
    middleware = RenderResponseMiddleware.from_crawler(crawler)
    request = splash_request("https://report.az/en/x")
    data = {"url": "https://report.az/en/x", "html": "<p>x</p>", "history": [{"response": {"bodySize": -1}}]}
    again = middleware.process_response(request, splash_answer(request, data))
    assert isinstance(again, Request) and again.dont_filter
    page = middleware.process_response(again, splash_answer(again, data))
    assert isinstance(page, Response) and (page.url, page.status) == ("https://report.az/en/x", 200)
    assert crawler.stats is not None and crawler.stats.get_value("newscrawl/render/status_unknown") == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1, DownloadConnectionRefusedError),
        (3, CannotResolveHostError),
        (4, TCPTimedOutError),
        (99, ConnectError),
    ],
)
def test_a_network_failure_behind_splash_is_the_error_a_plain_request_raises(
    code: int, error: type[Exception]
) -> None:
    crawler = get_crawler()
    middleware = RenderResponseMiddleware.from_crawler(crawler)
    request = splash_request("https://report.az/en/x")
    data = {"error": 502, "type": "RenderError", "info": {"type": "Network", "code": code, "text": "boom"}}
    with pytest.raises(error, match=r"boom \(rendering https://report\.az/en/x\)"):
        middleware.process_response(request, splash_answer(request, data, 502))


def test_a_render_timeout_is_left_to_retries_then_counted() -> None:
    crawler = get_crawler()
    responses, failures = RenderResponseMiddleware.from_crawler(crawler), RenderFailureMiddleware(crawler)
    request = splash_request("https://report.az/en/x")
    timeout = splash_answer(request, {"error": 504, "type": "GlobalTimeoutError", "info": {}}, 504)
    assert responses.process_response(request, timeout) is timeout
    with pytest.raises(IgnoreRequest, match=r"Splash timed out rendering https://report\.az/en/x") as caught:
        failures.process_response(request, timeout)
    # The errback that receives it counts it (newscrawl/failed/splash_timeout) and owes the page.
    failure = Failure(caught.value)
    failure.request = request  # type: ignore[attr-defined]
    assert failure_reason(failure) == ("splash_timeout", None)
