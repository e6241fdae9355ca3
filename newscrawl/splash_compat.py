"""What scrapy-splash 0.11.1 (its last release, 2025) needs to run on the Scrapy this project pins.

Importing this module applies it, then imports scrapy-splash: :mod:`newscrawl.render` imports it before
anything of scrapy-splash is used. Each adaptation is applied only when Scrapy lacks what scrapy-splash
relies on, and is named in :data:`APPLIED`; tests/test_splash_compat.py fails when one is no longer needed
(a scrapy-splash release that stopped relying on it) and checks that each still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from inspect import isasyncgenfunction
from typing import Any

import scrapy.utils.url
from scrapy import Request
from scrapy.core.downloader import Downloader
from w3lib.url import canonicalize_url

__all__ = ["APPLIED", "SplashRequest"]

APPLIED: list[str] = []

# Scrapy 2.16 removed scrapy.utils.url.canonicalize_url (deprecated in 2.13, scrapy/scrapy#7487); it is
# w3lib.url.canonicalize_url, which scrapy-splash's request.py and dupefilter.py import from Scrapy
# (scrapy-plugins/scrapy-splash#332). Put back before scrapy_splash is imported.
if not hasattr(scrapy.utils.url, "canonicalize_url"):
    scrapy.utils.url.canonicalize_url = canonicalize_url  # type: ignore[attr-defined]
    APPLIED.append("canonicalize_url")

from scrapy_splash import SplashDeduplicateArgsMiddleware, SplashMiddleware, SplashRequest  # noqa: E402

# Scrapy 2.14 removed Downloader._get_slot_key (deprecated in 2.12, scrapy/scrapy#7126), which
# SplashMiddleware calls to give a render request its site's download slot
# (scrapy-plugins/scrapy-splash#330): it calls the public get_slot_key (Scrapy >= 2.12) instead.
if not hasattr(Downloader, "_get_slot_key"):

    def _get_slot_key(self: SplashMiddleware, request_or_response: Any) -> str:
        return str(self.crawler.engine.downloader.get_slot_key(request_or_response))

    SplashMiddleware._get_slot_key = _get_slot_key
    APPLIED.append("_get_slot_key")


# Scrapy 2.16 refuses a spider middleware whose process_spider_output() is not an asynchronous generator
# (scrapy/scrapy#7504), and no longer calls process_start_requests() (scrapy/scrapy#7490), which is where
# SplashDeduplicateArgsMiddleware sets up the spider's state and handles the start requests (no
# scrapy-splash issue yet). Its universal-middleware form: from_crawler(), process_start() and
# process_spider_output_async(), doing what its own methods do.
def _splash_state(mw: SplashDeduplicateArgsMiddleware) -> Any:
    spider: Any = mw.crawler.spider
    if not hasattr(spider, "state"):
        spider.state = {}
    spider.state.setdefault(mw.local_values_key, {})  # fingerprint => value dict
    return spider


async def _process_start(
    self: SplashDeduplicateArgsMiddleware, start: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    spider = _splash_state(self)
    async for element in start:
        yield self._process_request(element, spider) if isinstance(element, Request) else element


async def _process_spider_output_async(
    self: SplashDeduplicateArgsMiddleware, response: Any, result: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    spider = _splash_state(self)
    async for element in result:
        yield self._process_request(element, spider) if isinstance(element, Request) else element


def _from_crawler(
    cls: type[SplashDeduplicateArgsMiddleware], crawler: Any
) -> SplashDeduplicateArgsMiddleware:
    mw = cls()
    mw.crawler = crawler
    return mw


if not hasattr(SplashDeduplicateArgsMiddleware, "process_start") and not (
    isasyncgenfunction(SplashDeduplicateArgsMiddleware.process_spider_output)
    or hasattr(SplashDeduplicateArgsMiddleware, "process_spider_output_async")
):
    SplashDeduplicateArgsMiddleware.from_crawler = classmethod(_from_crawler)
    SplashDeduplicateArgsMiddleware.process_start = _process_start
    SplashDeduplicateArgsMiddleware.process_spider_output_async = _process_spider_output_async
    APPLIED.append("SplashDeduplicateArgsMiddleware")
