"""The snapshot layout: URL <-> file, a pure mapping that the replay, the recorder, the generator and
the tests share.

A bijection between normalised URLs and relative paths:

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
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import safe_url_string

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
    newscrawl.replay.layout.ReplayPathError: ... has a segment '%2e%2e', which would leave its directory.
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
    newscrawl.replay.layout.ReplayPathError: '/etc/passwd.html' is absolute; page paths are relative to ...
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
