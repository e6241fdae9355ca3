"""A feed storage for local files whose JSON Lines survive a killed crawl, each stored version once.

Scrapy's ``FileFeedStorage`` writes through a buffered file: a SIGKILL loses the buffer and can leave half
a line at the end, which breaks every JSON Lines reader and every later append. This storage writes each
exported line with one unbuffered, appending ``write`` and, before appending to a file left by an earlier
run, cuts a torn last line back to the last newline. It serves the ``file`` scheme and plain paths, so
``-o``/``-O`` on the command line use it too.

With the ledger (:mod:`newscrawl.ledger`) running, the store records at each commit how many bytes of the
file its committed items cover. Lines past that point were written by a run killed before its commit:
their items are not in the store and the next run fetches and exports them again, so they are cut here
first. That makes the file hold each stored article version exactly once.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy.extensions.feedexport import FileFeedStorage

from newscrawl.ledger import Ledger

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024


def cut_torn_tail(path: str | Path) -> int:
    """Truncate path after its last newline; return how many bytes were cut (0 for a whole file).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "a.jsonl")
    ...     _ = p.write_bytes(b'{"a": 1}\\n{"a": 2}\\n{"a"')
    ...     cut_torn_tail(p), p.read_bytes(), cut_torn_tail(p)
    (4, b'{"a": 1}\\n{"a": 2}\\n', 0)
    """
    path = Path(path)
    if not path.is_file():
        return 0
    with path.open("r+b") as file:
        size = file.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            file.seek(start)
            chunk = file.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            file.truncate(keep)
        return size - keep


class UnbufferedFile(io.FileIO):
    """A raw file whose ``write`` hands all its bytes to the OS before returning."""

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        written = 0
        # A regular file takes the whole buffer in one call; the loop only guards a short write.
        while written < len(view):
            written += super().write(view[written:]) or 0
        return written


class LineSafeFileFeedStorage(FileFeedStorage):
    """FileFeedStorage that repairs a torn last line before appending and writes each line unbuffered."""

    def __init__(
        self,
        uri: str,
        *,
        feed_options: dict[str, Any] | None = None,
        stats: StatsCollector | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.stats = stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None) -> Self:
        return cls(uri, feed_options=feed_options, stats=crawler.stats, crawler=crawler)

    def open(self, spider: Spider) -> UnbufferedFile:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab":
            torn = cut_torn_tail(path)
            if torn:
                logger.warning(
                    "Cut a torn last line of %d bytes from %s (an earlier run was killed)", torn, path
                )
                if self.stats is not None:
                    self.stats.inc_value("newscrawl/feeds/torn_tail_bytes", torn)
        # Asked here, not in from_crawler: the feed exporter builds storages before the ledger exists.
        ledger = self.crawler.get_extension(Ledger) if self.crawler is not None else None
        committed = ledger.feed_opened(str(path)) if ledger is not None else None
        if self.write_mode == "ab" and committed is not None and path.is_file():
            self._cut_uncommitted(path, committed)
        return UnbufferedFile(path, "ab" if self.write_mode == "ab" else "wb")

    def _cut_uncommitted(self, path: Path, committed: int) -> None:
        size = path.stat().st_size
        if size <= committed:
            return  # shorter: rotated or cut by hand; nothing of ours to take back
        with path.open("r+b") as file:
            file.seek(committed)
            lines = file.read().count(b"\n")
            file.truncate(committed)
        logger.warning(
            "Cut %d lines (%d bytes) from %s that a killed run wrote but never committed to the store; "
            "their items are fetched and exported again",
            lines,
            size - committed,
            path,
        )
        if self.stats is not None:
            self.stats.inc_value("newscrawl/feeds/uncommitted_lines", lines)
