"""One crawl per store at a time: a lock held for the whole life of the crawl process.

SQLite's own write lock is held only while a batch is open, so a second crawl can slip in between two
commits (under Scrapyd, two jobs of the same project started close together). :class:`RunLock`, an
extension ordered before the store's owner (``newscrawl.ledger.Ledger``), takes an exclusive ``flock`` on
``<store>.lock`` when the crawler is built and keeps it until the engine stops; the kernel releases it
when the process dies, even by SIGKILL, so a killed crawl never leaves a stale lock behind.
A separate file, not the database itself: SQLite locks the database with POSIX locks, which ``flock``
must not interfere with (they are one and the same on NFS).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy import signals

from newscrawl.addon import store_path
from newscrawl.exceptions import StoreError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def lock_path(store: str | Path) -> Path:
    """The lock file beside a store.

    >>> str(lock_path("data/newscrawl.sqlite3"))
    'data/newscrawl.sqlite3.lock'
    """
    path = Path(store)
    return path.with_name(path.name + ".lock")


def hold(store: str | Path) -> int:
    """Take the store's run lock and return its file descriptor (keep it open to keep the lock).

    Raises StoreError, in one sentence, when another crawl holds it.
    """
    path = lock_path(store)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock file {path} ({exc.strerror}); "
            "set NEWSCRAWL_SQLITE to a file in a writable directory"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"another crawl is writing to {store}; wait for it or set NEWSCRAWL_SQLITE to another file"
        ) from None
    return fd


class RunLock:
    """Holds the run lock of the crawl's store (``NEWSCRAWL_SQLITE``) from build to engine stop."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # The store the ledger opens, also for a spider that replaces ADDONS.
        lock = cls(hold(store_path(crawler.settings)))  # StoreError: the crawl does not start
        crawler.signals.connect(lock.release, signal=signals.engine_stopped)
        return lock

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
