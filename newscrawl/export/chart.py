"""``overview.png``: articles per publication day and language, drawn with matplotlib (Agg, no display)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from newscrawl.site import LANGUAGES

BARS_UP_TO_DAYS = 92
COLOURS = {"az": "#0072b2", "en": "#e69f00", "ru": "#009e73"}  # colour-blind safe (Okabe-Ito)


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


def overview_png(partitions: Iterable[tuple[str, str | None]], title: str) -> bytes:
    """Stacked bars per day of the exported range, or markers per language and day over a long range."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import AutoDateFormatter, AutoDateLocator, date2num
    from matplotlib.figure import Figure

    counts = per_day(partitions)
    days_seen = sorted({day for counter in counts.values() for day in counter})
    figure = Figure(figsize=(10, 4.5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    if days_seen:
        start, end = date.fromisoformat(days_seen[0]), date.fromisoformat(days_seen[-1])
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        if len(days) <= BARS_UP_TO_DAYS:
            bottom = [0] * len(days)
            for language, counter in counts.items():
                heights = [counter.get(day.isoformat(), 0) for day in days]
                label = f"{language} ({sum(heights)})"
                axes.bar(
                    date2num(days),
                    heights,
                    bottom=bottom,
                    width=0.8,
                    label=label,
                    color=COLOURS.get(language),
                )
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            ticks = days[:: max(1, len(days) // 14)]
            axes.set_xticks(date2num(ticks), [day.isoformat() for day in ticks])
        else:
            # Over a long range bars a day wide vanish: one marker per language and day with articles.
            for language, counter in counts.items():
                shown = sorted(counter)
                axes.plot(
                    date2num([date.fromisoformat(day) for day in shown]),
                    [counter[day] for day in shown],
                    "o",
                    label=f"{language} ({sum(counter.values())})",
                    color=COLOURS.get(language),
                    alpha=0.8,
                )
            axes.set_ylim(bottom=0)
            locator = AutoDateLocator()
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(AutoDateFormatter(locator))
        axes.legend(title="language (articles)")
        figure.autofmt_xdate()
    else:
        axes.text(0.5, 0.5, "no articles in this export", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(title)
    axes.set_xlabel("publication day (Baku time)")
    axes.set_ylabel("articles")
    buffer = io.BytesIO()
    # No timestamps in the file: the same data draws the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
