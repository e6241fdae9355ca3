"""Re-extraction: every article page of a WARC archive parsed again with the current parser and stored
through the store's rules, without a request to anyone (``scrapy reextract``, docs/warc.md).

- The page of an article is its latest ``response`` record with status 200 (an article fetched by
  several runs is judged by the page it had last).
- Each page is parsed as the spider parses it (``newscrawl.parsing.parse_article`` on the decoded
  response, the article named by the URL it was fetched from) and checked as ``ValidatePipeline`` checks
  it.
- Stored as the ledger stores a crawled article: another URL of a stored site id is that article; an
  article whose content hash did not change is counted and not rewritten; a changed one becomes a new
  version (``version + 1``, the previous hash kept) with ``change_reason = 'reextracted'``, keeping the
  card it was stored for and its run; an article the store does not have yet is stored new.
- Each new or changed version is also appended to the articles' JSON Lines the store keeps offsets for
  (the ledger's commit order: the line first, then the commit that records the file's size), so the file
  still holds every stored version once.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from itemadapter import ItemAdapter
from scrapy.exporters import JsonLinesItemExporter
from scrapy.http import Headers, Response

from newscrawl.encoding import decoded
from newscrawl.feeds import UnbufferedFile, cut_torn_tail
from newscrawl.items import Article
from newscrawl.parsing import parse_article
from newscrawl.pipelines import missing_field
from newscrawl.replay.record import decode_body
from newscrawl.site import LANGUAGES, canonical_url, is_article_url, language_of
from newscrawl.store import Card, Store, content_hash
from newscrawl.warc.reader import ReadReport, iter_records, read_record, warc_files

if TYPE_CHECKING:
    from io import BytesIO

logger = logging.getLogger(__name__)

REASON = "reextracted"


@dataclass
class Summary:
    """What a re-extraction did."""

    pages: int = 0  # response records read
    articles: int = 0  # article pages parsed (the latest of each URL)
    changed: int = 0
    unchanged: int = 0
    new: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    torn: int = 0
    bad_digest: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        failed = ", ".join(f"{reason} {n}" for reason, n in sorted(self.failed.items())) or "none"
        rate = self.articles / self.seconds if self.seconds else 0.0
        return [
            f"pages read: {self.pages} (torn records skipped: {self.torn}, bad digests: {self.bad_digest})",
            f"articles parsed: {self.articles} in {self.seconds:.1f} s ({rate:.1f} pages/s)",
            f"changed: {self.changed} (new versions, reason {REASON})",
            f"unchanged: {self.unchanged}",
            f"new to the store: {self.new}",
            f"failed: {sum(self.failed.values())} ({failed})",
        ]


@dataclass(frozen=True)
class Page:
    """Where the latest archived page of an article is."""

    url: str
    date: str
    path: str
    offset: int


def sources(arguments: Iterable[str]) -> list[Path]:
    """The WARC files named by the command line: files, and the WARC files of directories."""
    files: list[Path] = []
    for argument in arguments:
        found = warc_files(argument)
        if not found:
            raise ValueError(f"{argument} is no WARC file and no directory holding any (*.warc.gz, *.warc)")
        files.extend(found)
    return list(dict.fromkeys(files))


def article_pages(files: list[Path], summary: Summary) -> list[Page]:
    """The latest 200 response of each article URL in the files, and the count of pages read."""
    report = ReadReport()
    latest: dict[str, Page] = {}
    for record in iter_records(files, report):
        if record.type != "response":
            continue
        summary.pages += 1
        url = record.uri
        if not url.startswith(("https://report.az/", "http://report.az/")) or not is_article_url(url):
            continue
        if not record.block.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            continue
        page = Page(url, record.date, str(record.path), record.offset)
        current = latest.get(url)
        if current is None or page.date >= current.date:
            latest[url] = page
    summary.torn = sum(report.torn.values())
    summary.bad_digest = sum(report.bad_digest.values())
    return sorted(latest.values(), key=lambda p: (p.date, p.url))


def extract(page: Page) -> tuple[Page, dict[str, Any] | None, str | None]:
    """Parse one archived page: (page, article fields, None) or (page, None, failure reason)."""
    try:
        record = read_record(Path(page.path), page.offset)
        http, payload = record.http()
        headers = Headers()
        for name, value in http.headers:
            headers.appendlist(name, value.encode("latin-1"))
        body, left = decode_body(payload, (headers.get("Content-Encoding") or b"").decode("latin-1"))
        if left:
            return page, None, "undecodable_body"
        headers.pop("Content-Encoding", None)
        response = Response(url=page.url, status=int(http.get_statuscode()), headers=headers, body=body)
        fetched_at = datetime.fromisoformat(page.date.replace("Z", "+00:00")).isoformat(timespec="seconds")
        article = parse_article(decoded(response), fetched_at=fetched_at)
    except Exception as exc:
        logger.debug("%s cannot be parsed: %r", page.url, exc)
        return page, None, "parse_error"
    # The spider's rule: an article is the page it was fetched from, whatever its canonical link says.
    fetched = canonical_url(page.url)
    if article.url != fetched:
        article.url = fetched
        article.language = language_of(fetched)
    fields = ItemAdapter(article).asdict()
    if fields.get("language") not in LANGUAGES:
        return page, None, "unknown_language"
    missing = missing_field(fields, "article")
    if missing is not None:
        return page, None, f"missing_{missing}"
    return page, fields, None


def _parsed(pages: list[Page], jobs: int) -> Iterator[tuple[Page, dict[str, Any] | None, str | None]]:
    if jobs <= 1 or len(pages) < 2:
        yield from map(extract, pages)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        yield from pool.imap(extract, pages, chunksize=8)


def store_article(store: Store, fields: dict[str, Any]) -> str:
    """Store one re-extracted article by the ledger's rules: ``changed``, ``unchanged`` or ``new``."""
    url = str(fields["url"])
    stored = store.article_hash(url)
    site_id = fields.get("site_id")
    if stored is None and site_id:
        first = store.url_for_site_id(str(site_id), str(fields.get("language")))
        if first is not None and first != url:
            fields["url"], stored = first, store.article_hash(first)
    url = str(fields["url"])
    if stored is not None and stored == content_hash(fields):
        return "unchanged"
    if stored is None:
        store.upsert_article(fields)
        return "new"
    resolved = store._resolve(url)
    fields["url"] = resolved
    row = store.connection.execute(
        "SELECT card_title, card_published_at, run_id FROM articles WHERE url = ?", (resolved,)
    ).fetchone()
    card = Card(row[0], row[1]) if row[0] is not None or row[1] is not None else None
    store.upsert_article(fields, card, row[2], reason=REASON)
    return "changed"


def articles_jsonl(store: Store) -> Path | None:
    """The articles' JSON Lines file whose committed size the store records, when there is one."""
    rows = store.connection.execute("SELECT path FROM feed_offsets WHERE path LIKE '%articles.jsonl'")
    paths = [Path(str(row[0])) for row in rows]
    return paths[0] if len(paths) == 1 else None


class Lines:
    """Appends article versions to a JSON Lines file, in the ledger's commit order."""

    def __init__(self, path: Path, store: Store) -> None:
        self.path = path.resolve()
        self.store = store
        torn = cut_torn_tail(self.path)
        committed = store.feed_offset(str(self.path))
        if committed is not None and self.path.is_file() and self.path.stat().st_size > committed:
            # Lines past the committed size were written by a killed run: not in the store.
            with open(self.path, "r+b") as handle:
                handle.truncate(committed)
        elif torn:
            logger.warning("Cut a torn last line of %d bytes from %s", torn, self.path)
        self.file = UnbufferedFile(self.path, "ab")
        # As the crawl's feed exports it (FEED_EXPORT_ENCODING utf-8), one unbuffered write per line.
        self.exporter = JsonLinesItemExporter(cast("BytesIO", self.file), encoding="utf-8")

    def write(self, fields: dict[str, Any]) -> None:
        self.exporter.export_item(Article(**fields))

    def commit(self) -> None:
        self.store.set_feed_offsets({str(self.path): self.path.stat().st_size}, None)
        self.store.commit()

    def close(self) -> None:
        self.file.close()


def reextract(
    files: list[Path],
    store: Store,
    *,
    jobs: int = 1,
    progress: TextIO | None = sys.stderr,
    every: float = 2.0,
    on_result: Callable[[str, str], None] | None = None,
    jsonl: Path | None = None,
) -> Summary:
    """Parse every article page of ``files`` again and store what changed (appending new versions to
    ``jsonl`` when given); returns the summary."""
    started = time.monotonic()
    summary = Summary()
    pages = article_pages(files, summary)
    lines = Lines(jsonl, store) if jsonl is not None else None
    commit = lines.commit if lines is not None else store.commit
    try:
        _store_all(pages, store, summary, jobs, progress, every, on_result, lines)
        commit()
    finally:
        if lines is not None:
            lines.close()
    summary.seconds = time.monotonic() - started
    return summary


def _store_all(
    pages: list[Page],
    store: Store,
    summary: Summary,
    jobs: int,
    progress: TextIO | None,
    every: float,
    on_result: Callable[[str, str], None] | None,
    lines: Lines | None,
) -> None:
    shown = time.monotonic()
    for done, (page, fields, failure) in enumerate(_parsed(pages, jobs), start=1):
        summary.articles += 1
        if fields is None:
            result = failure or "failed"
            summary.failed[result] += 1
        else:
            result = store_article(store, fields)
            setattr(summary, result, getattr(summary, result) + 1)
            if lines is not None and result != "unchanged":
                lines.write(fields)
            if store.pending >= 100:
                (lines.commit if lines is not None else store.commit)()
        if on_result is not None:
            on_result(page.url, result)
        now = time.monotonic()
        if progress is not None and (now - shown >= every or done == len(pages)):
            shown = now
            print(
                f"reextract: {done}/{len(pages)} articles, {summary.changed} changed, "
                f"{summary.unchanged} unchanged, {sum(summary.failed.values())} failed",
                file=progress,
                flush=True,
            )
