"""How far an edition's history walk has come and how long the rest will take.

The spider feeds a :class:`HistoryReading` with each page its history walk reads. The reading puts the
walk's position, the articles a day it finds there and an estimate of the time left into the crawl's
stats (``newscrawl/history/...``), which the periodic progress line shows, and gives the line the log
prints at the end of each history walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

# The stats the progress line reads, per edition (``<key>/<lang>``).
REACHED = "newscrawl/history/reached"
PER_DAY = "newscrawl/history/articles_per_day"
ETA_HOURS = "newscrawl/history/eta_hours"


@dataclass
class HistoryReading:
    """One edition's history walk in this run: where it entered, the oldest card it read, and how many
    cards and listing pages lay between."""

    oldest: datetime  # the history date: the walk's goal
    entered: datetime | None = None
    reached: datetime | None = None
    cards: int = 0
    pages: int = 0

    def page(self, newest: datetime | None, oldest: datetime | None, cards: int) -> None:
        """A listing page of the walk, with the newest and oldest card moments it showed."""
        self.pages += 1
        self.cards += cards
        if self.entered is None and newest is not None:
            self.entered = newest
        if oldest is not None:
            self.reached = oldest if self.reached is None else min(self.reached, oldest)

    def estimate(self, seconds_per_request: float) -> Estimate | None:
        """Articles a day at the walk's position and the time to the goal at ``seconds_per_request``;
        None before the walk has read a stretch of time."""
        if self.entered is None or self.reached is None or self.reached >= self.entered:
            return None
        days_read = (self.entered - self.reached).total_seconds() / 86400
        per_day, pages_per_day = self.cards / days_read, self.pages / days_read
        days_left = max((self.reached - self.oldest).total_seconds() / 86400, 0.0)
        pages_left = days_left * pages_per_day
        requests_left = pages_left + days_left * per_day  # each page, and each article it lists
        return Estimate(self.reached, per_day, days_left, pages_left, requests_left * seconds_per_request)


@dataclass(frozen=True)
class Estimate:
    reached: datetime
    per_day: float
    days_left: float
    pages_left: float
    seconds_left: float

    def stats(self, lang: str) -> dict[str, object]:
        return {
            f"{REACHED}/{lang}": self.reached.isoformat(),
            f"{PER_DAY}/{lang}": round(self.per_day, 1),
            f"{ETA_HOURS}/{lang}": round(self.seconds_left / 3600, 2),
        }


def history_progress(stats: Mapping[str, object], lang: str) -> str:
    """The history part of a progress line for one edition, or "" when it has none.

    >>> history_progress({"newscrawl/history/reached/en": "2025-03-02T10:00:00+04:00",
    ...                   "newscrawl/history/articles_per_day/en": 96.0,
    ...                   "newscrawl/history/eta_hours/en": 31.5}, "en")
    'history at 2025-03-02 10:00, 96 articles/day, ETA 31.5 h'
    """
    reached = stats.get(f"{REACHED}/{lang}")
    if not reached:
        return ""
    moment = datetime.fromisoformat(str(reached))
    return (
        f"history at {moment:%Y-%m-%d %H:%M}, {float(str(stats.get(f'{PER_DAY}/{lang}', 0))):.0f} "
        f"articles/day, ETA {float(str(stats.get(f'{ETA_HOURS}/{lang}', 0))):.1f} h"
    )
