"""WARC files of one run: named for the run, each opened with a ``warcinfo`` record, gzipped per record,
rotated by size, every record written whole and flushed before the next."""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WARC_VERSION = "WARC/1.1"
DEFAULT_MAX_BYTES = 1024**3  # 1 GiB
SUFFIX = ".warc.gz"


def warc_date(moment: datetime) -> str:
    """A WARC/1.1 date (UTC, microseconds).

    >>> warc_date(datetime(2026, 1, 29, 17, 0, 1, 250000, tzinfo=UTC))
    '2026-01-29T17:00:01.250000Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_name(run_start: datetime, run_id: str, serial: int) -> str:
    """The name of a run's ``serial``-th file.

    >>> file_name(datetime(2026, 1, 29, 17, 0, tzinfo=UTC), "4242", 1)
    'newscrawl-20260129T170000Z-4242-00001.warc.gz'
    """
    return f"newscrawl-{run_start.astimezone(UTC):%Y%m%dT%H%M%SZ}-{run_id}-{serial:05d}{SUFFIX}"


# zlib level 1 instead of warcio's 9: on a heavy page (188 KB) a tenth of the CPU for 16 % more bytes
# (docs/warc.md); NEWSCRAWL_WARC_GZIP_LEVEL changes it.
DEFAULT_GZIP_LEVEL = 1


def serialize(records: list[Any], level: int = DEFAULT_GZIP_LEVEL) -> bytes:
    """Records as bytes: one gzip member per record (as warcio writes them, at zlib ``level``), digests
    and lengths computed by warcio."""
    out = []
    for record in records:
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
        compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        out.append(compressor.compress(buffer.getvalue()) + compressor.flush())
    return b"".join(out)


class RunWriter:
    """Writes the WARC records of one run into ``directory``.

    A new file is started when the run starts (files are never appended to across runs) and when the
    next group of records would take the current file past ``max_bytes``; each file begins with the
    ``warcinfo`` record that ``info`` gives. A group (a request with its response, a response with its
    metadata) is written in one ``write`` and flushed, so a killed process leaves at most its last group
    torn, which readers skip and count (``newscrawl.warc.reader``).
    """

    def __init__(
        self,
        directory: Path,
        info: Mapping[str, str],
        max_bytes: int = DEFAULT_MAX_BYTES,
        run_start: datetime | None = None,
        run_id: str | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
    ) -> None:
        self.directory = directory
        self.gzip_level = gzip_level
        self.info = dict(info)
        self.max_bytes = max(1, max_bytes)
        self.run_start = run_start or datetime.now(UTC)
        self.run_id = run_id or str(os.getpid())
        self.builder = RecordBuilder(warc_version=WARC_VERSION)
        self.serial = 0
        self.files: list[Path] = []
        self._handle: BinaryIO | None = None
        self._size = 0
        self._records_in_file = 0

    # -- records -----------------------------------------------------------------------------------------

    def exchange(
        self,
        url: str,
        moment: datetime,
        request: tuple[str, list[tuple[str, str]], bytes] | None,
        response: tuple[int, str, list[tuple[str, str]], bytes],
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Write one fetch of ``url``: a ``request`` record (method, headers, body) when given, the
        ``response`` record (status, reason, headers, body as received), and a ``metadata`` record of
        fields about it when given."""
        date = warc_date(moment)
        status, reason, headers, body = response
        response_record = self.builder.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        response_id = response_record.rec_headers.get_header("WARC-Record-ID")
        records = [response_record]
        if request is not None:
            method, request_headers, request_body = request
            split = url.split("/", 3)
            target = "/" + (split[3] if len(split) > 3 else "")
            records.append(
                self.builder.create_warc_record(
                    url,
                    "request",
                    payload=io.BytesIO(request_body),
                    length=len(request_body),
                    http_headers=StatusAndHeaders(
                        f"{method} {target} HTTP/1.1", request_headers, is_http_request=True
                    ),
                    warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
                )
            )
        if metadata is not None:
            fields = _warc_fields(metadata)
            records.append(
                self.builder.create_warc_record(
                    url,
                    "metadata",
                    payload=io.BytesIO(fields),
                    length=len(fields),
                    warc_content_type="application/warc-fields",
                    warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": response_id},
                )
            )
        self.write(serialize(records, self.gzip_level))

    def write(self, data: bytes) -> None:
        """Append serialized records, rotating first when they would take the file past the limit."""
        if self._handle is not None and self._records_in_file and self._size + len(data) > self.max_bytes:
            self.close()
        if self._handle is None:
            self._open()
        assert self._handle is not None
        self._handle.write(data)
        self._handle.flush()
        self._size += len(data)
        self._records_in_file += 1

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            self.serial += 1
            path = self.directory / file_name(self.run_start, self.run_id, self.serial)
            try:
                # "x": a file of another run (or of this one) is never written into.
                handle = open(path, "xb", buffering=0)  # noqa: SIM115 (kept open across calls)
            except FileExistsError:
                continue
            break
        self._handle = handle
        self.files.append(path)
        info = {**self.info, "newscrawl-file-serial": str(self.serial)}
        record = self.builder.create_warcinfo_record(path.name, info)
        record.rec_headers.replace_header("WARC-Date", warc_date(datetime.now(UTC)))
        data = serialize([record], self.gzip_level)
        handle.write(data)
        self._size = len(data)
        self._records_in_file = 0

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _warc_fields(fields: Mapping[str, str]) -> bytes:
    lines = [f"{name}: {' '.join(str(value).split())}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
