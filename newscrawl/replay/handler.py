"""The download handler that answers every request from the snapshot directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from newscrawl.render import is_render, page_url, rendered_json
from newscrawl.replay.layout import EXTENSION_TYPES, find_file, sidecar_path, split_extension
from newscrawl.warc.reader import WarcIndex, is_warc_source

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


_INDEXES: dict[Path, WarcIndex] = {}


def _index(root: Path) -> WarcIndex:
    """The index of an archive, one per process (http and https have a handler each)."""
    key = root.resolve()
    if key not in _INDEXES:
        index = _INDEXES[key] = WarcIndex(root)
        if torn := index.torn():
            logger.warning("%d torn WARC record(s) in %s are skipped", torn, root)
    return _INDEXES[key]


class ReplayDownloadHandler:
    """Answers http(s) requests from the NEWSCRAWL_REPLAY directory (``ReplayAddon`` wires it)."""

    lazy = False  # built when the crawl starts, so a bad directory shows up before the first request

    def __init__(self, crawler: Crawler, root: Path) -> None:
        self._stats = crawler.stats
        self._root = root
        # WARC files instead of a snapshot: answered from the index of their latest responses.
        self._warc = _index(root) if is_warc_source(root) else None
        if self._warc is not None and (torn := self._warc.torn()) and self._stats is not None:
            self._stats.set_value("newscrawl/replay/warc_torn", torn)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # ReplayAddon has checked the directory when the settings were applied.
        replay = crawler.settings.get("NEWSCRAWL_REPLAY") or ""
        if not replay:
            raise NotConfigured("NEWSCRAWL_REPLAY is empty: nothing to replay")
        return cls(crawler, Path(replay))

    async def download_request(self, request: Request) -> Response:
        return self._replay(self._root, request)

    async def close(self) -> None:
        pass

    def _replay(self, root: Path, request: Request) -> Response:
        url = page_url(request) if is_render(request) else request.url
        if self._warc is not None:
            return self._replay_warc(self._warc, url, request)
        path = find_file(root, url)
        if path is None:
            self._inc("newscrawl/replay/missing")
            logger.debug("Not in the snapshot, answering 404: %s", url)
            status, headers, body = 404, {}, b""
        else:
            self._inc("newscrawl/replay/hit")
            status, headers = 200, {"Content-Type": EXTENSION_TYPES[split_extension(path.name)[1]]}
            sidecar = sidecar_path(root, url)
            if sidecar.is_file():
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
                status, headers = int(meta["status"]), dict(meta["headers"])
            body = path.read_bytes()
        if is_render(request):
            # What Splash answers for the page: 200 with the HTML and the site's status in history.
            html = body.decode("utf-8", errors="replace")
            rendered = rendered_json(url, status, headers, html)
            json_headers = Headers({"Content-Type": "application/json"})
            return Response(
                url=request.url, status=200, headers=json_headers, body=rendered, flags=["replay"]
            )
        if path is None:
            return Response(url=url, status=404, body=b"", flags=["replay"])
        scrapy_headers = Headers(headers)
        assert path is not None
        respcls = responsetypes.from_args(headers=scrapy_headers, url=url, filename=path.name, body=body)
        return respcls(url=url, status=status, headers=scrapy_headers, body=body, flags=["replay"])

    def _replay_warc(self, index: WarcIndex, url: str, request: Request) -> Response:
        """The latest response record of ``url``, with its status, headers and body as received."""
        record = index.latest(url)
        if record is None:
            self._inc("newscrawl/replay/missing")
            logger.debug("Not in the archive, answering 404: %s", url)
            status, headers, body = 404, Headers(), b""
        else:
            self._inc("newscrawl/replay/hit")
            http, body = record.http()
            status = int(http.get_statuscode())
            headers = Headers()
            for name, value in http.headers:
                headers.appendlist(name, value.encode("latin-1"))
        if is_render(request):
            # A rendered page is archived as the site's page: serve it in the shape of render.json.
            plain = {name.decode("latin-1"): values[-1].decode("latin-1") for name, values in headers.items()}
            rendered = rendered_json(url, status, plain, body.decode("utf-8", errors="replace"))
            json_headers = Headers({"Content-Type": "application/json"})
            return Response(
                url=request.url, status=200, headers=json_headers, body=rendered, flags=["replay"]
            )
        respcls = responsetypes.from_args(headers=headers, url=url, body=body)
        return respcls(url=url, status=status, headers=headers, body=body, flags=["replay"])

    def _inc(self, key: str, value: int = 1) -> None:
        if self._stats is not None:
            self._stats.inc_value(key, value)
