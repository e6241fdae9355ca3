"""The simulator's HTTP side: a Twisted Web resource that renders pages, injects faults and counts.

Control endpoints (never faulted):

- ``GET /_sim/state``: the site's clock, size, options and counters as JSON;
- ``POST /_sim/advance?add=K&change=M``: publish K new articles and correct M recent headlines (the
  story snapshot moves from ``snapshot`` to ``snapshot-next`` instead); answers with their URLs;
- ``POST /_sim/reset``: zero the counters (requests per page kind, faults per kind);
- ``POST /_sim/faults?fault=KIND=RATE[:SCOPE]&...&seed=N``: replace the fault plan (none: a healthy site);
- ``POST /_sim/correct?path=/en/...``: correct the headline of that article, however old it is;
- ``POST /_sim/cursor?ignore=1``: batch endpoints ignore any cursor that is not the timestamp of one of
  the listing's own cards (they answer from the newest, as for no cursor); ``ignore=0`` honours any date;
- ``POST /_sim/archive?drop=1``: the daily archive ``/archive/YYYY/MM/DD`` answers 404 for every day
  (``drop=0`` serves it again: a day's cards in the listing markup, 404 for a day without articles);
- ``POST /_sim/markup?lose=image&lose=author``: article pages lose every piece of markup of those parts
  (the photo in the page, ``og:image`` and JSON-LD ``image``; the JSON-LD author; the tag links and
  ``article:tag``), as a redesign that the parser was not written for would; no ``lose``: the usual markup;
- ``GET /_sim/articles``: the site's own truth, every article as ``{url, title, published}``.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal, cast
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from twisted.internet import reactor
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from fixtures.generator import render
from fixtures.generator.build import SnapshotIndex
from fixtures.generator.stories import NEXT_AT, SNAPSHOT_AT, load_stories

from .faults import Fault, FaultPlan, FaultSpecError
from .timeline import GeneratedIndex

CONTROL = "/_sim/"


@dataclass
class Site:
    """Everything the server needs: the stories (generated or the snapshot's), weight, faults, counters."""

    index: GeneratedIndex | SnapshotIndex
    weight: render.Weight = "light"
    js_listings: bool = False
    ignore_cursor: bool = False  # honour only the cursors of the listing's own cards
    archive: bool = True  # serve the daily archive /archive/YYYY/MM/DD
    faults: FaultPlan = field(default_factory=FaultPlan)
    counts: Counter[str] = field(default_factory=Counter)
    lost: frozenset[str] = frozenset()  # parts article pages no longer show (/_sim/markup)

    @classmethod
    def from_stories(cls, moment: Literal["snapshot", "snapshot-next"], **options: Any) -> Site:
        at = SNAPSHOT_AT if moment == "snapshot" else NEXT_AT
        return cls(SnapshotIndex(load_stories(), at), **options)

    def state(self) -> dict[str, Any]:
        index = self.index
        common = {
            "weight": self.weight,
            "js_listings": self.js_listings,
            "ignore_cursor": self.ignore_cursor,
            "archive": self.archive,
            "lost": sorted(self.lost),
            "faults": [
                f"{f.kind}={f.rate:g}:{f.scope}{':once' if f.once else ''}" for f in self.faults.faults
            ],
            "counts": dict(sorted(self.counts.items())),
        }
        if isinstance(index, SnapshotIndex):
            return {"mode": "stories", "now": index.moment.isoformat(), **common}
        return {
            "mode": "generated",
            "seed": index.seed,
            "articles": len(index),
            "added": index.added,
            "generation": index.generation,
            "oldest": index.oldest.isoformat(),
            "now": index.now.isoformat(),
            "now_baku": index.now.isoformat() + "+04:00",
            "feed_size": index.feed_size,
            "category_size": index.category_size,
            **common,
        }

    def articles(self) -> list[dict[str, str]]:
        """Every article the site lists, newest first: its URL, current headline and publishing time."""
        index = self.index
        if isinstance(index, SnapshotIndex):
            return []
        return [
            {"url": story.url, "title": story.title, "published": story.published.isoformat()}
            for story in index.stories()
        ]

    def advance(self, add: int, change: int) -> dict[str, Any]:
        if isinstance(self.index, SnapshotIndex):
            self.index = SnapshotIndex(self.index.stories, NEXT_AT)
            return {"now": NEXT_AT.isoformat()}
        new, changed = self.index.advance(add, change)
        return {
            "now": self.index.now.isoformat(),
            "new": [s.url for s in new],
            "changed": [s.url for s in changed],
        }


class SiteResource(Resource):
    isLeaf = True

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site

    # -- control ---------------------------------------------------------------------------------

    def render_POST(self, request: Request) -> bytes:
        path = _path(request)
        query = parse_qs(urlsplit(request.uri.decode("latin-1")).query)
        if path == CONTROL + "advance":
            try:
                add = int(query.get("add", ["0"])[0])
                change = int(query.get("change", ["0"])[0])
            except ValueError:
                return _json(request, {"error": "add and change must be whole numbers"}, 400)
            return _json(request, self.site.advance(add, change))
        if path == CONTROL + "faults":
            try:
                self.site.faults = FaultPlan(
                    tuple(Fault.parse(spec) for spec in query.get("fault", [])),
                    seed=int(query.get("seed", ["0"])[0]),
                    hang_seconds=self.site.faults.hang_seconds,
                    slow_seconds=self.site.faults.slow_seconds,
                )
            except (FaultSpecError, ValueError) as error:
                return _json(request, {"error": str(error)}, 400)
            return _json(request, {"faults": self.site.state()["faults"]})
        if path == CONTROL + "correct":
            index = self.site.index
            target = query.get("path", [""])[0]
            if not isinstance(index, GeneratedIndex):
                return _json(request, {"error": "only a generated site can correct a headline"}, 400)
            story = index.correct(target)
            if story is None:
                return _json(request, {"error": f"no article at {target!r}"}, 404)
            return _json(request, {"url": story.url, "title": story.title})
        if path == CONTROL + "cursor":
            self.site.ignore_cursor = query.get("ignore", ["1"])[0] not in ("0", "false", "")
            return _json(request, {"ignore_cursor": self.site.ignore_cursor})
        if path == CONTROL + "archive":
            self.site.archive = query.get("drop", ["1"])[0] in ("0", "false", "")
            return _json(request, {"archive": self.site.archive})
        if path == CONTROL + "markup":
            lost = frozenset(query.get("lose", []))
            unknown = sorted(lost - set(LOSABLE))
            if unknown:
                return _json(request, {"error": f"cannot lose {unknown}; one of {sorted(LOSABLE)}"}, 400)
            self.site.lost = lost
            return _json(request, {"lost": sorted(lost)})
        if path == CONTROL + "reset":
            self.site.counts.clear()
            self.site.faults.attempts.clear()
            return _json(request, {"ok": True})
        return _json(request, {"error": f"no control endpoint {path}"}, 404)

    # -- pages -----------------------------------------------------------------------------------

    def render_GET(self, request: Request) -> bytes | int:
        raw = request.uri.decode("latin-1")
        path = _path(request)
        if path == CONTROL + "state":
            return _json(request, self.site.state())
        if path == CONTROL + "articles":
            return _json(request, {"articles": self.site.articles()})
        found = render.route(raw.removeprefix(render.JS_PREFIX))
        if found is not None and found.kind == "archive" and not self.site.archive:
            found = None  # the archive dropped: every day answers 404
        kind = "404" if found is None else found.kind
        self.site.counts[f"requests/{kind}"] += 1
        page_class: Literal["article", "listing", "batch", "other"] = (
            "other"
            if found is None or kind == "robots"
            else "article"
            if kind == "article"
            else "batch"
            if kind.endswith("_batch")
            else "listing"
        )
        fault = self.site.faults.draw(raw, page_class)
        if fault == "redirect" and (path.endswith("/") or "?" in raw):
            fault = None  # only a slash-less path without a query can be redirected to its slash form
        if fault is not None:
            self.site.counts[f"faults/{fault}"] += 1
            self.site.counts[f"faults/{fault}/{kind}"] += 1
        if self.site.ignore_cursor and found is not None and found.cursor is not None:
            raw = _unless_own_cursor(self.site.index, found, raw)
        page = (
            None
            if found is None
            else render.render(_served(self.site), raw, self.site.weight, self.site.js_listings)
        )
        if page is None:
            request.setResponseCode(404)
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            body = b"<!DOCTYPE html><html><body><h1>404</h1></body></html>"
        else:
            request.setHeader(b"Content-Type", page.content_type.encode())
            body = page.body.encode("utf-8")
        return self._answer(request, body, fault, raw)

    def _answer(self, request: Request, body: bytes, fault: str | None, raw: str) -> bytes | int:
        plan = self.site.faults
        if fault is None:
            return body
        if fault == "5xx":
            status = (500, 502, 503, 504)[zlib.crc32(raw.encode()) % 4]
            request.setResponseCode(status)
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            return f"<html><body><h1>{status}</h1></body></html>".encode()
        if fault == "429":
            request.setResponseCode(429)
            request.setHeader(b"Retry-After", b"2")
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            return b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        if fault == "empty":
            request.setHeader(b"Content-Length", b"0")
            return b""
        if fault == "redirect":
            host = (request.getHeader(b"host") or b"127.0.0.1").decode("latin-1")
            request.setResponseCode(301)
            request.setHeader(b"Location", f"http://{host}{_path(request)}/".encode())
            return b""
        if fault == "slow":
            _later(request, plan.slow_seconds, lambda: _finish(request, body))
            return NOT_DONE_YET
        if fault == "hang":
            _later(request, plan.hang_seconds, lambda: _finish(request, body))
            return NOT_DONE_YET
        # reset and truncate: announce the whole body, send part of it, then cut the connection.
        request.setHeader(b"Content-Length", str(len(body)).encode())
        request.write(body[: max(1, len(body) // 2)])
        transport: Any = request.channel.transport if request.channel is not None else None
        if transport is not None:
            if fault == "reset":
                # Give the part a moment to leave, then abort: the peer sees a reset mid-body.
                _later(request, 0.05, transport.abortConnection)
            else:
                transport.loseConnection()  # flushes the part, then closes cleanly
        return NOT_DONE_YET


# Story fields a redesign can lose, and their empty value: with it, the page renders none of their markup.
LOSABLE: dict[str, Any] = {"image": None, "author": None, "tags": ()}


class _Redesigned:
    """An index whose article pages render without the lost parts; everything else as the index's."""

    def __init__(self, index: GeneratedIndex | SnapshotIndex, lost: frozenset[str]) -> None:
        self.index = index
        self.lost = lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)

    def article(self, path: str) -> render.ArticleView | None:
        view = self.index.article(path)
        if view is None:
            return None
        story = replace(view.story, **{part: LOSABLE[part] for part in self.lost})
        return replace(view, story=story)


def _served(site: Site) -> Any:
    # Any: the wrapper stands for the index through __getattr__, which render's Protocol cannot see.
    return _Redesigned(site.index, site.lost) if site.lost else site.index


def _unless_own_cursor(index: GeneratedIndex | SnapshotIndex, found: render.Route, raw: str) -> str:
    """``raw`` as it is when its cursor is the timestamp of one of the listing's cards, else without it."""
    assert found.cursor is not None
    below = index.listing(found.lang, found.category, found.cursor + timedelta(seconds=1), 1)
    if below and below[0].published == found.cursor:
        return raw
    parts = urlsplit(raw)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("date", "oldest")]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _later(request: Request, seconds: float, action: Any) -> None:
    # Any: Twisted types the global reactor with zope interfaces, which mypy cannot read.
    call: Any = cast(Any, reactor).callLater(seconds, action)

    def cancel(_: Failure | None) -> None:
        if call.active():
            call.cancel()

    request.notifyFinish().addBoth(cancel)


def _finish(request: Request, body: bytes) -> None:
    if not request.finished and request.channel is not None:
        request.write(body)
        request.finish()


def _path(request: Request) -> str:
    return urlsplit(request.uri.decode("latin-1")).path


def _json(request: Request, data: dict[str, Any], status: int = 200) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", b"application/json")
    return json.dumps(data).encode()
