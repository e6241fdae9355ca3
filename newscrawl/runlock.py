"""One crawl per store at a time: a lock held for the whole life of the crawl process.

SQLite's own write lock is held only while a batch is open, so a second crawl can slip in between two
commits (under Scrapyd, two jobs of the same project started close together). The crawl command takes an
exclusive ``flock`` on ``<store>.lock`` before the crawl starts and keeps it until the process exits; the
kernel releases it even when the process is killed, so a killed crawl never leaves a stale lock behind.
A separate file, not the database itself: SQLite locks the database with POSIX locks, which ``flock``
must not interfere with (they are one and the same on NFS).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from newscrawl.store import StoreError


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
