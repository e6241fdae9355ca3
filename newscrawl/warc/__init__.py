"""A raw page archive in WARC (ISO 28500, WARC/1.1), on warcio; docs/warc.md describes it.

- :class:`WarcAddon` (``ADDONS`` in settings.py) wires :class:`WarcMiddleware` only when
  ``NEWSCRAWL_WARC`` (a directory) is set. The middleware writes a ``request`` and a ``response`` record
  for every response the crawler receives (robots.txt, redirects, 4xx and 5xx included), under the real
  report.az URL; a page rendered by Splash becomes a ``response`` record of the page URL (rendered HTML,
  the site's status) and a ``metadata`` record saying how it was rendered.
- :class:`RunWriter` (``writer.py``): one run's files, ``newscrawl-<run start UTC>-<pid>-<serial>.warc.gz``,
  each opened with a ``warcinfo`` record, gzipped per record, rotated at ``NEWSCRAWL_WARC_MAX_BYTES``.
- ``reader.py``: :func:`iter_records` (every whole record, a torn last one skipped and counted),
  :class:`WarcIndex` (the latest response of each URL, SQLite, built once), :func:`archive_clock`.
  ``NEWSCRAWL_REPLAY`` pointing at WARC files replays from this index (``newscrawl.replay``).
- ``reextract.py``: ``scrapy reextract`` (``newscrawl/commands/reextract.py``).
"""

from __future__ import annotations

from newscrawl.warc.addon import WarcAddon, check_settings
from newscrawl.warc.middleware import WarcMiddleware
from newscrawl.warc.reader import (
    ReadReport,
    Record,
    WarcIndex,
    archive_clock,
    is_warc_source,
    iter_records,
    warc_files,
)
from newscrawl.warc.writer import RunWriter

__all__ = [
    "ReadReport",
    "Record",
    "RunWriter",
    "WarcAddon",
    "WarcIndex",
    "WarcMiddleware",
    "archive_clock",
    "check_settings",
    "is_warc_source",
    "iter_records",
    "warc_files",
]
