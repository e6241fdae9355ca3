"""The arguments of ``report_feed``, parsed and checked once, in the spider's ``from_crawler``.

A wrong value raises :class:`~newscrawl.exceptions.ArgumentError` with one sentence naming the valid
values; the ``crawl`` command prints it and exits 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newscrawl.dates import BAKU
from newscrawl.exceptions import ArgumentError
from newscrawl.site import LANGUAGES, SITE

DEFAULT_MAX_PAGES = 20
_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_BUDGET = re.compile(r"^(\d+(?:\.\d+)?)\s*(p|pages?|m|min|minutes?)?$")


@dataclass(frozen=True)
class HistoryBudget:
    """What a run may spend continuing the history backwards: listing pages, or minutes of the run's
    time (counted from its start; no history page is asked for after them)."""

    pages: int | None = None
    minutes: float | None = None

    def __str__(self) -> str:
        return f"{self.pages} listing pages" if self.pages is not None else f"{self.minutes:g} minutes"

    def spent(self, pages: int, seconds: float) -> bool:
        """Whether ``pages`` history pages read and ``seconds`` since the run began exhaust it."""
        if self.pages is not None:
            return pages >= self.pages
        return self.minutes is not None and seconds >= self.minutes * 60


# At the default politeness (DOWNLOAD_DELAY 1 s, one request at a time) a history page and its 20
# articles take about 25 s: asking for no history page after minute 10 of a run ends it well inside the
# 15-minute timer, with whatever the ordinary walk left of those minutes spent on the history.
DEFAULT_HISTORY_BUDGET = HistoryBudget(minutes=10)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Arguments:
    """The spider arguments, checked. ``since`` stays None when the store decides it."""

    languages: tuple[str, ...]
    categories: frozenset[str] | None  # None: every category the pages link to
    since: datetime | None
    max_pages: int
    until: datetime | None = None  # a window's newest moment: None walks from now
    history: datetime | None = None  # continuous history: the oldest moment to extend the archive to
    history_budget: HistoryBudget = DEFAULT_HISTORY_BUDGET  # what a run may spend on it
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        lang: str | None = None,
        categories: str | None = None,
        since: str | None = None,
        max_pages: str | int | None = None,
        until: str | None = None,
        history: str | None = None,
        history_budget: str | int | None = None,
        *,
        now: datetime | None = None,
    ) -> Arguments:
        """Check the arguments; a wrong value raises ArgumentError with one sentence naming the fix.

        >>> Arguments.parse(lang="en,ru", categories="finance").languages
        ('en', 'ru')
        >>> Arguments.parse(lang="de")
        Traceback (most recent call last):
        ...
        newscrawl.exceptions.ArgumentError: lang must be a comma list of az, en, ru (got 'de'): -a lang=en,ru
        >>> Arguments.parse(since="6h", now=datetime(2026, 1, 29, 21, tzinfo=BAKU)).since.isoformat()
        '2026-01-29T15:00:00+04:00'
        >>> Arguments.parse(since="2026-01-01", until="2026-01-02T00:00:00Z",
        ...                 now=datetime(2026, 1, 29, 21, tzinfo=BAKU)).until.isoformat()
        '2026-01-02T00:00:00+00:00'
        >>> Arguments.parse(since="2026-01-02", until="2026-01-01")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        newscrawl.exceptions.ArgumentError: until (2026-01-01T00:00:00+04:00) is before since ...
        """
        raw = {
            k: str(v)
            for k, v in (
                ("lang", lang),
                ("categories", categories),
                ("since", since),
                ("max_pages", max_pages),
                ("until", until),
                ("history", history),
                ("history_budget", history_budget),
            )
            if v is not None
        }
        languages = _parse_languages(lang)
        now = now or datetime.now(BAKU)
        start = _parse_since(since, now)
        end = _parse_moment("until", until, now)
        if end is not None:
            if end > now:
                raise ArgumentError(
                    f"until ({end.isoformat()}) is after the crawl's now ({now.isoformat()}): "
                    "leave it out to read up to now"
                )
            if start is None:
                raise ArgumentError(
                    f"until ({end.isoformat()}) needs since, the oldest moment of the window: "
                    "-a since=2025-01-01 -a until=2025-02-01"
                )
            if end < start:
                raise ArgumentError(
                    f"until ({end.isoformat()}) is before since ({start.isoformat()}): "
                    "give the oldest moment as since and the newest as until"
                )
        oldest = _parse_moment("history", history, now)
        if oldest is not None and end is not None:
            raise ArgumentError(
                "history (continue the archive back from each run) and until (read one window) cannot be "
                "combined: give one of them"
            )
        if oldest is not None and oldest > now:
            raise ArgumentError(
                f"history ({oldest.isoformat()}) is after the crawl's now ({now.isoformat()})"
            )
        return cls(
            languages=languages,
            categories=_parse_categories(categories, languages),
            since=start,
            max_pages=_parse_max_pages(max_pages),
            until=end,
            history=oldest,
            history_budget=_parse_budget(history_budget),
            raw=raw,
        )


def _parse_languages(value: str | None) -> tuple[str, ...]:
    if value is None or value.strip() in ("", "all"):
        return LANGUAGES
    codes = tuple(dict.fromkeys(code.strip().lower() for code in value.split(",") if code.strip()))
    if not codes or any(code not in LANGUAGES for code in codes):
        raise ArgumentError(
            f"lang must be a comma list of {', '.join(LANGUAGES)} (got {value!r}): -a lang=en,ru"
        )
    return codes


def _parse_categories(value: str | None, languages: tuple[str, ...]) -> frozenset[str] | None:
    if value is None or value.strip() in ("", "all"):
        return None
    if value.strip() == "none":
        return frozenset()
    known = {c.slug for lang in languages for c in SITE[lang].categories}
    slugs = frozenset(slug.strip().lower() for slug in value.split(",") if slug.strip())
    unknown = sorted(slugs - known)
    if unknown:
        raise ArgumentError(
            f"categories must be all, none or a comma list of category slugs of the chosen languages "
            f"({', '.join(sorted(known))}); unknown: {', '.join(unknown)}"
        )
    return slugs


def _parse_since(value: str | None, now: datetime) -> datetime | None:
    return _parse_moment("since", value, now)


def _parse_moment(name: str, value: str | None, now: datetime) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    duration = _DURATION.match(text.lower())
    if duration:
        return now - timedelta(**{_UNITS[duration.group(2)]: int(duration.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError(
            f"{name} must be an ISO date or datetime (2026-01-29, 2026-01-29T15:00) or a duration "
            f"such as 30m, 6h, 2d, 1w (got {value!r})"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BAKU)


def _parse_budget(value: str | int | None) -> HistoryBudget:
    """``history_budget``: listing pages (``100``, ``100p``) or minutes of the run (``10m``, ``7.5min``).

    >>> _parse_budget("40"), _parse_budget("12m")
    (HistoryBudget(pages=40, minutes=None), HistoryBudget(pages=None, minutes=12.0))
    >>> _parse_budget("soon")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.exceptions.ArgumentError: history_budget must be listing pages or minutes of the run, ...
    """
    if value is None or str(value).strip() == "":
        return DEFAULT_HISTORY_BUDGET
    match = _BUDGET.match(str(value).strip().lower())
    amount = float(match.group(1)) if match else 0.0
    unit = (match.group(2) or "p")[0] if match else "p"
    if amount <= 0 or (unit == "p" and amount != int(amount)):
        raise ArgumentError(
            f"history_budget must be listing pages or minutes of the run, more than 0 (got {value!r}), "
            "e.g. -a history_budget=100 or -a history_budget=10m"
        )
    return HistoryBudget(pages=int(amount)) if unit == "p" else HistoryBudget(minutes=amount)


def _parse_max_pages(value: str | int | None) -> int:
    return _parse_pages("max_pages", value, DEFAULT_MAX_PAGES)


def _parse_pages(name: str, value: str | int | None, default: int) -> int:
    if value is None or str(value).strip() == "":
        return default
    try:
        pages = int(str(value).strip())
    except ValueError:
        pages = 0
    if pages < 1:
        raise ArgumentError(f"{name} must be a whole number of at least 1 (got {value!r}), e.g. -a {name}=5")
    return pages
