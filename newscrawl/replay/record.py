"""The downloader middleware that records a live crawl into the snapshot layout."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.dates import utc_now
from newscrawl.render import is_render, rendered_page
from newscrawl.replay.layout import (
    EXTENSION_TYPES,
    SIDECAR_HEADERS,
    ReplayPathError,
    _inside,
    sidecar_path,
    url_to_path,
)

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def decode_body(body: bytes, content_encoding: str) -> tuple[bytes, str]:
    """The body with its gzip, deflate and br (when brotli is installed) encodings undone, and whatever
    encoding could not be undone (a missing codec or a corrupt body), to be kept with the raw body.

    >>> import gzip, zlib
    >>> decode_body(gzip.compress(b"<p>x</p>"), "gzip")
    (b'<p>x</p>', '')
    >>> decode_body(zlib.compress(gzip.compress(b"ok")), "gzip, deflate")
    (b'ok', '')
    >>> decode_body(b"plain", "identity")
    (b'plain', '')
    >>> decode_body(b"not gzip", "gzip")
    (b'not gzip', 'gzip')
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    # Codings are listed in the order the server applied them.
    while codings:
        try:
            decoded = _DECODERS[codings[-1]](body)
        except (KeyError, OSError, ValueError, zlib.error, EOFError):
            break
        body, codings = decoded, codings[:-1]
    return body, ", ".join(codings)


def _gunzip(body: bytes) -> bytes:
    out = []
    while body:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(decompressor.decompress(body))
        body = decompressor.unused_data.lstrip(b"\x00")  # another member, or padding some servers add
    return b"".join(out)


def _inflate(body: bytes) -> bytes:
    try:
        return zlib.decompress(body)
    except zlib.error:
        return zlib.decompress(body, -zlib.MAX_WBITS)  # "deflate" sent raw, without the zlib header


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda body: body,
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
}
try:
    import brotli

    _DECODERS["br"] = brotli.decompress
except ImportError:  # Scrapy asks for br only when brotli is installed
    pass


class RecordMiddleware:
    """Writes every response (3xx and 4xx included) into NEWSCRAWL_RECORD in the snapshot layout."""

    # Runs at 950, nearer the downloader than RedirectMiddleware (600), so it sees redirects; that is also
    # before HttpCompressionMiddleware (590) decodes bodies, hence decode_body.

    def __init__(self, root: Path, stats: StatsCollector | None) -> None:
        self._root = root
        self._stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        record = crawler.settings.get("NEWSCRAWL_RECORD") or ""
        if not record:
            raise NotConfigured  # without a message: Scrapy would warn about it on every live crawl
        return cls(Path(record), crawler.stats)  # ReplayAddon has checked and created the directory

    def process_response(self, request: Request, response: Response) -> Response:
        if is_render(request):
            # Splash's answer: the rendered page is kept under its own URL; a Splash error is no page.
            page = rendered_page(request, response)
            if page is None:
                return response
            saved: Response = page
        else:
            saved = response
        try:
            self.save(saved)
        except ReplayPathError as exc:
            self._inc("newscrawl/record/refused")
            logger.warning("Not recorded: %s", exc)
        except OSError as exc:
            self._inc("newscrawl/record/failed")
            logger.warning("Not recorded: %s: %s", response.url, exc)
        else:
            self._inc("newscrawl/record/saved")
        return response

    def save(self, response: Response) -> Path:
        """Write the page and its sidecar; returns the page file."""
        raw_headers = {
            name: value.decode("latin-1")
            for name in SIDECAR_HEADERS
            if (value := response.headers.get(name)) is not None
        }
        encoding = (response.headers.get("Content-Encoding") or b"").decode("latin-1")
        body, left = decode_body(response.body, encoding)
        if left:
            raw_headers["Content-Encoding"] = left  # replayed as sent; HttpCompressionMiddleware decodes it
        content_type = raw_headers.get("Content-Type", "application/octet-stream")
        relative = url_to_path(response.url, content_type)
        page = _inside(self._root, relative)
        stem_name = page.name[: -len(relative.suffix)]
        for extension in EXTENSION_TYPES:
            other = page.with_name(stem_name + extension)
            if other != page and other.is_file():
                other.unlink()  # the URL changed content type: one file per URL
        meta = {
            "url": response.url,
            "status": response.status,
            "headers": raw_headers,
            "fetched_at": utc_now(),
        }
        _write_atomic(page, body)
        _write_atomic(sidecar_path(self._root, response.url), json.dumps(meta, indent=1).encode())
        return page

    def _inc(self, key: str) -> None:
        if self._stats is not None:
            self._stats.inc_value(key)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory, so os.replace is atomic; the ".tmp" suffix keeps a leftover out of iter_snapshot.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
