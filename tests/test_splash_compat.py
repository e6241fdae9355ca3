"""newscrawl/splash_compat.py: each adaptation is still needed, and a render request still goes through
scrapy-splash's middlewares as it did on Scrapy 2.13 (its slot, its cached arguments).

When a test of the first group fails, a scrapy-splash release (or Scrapy) no longer needs that adaptation:
drop it from splash_compat.py, with its test and the pin comment in requirements.txt.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy.utils.url
import w3lib.url
from scrapy import Request, Spider
from scrapy.core.downloader import Downloader
from scrapy.utils.reactor import install_reactor, is_reactor_installed
from scrapy.utils.test import get_crawler

import newscrawl.splash_compat as compat
from newscrawl.render import ENDPOINT, PAGE_URL, RenderAddon, Renderer

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
SPLASH_URL = "http://127.0.0.1:8050"  # never asked: under replay the add-on does not ping Splash


def splash_source(module: str) -> str:
    return inspect.getsource(__import__(f"scrapy_splash.{module}", fromlist=["_"]))


# -- still needed ----------------------------------------------------------------------------------------


def test_every_adaptation_was_applied() -> None:
    assert compat.APPLIED == ["canonicalize_url", "_get_slot_key", "SplashDeduplicateArgsMiddleware"]


def test_scrapy_splash_still_imports_canonicalize_url_from_scrapy() -> None:
    # Scrapy 2.16 removed it (scrapy-plugins/scrapy-splash#332); the module holds w3lib's only because of us.
    assert scrapy.utils.url.canonicalize_url is w3lib.url.canonicalize_url  # type: ignore[attr-defined]
    for module in ("request", "dupefilter"):
        assert "from scrapy.utils.url import canonicalize_url" in splash_source(module)


def test_scrapy_splash_still_calls_the_removed_get_slot_key() -> None:
    # Scrapy 2.14 removed Downloader._get_slot_key (scrapy-plugins/scrapy-splash#330).
    assert not hasattr(Downloader, "_get_slot_key")
    assert "downloader._get_slot_key(" in splash_source("middleware")


def test_scrapy_splash_dedupe_middleware_is_still_synchronous_only() -> None:
    # Scrapy 2.16 refuses a synchronous process_spider_output() and calls process_start() only.
    source = splash_source("middleware")
    assert "def process_start_requests(self, start_requests, spider)" in source
    assert "def process_start(" not in source
    assert "async def process_spider_output" not in source


# -- still works -------------------------------------------------------------------------------------------


@pytest.fixture
def crawler() -> Iterator[Any]:
    """A crawler with the render add-on on and its engine built: Scrapy 2.19 refuses to build the spider
    middlewares when SplashDeduplicateArgsMiddleware is not adapted."""
    if not is_reactor_installed():
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    settings = {
        "NEWSCRAWL_RENDER": "splash",
        "NEWSCRAWL_REPLAY": str(SNAPSHOT),
        "SPLASH_URL": SPLASH_URL,
        "ADDONS": {RenderAddon: 10},
        "DOWNLOAD_HANDLERS": {"http": None, "https": None},
    }
    crawler = get_crawler(Spider, settings)
    crawler.spider = crawler._create_spider("probe")
    crawler.engine = crawler._create_engine()
    yield crawler


def render_request(crawler: Any, url: str, **kwargs: Any) -> Request:
    return Renderer("splash", crawler.settings, ["report.az"]).request(url, **kwargs)


async def _items(*items: Any) -> AsyncIterator[Any]:
    for item in items:
        yield item


def drain(iterator: AsyncIterator[Any]) -> list[Any]:
    """The items of an asynchronous iterator that never waits (no event loop needed)."""
    items = []
    while True:
        step = iterator.__anext__()
        try:
            step.send(None)
        except StopIteration as done:
            items.append(done.value)
        except StopAsyncIteration:
            return items
        else:
            step.close()
            raise AssertionError("the iterator waited for something")


def middleware(crawler: Any, cls: type) -> Any:
    managers = (crawler.engine.downloader.middleware, crawler.engine.scraper.spidermw)
    (found,) = [mw for manager in managers for mw in manager.middlewares if isinstance(mw, cls)]
    return found


@pytest.mark.parametrize("source", ["start", "callback"])
def test_a_render_request_gets_the_download_slot_of_its_site(crawler: Any, source: str) -> None:
    from scrapy_splash import SplashDeduplicateArgsMiddleware, SplashMiddleware

    spider = crawler.spider
    dedupe = middleware(crawler, SplashDeduplicateArgsMiddleware)
    request = render_request(crawler, "https://report.az/en/latest-news")
    if source == "start":
        (passed,) = drain(dedupe.process_start(_items(request)))
    else:
        (passed,) = drain(dedupe.process_spider_output_async(None, _items(request)))
    assert passed.meta["splash"]["_replaced_args"] == []  # as process_start_requests() left it
    splash = middleware(crawler, SplashMiddleware)
    splash.spider_opened(spider)
    sent = splash.process_request(passed, spider)
    assert sent.url == f"{SPLASH_URL}/{ENDPOINT}"
    assert sent.meta[PAGE_URL] == "https://report.az/en/latest-news"
    assert sent.meta["download_slot"] == "report.az"
    assert crawler.engine.downloader.get_slot_key(sent) == "report.az"


def test_cached_splash_arguments_are_restored_before_the_download(crawler: Any) -> None:
    from scrapy_splash import SplashDeduplicateArgsMiddleware, SplashMiddleware

    script = "function main(splash) return splash:html() end"
    request = render_request(crawler, "https://report.az/en/")
    request.meta["splash"]["args"]["lua_source"] = script
    request.meta["splash"]["cache_args"] = ["lua_source"]
    (passed,) = drain(middleware(crawler, SplashDeduplicateArgsMiddleware).process_start(_items(request)))
    assert passed.meta["splash"]["args"]["lua_source"].startswith("LOCAL+")  # the queue keeps a fingerprint
    splash = middleware(crawler, SplashMiddleware)
    splash.spider_opened(crawler.spider)
    sent = splash.process_request(passed, crawler.spider)
    assert script in sent.body.decode("utf-8") and "save_args" in sent.body.decode("utf-8")
