"""``overview.svg``: articles per publication day and language, an SVG chart written by hand (no plotting).

Up to ``BARS_UP_TO_DAYS`` days from the first to the last day with articles, each day of that range has a
slot with one bar per language stacked on the others; over a longer range a day wide bar would vanish, so
each language and day with articles is a dot at the height of that language's count, placed along a date
axis ticked at month starts. The y axis runs from 0 to a round maximum; the legend names each language with
its number of articles. Coordinates are written with two decimals, languages and days in sorted order and
nothing else (no time, no random id) goes in: the same counts and title always give the same bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from xml.sax.saxutils import escape

from newscrawl.site import LANGUAGES

BARS_UP_TO_DAYS = 92
COLOURS = {"az": "#0072b2", "en": "#e69f00", "ru": "#009e73"}  # colour-blind safe (Okabe-Ito)
OTHER_COLOUR = "#999999"  # a language the site did not have when the palette was chosen

WIDTH, HEIGHT = 1000, 450
# The plot area; the legend has the space right of it, the rotated day labels the space below.
LEFT, RIGHT, TOP, BOTTOM = 70.0, 800.0, 45.0, 355.0
MAX_TICKS = 14
EMPTY_TEXT = "no articles in this export"


def per_day(partitions: Iterable[tuple[str, str | None]]) -> dict[str, Counter[str]]:
    """language -> {day: articles}, days as YYYY-MM-DD; articles without a day are left out.

    >>> per_day([("en", "2026-01-29"), ("en", "2026-01-29"), ("az", None)])["en"]
    Counter({'2026-01-29': 2})
    """
    counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}
    for language, day in partitions:
        if day:
            counts.setdefault(language, Counter())[day] += 1
    return counts


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (``-0`` written ``0``)."""
    text = f"{round(value, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _y_scale(highest: int) -> tuple[float, list[str]]:
    """The top of the y axis and the labels of its gridlines from 0: steps of 1, 2 or 5 × 10^k, 4 to 6 lines.

    The smallest such step that needs at most 5 of them to reach ``highest``; the step below it needed more
    than 5, so this one needs at least 3."""
    exponent = -1
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            intervals = math.ceil(highest / step - 1e-9)
            if intervals <= 5:
                decimals = max(0, -exponent)
                labels = [f"{i * step:.{decimals}f}" for i in range(intervals + 1)]
                return intervals * step, labels
        exponent += 1


def _month_starts(start: date, end: date) -> list[date]:
    """The first days of months from ``start`` to ``end``, thinned to a round step (1, 2, 3, 6, 12, 24…
    months) so that at most ``MAX_TICKS`` remain, each a multiple of the step since year 0 (Januaries for a
    step of a year)."""
    first = start.year * 12 + start.month - 1 + (start.day > 1)
    last = end.year * 12 + end.month - 1
    months = range(first, last + 1)
    steps = [1, 2, 3, 6, *(12 * n for n in range(1, 1000))]
    for step in steps:
        kept = [m for m in months if m % step == 0]
        if len(kept) <= MAX_TICKS:
            return [date(m // 12, m % 12 + 1, 1) for m in kept]
    return []


def _text(x: float, y: float, text: str, extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(text)}</text>'


def overview_svg(counts: Mapping[str, Mapping[str, int]], title: str) -> bytes:
    """language -> {day 'YYYY-MM-DD': articles}  ->  UTF-8 SVG document bytes."""
    languages = sorted(counts)
    shown = {
        language: {day: n for day, n in sorted(counts[language].items()) if n > 0} for language in languages
    }
    colour = {language: COLOURS.get(language, OTHER_COLOUR) for language in languages}
    days_seen = sorted({day for by_day in shown.values() for day in by_day})
    width, height = RIGHT - LEFT, BOTTOM - TOP
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" fill="#222222">',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text((LEFT + RIGHT) / 2, 28, title, ' class="title" font-size="16" text-anchor="middle"'),
        _text(
            (LEFT + RIGHT) / 2,
            HEIGHT - 10,
            "publication day (Baku time)",
            ' font-size="13" text-anchor="middle"',
        ),
        _text(
            0,
            0,
            "articles",
            f' font-size="13" text-anchor="middle"'
            f' transform="translate(18 {_num((TOP + BOTTOM) / 2)}) rotate(-90)"',
        ),
    ]
    if not days_seen:
        out.append(_frame())
        out.append(
            _text((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2, EMPTY_TEXT, ' font-size="13" text-anchor="middle"')
        )
        out.append("</svg>")
        return ("\n".join(out) + "\n").encode("utf-8")

    start, end = date.fromisoformat(days_seen[0]), date.fromisoformat(days_seen[-1])
    span = (end - start).days + 1
    bars = span <= BARS_UP_TO_DAYS
    if bars:
        highest = max(sum(by_day.get(day, 0) for by_day in shown.values()) for day in days_seen)
    else:
        highest = max(max(by_day.values()) for by_day in shown.values() if by_day)
    top, y_labels = _y_scale(highest)
    scale = height / top

    # Gridlines and their labels.
    out.append('<g class="y-axis" stroke="#dddddd" stroke-width="1">')
    for i in range(len(y_labels)):
        y = BOTTOM - i * height / (len(y_labels) - 1)
        out.append(f'<line x1="{_num(LEFT)}" y1="{_num(y)}" x2="{_num(RIGHT)}" y2="{_num(y)}"/>')
    out.append("</g>")
    out.append('<g class="y-labels" text-anchor="end">')
    for i, label in enumerate(y_labels):
        y = BOTTOM - i * height / (len(y_labels) - 1)
        out.append(_text(LEFT - 6, y, label, ' dy="0.32em"'))
    out.append("</g>")

    ticks: list[tuple[float, str]] = []
    if bars:
        days = [start + timedelta(days=n) for n in range(span)]
        slot = width / span
        out.append('<g class="bars">')
        for n, day in enumerate(days):
            key = day.isoformat()
            below = 0
            x = LEFT + (n + 0.1) * slot
            for language in languages:
                count = shown[language].get(key, 0)
                if not count:
                    continue
                y_top, y_bottom = BOTTOM - (below + count) * scale, BOTTOM - below * scale
                out.append(
                    f'<rect x="{_num(x)}" y="{_num(y_top)}" width="{_num(0.8 * slot)}" '
                    f'height="{_num(y_bottom - y_top)}" fill="{colour[language]}"/>'
                )
                below += count
        out.append("</g>")
        for n in range(0, span, math.ceil(span / MAX_TICKS)):
            ticks.append((LEFT + (n + 0.5) * slot, days[n].isoformat()))
    else:
        pad = 10.0
        per_day_width = (width - 2 * pad) / (span - 1)

        def x_of(day: date) -> float:
            return LEFT + pad + (day - start).days * per_day_width

        out.append('<g class="markers" fill-opacity="0.8">')
        for language in languages:
            for key, count in shown[language].items():
                cx, cy = x_of(date.fromisoformat(key)), BOTTOM - count * scale
                out.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="3" fill="{colour[language]}"/>')
        out.append("</g>")
        ticks = [(x_of(month), month.strftime("%Y-%m")) for month in _month_starts(start, end)]

    out.append(_frame())
    out.append('<g class="x-axis" stroke="#333333" stroke-width="1">')
    for x, _label in ticks:
        out.append(f'<line x1="{_num(x)}" y1="{_num(BOTTOM)}" x2="{_num(x)}" y2="{_num(BOTTOM + 5)}"/>')
    out.append("</g>")
    out.append('<g class="x-labels" text-anchor="end">')
    for x, label in ticks:
        y = BOTTOM + 16
        out.append(_text(x, y, label, f' transform="rotate(-45 {_num(x)} {_num(y)})"'))
    out.append("</g>")

    # Legend, right of the plot: a swatch of the mark's shape and "language (articles)".
    out.append('<g class="legend" font-size="12">')
    out.append(_text(RIGHT + 20, TOP + 10, "language (articles)", ' font-weight="bold"'))
    for n, language in enumerate(languages):
        y = TOP + 32 + 20 * n
        if bars:
            out.append(
                f'<rect x="{_num(RIGHT + 20)}" y="{_num(y - 6)}" width="12" height="12" '
                f'fill="{colour[language]}"/>'
            )
        else:
            out.append(f'<circle cx="{_num(RIGHT + 26)}" cy="{_num(y)}" r="5" fill="{colour[language]}"/>')
        total = sum(shown[language].values())
        out.append(_text(RIGHT + 38, y, f"{language} ({total})", ' dy="0.32em"'))
    out.append("</g>")
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _frame() -> str:
    return (
        f'<rect class="frame" x="{_num(LEFT)}" y="{_num(TOP)}" width="{_num(RIGHT - LEFT)}" '
        f'height="{_num(BOTTOM - TOP)}" fill="none" stroke="#333333" stroke-width="1"/>'
    )
