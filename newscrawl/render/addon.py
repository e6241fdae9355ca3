"""The render add-on: switches scrapy-splash and the render middlewares on when the render mode is not
``plain``, after checking that Splash answers.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import warnings
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from newscrawl.exceptions import RenderSettingsError
from newscrawl.render.requests import START_HINT, parse_mode, setting_mode, splash_url

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


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
        downloader["newscrawl.render.requests.RenderRequestMiddleware"] = 724
        downloader["scrapy_splash.SplashMiddleware"] = 725
        downloader["newscrawl.render.answers.RenderResponseMiddleware"] = 700
        downloader["newscrawl.render.answers.RenderFailureMiddleware"] = 540
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
