"""One date parser for every edition: visible dates in az, en and ru, card timestamps and ISO strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newscrawl.dates import BAKU, MONTHS, isoformat, parse_date, utc_isoformat


@pytest.mark.parametrize("language", sorted(MONTHS))
def test_every_month_name_in_every_case(language: str) -> None:
    for number, names in enumerate(MONTHS[language], start=1):
        for name in names:
            for form in (name, name.upper(), name.capitalize()):
                parsed = parse_date(f"16 {form}, 2025", "09:05")
                assert parsed == datetime(2025, number, 16, 9, 5, tzinfo=BAKU), form


@pytest.mark.parametrize(
    ("text", "time", "expected"),
    [
        ("2026-01-29 15:08:00", None, "2026-01-29T15:08:00+04:00"),  # card data-timestamp, Baku time
        ("2026-07-19T12:05:35+04:00", None, "2026-07-19T12:05:35+04:00"),  # JSON-LD
        ("2026-07-19T08:05:35Z", None, "2026-07-19T12:05:35+04:00"),
        ("2026-07-19T10:05:35+02:00", None, "2026-07-19T12:05:35+04:00"),
        ("29 January, 2026", "15:08", "2026-01-29T15:08:00+04:00"),  # seed page
        ("December 16, 2024", "14:20", "2024-12-16T14:20:00+04:00"),  # older English design
        ("16 noyabr, 2025", "10:00", "2025-11-16T10:00:00+04:00"),
        ("5 İyun, 2025", "10:00", "2025-06-05T10:00:00+04:00"),
        ("5 İYUN, 2025", "10:00", "2025-06-05T10:00:00+04:00"),
        ("5 IYUL, 2025", "10:00", "2025-07-05T10:00:00+04:00"),  # dotless capital I
        ("7 Fevral , 2024 12:30", None, "2024-02-07T12:30:00+04:00"),  # older az design, time inline
        ("1 avgust, 2025", "00:00", "2025-08-01T00:00:00+04:00"),
        ("29 января, 2026", "15:08", "2026-01-29T15:08:00+04:00"),
        ("16 декабря 2025", "23:59", "2025-12-16T23:59:00+04:00"),
        ("Январь 3, 2026", "08:00", "2026-01-03T08:00:00+04:00"),  # nominative
        ("29\u00a0January,\u00a02026", "15:08", "2026-01-29T15:08:00+04:00"),
    ],
)
def test_parse_date(text: str, time: str | None, expected: str) -> None:
    assert isoformat(parse_date(text, time)) == expected


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("29 January, 2026", None),  # no time: no guess
        ("30 fevral, 2025", "10:00"),  # impossible day
        ("29 Januar, 2026", "15:08"),  # unknown month
        ("29 January, 2026", "25:00"),
        ("January, 2026", "15:08"),
        ("29 January 2026 and 30 January 2026", "15:08"),
        ("2026-13-01 10:00:00", None),
        ("Category | Other countries", None),
        ("", None),
        (None, None),
    ],
)
def test_unparseable_dates_give_none(text: str | None, time: str | None) -> None:
    assert parse_date(text, time) is None


def test_dates_are_baku_time_all_year() -> None:
    summer = parse_date("2025-07-01 12:00:00")
    assert summer is not None and summer.utcoffset() == timedelta(hours=4)  # no DST since 2016


def test_utc_isoformat() -> None:
    assert utc_isoformat("2026-01-29T21:00:00+04:00") == "2026-01-29T17:00:00+00:00"
    assert utc_isoformat(datetime(2026, 1, 29, 17, tzinfo=UTC)) == "2026-01-29T17:00:00+00:00"
