"""Wiring: replay and record switched on only when their setting is set, checked once; the snapshot's
clock."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.exceptions import ReplaySettingsError
from newscrawl.warc.reader import archive_clock, is_warc_source

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


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
        if os.path.isfile(replay) and is_warc_source(replay):
            if not os.access(replay, os.R_OK):
                raise ReplaySettingsError(f"NEWSCRAWL_REPLAY={replay} is not readable; fix its permissions.")
            return
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
    _check_record(record)


def _check_record(record: str) -> None:
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


def snapshot_clock(replay_dir: str | None) -> datetime | None:
    """The moment a replayed snapshot was taken (its SNAPSHOT.json ``fetched_at``), or None. For WARC
    files, the clock of the last run they archive (its warcinfo's ``newscrawl-clock``)."""
    if not replay_dir:
        return None
    if is_warc_source(replay_dir):
        return archive_clock(replay_dir)
    manifest = Path(replay_dir) / "SNAPSHOT.json"
    if not manifest.is_file():
        return None
    fetched_at = json.loads(manifest.read_text(encoding="utf-8")).get("fetched_at")
    return datetime.fromisoformat(fetched_at) if fetched_at else None
