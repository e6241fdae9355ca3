"""Send every request for report.az to another origin (the loopback site simulator), keeping real URLs.

``NEWSCRAWL_ORIGIN=http://127.0.0.1:PORT`` (a Scrapy setting; the environment variable is its default):

- :class:`OriginAddon` (``ADDONS``) does nothing unless the setting is set; then it checks the value and
  routes ``http`` and ``https`` through :class:`OriginDownloadHandler`, leaving every other scheme's
  handler as it was. Politeness settings are left alone: a benchmark relaxes them on its command line.
- :class:`OriginDownloadHandler` downloads ``request.replace(url=origin + path)`` through Scrapy's HTTP/1.1
  handler and answers ``response.replace(url=request.url)``, so requests, responses, items, the store and
  the JSON Lines carry the real ``https://report.az/...`` URLs, exactly as under replay. A redirect's
  ``Location`` that points at the origin is mapped back to report.az. Other hosts go out unchanged.

Why a download handler and not an HTTPS proxy answering CONNECT: a proxy would have to terminate TLS for
report.az with a certificate the crawler trusts (a test CA, and Scrapy's TLS settings bent to accept it),
or see only an opaque tunnel; the handler keeps plain HTTP on loopback, needs no certificates, and still
runs every downloader middleware, robots.txt, retries, redirects and stats as a live crawl does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from newscrawl.exceptions import OriginSettingsError
from newscrawl.site import DOMAIN

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

HOSTS = frozenset({DOMAIN, f"www.{DOMAIN}"})


def check_origin(settings: BaseSettings) -> str:
    """The origin, checked: ``scheme://host[:port]`` and nothing else; '' when unset.

    >>> from scrapy.settings import Settings
    >>> check_origin(Settings({"NEWSCRAWL_ORIGIN": "http://127.0.0.1:8080/"}))
    'http://127.0.0.1:8080'
    >>> check_origin(Settings({"NEWSCRAWL_ORIGIN": "127.0.0.1:8080"}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.exceptions.OriginSettingsError: NEWSCRAWL_ORIGIN='127.0.0.1:8080' must be an origin such as ...
    """
    origin = (settings.get("NEWSCRAWL_ORIGIN") or "").strip()
    if not origin:
        return ""
    parts = urlsplit(origin)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
    ):
        raise OriginSettingsError(
            f"NEWSCRAWL_ORIGIN={origin!r} must be an origin such as http://127.0.0.1:8080 "
            "(scheme, host, optional port, no path)."
        )
    if settings.get("NEWSCRAWL_REPLAY"):
        raise OriginSettingsError(
            "NEWSCRAWL_ORIGIN and NEWSCRAWL_REPLAY are both set; unset one (replay reads a snapshot, "
            "origin fetches from a server)."
        )
    return f"{parts.scheme}://{parts.netloc}"


def to_origin(url: str, origin: str) -> str | None:
    """The URL to fetch from ``origin`` instead of report.az, or None for another host.

    >>> to_origin("https://report.az/en/finance?x=1", "http://127.0.0.1:8080")
    'http://127.0.0.1:8080/en/finance?x=1'
    >>> to_origin("https://static.report.az/a.jpg", "http://127.0.0.1:8080") is None
    True
    """
    parts = urlsplit(url)
    if parts.hostname not in HOSTS:
        return None
    return origin + urlunsplit(("", "", parts.path or "/", parts.query, ""))


def from_origin(url: str, origin: str, real: str) -> str:
    """A URL the origin sent (a redirect's Location) as the real site would have sent it.

    >>> from_origin("http://127.0.0.1:8080/en/x/", "http://127.0.0.1:8080", "https://report.az/en/x")
    'https://report.az/en/x/'
    >>> from_origin("/en/x/", "http://127.0.0.1:8080", "https://report.az/en/x")
    '/en/x/'
    """
    if url == origin or url.startswith(origin + "/") or url.startswith(origin + "?"):
        parts = urlsplit(real)
        return f"{parts.scheme}://{parts.netloc}{url[len(origin) :] or '/'}"
    return url


class OriginAddon:
    """Routes http(s) through OriginDownloadHandler when NEWSCRAWL_ORIGIN is set; otherwise nothing."""

    def update_settings(self, settings: BaseSettings) -> None:
        origin = check_origin(settings)
        if not origin:
            return
        logger.info("Fetching report.az from %s (NEWSCRAWL_ORIGIN)", origin)
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):
            handlers[scheme] = "newscrawl.origin.OriginDownloadHandler"
        settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")


class OriginDownloadHandler:
    """Fetches report.az URLs from NEWSCRAWL_ORIGIN through Scrapy's HTTP/1.1 handler."""

    lazy = False

    def __init__(self, crawler: Crawler, origin: str) -> None:
        self.origin = origin
        self._http = HTTP11DownloadHandler.from_crawler(crawler)
        self._stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, check_origin(crawler.settings))

    async def download_request(self, request: Request) -> Response:
        target = to_origin(request.url, self.origin) if self.origin else None
        if target is None:
            return await self._http.download_request(request)
        if self._stats is not None:
            self._stats.inc_value("newscrawl/origin/requests")
        response = await self._http.download_request(request.replace(url=target))
        return self._as_real(response, request)

    def _as_real(self, response: Response, request: Request) -> Response:
        location = response.headers.get(b"Location")
        headers = response.headers
        if location is not None:
            real = from_origin(location.decode("latin-1"), self.origin, request.url)
            headers = headers.copy()
            headers[b"Location"] = real.encode("latin-1")
        return response.replace(url=request.url, headers=headers, request=request)

    async def close(self) -> None:
        await self._http.close()
