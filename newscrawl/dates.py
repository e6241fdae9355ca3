"""Dates of report.az in every edition: month tables per language, Baku time and one parse function.

Never locale ``strptime``: it depends on the machine's installed locales, and CPython has mishandled the
Azerbaijani dotted capital İ. Month names are matched against explicit tables instead.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

# Baku has kept UTC+4 all year since DST was abolished in 2016, and every date we handle (the older design
# dates from 2021) is later. A fixed offset is exact for them, needs no tzdata on the host (zoneinfo does
# on Windows and slim images), and always prints as "+04:00".
BAKU = timezone(timedelta(hours=4), "Asia/Baku")

MONTHS: dict[str, tuple[tuple[str, ...], ...]] = {
    # One tuple per month, every spelling seen or expected. "avgust" is seen beside "avqust".
    "az": (
        ("yanvar",),
        ("fevral",),
        ("mart",),
        ("aprel",),
        ("may",),
        ("iyun",),
        ("iyul",),
        ("avqust", "avgust"),
        ("sentyabr",),
        ("oktyabr",),
        ("noyabr",),
        ("dekabr",),
    ),
    "en": (
        ("january", "jan"),
        ("february", "feb"),
        ("march", "mar"),
        ("april", "apr"),
        ("may",),
        ("june", "jun"),
        ("july", "jul"),
        ("august", "aug"),
        ("september", "sep", "sept"),
        ("october", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ),
    # Genitive ("29 января") as the site prints dates, nominative ("январь") as headings might.
    "ru": (
        ("января", "январь"),
        ("февраля", "февраль"),
        ("марта", "март"),
        ("апреля", "апрель"),
        ("мая", "май"),
        ("июня", "июнь"),
        ("июля", "июль"),
        ("августа", "август"),
        ("сентября", "сентябрь"),
        ("октября", "октябрь"),
        ("ноября", "ноябрь"),
        ("декабря", "декабрь"),
    ),
}


def fold(word: str) -> str:
    """Case-fold a word so that Azerbaijani capitals match the lower-case tables.

    ``"İ".lower()`` is "i" plus a combining dot above (U+0307), and the dotless "ı" differs from "i":
    both are folded to plain "i", which no month name needs to tell apart.

    >>> fold("İyun"), fold("IYUN"), fold("iyun"), fold("ДЕКАБРЯ")
    ('iyun', 'iyun', 'iyun', 'декабря')
    """
    folded = unicodedata.normalize("NFD", word.replace("İ", "i").replace("ı", "i").casefold())
    return unicodedata.normalize("NFC", folded.replace("\u0307", ""))


# No spelling means two different months in two languages ("may" is May in az and en), so one merged
# table serves pages whose language is unknown.
_MONTH_NUMBER: dict[str, int] = {
    fold(name): number
    for table in MONTHS.values()
    for number, names in enumerate(table, start=1)
    for name in names
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_IGNORED_WORDS = frozenset({"г", "года", "at", "saat"})  # "16 декабря 2025 г.", "December 16, 2024 at"


def parse_date(text: str | None, time: str | None = None) -> datetime | None:
    """An aware datetime in Baku time from any date report.az prints or embeds, or None.

    Takes a card's ``data-timestamp`` (Baku local time), an ISO 8601 string from meta or JSON-LD, or a
    visible date in any of the three languages with its time either inside ``text`` or in ``time``.
    A date without a time, an unknown word or an impossible day gives None rather than a guess.

    >>> parse_date("2026-01-29 15:08:00").isoformat()
    '2026-01-29T15:08:00+04:00'
    >>> parse_date("2026-07-19T08:05:35Z").isoformat()
    '2026-07-19T12:05:35+04:00'
    >>> parse_date("29 January, 2026", "15:08").isoformat()
    '2026-01-29T15:08:00+04:00'
    >>> parse_date("16 İyun, 2025", "09:05").isoformat()
    '2025-06-16T09:05:00+04:00'
    >>> parse_date("7 Fevral , 2024 12:30").isoformat()
    '2024-02-07T12:30:00+04:00'
    >>> parse_date("3 avgust, 2025", "10:00") == parse_date("3 avqust, 2025", "10:00")
    True
    >>> parse_date("29 января, 2026", "15:08").isoformat()
    '2026-01-29T15:08:00+04:00'
    >>> parse_date("December 16, 2024", "14:20").isoformat()
    '2024-12-16T14:20:00+04:00'
    >>> parse_date("29 January, 2026") is None, parse_date("31 noyabr, 2025", "10:00") is None
    (True, True)
    >>> parse_date("Category | Other countries") is None, parse_date("") is None, parse_date(None) is None
    (True, True, True)

    A year a news site cannot have printed is a broken page, not a date (and years 1 or 9999 with an
    offset would overflow on the way to Baku time):

    >>> parse_date("0001-01-01T00:00:00+05:00") is None, parse_date("9999-12-31T23:59:59-05:00") is None
    (True, True)
    >>> parse_date("1 January, 1899", "10:00") is None
    True
    """
    if not text:
        return None
    text = unicodedata.normalize("NFC", text).strip()
    parsed: datetime | None
    if time is None and _ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text)
            parsed = parsed.replace(tzinfo=BAKU) if parsed.tzinfo is None else parsed.astimezone(BAKU)
        except (ValueError, OverflowError):
            return None
    else:
        parsed = _parse_visible(f"{text} {time or ''}")
    return parsed if parsed is not None and _FIRST_YEAR <= parsed.year <= _LAST_YEAR else None


# The agency began in 2014 and the older design dates from 2021; the margins leave room for archives.
_FIRST_YEAR, _LAST_YEAR = 1990, 2100


def _parse_visible(text: str) -> datetime | None:
    times = _TIME.findall(text)
    if len(times) != 1:
        return None
    hour, minute, second = (int(part or 0) for part in times[0])
    day = year = month = None
    for token in _TOKEN.findall(fold(_TIME.sub(" ", text))):
        if token.isdigit():
            if len(token) == 4 and year is None:
                year = int(token)
            elif len(token) <= 2 and day is None:
                day = int(token)
            else:
                return None
        elif token in _MONTH_NUMBER and month is None:
            month = _MONTH_NUMBER[token]
        elif token not in _IGNORED_WORDS:
            return None
    if day is None or month is None or year is None:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BAKU)
    except ValueError:
        return None


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in Baku time, to the second: the form of every ``published_at``.

    >>> isoformat(datetime(2026, 1, 29, 11, 8, tzinfo=UTC))
    '2026-01-29T15:08:00+04:00'
    >>> isoformat(None) is None
    True
    """
    return None if value is None else value.astimezone(BAKU).isoformat(timespec="seconds")


def utc_now() -> str:
    """The current UTC time as ISO 8601 to the second: every ``*_seen``, ``fetched_at`` and ``*_at`` the
    crawler writes. The one clock of the project."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_isoformat(value: datetime | str) -> str:
    """ISO 8601 in UTC, to the second: the form of ``fetched_at`` and ``seen_at``.

    A naive value or string is taken as UTC.

    >>> utc_isoformat("2026-01-29T21:00:00+04:00")
    '2026-01-29T17:00:00+00:00'
    >>> utc_isoformat(datetime(2026, 1, 29, 17, 0))
    '2026-01-29T17:00:00+00:00'
    """
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


def crawl_clock(value: str | None) -> datetime | None:
    """The fixed "now" that ``NEWSCRAWL_CLOCK`` gives (Baku time unless an offset is given), or None.

    >>> crawl_clock("2026-01-29T21:00").isoformat()
    '2026-01-29T21:00:00+04:00'
    >>> crawl_clock("2026-01-29T17:00:00Z").isoformat()
    '2026-01-29T17:00:00+00:00'
    >>> crawl_clock("") is None
    True
    >>> crawl_clock("yesterday")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.exceptions.ClockSettingsError: NEWSCRAWL_CLOCK='yesterday' must be an ISO date and time ...
    """
    from newscrawl.exceptions import ClockSettingsError

    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ClockSettingsError(
            f"NEWSCRAWL_CLOCK={value!r} must be an ISO date and time such as 2026-01-29T21:00 "
            "(Baku time unless an offset is given), or unset for the machine's clock."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BAKU)
