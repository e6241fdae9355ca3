"""Splash's answers mapped back to the site's pages: the ``render.json`` wire format (``rendered_json``,
``rendered_page``) and the downloader middlewares that turn an answer into the page, its status or the
error a plain request would raise (``RenderResponseMiddleware``), and count, log or stop on what
retries gave up on (``RenderFailureMiddleware``).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    TCPTimedOutError,
    TimeoutError,
)

from newscrawl.render.requests import SPLASH_TIMEOUT, START_HINT, is_render, page_url, splash_url

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Qt network error codes (QNetworkReply.NetworkError) in Splash's RenderError, as the errors a plain
# request raises for the same failure (Scrapy's HTTP handler wraps the refused connection and the failed
# lookup in its own exceptions; a connect timeout stays Twisted's).
_QT_NETWORK_ERRORS: dict[int, type[Exception]] = {
    1: DownloadConnectionRefusedError,  # ConnectionRefusedError
    3: CannotResolveHostError,  # HostNotFoundError
    4: TCPTimedOutError,  # TimeoutError
}


# -- the render.json wire format ----------------------------------------------------------------------


def rendered_json(url: str, status: int, headers: dict[str, str], html: str) -> bytes:
    """A ``render.json`` answer (``html=1``, ``history=1``) for a page: what replay serves for a render
    request.

    >>> data = json.loads(rendered_json("https://report.az/x", 404, {}, ""))
    >>> data["url"], data["history"][-1]["response"]["status"]
    ('https://report.az/x', 404)
    """
    response = {
        "url": url,
        "status": status,
        "headers": [{"name": name, "value": value} for name, value in headers.items()],
    }
    data = {
        "url": url,
        "requestedUrl": url,
        "html": html,
        "history": [{"request": {"method": "GET", "url": url}, "response": response}],
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _history_status(data: dict[str, Any]) -> tuple[int | None, dict[str, str]]:
    """Status and headers of the main page's final response in a render.json answer."""
    for entry in reversed(data.get("history") or []):
        response = entry.get("response") or {}
        if "status" in response:
            headers = {h["name"]: h["value"] for h in response.get("headers", []) if "name" in h}
            return int(response["status"]), headers
    return None, {}


# Headers of the original response that still describe the rendered page.
_KEPT_HEADERS = ("Last-Modified", "ETag", "Date", "Cache-Control", "Location", "Retry-After")


def rendered_page(request: Request, response: Response) -> Response | None:
    """The page a render.json response stands for, as the site served it (its URL, its status, the
    rendered HTML), or None when Splash gave no page (an error) or is not the one answering."""
    if not is_render(request) or not request.meta.get("_splash_processed"):
        return None
    data = _json(response)
    if "html" not in data or "error" in data:
        return None
    status, original = _history_status(data)
    if status is None:
        return None
    headers = {name: value for name, value in original.items() if name in _KEPT_HEADERS}
    headers["Content-Type"] = "text/html; charset=utf-8"
    return HtmlResponse(
        url=page_url(request),
        status=status,
        headers=headers,
        body=str(data["html"]).encode("utf-8"),
        encoding="utf-8",
        request=request,
        flags=["rendered"],
    )


class RenderResponseMiddleware:
    """Turns Splash's answer into the site's page (700, after SplashMiddleware, before retries)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not is_render(request) or not request.meta.get("_splash_processed"):
            return response
        page = rendered_page(request, response)
        if page is not None:
            self._inc("newscrawl/render/pages")
            return page
        data = _json(response)
        error = data.get("info") or {}
        if response.status == 200 and "html" in data:
            # Splash 3.5 sometimes leaves the status out of history (seen on its first render):
            # ask once more, then take the page as a 200 rather than lose it.
            self._inc("newscrawl/render/status_unknown")
            if not request.meta.get("newscrawl_status_retry"):
                retry = request.replace(dont_filter=True)
                retry.meta["newscrawl_status_retry"] = True
                return retry
            logger.warning("Splash gave no HTTP status for %s; taken as 200", page_url(request))
            fixed = _json_with_status(data, 200)
            page = rendered_page(request, response.replace(body=fixed))
            assert page is not None
            return page
        if data.get("type") == "GlobalTimeoutError":
            request.meta["newscrawl_splash_timeout"] = True
            return response  # 504: RetryMiddleware asks again; RenderFailureMiddleware counts the loss
        if data.get("type") == "RenderError" and error.get("type") == "Network":
            error_class: Any = _QT_NETWORK_ERRORS.get(int(error.get("code", 0)), ConnectError)
            text = f"{error.get('text', 'network error')} (rendering {page_url(request)})"
            # Twisted's ConnectErrors take the text by name.
            raise error_class(string=text) if issubclass(error_class, ConnectError) else error_class(text)
        return response

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _json(response: Response) -> dict[str, Any]:
    data = getattr(response, "data", None)  # a SplashJsonResponse has parsed it already
    if isinstance(data, dict):
        return data
    try:
        data = json.loads(response.body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _json_with_status(data: dict[str, Any], status: int) -> bytes:
    history = [*data.get("history", [])] or [{"response": {}}]
    history[-1] = {**history[-1], "response": {**(history[-1].get("response") or {}), "status": status}}
    return json.dumps({**data, "history": history}).encode("utf-8")


class RenderFailureMiddleware:
    """Sees what RetryMiddleware gave up on (540): counts and logs renders that timed out, and closes
    the spider when Splash itself stops answering."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("newscrawl_splash_timeout") and response.status == 504:
            self._timed_out(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not is_render(request) or not request.meta.get("_splash_processed"):
            return
        if isinstance(exception, TimeoutError | DownloadTimeoutError):
            self._timed_out(request)
        elif (
            isinstance(exception, ConnectionRefusedError | DownloadConnectionRefusedError)
            and urlsplit(request.url).netloc == urlsplit(splash_url(self.crawler.settings)).netloc
        ):
            self._splash_down()

    def _timed_out(self, request: Request) -> None:
        # Counted by the spider's errback (newscrawl/failed/splash_timeout), which owes it to the next run.
        retries = request.meta.get("retry_times", 0)
        logger.error("Splash timed out rendering %s (%d tries); skipped", page_url(request), retries + 1)
        raise IgnoreRequest(f"{SPLASH_TIMEOUT} rendering {page_url(request)}")

    def _splash_down(self) -> None:
        if self.closing:
            return
        self.closing = True
        url = splash_url(self.crawler.settings)
        logger.error("Splash stopped answering at %s; %s.", url, START_HINT)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="splash_unavailable"))
