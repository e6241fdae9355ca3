"""Replay a crawl from a snapshot directory, or record a live crawl into one.

Layout (URL <-> file), a bijection between normalised URLs and relative paths:

- ``<dir>/<host>/<path segments>``, the host lower-cased with its port unless it is the scheme's default.
  The last segment gets ``@<query>`` when the URL has a query, then an extension from the content
  type: ``.html`` (text/html), ``.txt`` (text/plain), ``.xml``, ``.json``, ``.js``, ``.css``, ``.bin``
  otherwise. ``https://report.az/robots.txt`` is ``report.az/robots.txt.txt``.
- An empty segment (a path ending in ``/``, the root included) is written ``_``; a literal segment
  ``_`` is written ``%5F`` and read back as ``_`` (RFC 3986 treats both as the same URL).
- Segments keep the percent-escapes of ``w3lib.url.safe_url_string`` (Azerbaijani letters are
  ``%C9%99`` and so on). ``@`` in a segment is written ``%40`` and ``/`` in the query ``%2F``: neither
  is decoded on the way back, so those URLs replay in their escaped, equivalent form.
- Refused with :class:`ReplayPathError`: an empty host, a segment ``.`` or ``..`` (raw or
  percent-encoded), an encoded slash or backslash, a raw backslash, a NUL, a file name longer than
  the file system allows, and any file that would resolve outside the root.

Status and headers of a recorded response live in a sidecar, ``<dir>/.meta/<stem>.json`` (status,
url, fetched_at and the headers in ``SIDECAR_HEADERS``). No host is called ``.meta``, so a sidecar
never collides with a page. Hand-made pages have no sidecar and replay as 200 with the content type
of their extension. Files outside a host directory (``SNAPSHOT.json``) are not pages.

Components:

- :class:`ReplayAddon` (``ADDONS`` in settings.py) checks both settings once, refuses
  ``NEWSCRAWL_REPLAY`` and ``NEWSCRAWL_RECORD`` together (a bad directory stops the crawl at start), and
  wires the two below only when their setting is set: a live crawl runs none of this module. While
  replaying it drops the politeness delays.
- :class:`ReplayDownloadHandler` (``DOWNLOAD_HANDLERS`` for http and https) answers every request from
  ``NEWSCRAWL_REPLAY`` (a missing page is an empty 404) and nothing reaches the network.
- :class:`RecordMiddleware` (``DOWNLOADER_MIDDLEWARES``, 950) writes every response of a live crawl
  into ``NEWSCRAWL_RECORD``, bodies decoded, files replaced atomically.
- :func:`snapshot_clock` reads the moment a snapshot was taken from its ``SNAPSHOT.json``.

Replay ignores the method and body of a request: the site is crawled with GET only. A request that
scrapy-splash sent to Splash (``render=splash``) is answered from the file of its target URL, in the
shape of Splash's ``render.json`` (``newscrawl.render.rendered_json``), so rendering replays offline
without a server; record mode stores a rendered page (its rendered HTML and the site's status) under
its target URL, never under the Splash URL.

Known limit: a URL whose inner segment ends in one of the extensions (``/feed.xml/x``) names a
directory where another URL (``/feed`` as XML) names a file; the recorder logs and skips the second.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote, urlsplit, urlunsplit

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from twisted.internet.defer import fail, succeed
from w3lib.url import safe_url_string

from newscrawl.dates import utc_now
from newscrawl.exceptions import ReplaySettingsError
from newscrawl.render import is_render, page_url, rendered_json, rendered_page

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

# Content type (without parameters) -> extension; anything else is ".bin".
_TYPE_EXTENSIONS: dict[str, str] = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/xml": ".xml",
    "application/xml": ".xml",
    "application/json": ".json",
    "text/javascript": ".js",
    "application/javascript": ".js",
    "application/x-javascript": ".js",
    "text/css": ".css",
}
# Extension -> the content type a page without a sidecar is served with.
EXTENSION_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".bin": "application/octet-stream",
}
META_DIR = ".meta"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_EMPTY = "_"
_LITERAL_UNDERSCORE = "%5F"
# NAME_MAX is 255 bytes on common file systems; keep room for the longest extension.
_MAX_NAME = 255 - max(len(ext) for ext in EXTENSION_TYPES)
_LITERAL_UNDERSCORE_RE = re.compile(r"^(?:_|%5[fF])$")


class ReplayPathError(ValueError):
    """A URL or a file path that the snapshot layout refuses to map."""


def extension_for(content_type: str) -> str:
    """The file extension for a Content-Type header value.

    >>> extension_for("text/html; charset=UTF-8")
    '.html'
    >>> extension_for("application/rss+xml")
    '.xml'
    >>> extension_for("image/jpeg")
    '.bin'
    """
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in _TYPE_EXTENSIONS:
        return _TYPE_EXTENSIONS[mime]
    if mime.endswith("+xml"):
        return ".xml"
    if mime.endswith("+json"):
        return ".json"
    return ".bin"


def _check_name(name: str, what: str, url: str) -> None:
    decoded = unquote(name)
    if decoded in {".", ".."}:
        raise ReplayPathError(f"{url!r} has a {what} {name!r}, which would leave its directory.")
    if "/" in decoded or "\\" in decoded:
        raise ReplayPathError(f"{url!r} has an encoded slash or backslash in {what} {name!r}.")
    if "\x00" in decoded:
        raise ReplayPathError(f"{url!r} has a NUL in {what} {name!r}.")
    _check_length(name, url)


def _check_length(name: str, url: str) -> None:
    if len(name.encode()) > _MAX_NAME:
        raise ReplayPathError(f"{url!r} makes a file name longer than {_MAX_NAME} bytes.")


def url_to_stem(url: str) -> PurePosixPath:
    """The relative path of a URL's file, without the extension.

    >>> url_to_stem("https://report.az/")
    PurePosixPath('report.az/_')
    >>> url_to_stem("https://report.az/en/_/xəbər?q=a/b")
    PurePosixPath('report.az/en/%5F/x%C9%99b%C9%99r@q=a%2Fb')
    >>> url_to_stem("https://report.az/%2e%2e/etc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    newscrawl.replay.ReplayPathError: ... has a segment '%2e%2e', which would leave its directory.
    """
    raw_path = url.split("?", 1)[0].split("#", 1)[0]
    if "\\" in raw_path:
        raise ReplayPathError(f"{url!r} has a backslash in its path.")
    if "\x00" in url:
        raise ReplayPathError(f"{url!r} has a NUL.")
    parts = urlsplit(safe_url_string(url))
    try:
        port = parts.port
    except ValueError as exc:
        raise ReplayPathError(f"{url!r} has an invalid port.") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise ReplayPathError(f"{url!r} has no host.")
    if host.startswith("."):
        raise ReplayPathError(f"{url!r} has a host starting with a dot.")
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    _check_name(host, "host", url)
    segments = (parts.path or "/").split("/")[1:]
    names = []
    for segment in segments:
        if segment == "":
            names.append(_EMPTY)
            continue
        _check_name(segment, "segment", url)
        names.append(
            _LITERAL_UNDERSCORE if _LITERAL_UNDERSCORE_RE.match(segment) else segment.replace("@", "%40")
        )
    if parts.query:
        names[-1] = f"{names[-1]}@{parts.query.replace('/', '%2F')}"
        _check_length(names[-1], url)
    return PurePosixPath(host, *names)


def url_to_path(url: str, content_type: str = "text/html") -> PurePosixPath:
    """The relative path of a URL's file for a response of ``content_type``.

    >>> url_to_path("https://report.az/")
    PurePosixPath('report.az/_.html')
    >>> url_to_path("https://report.az/en/finance")
    PurePosixPath('report.az/en/finance.html')
    >>> url_to_path("https://report.az/robots.txt", "text/plain")
    PurePosixPath('report.az/robots.txt.txt')
    >>> str(url_to_path("https://report.az/en/infinity/category?slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1"))
    'report.az/en/infinity/category@slug=finance&date=2026-01-29+15%3A08%3A00&oldest=1.html'
    """
    stem = url_to_stem(url)
    return stem.with_name(stem.name + extension_for(content_type))


def split_extension(path: PurePosixPath | str) -> tuple[PurePosixPath, str]:
    """A page file's stem and extension; refuses a path that is no page file of the layout.

    >>> split_extension("report.az/robots.txt.txt")
    (PurePosixPath('report.az/robots.txt'), '.txt')
    """
    pure = PurePosixPath(path)
    name = pure.name
    extension = next((ext for ext in EXTENSION_TYPES if name.endswith(ext)), None)
    if extension is None or len(name) == len(extension):
        raise ReplayPathError(
            f"{str(path)!r} does not end in a page extension ({', '.join(EXTENSION_TYPES)})."
        )
    return pure.with_name(name[: -len(extension)]), extension


def path_to_url(path: PurePosixPath | str, scheme: str = "https") -> str:
    """The URL of a page file, given relative to the snapshot root.

    >>> path_to_url("report.az/_.html")
    'https://report.az/'
    >>> path_to_url("report.az/en/%5F/robots.txt.txt")
    'https://report.az/en/_/robots.txt'
    >>> path_to_url("report.az/en/infinity/index@date=2026-01-29+15%3A08%3A00&oldest=1.html")
    'https://report.az/en/infinity/index?date=2026-01-29+15%3A08%3A00&oldest=1'
    >>> path_to_url("/etc/passwd.html")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    newscrawl.replay.ReplayPathError: '/etc/passwd.html' is absolute; page paths are relative to ...
    """
    stem, _ = split_extension(path)
    if stem.is_absolute():
        raise ReplayPathError(f"{str(path)!r} is absolute; page paths are relative to the snapshot root.")
    if len(stem.parts) < 2:
        raise ReplayPathError(f"{str(path)!r} is not inside a host directory.")
    host, *names = stem.parts
    query = ""
    if "@" in names[-1]:
        names[-1], query = names[-1].split("@", 1)
    segments = []
    for name in names:
        _check_name(name, "segment", str(path))
        if name == _EMPTY:
            segments.append("")
        elif name == _LITERAL_UNDERSCORE:
            segments.append("_")
        else:
            segments.append(name)
    _check_name(host, "host", str(path))
    return urlunsplit((scheme, host, "/" + "/".join(segments), query, ""))


def _inside(root: Path, relative: PurePosixPath) -> Path:
    """``root / relative``, refused when symlinks or anything else resolve it outside ``root``."""
    candidate = root / relative
    if not candidate.resolve().is_relative_to(root.resolve()):
        raise ReplayPathError(f"{str(relative)!r} resolves outside the snapshot root {str(root)!r}.")
    return candidate


def sidecar_path(root: Path, url: str) -> Path:
    """Where the status and headers of ``url`` are kept under ``root``."""
    stem = url_to_stem(url)
    return _inside(root, PurePosixPath(META_DIR, *stem.parent.parts, stem.name + ".json"))


def find_file(root: Path, url: str) -> Path | None:
    """The one page file of ``url`` under ``root``, whatever its extension, or None."""
    stem = url_to_stem(url)
    found = [
        path
        for extension in EXTENSION_TYPES
        if (path := _inside(root, stem.with_name(stem.name + extension))).is_file()
    ]
    if len(found) > 1:
        names = ", ".join(str(path) for path in found)
        raise ReplayPathError(f"{url!r} has {len(found)} files ({names}); keep one and delete the others.")
    return found[0] if found else None


def iter_snapshot(root: Path, scheme: str = "https") -> Iterator[tuple[str, Path]]:
    """Every page of a snapshot as ``(url, file)``, sorted by file; sidecars and stray files skipped."""
    pages: list[tuple[PurePosixPath, Path]] = []
    for directory, subdirs, files in os.walk(root):
        current = Path(directory)
        relative = PurePosixPath(*current.relative_to(root).parts)
        if not relative.parts:
            subdirs[:] = [d for d in subdirs if d != META_DIR]
            continue  # files at the top (SNAPSHOT.json) belong to no host
        for name in files:
            if any(name.endswith(ext) and len(name) > len(ext) for ext in EXTENSION_TYPES):
                pages.append((relative / name, current / name))
            # anything else is a temporary file of an interrupted write, or a file no URL maps to
    for relative_path, path in sorted(pages):
        yield path_to_url(relative_path, scheme), path


# What a sidecar keeps of a response: enough to replay redirects, conditional requests and dates.
SIDECAR_HEADERS: tuple[str, ...] = (
    "Content-Type",
    "Location",
    "Last-Modified",
    "ETag",
    "Date",
    "Cache-Control",
)


def check_settings(settings: BaseSettings) -> None:
    """Refuse, in one sentence, a replay directory that cannot be read, a record directory that cannot be
    written, or both modes at once. Creates the record directory.

    >>> from scrapy.settings import Settings
    >>> check_settings(Settings({"NEWSCRAWL_REPLAY": "/nonexistent"}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    newscrawl.exceptions.ReplaySettingsError: NEWSCRAWL_REPLAY=/nonexistent is not a directory; ...
    """
    replay, record = settings.get("NEWSCRAWL_REPLAY") or "", settings.get("NEWSCRAWL_RECORD") or ""
    if replay and record:
        raise ReplaySettingsError(
            "NEWSCRAWL_REPLAY and NEWSCRAWL_RECORD are both set; unset one (replay reads a snapshot, "
            "record writes one)."
        )
    if replay:
        if not os.path.isdir(replay):
            raise ReplaySettingsError(
                f"NEWSCRAWL_REPLAY={replay} is not a directory; "
                "point it at a snapshot such as fixtures/snapshot."
            )
        if not os.access(replay, os.R_OK | os.X_OK):
            raise ReplaySettingsError(
                f"NEWSCRAWL_REPLAY={replay} is not readable; "
                "fix its permissions or point it at another snapshot."
            )
    if record:
        try:
            os.makedirs(record, exist_ok=True)
        except OSError as exc:
            raise ReplaySettingsError(
                f"NEWSCRAWL_RECORD={record} cannot be created ({exc.strerror}); "
                "point it at a writable directory."
            ) from None
        if not os.access(record, os.W_OK | os.X_OK):
            raise ReplaySettingsError(
                f"NEWSCRAWL_RECORD={record} is not writable; point it at a writable directory."
            )


class ReplayAddon:
    """Wires replay or record only when its setting is set, after checking it once: a live crawl runs
    Scrapy's own download handlers and no replay code. Replays at full speed (no delay, no throttle, 16
    requests per domain); refuses replay with record."""

    def update_settings(self, settings: BaseSettings) -> None:
        check_settings(settings)
        if settings.get("NEWSCRAWL_REPLAY"):
            handlers = settings["DOWNLOAD_HANDLERS"]
            handlers["http"] = handlers["https"] = "newscrawl.replay.ReplayDownloadHandler"
            # Politeness is for the live site; a snapshot on disk has nobody to be polite to.
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="spider")
        if settings.get("NEWSCRAWL_RECORD"):
            # 950: nearer the downloader than RedirectMiddleware (600), so it sees redirects too.
            settings["DOWNLOADER_MIDDLEWARES"]["newscrawl.replay.RecordMiddleware"] = 950


class ReplayDownloadHandler:
    """Answers http(s) requests from the NEWSCRAWL_REPLAY directory (``ReplayAddon`` wires it)."""

    lazy = False  # built when the crawl starts, so a bad directory shows up before the first request

    def __init__(self, crawler: Crawler, root: Path) -> None:
        self._stats = crawler.stats
        self._root = root

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # ReplayAddon has checked the directory when the settings were applied.
        replay = crawler.settings.get("NEWSCRAWL_REPLAY") or ""
        if not replay:
            raise NotConfigured("NEWSCRAWL_REPLAY is empty: nothing to replay")
        return cls(crawler, Path(replay))

    def download_request(self, request: Request, spider: Spider) -> Deferred[Response]:
        try:
            return succeed(self._replay(self._root, request))
        except ReplayPathError as exc:
            return fail(exc)

    def _replay(self, root: Path, request: Request) -> Response:
        url = page_url(request) if is_render(request) else request.url
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

    def _inc(self, key: str) -> None:
        if self._stats is not None:
            self._stats.inc_value(key)


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

    def process_response(self, request: Request, response: Response, spider: Spider) -> Response:
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


def snapshot_clock(replay_dir: str | None) -> datetime | None:
    """The moment a replayed snapshot was taken (its SNAPSHOT.json ``fetched_at``), or None."""
    if not replay_dir:
        return None
    manifest = Path(replay_dir) / "SNAPSHOT.json"
    if not manifest.is_file():
        return None
    fetched_at = json.loads(manifest.read_text(encoding="utf-8")).get("fetched_at")
    return datetime.fromisoformat(fetched_at) if fetched_at else None
