"""The downloader middleware that archives every response of a crawl as WARC records."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.dates import crawl_clock
from newscrawl.render import ENDPOINT, is_render, page_url, rendered_page
from newscrawl.warc.writer import DEFAULT_GZIP_LEVEL, DEFAULT_MAX_BYTES, RunWriter

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Hop-by-hop: Scrapy has already undone the chunking, so the body is not chunked any more.
_DROPPED_HEADERS = frozenset({b"transfer-encoding"})


def software() -> str:
    try:
        version = metadata.version("newscrawl")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"newscrawl/{version}"


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, one per value, in latin-1 as they were on the wire."""
    pairs = []
    for name, values in headers.items():
        if name.lower() in _DROPPED_HEADERS:
            continue
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class WarcMiddleware:
    """Writes every response the crawler receives into ``NEWSCRAWL_WARC`` (``newscrawl.warc.WarcAddon``
    wires it at 950, nearer the downloader than RedirectMiddleware, RetryMiddleware and
    HttpCompressionMiddleware: redirects, every retried 5xx and bodies as received are archived)."""

    def __init__(
        self, crawler: Crawler, directory: Path, max_bytes: int, gzip_level: int = DEFAULT_GZIP_LEVEL
    ) -> None:
        self.crawler = crawler
        self.gzip_level = gzip_level
        self.directory = directory
        self.max_bytes = max_bytes
        self.stats: StatsCollector | None = crawler.stats
        self.started = datetime.now(UTC)
        self.writer: RunWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        directory = crawler.settings.get("NEWSCRAWL_WARC") or ""
        if not directory:
            raise NotConfigured  # without a message: Scrapy would warn about it on every crawl
        max_bytes = crawler.settings.getint("NEWSCRAWL_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
        level = crawler.settings.getint("NEWSCRAWL_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        middleware = cls(crawler, Path(directory), max_bytes, level)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def info(self, spider: Spider) -> dict[str, str]:
        """The warcinfo fields of this run."""
        settings = self.crawler.settings
        args = {k: v for k, v in (getattr(spider, "spider_args", None) or {}).items() if v is not None}
        render = settings.get("NEWSCRAWL_RENDER") or "plain"
        now = getattr(spider, "now", None)
        clock = crawl_clock(settings.get("NEWSCRAWL_CLOCK")) or now
        return {
            "software": f"{software()} (Scrapy)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"newscrawl-{self.started:%Y%m%dT%H%M%SZ}-{os.getpid()}",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": str(settings.get("USER_AGENT") or ""),
            "newscrawl-spider": spider.name,
            "newscrawl-arguments": json.dumps(args, sort_keys=True, ensure_ascii=False),
            "newscrawl-render": str(render),
            "newscrawl-run-start": self.started.isoformat(),
            "newscrawl-clock": clock.isoformat() if isinstance(clock, datetime) else "",
            "newscrawl-replayed": "yes" if settings.get("NEWSCRAWL_REPLAY") else "no",
            "newscrawl-politeness": (
                f"download delay {settings.getfloat('DOWNLOAD_DELAY')} s, "
                f"{settings.getint('CONCURRENT_REQUESTS_PER_DOMAIN')} requests per domain, "
                f"autothrottle {'on' if settings.getbool('AUTOTHROTTLE_ENABLED') else 'off'}"
            ),
        }

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            assert self.crawler.spider is not None  # responses arrive only while a spider runs
            self.archive(request, response, self.crawler.spider)
        except OSError as exc:
            self._inc("newscrawl/warc/failed")
            logger.error("Not archived: %s: %s", page_url(request), exc)
        return response

    def archive(self, request: Request, response: Response, spider: Spider) -> None:
        if self.writer is None:
            self.writer = RunWriter(
                self.directory, self.info(spider), self.max_bytes, self.started, gzip_level=self.gzip_level
            )
        moment = datetime.now(UTC)
        if is_render(request):
            page = rendered_page(request, response)
            if page is None:
                # Splash answered with an error of its own (or this is not its answer): no page to keep.
                self._inc("newscrawl/warc/splash_errors")
                return
            args = dict(request.meta.get("splash", {}).get("args", {}))
            args.pop("url", None)  # what Splash loaded, maybe a loopback origin: the page is the target
            args.pop("lua_source", None)
            self.writer.exchange(
                page.url,
                moment,
                None,
                (page.status, reason_phrase(page.status), header_pairs(page.headers), page.body),
                metadata={
                    "rendered-by": "splash",
                    "splash-endpoint": ENDPOINT,
                    "splash-arguments": json.dumps(args, sort_keys=True),
                    "http-status": str(page.status),
                },
            )
            self._inc("newscrawl/warc/rendered")
        else:
            url = response.url
            request_headers = header_pairs(request.headers)
            if not any(name.lower() == "host" for name, _ in request_headers):
                request_headers.insert(0, ("Host", urlsplit(url).netloc))
            self.writer.exchange(
                url,
                moment,
                (request.method, request_headers, request.body),
                (
                    response.status,
                    reason_phrase(response.status),
                    header_pairs(response.headers),
                    response.body,
                ),
            )
        self._inc("newscrawl/warc/responses")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.writer is not None:
            self.writer.close()
            if self.stats is not None:
                self.stats.set_value("newscrawl/warc/files", len(self.writer.files))
            logger.info(
                "WARC archive: %d file(s) in %s: %s",
                len(self.writer.files),
                self.directory,
                ", ".join(p.name for p in self.writer.files),
            )

    def _inc(self, key: str, value: Any = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, value)
