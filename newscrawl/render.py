"""Render pages through a Splash server (scrapy-splash), for pages whose content is built by JavaScript.

Modes (``-a render=...`` or the setting ``NEWSCRAWL_RENDER``; the argument wins):

- ``plain`` (default): plain HTTP requests, no Splash anywhere;
- ``splash``: every page request (home, listings, their batches, articles) is rendered by Splash;
- ``auto``: plain first; a first listing page without a card or an article without a body is asked
  again through Splash, once.

Splash is reached at ``SPLASH_URL`` (the setting, else the environment, else ``http://127.0.0.1:8050``).
``make splash`` (``tools/splash.sh start``) starts a local one.

Components, switched on by :class:`RenderAddon` (in ``ADDONS``) only when the mode is not ``plain``:

- scrapy-splash as its README sets it up for Scrapy >= 2.7: ``SplashCookiesMiddleware`` (723),
  ``SplashMiddleware`` (725), ``HttpCompressionMiddleware`` moved to 810, the spider middleware
  ``SplashDeduplicateArgsMiddleware`` (100) and ``SplashRequestFingerprinter``;
- :class:`RenderRequestMiddleware` (724): lets the Splash host through the offsite filter and keeps
  proxies set for the site away from the loopback Splash;
- :class:`RenderResponseMiddleware` (700): turns Splash's ``render.json`` answer into the page as the
  site sent it: the target's URL, its real HTTP status (from ``history``) and the rendered HTML, so
  retries, the blocked-burst middleware, ``HttpErrorMiddleware`` and the spider's errbacks see a 404,
  403 or 429 exactly as for a plain request. A render that failed on a network error becomes the same
  error a plain request would raise;
- :class:`RenderFailureMiddleware` (540, after RetryMiddleware): a render still timing out after its
  retries is logged with its URL and counted in ``newscrawl/failed/splash_timeout``; Splash refusing
  connections closes the spider (reason ``splash_unavailable``) with the sentence that says how to
  start it.

Requests use ``render.json`` with ``html=1`` and ``history=1`` (``render.html`` answers 200 for a 404
page), ``images=0``, a global ``timeout`` and ``allowed_domains`` set to the spider's domains: an embed
from another host (a YouTube iframe, which fails offline, splash#699) is not loaded. Splash's
``resource_timeout`` is not used: with it, Splash 3.5 leaves the status out of ``history``.

Under replay (newscrawl/replay/), a render request is answered from the snapshot by its target URL in
the shape of ``render.json`` (:func:`rendered_json`), so render mode runs offline without a server; record
mode stores a rendered page under its target URL (:func:`rendered_page`).
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
import warnings
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

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

from newscrawl.exceptions import RenderSettingsError
from newscrawl.origin import to_origin

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

MODES = ("plain", "splash", "auto")
DEFAULT_SPLASH_URL = "http://127.0.0.1:8050"
ENDPOINT = "render.json"
START_HINT = (
    "start it with `make splash` (or `tools/splash.sh start`), or point SPLASH_URL at a running Splash"
)
# How a render that timed out after its retries is told to the errbacks.
SPLASH_TIMEOUT = "Splash timed out"
# The meta key of the page URL a render request stands for (the one items, logs and the store carry).
PAGE_URL = "newscrawl_page_url"

# Qt network error codes (QNetworkReply.NetworkError) in Splash's RenderError, as the errors a plain
# request raises for the same failure (Scrapy's HTTP handler wraps the refused connection and the failed
# lookup in its own exceptions; a connect timeout stays Twisted's).
_QT_NETWORK_ERRORS: dict[int, type[Exception]] = {
    1: DownloadConnectionRefusedError,  # ConnectionRefusedError
    3: CannotResolveHostError,  # HostNotFoundError
    4: TCPTimedOutError,  # TimeoutError
}


def parse_mode(value: str | None) -> str:
    """The render mode of an argument or setting; empty means ``plain``.

    >>> parse_mode("Splash")
    'splash'
    >>> parse_mode(None)
    'plain'
    >>> parse_mode("chrome")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    newscrawl.exceptions.RenderSettingsError: render must be plain, splash or auto (got 'chrome'): ...
    """
    mode = (value or "").strip().lower() or "plain"
    if mode not in MODES:
        raise RenderSettingsError(f"render must be plain, splash or auto (got {value!r}): -a render=splash")
    return mode


def splash_url(settings: BaseSettings) -> str:
    """``SPLASH_URL`` from the settings, else the environment, else the local default."""
    return str(settings.get("SPLASH_URL") or os.environ.get("SPLASH_URL") or DEFAULT_SPLASH_URL)


def page_url(request: Request) -> str:
    """The URL of the page a request is for: the target of a render request, else ``request.url``.

    >>> page_url(Request("http://127.0.0.1:8050/render.json", meta={PAGE_URL: "https://report.az/en/"}))
    'https://report.az/en/'
    >>> page_url(Request("https://report.az/"))
    'https://report.az/'
    """
    meta = request.meta
    if PAGE_URL in meta:
        return str(meta[PAGE_URL])
    target = meta.get("splash", {}).get("args", {}).get("url")
    return str(target) if target else request.url


def is_render(request: Request) -> bool:
    return "splash" in request.meta


def origin_url(url: str, origin: str) -> str:
    """What Splash must load for ``url`` when report.az is served from ``origin`` (``NEWSCRAWL_ORIGIN``, the
    simulator on loopback); ``url`` itself otherwise.

    >>> origin_url("https://report.az/en/?a=1", "http://127.0.0.1:8123")
    'http://127.0.0.1:8123/en/?a=1'
    >>> origin_url("https://report.az/en/", "")
    'https://report.az/en/'
    """
    return (to_origin(url, origin) if origin else None) or url


def ping(url: str, timeout: float = 5.0) -> str | None:
    """None when Splash answers ``/_ping`` with ok at ``url``, else what went wrong (a few words)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        with opener.open(urljoin(url, "_ping"), timeout=timeout) as answer:
            body = answer.read(4096)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} on /_ping"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(getattr(reason, "strerror", None) or reason)
    try:
        ok = json.loads(body).get("status") == "ok"
    except (ValueError, AttributeError):
        ok = False
    return None if ok else "its /_ping does not answer like Splash"


def check_splash(settings: BaseSettings, render_argument: str | None = None) -> str:
    """The render mode in force; raises RenderSettingsError when it is unknown, or when it needs Splash
    and Splash does not answer (not under replay, which answers render requests itself)."""
    mode = parse_mode(render_argument) if render_argument is not None else setting_mode(settings)
    if mode == "plain" or settings.get("NEWSCRAWL_REPLAY"):
        return mode
    url = splash_url(settings)
    problem = ping(url)
    if problem is not None:
        raise RenderSettingsError(
            f"render={mode} needs Splash, which does not answer at {url} ({problem}); {START_HINT}."
        )
    return mode


def setting_mode(settings: BaseSettings) -> str:
    try:
        return parse_mode(settings.get("NEWSCRAWL_RENDER"))
    except RenderSettingsError as exc:
        raise RenderSettingsError(str(exc).replace("render must", "NEWSCRAWL_RENDER must", 1)) from None


# -- requests ----------------------------------------------------------------------------------------


class Renderer:
    """Builds the spider's page requests for the render mode in force (the spider's one hook)."""

    def __init__(self, mode: str, settings: BaseSettings, domains: list[str]) -> None:
        self.mode = mode
        self.origin = str(settings.get("NEWSCRAWL_ORIGIN") or "")
        self.timeout = settings.getfloat("NEWSCRAWL_SPLASH_TIMEOUT", 30.0)
        self.wait = settings.getfloat("NEWSCRAWL_SPLASH_WAIT", 0.0)
        hosts = list(domains)
        if self.origin:
            hosts.append(urlsplit(self.origin).hostname or "")
        self.allowed_domains = ",".join(h for h in hosts if h)

    @classmethod
    def from_crawler(cls, crawler: Crawler, argument: str | None, domains: list[str]) -> Self:
        """The renderer of a crawl; a render argument is also written into the settings (the spider is
        built before add-ons run), so :class:`RenderAddon` switches the middlewares on."""
        mode = parse_mode(argument) if argument is not None else setting_mode(crawler.settings)
        if argument is not None and not crawler.settings.frozen:
            crawler.settings.set("NEWSCRAWL_RENDER", mode, priority="spider")
        return cls(mode, crawler.settings, domains)

    def request(self, url: str, *, render: bool | None = None, **kwargs: Any) -> Request:
        """A request for the page at ``url``: through Splash in ``splash`` mode or when ``render`` is
        True, plain otherwise. Keywords are those of :class:`scrapy.Request`."""
        if render is None:
            render = self.mode == "splash"
        if not render:
            return Request(url, **kwargs)
        # Imported only when rendering, through the module that first adapts scrapy-splash to this Scrapy.
        from newscrawl.splash_compat import SplashRequest

        args: dict[str, Any] = {
            "html": 1,
            "history": 1,
            "images": 0,
            "timeout": self.timeout,
            "allowed_domains": self.allowed_domains,
        }
        if self.wait:
            args["wait"] = self.wait
        if self.origin:
            # Splash loads the page from the origin; the request keeps the real URL, so the offsite
            # filter, robots.txt and the dupefilter judge it as a plain request.
            args["url"] = origin_url(url, self.origin)
        meta = {**kwargs.pop("meta", {}), PAGE_URL: url}
        request: Request = SplashRequest(
            url,
            endpoint=ENDPOINT,
            args=args,
            meta=meta,
            http_status_from_error_code=False,
            magic_response=False,  # the JSON stays the body: RenderResponseMiddleware reads history
            **kwargs,
        )
        return request

    def rerender(self, response: Response) -> Request | None:
        """In ``auto`` mode, the same page asked again through Splash, when it was not rendered yet."""
        request = response.request
        if self.mode != "auto" or request is None or is_render(request):
            return None
        return self.request(
            page_url(request),
            render=True,
            callback=request.callback,
            errback=request.errback,
            cb_kwargs=dict(request.cb_kwargs),
            # The page's own meta (the card), without what the downloader noted about the plain fetch.
            meta={k: v for k, v in request.meta.items() if not k.startswith(_DOWNLOADER_META)},
            dont_filter=True,
        )


_DOWNLOADER_META = ("download_", "depth", "retry_", "redirect_", "_", "proxy")


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


# -- settings ----------------------------------------------------------------------------------------


class RenderAddon:
    """Switches scrapy-splash and the render middlewares on when the render mode is not ``plain``."""

    def update_settings(self, settings: BaseSettings) -> None:
        # A mode that needs Splash stops the crawl here, in one sentence, when Splash does not answer.
        if check_splash(settings) == "plain":
            return
        import newscrawl.splash_compat  # noqa: F401  # before Scrapy loads the components named below

        _quiet_known_splash_warnings()
        settings.set("SPLASH_URL", splash_url(settings), priority="addon")
        downloader = settings["DOWNLOADER_MIDDLEWARES"]
        downloader["scrapy_splash.SplashCookiesMiddleware"] = 723
        downloader["newscrawl.render.RenderRequestMiddleware"] = 724
        downloader["scrapy_splash.SplashMiddleware"] = 725
        downloader["newscrawl.render.RenderResponseMiddleware"] = 700
        downloader["newscrawl.render.RenderFailureMiddleware"] = 540
        # scrapy-splash's README: decompress before SplashMiddleware reads the JSON.
        downloader["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"] = 810
        settings["SPIDER_MIDDLEWARES"]["scrapy_splash.SplashDeduplicateArgsMiddleware"] = 100
        settings.set("REQUEST_FINGERPRINTER_CLASS", "scrapy_splash.SplashRequestFingerprinter", "addon")
        settings.set("HTTPCACHE_STORAGE", "scrapy_splash.SplashAwareFSCacheStorage", "addon")


# The deprecations scrapy-splash 0.11.1 (its last release) still raises on Scrapy 2.19, in every render
# crawl's log: its middlewares' methods take a spider argument. pyproject.toml names the same ones.
_KNOWN_SPLASH_WARNINGS = (
    r"SplashCookiesMiddleware\.process_request\(\) requires a spider argument",
    r"SplashCookiesMiddleware\.process_response\(\) requires a spider argument",
    r"SplashMiddleware\.process_request\(\) requires a spider argument",
    r"SplashMiddleware\.process_response\(\) requires a spider argument",
)


def _quiet_known_splash_warnings() -> None:
    from scrapy.exceptions import ScrapyDeprecationWarning

    for message in _KNOWN_SPLASH_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=ScrapyDeprecationWarning)


# -- downloader middlewares ---------------------------------------------------------------------------


class RenderRequestMiddleware:
    """Runs just before SplashMiddleware rewrites a render request to the Splash URL (724): the request
    already passed the offsite check under its page URL, and the rewritten one must too; and a proxy set
    for the site (``https_proxy``) must not carry requests to a loopback Splash."""

    def process_request(self, request: Request) -> None:
        if is_render(request) and not request.meta.get("_splash_processed"):
            request.meta["allow_offsite"] = True
            request.meta.setdefault(PAGE_URL, page_url(request))
            request.meta["proxy"] = None


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
