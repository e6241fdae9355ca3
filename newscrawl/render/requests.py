"""Render requests: the render mode of a crawl, the Splash request of a page (``Renderer``) and the
downloader middleware that lets it through to a loopback Splash (``RenderRequestMiddleware``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from newscrawl.exceptions import RenderSettingsError
from newscrawl.origin import to_origin

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

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


def setting_mode(settings: BaseSettings) -> str:
    try:
        return parse_mode(settings.get("NEWSCRAWL_RENDER"))
    except RenderSettingsError as exc:
        raise RenderSettingsError(str(exc).replace("render must", "NEWSCRAWL_RENDER must", 1)) from None


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


class RenderRequestMiddleware:
    """Runs just before SplashMiddleware rewrites a render request to the Splash URL (724): the request
    already passed the offsite check under its page URL, and the rewritten one must too; and a proxy set
    for the site (``https_proxy``) must not carry requests to a loopback Splash."""

    def process_request(self, request: Request) -> None:
        if is_render(request) and not request.meta.get("_splash_processed"):
            request.meta["allow_offsite"] = True
            request.meta.setdefault(PAGE_URL, page_url(request))
            request.meta["proxy"] = None
