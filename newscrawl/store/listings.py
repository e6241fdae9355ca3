"""What the listings showed and how far they were walked: cards, 404s, owed articles, walks, and the
JSON Lines offsets that go with each commit. The rule "is a card known" is :meth:`Listings.card_known`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from itemadapter import ItemAdapter

from newscrawl.dates import utc_now
from newscrawl.store.db import Database, _json

if TYPE_CHECKING:
    from newscrawl.items import FeedEntry


@dataclass(frozen=True, slots=True)
class Card:
    """What a listing card says of its article: enough to tell whether the article changed since."""

    title: str | None
    published_at: str | None
    language: str = ""
    listing: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """An article owed to the next run (table ``failures``)."""

    url: str
    link: str
    language: str
    listing: str | None
    title: str | None
    published_at: str | None
    reason: str
    status: int | None
    attempts: int

    @property
    def card(self) -> Card:
        return Card(self.title, self.published_at, self.language, self.listing)


@dataclass(frozen=True, slots=True)
class HistoryPart:
    """How far the walks of one window of one listing got (table ``history``)."""

    language: str
    listing: str
    since: str
    until: str
    reached: str | None  # the cursor down to which the window is done
    reached_at: str | None  # the publishing time of the card that cursor names
    done: bool
    pages: int


@dataclass(frozen=True, slots=True)
class Walk:
    """How the latest walk of a listing ended (table ``walks``)."""

    run_id: int
    end_reason: str | None
    complete: bool
    floor: str | None


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the complete walks of one listing covered (table ``coverage``)."""

    language: str
    listing: str
    first_clock: str
    covered_from: str | None
    covered_until: str | None
    rechecked_at: str | None


def _history_part(row: Any) -> HistoryPart:
    return HistoryPart(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), int(row[7]))


_HISTORY = "language, listing, since, until, reached, reached_at, done, pages"
_COVERAGE = "language, listing, first_clock, covered_from, covered_until, rechecked_at"


# What a card says: a change of any of these is a corrected card, written to the JSON Lines again.
CARD_TEXT: tuple[str, ...] = ("title", "published_at", "category")


class Listings(Database):
    """The listing records of a store."""

    def card_known(self, url: str, card: Card, before_run: int | None = None) -> bool:
        """Whether the article behind a card needs no request: stored (or remembered as gone) for a card
        that read the same, by a run before ``before_run``.

        The comparison is against the card the article itself was stored for, never against the latest
        feed entry: a killed run may have committed a corrected card without the corrected article.
        """
        execute = self.connection.execute
        target = self._resolve(url)
        run_limit = before_run if before_run is not None else -1
        card_values = (card.title, card.published_at)
        row = execute(
            "SELECT 1 FROM articles WHERE url = ? AND card_title IS ? AND card_published_at IS ? "
            "AND (? < 0 OR run_id IS NULL OR run_id < ?) "
            "UNION ALL SELECT 1 FROM gone WHERE url IN (?, ?) AND title IS ? AND published_at IS ? LIMIT 1",
            (target, card.title, card.published_at, run_limit, run_limit, *(url, target), *card_values),
        ).fetchone()
        return row is not None

    def remember_gone(self, url: str, card: Card, status: int) -> None:
        """Record that the article page at url answered status (a 404), with the card that linked it."""
        self._write()
        self.connection.execute(
            "INSERT INTO gone (url, title, published_at, status, seen_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET title = excluded.title, published_at = excluded.published_at, "
            "status = excluded.status, seen_at = excluded.seen_at",
            (url, card.title, card.published_at, int(status), utc_now()),
        )
        self._wrote()

    def settle_failure(self, url: str) -> None:
        """The article owed at url was stored or answered 404: nothing is owed any more."""
        self._write()
        self.connection.execute("DELETE FROM failures WHERE url = ?", (url,))
        self._wrote()

    def record_failure(
        self,
        url: str,
        card: Card,
        reason: str,
        status: int | None,
        run_id: int | None,
        link: str | None = None,
    ) -> None:
        """Owe the article at url to the next run: it failed (after retries) or was never requested.
        ``link`` is the URL as the site links it (an old-design page keeps a trailing slash)."""
        now = utc_now()
        self._write()
        self.connection.execute(
            "INSERT INTO failures (url, link, language, listing, title, published_at, reason, status, "
            "first_failed, last_failed, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, status = excluded.status, "
            "attempts = attempts + 1, last_failed = excluded.last_failed, run_id = excluded.run_id, "
            "listing = coalesce(excluded.listing, listing)",
            (
                url,
                link or url,
                card.language,
                card.listing,
                card.title,
                card.published_at,
                reason,
                status,
                now,
                now,
                run_id,
            ),
        )
        self._wrote()

    def failures(self) -> list[Failure]:
        """Articles owed by earlier runs, oldest failure first."""
        rows = self.connection.execute(
            "SELECT url, link, language, listing, title, published_at, reason, status, attempts "
            "FROM failures ORDER BY first_failed, url"
        )
        return [Failure(*row) for row in rows]

    # -- feed entries ----------------------------------------------------------------------------------

    def upsert_feed_entry(self, entry: FeedEntry | Mapping[str, Any]) -> Literal["new", "changed", "seen"]:
        """Insert a card, or refresh a stored one (same url and listing) keeping its first_seen.

        ``changed`` when the stored card read otherwise (``CARD_TEXT``: a corrected headline, time or
        category), so that the correction reaches the JSON Lines once; ``seen`` when it reads the same
        (its position, thumbnail and listing page may differ: they move with every new story).
        """
        adapter = ItemAdapter(entry)
        seen = adapter.get("seen_at") or utc_now()
        key = (adapter["url"], adapter.get("listing") or "")
        card = (
            adapter.get("language"),
            adapter.get("title"),
            adapter.get("published_at"),
            adapter.get("category"),
            adapter.get("image_url"),
            _json(adapter.get("media")),
            adapter.get("listing_url"),
            adapter.get("position"),
        )
        self._write()
        inserted = self.connection.execute(
            "INSERT INTO feed_entries (url, listing, language, title, published_at, category, image_url, "
            "media, listing_url, position, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url, listing) DO NOTHING",
            (*key, *card, seen, seen),
        ).rowcount
        if inserted:
            self._wrote()
            return "new"
        before = self.connection.execute(
            f"SELECT {', '.join(CARD_TEXT)} FROM feed_entries WHERE url = ? AND listing = ?", key
        ).fetchone()
        self.connection.execute(
            "UPDATE feed_entries SET language = ?, title = ?, published_at = ?, category = ?, "
            "image_url = ?, media = ?, listing_url = ?, position = ?, last_seen = ? "
            "WHERE url = ? AND listing = ?",
            (*card, seen, *key),
        )
        self._wrote()
        return "seen" if tuple(before) == tuple(adapter.get(name) for name in CARD_TEXT) else "changed"

    # -- listing walks ------------------------------------------------------------------------------------

    def start_walk(
        self, run_id: int, language: str, listing: str, clock: str | None = None, recheck: bool = False
    ) -> None:
        """Record that a run began to walk a listing; until it ends, the walk is incomplete. ``clock`` (the
        run's "now") starts the listing's coverage record the first time it is walked."""
        self._write()
        self.connection.execute(
            "INSERT INTO walks (run_id, language, listing, started_at, recheck) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (run_id, language, listing, utc_now(), int(recheck)),
        )
        if clock is not None:
            self.connection.execute(
                "INSERT INTO coverage (language, listing, first_clock) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (language, listing, clock),
            )
        self._wrote()

    def coverages(self, current: bool = False) -> list[Coverage]:
        """What the walks of every listing covered; with ``current``, only listings that the latest run
        to walk their edition walked too (a category the site dropped stops holding the window back)."""
        rows = self.connection.execute(
            f"SELECT {_COVERAGE} FROM coverage c "
            "WHERE ? = 0 OR EXISTS (SELECT 1 FROM walks w WHERE w.language = c.language "
            "AND w.listing = c.listing AND w.run_id = "
            "(SELECT max(run_id) FROM walks l WHERE l.language = c.language)) "
            "ORDER BY language, listing",
            (int(current),),
        )
        return [Coverage(*row) for row in rows]

    def coverage(self, language: str, listing: str) -> Coverage | None:
        row = self.connection.execute(
            f"SELECT {_COVERAGE} FROM coverage WHERE language = ? AND listing = ?",
            (language, listing),
        ).fetchone()
        return None if row is None else Coverage(*row)

    def history_part(self, language: str, listing: str, since: str, until: str) -> HistoryPart | None:
        """How far earlier runs read this window of this listing, or None."""
        row = self.connection.execute(
            f"SELECT {_HISTORY} FROM history WHERE language = ? AND listing = ? AND since = ? AND until = ?",
            (language, listing, since, until),
        ).fetchone()
        return None if row is None else _history_part(row)

    def history_parts(self) -> list[HistoryPart]:
        rows = self.connection.execute(f"SELECT {_HISTORY} FROM history ORDER BY language, listing, until")
        return [_history_part(row) for row in rows]

    def set_history_part(self, part: HistoryPart, run_id: int | None) -> None:
        """Record how far a window of a listing is done."""
        self._write()
        self.connection.execute(
            f"INSERT INTO history ({_HISTORY}, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (language, listing, since, until) DO UPDATE SET reached = excluded.reached, "
            "reached_at = excluded.reached_at, done = excluded.done, pages = excluded.pages, "
            "run_id = excluded.run_id, updated_at = excluded.updated_at",
            (
                part.language,
                part.listing,
                part.since,
                part.until,
                part.reached,
                part.reached_at,
                int(part.done),
                part.pages,
                run_id,
                utc_now(),
            ),
        )
        self._wrote()

    def set_coverage(self, coverage: Coverage) -> None:
        """Record what a listing's walks now cover."""
        self._write()
        self.connection.execute(
            f"INSERT INTO coverage ({_COVERAGE}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (language, listing) DO UPDATE SET "
            "covered_from = excluded.covered_from, covered_until = excluded.covered_until, "
            "rechecked_at = excluded.rechecked_at",
            (
                coverage.language,
                coverage.listing,
                coverage.first_clock,
                coverage.covered_from,
                coverage.covered_until,
                coverage.rechecked_at,
            ),
        )
        self._wrote()

    def end_walk(
        self, run_id: int, language: str, listing: str, pages: int, reason: str, floor: str | None
    ) -> None:
        """Record how a walk ended; ``floor`` (the oldest moment it covers) is None for a cut-off walk."""
        self._write()
        self.connection.execute(
            "UPDATE walks SET ended_at = ?, pages = ?, end_reason = ?, complete = ?, floor = ? "
            "WHERE run_id = ? AND language = ? AND listing = ?",
            (utc_now(), pages, reason, int(floor is not None), floor, run_id, language, listing),
        )
        self._wrote()

    def spoil_walk(self, run_id: int, language: str, listing: str) -> None:
        """Mark a walk incomplete: an article behind one of its cards failed."""
        self._write()
        self.connection.execute(
            "UPDATE walks SET complete = 0, floor = NULL WHERE run_id = ? AND language = ? AND listing = ?",
            (run_id, language, listing),
        )
        self._wrote()

    def last_walk(self, language: str, listing: str, before_run: int) -> Walk | None:
        """The latest walk of a listing by a run before ``before_run``, complete or not."""
        row = self.connection.execute(
            "SELECT run_id, end_reason, complete, floor FROM walks "
            "WHERE language = ? AND listing = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1",
            (language, listing, before_run),
        ).fetchone()
        return None if row is None else Walk(int(row[0]), row[1], bool(row[2]), row[3])

    # -- JSON Lines offsets -------------------------------------------------------------------------------

    def feed_offset(self, path: str) -> int | None:
        """How many bytes of the JSON Lines file at path the store has committed, None if never recorded."""
        row = self.connection.execute("SELECT size FROM feed_offsets WHERE path = ?", (path,)).fetchone()
        return None if row is None else int(row[0])

    def set_feed_offsets(self, sizes: Mapping[str, int], run_id: int | None) -> None:
        """Record file sizes; call inside the transaction that commits the items behind those bytes."""
        if not sizes:
            return
        self._write()
        self.connection.executemany(
            "INSERT INTO feed_offsets (path, size, run_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, run_id = excluded.run_id, "
            "updated_at = excluded.updated_at",
            [(path, size, run_id, utc_now()) for path, size in sizes.items()],
        )
