"""Replay a crawl from a snapshot directory, or record a live crawl into one.

- :class:`ReplayAddon` (``ADDONS`` in settings.py) checks both settings once, refuses
  ``NEWSCRAWL_REPLAY`` and ``NEWSCRAWL_RECORD`` together (a bad directory stops the crawl at start), and
  wires the two below only when their setting is set: a live crawl runs none of this module. While
  replaying it drops the politeness delays.
- :class:`ReplayDownloadHandler` (``DOWNLOAD_HANDLERS`` for http and https) answers every request from
  ``NEWSCRAWL_REPLAY`` (a missing page is an empty 404) and nothing reaches the network.
- :class:`RecordMiddleware` (``DOWNLOADER_MIDDLEWARES``, 950) writes every response of a live crawl
  into ``NEWSCRAWL_RECORD``, bodies decoded, files replaced atomically.
- :func:`snapshot_clock` reads the moment a snapshot was taken from its ``SNAPSHOT.json``.
- ``NEWSCRAWL_REPLAY`` may also name WARC files (a directory of them, or one file): each URL is then
  answered from its latest archived response through ``newscrawl.warc.WarcIndex``, and the clock is the
  archive's (docs/warc.md).

Replay ignores the method and body of a request: the site is crawled with GET only. A request that
scrapy-splash sent to Splash (``render=splash``) is answered from the file of its target URL, in the
shape of Splash's ``render.json`` (``newscrawl.render.rendered_json``), so rendering replays offline
without a server; record mode stores a rendered page (its rendered HTML and the site's status) under
its target URL, never under the Splash URL.

Known limit: a URL whose inner segment ends in one of the extensions (``/feed.xml/x``) names a
directory where another URL (``/feed`` as XML) names a file; the recorder logs and skips the second.

Modules: ``layout.py`` (the URL <-> file mapping, pure), ``addon.py`` (wiring, settings, the snapshot's
clock), ``handler.py`` (replay), ``record.py`` (record).
"""

from __future__ import annotations

from newscrawl.exceptions import ReplaySettingsError
from newscrawl.replay.addon import ReplayAddon, check_settings, snapshot_clock
from newscrawl.replay.handler import ReplayDownloadHandler
from newscrawl.replay.layout import (
    EXTENSION_TYPES,
    META_DIR,
    SIDECAR_HEADERS,
    ReplayPathError,
    extension_for,
    find_file,
    iter_snapshot,
    path_to_url,
    sidecar_path,
    split_extension,
    url_to_path,
    url_to_stem,
)
from newscrawl.replay.record import RecordMiddleware, decode_body

__all__ = [
    "EXTENSION_TYPES",
    "META_DIR",
    "SIDECAR_HEADERS",
    "RecordMiddleware",
    "ReplayAddon",
    "ReplayDownloadHandler",
    "ReplayPathError",
    "ReplaySettingsError",
    "check_settings",
    "decode_body",
    "extension_for",
    "find_file",
    "iter_snapshot",
    "path_to_url",
    "sidecar_path",
    "snapshot_clock",
    "split_extension",
    "url_to_path",
    "url_to_stem",
]
