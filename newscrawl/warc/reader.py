"""Reading WARC files back: every whole record, a torn one skipped and counted; the index of the latest
``response`` record of each URL (SQLite, built once per state of the files); the crawl's clock."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import sqlite3
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

logger = logging.getLogger(__name__)

SUFFIXES = (".warc.gz", ".warc")
_READ_ERRORS = (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error, IndexError)


def is_warc_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES) and not path.name.startswith(".")


def warc_files(source: Path | str) -> list[Path]:
    """The WARC files of a file or a directory (its own files, not subdirectories), in name order (the
    names start with the run's start time, so that is the order they were written in)."""
    path = Path(source)
    if path.is_file():
        return [path] if is_warc_file(path) else []
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_file() and is_warc_file(p))


def is_warc_source(source: Path | str) -> bool:
    """Whether ``NEWSCRAWL_REPLAY`` names WARC files (a file, or a directory holding some and no snapshot
    manifest) rather than a snapshot directory."""
    path = Path(source)
    if path.is_file():
        return is_warc_file(path)
    return path.is_dir() and not (path / "SNAPSHOT.json").exists() and bool(warc_files(path))


@dataclass
class Record:
    """One whole WARC record: its headers, its block, where it is."""

    path: Path
    offset: int
    type: str
    headers: StatusAndHeaders
    block: bytes

    @property
    def uri(self) -> str:
        return str(self.headers.get_header("WARC-Target-URI") or "")

    @property
    def date(self) -> str:
        return str(self.headers.get_header("WARC-Date") or "")

    def http(self) -> tuple[StatusAndHeaders, bytes]:
        """The HTTP status line and headers of a request or response record, and its payload."""
        stream = io.BytesIO(self.block)
        parsed = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False).parse(stream)
        return parsed, stream.read()

    def fields(self) -> dict[str, str]:
        """The ``name: value`` lines of a warcinfo or metadata record."""
        out = {}
        for line in self.block.decode("utf-8", errors="replace").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                out[name.strip()] = value.strip()
        return out


@dataclass
class ReadReport:
    """What a read went through: records by type, torn records and bad digests, by file."""

    records: Counter[str] = field(default_factory=Counter)
    torn: Counter[str] = field(default_factory=Counter)
    bad_digest: Counter[str] = field(default_factory=Counter)


def block_digest(block: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode("ascii")


def iter_records(
    paths: Iterable[Path], report: ReadReport | None = None, *, check_digests: bool = True
) -> Iterator[Record]:
    """Every whole record of the files, in order. A record cut short (a killed writer) ends its file's
    read: logged, counted in ``report.torn``, never raised. A record whose block digest does not match is
    skipped and counted in ``report.bad_digest``."""
    report = report if report is not None else ReadReport()
    for path in paths:
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle, no_record_parse=True, arc2warc=False)
            last = -1
            try:
                for raw in iterator:
                    block = raw.raw_stream.read()
                    offset = last = iterator.get_record_offset()
                    expected = int(raw.rec_headers.get_header("Content-Length") or -1)
                    if len(block) != expected:
                        raise EOFError(f"{len(block)} of {expected} bytes")
                    if check_digests:
                        digest = raw.rec_headers.get_header("WARC-Block-Digest")
                        if digest and digest != block_digest(block):
                            report.bad_digest[str(path)] += 1
                            logger.warning("%s at %d: block digest does not match, skipped", path, offset)
                            continue
                    report.records[raw.rec_type] += 1
                    yield Record(path, offset, raw.rec_type, raw.rec_headers, block)
            except _READ_ERRORS as exc:
                report.torn[str(path)] += 1
                logger.warning("%s ends in a torn record (%s): skipped", path, exc)
            else:
                # warcio ends quietly on a gzip member cut inside its first bytes: look past the last one.
                if _torn_tail(handle, last):
                    report.torn[str(path)] += 1
                    logger.warning("%s ends in a torn record (a cut gzip member): skipped", path)


def _torn_tail(handle: Any, last: int) -> bool:
    """Whether bytes follow the last whole gzip member (at ``last``; -1: none) of a gzipped file."""
    handle.seek(0)
    if handle.read(2) != b"\x1f\x8b":
        return False  # an uncompressed WARC: warcio reads a cut one as an error, caught above
    handle.seek(max(last, 0))
    data = handle.read()
    if last < 0:
        return bool(data.strip(b"\x00"))
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decompressor.decompress(data)
    return not decompressor.eof or bool(decompressor.unused_data.strip(b"\x00"))


def read_record(path: Path, offset: int) -> Record:
    """The record at ``offset`` of ``path``."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return next(iter_records_from(handle, path, offset))


def iter_records_from(handle: Any, path: Path, base: int) -> Iterator[Record]:
    iterator = ArchiveIterator(handle, no_record_parse=True, arc2warc=False)
    for raw in iterator:
        yield Record(path, base, raw.rec_type, raw.rec_headers, raw.raw_stream.read())
        return


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of a file's first record when it is a ``warcinfo``; empty otherwise."""
    with contextlib.suppress(*_READ_ERRORS, StopIteration):
        record = next(iter_records([path], ReadReport()))
        if record.type == "warcinfo":
            return record.fields()
    return {}


def archive_clock(source: Path | str) -> datetime | None:
    """The clock of the last run archived in ``source`` (its warcinfo's ``newscrawl-clock``), or None."""
    for path in reversed(warc_files(source)):
        clock = warcinfo(path).get("newscrawl-clock")
        if clock:
            return datetime.fromisoformat(clock)
    return None


# -- the index ---------------------------------------------------------------------------------------------

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, "
    "torn INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS responses (uri TEXT NOT NULL, date TEXT NOT NULL, path TEXT NOT NULL, "
    "offset INTEGER NOT NULL, status INTEGER, seq INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS responses_uri ON responses(uri, date, seq)",
)


INDEX_VERSION = 1  # raise when the index's tables or what goes into them change


def index_path(source: Path) -> Path:
    """Where the index of ``source`` is cached: a per-user temporary directory, one file per archive."""
    key = hashlib.sha1(f"{INDEX_VERSION}:{source.resolve()}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newscrawl-warc-index-{os.getuid()}" / f"{key}.sqlite3"


class WarcIndex:
    """The latest ``response`` record of each URL in a WARC file or directory.

    Built once: the index keeps each file's size and modification time, and only files that are new or
    changed since are read again (a directory an archive is still being written into is re-read only
    for its growing file).
    """

    def __init__(self, source: Path, db: Path | None = None) -> None:
        self.source = source
        self.db_path = db or index_path(source)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self.report = ReadReport()
        for statement in _SCHEMA:
            self.connection.execute(statement)
        self.refresh()

    def refresh(self) -> int:
        """Index the files not indexed in their present state; returns how many were (re)read."""
        execute = self.connection.execute
        files = warc_files(self.source)
        known = {
            str(row[0]): (int(row[1]), int(row[2]))
            for row in execute("SELECT path, size, mtime_ns FROM files")
        }
        present = {str(p.resolve()) for p in files}
        execute("BEGIN IMMEDIATE")
        try:
            for gone in set(known) - present:
                execute("DELETE FROM responses WHERE path = ?", (gone,))
                execute("DELETE FROM files WHERE path = ?", (gone,))
            changed = 0
            for path in files:
                resolved = str(path.resolve())
                stat = path.stat()
                if known.get(resolved) == (stat.st_size, stat.st_mtime_ns):
                    continue
                changed += 1
                execute("DELETE FROM responses WHERE path = ?", (resolved,))
                report = ReadReport()
                rows = []
                for seq, record in enumerate(iter_records([path], report, check_digests=False)):
                    if record.type != "response" or not record.uri:
                        continue
                    status = _status(record.block)
                    rows.append((record.uri, record.date, resolved, record.offset, status, seq))
                self.connection.executemany("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?)", rows)
                torn = sum(report.torn.values())
                self.report.torn.update(report.torn)
                execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                    (resolved, stat.st_size, stat.st_mtime_ns, torn),
                )
            execute("COMMIT")
        except BaseException:
            execute("ROLLBACK")
            raise
        return changed

    def torn(self) -> int:
        """Torn records in the indexed files."""
        return int(self.connection.execute("SELECT coalesce(sum(torn), 0) FROM files").fetchone()[0])

    def latest(self, uri: str) -> Record | None:
        """The latest response record of ``uri`` (by WARC-Date, then by order in the archive)."""
        row = self.connection.execute(
            "SELECT path, offset FROM responses WHERE uri = ? "
            "ORDER BY date DESC, path DESC, seq DESC LIMIT 1",
            (uri,),
        ).fetchone()
        return None if row is None else read_record(Path(row[0]), int(row[1]))

    def uris(self) -> list[str]:
        return [str(r[0]) for r in self.connection.execute("SELECT DISTINCT uri FROM responses ORDER BY uri")]

    def close(self) -> None:
        self.connection.close()


def _status(block: bytes) -> int | None:
    line = block.split(b"\r\n", 1)[0].split()
    try:
        return int(line[1])
    except (IndexError, ValueError):
        return None
