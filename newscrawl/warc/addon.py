"""Wiring: the archive is switched on only when ``NEWSCRAWL_WARC`` is set, after checking it once."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from newscrawl.exceptions import ReplaySettingsError
from newscrawl.warc.writer import DEFAULT_GZIP_LEVEL, DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

MIDDLEWARE = "newscrawl.warc.WarcMiddleware"


def check_settings(settings: BaseSettings) -> None:
    """Refuse, in one sentence, an archive directory that cannot be written or a size limit that is not a
    positive number of bytes. Creates the directory.

    >>> from scrapy.settings import Settings
    >>> check_settings(Settings({"NEWSCRAWL_WARC": "/proc/x"}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    newscrawl.exceptions.ReplaySettingsError: NEWSCRAWL_WARC=/proc/x cannot be created ...
    """
    directory = settings.get("NEWSCRAWL_WARC") or ""
    if not directory:
        return
    try:
        max_bytes = settings.getint("NEWSCRAWL_WARC_MAX_BYTES", DEFAULT_MAX_BYTES)
    except ValueError:
        max_bytes = 0
    if max_bytes < 1:
        raise ReplaySettingsError(
            f"NEWSCRAWL_WARC_MAX_BYTES must be a positive number of bytes "
            f"(got {settings.get('NEWSCRAWL_WARC_MAX_BYTES')!r}), e.g. 1073741824 for 1 GiB."
        )
    try:
        level = settings.getint("NEWSCRAWL_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
    except ValueError:
        level = -1
    if not 1 <= level <= 9:
        raise ReplaySettingsError(
            f"NEWSCRAWL_WARC_GZIP_LEVEL must be a zlib level from 1 to 9 "
            f"(got {settings.get('NEWSCRAWL_WARC_GZIP_LEVEL')!r}), e.g. 1 (fastest) or 9 (smallest)."
        )
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise ReplaySettingsError(
            f"NEWSCRAWL_WARC={directory} cannot be created ({exc.strerror}); "
            "point it at a writable directory."
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ReplaySettingsError(
            f"NEWSCRAWL_WARC={directory} is not writable; point it at a writable directory."
        )


class WarcAddon:
    """Adds :class:`~newscrawl.warc.WarcMiddleware` (950) when ``NEWSCRAWL_WARC`` is set: a crawl without
    it runs no archive code."""

    def update_settings(self, settings: BaseSettings) -> None:
        check_settings(settings)
        if settings.get("NEWSCRAWL_WARC"):
            # 955: nearer the downloader than RedirectMiddleware (600), RetryMiddleware (550) and
            # HttpCompressionMiddleware (590): redirects, retried errors and bodies as received.
            settings["DOWNLOADER_MIDDLEWARES"][MIDDLEWARE] = 955
