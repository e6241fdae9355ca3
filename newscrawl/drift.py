"""Drift against the site's own recent past: the measures the monitors compare, and the comparisons.

A run's measures come from its crawl stats, which the ``runs`` table keeps, so the baseline is read
back from the store: no table of its own. Field coverage is spidermon's
(``spidermon_field_coverage/Article/<field>``), counted with ``SPIDERMON_FIELD_COVERAGE_SKIP_NONE`` and
``SPIDERMON_FIELD_COVERAGE_SKIP_VALUES`` (settings.py) so that a value counts as present only when it is
neither null nor empty (``""``, ``[]``, ``{}``), whatever spelling of absence the items use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

from newscrawl.site import LANGUAGES

ITEM = "Article"
SCRAPED = f"spidermon_item_scraped_count/{ITEM}"
COVERAGE = f"spidermon_field_coverage/{ITEM}/"
# How many standard errors of the run's own sample a drop must also exceed: with few articles a share
# moves by chance, and an alert that fires by chance is noise.
STANDARD_ERRORS = 3.0


def articles(stats: Mapping[str, Any]) -> int:
    """Articles the run scraped (stored new or changed)."""
    return int(stats.get(SCRAPED) or 0)


def coverage(stats: Mapping[str, Any], fields: Iterable[str]) -> dict[str, float]:
    """Share of the run's articles with a value, per field; a field no article had is 0.

    >>> stats = {SCRAPED: 4, COVERAGE + "title": 1.0, COVERAGE + "author": 0.25}
    >>> coverage(stats, ["title", "author", "tags"])
    {'title': 1.0, 'author': 0.25, 'tags': 0.0}
    """
    return {field: float(stats.get(COVERAGE + field) or 0.0) for field in fields}


def cards_per_page(stats: Mapping[str, Any]) -> dict[str, float]:
    """Cards per listing page, per edition whose listing pages the run read (newscrawl/cardcount.py).

    >>> cards_per_page({"newscrawl/listing_cards_pages/en": 4, "newscrawl/listing_cards/en": 60,
    ...                 "newscrawl/listing_cards_pages/ru": 2})
    {'en': 15.0, 'ru': 0.0}
    """
    result = {}
    for lang in LANGUAGES:
        pages = int(stats.get(f"newscrawl/listing_cards_pages/{lang}") or 0)
        if pages:
            result[lang] = int(stats.get(f"newscrawl/listing_cards/{lang}") or 0) / pages
    return result


def coverage_drops(
    current: Mapping[str, float],
    baseline: Sequence[Mapping[str, float]],
    count: int,
    margins: Mapping[str, float],
) -> list[str]:
    """Fields whose coverage in this run (of ``count`` articles) fell below the median of the baseline
    runs by more than the field's margin and by more than three standard errors of this run's sample.

    >>> past = [{"author": 0.3, "image_url": 0.7}] * 3
    >>> coverage_drops({"author": 0.28, "image_url": 0.0}, past, 50, {"author": 0.15, "image_url": 0.15})
    ['image_url 0% (median of 3 runs 70%)']
    >>> coverage_drops({"author": 0.0, "image_url": 0.7}, past, 8, {"author": 0.15, "image_url": 0.15})
    []
    """
    low = []
    for field, margin in sorted(margins.items()):
        values = [run[field] for run in baseline if field in run]
        if not values or field not in current:
            continue
        typical = median(values)
        error = math.sqrt(typical * (1.0 - typical) / count) if count else 1.0
        if typical - current[field] > max(margin, STANDARD_ERRORS * error):
            low.append(f"{field} {current[field]:.0%} (median of {len(values)} runs {typical:.0%})")
    return low


def below_floors(current: Mapping[str, float], floors: Mapping[str, float]) -> list[str]:
    """Fields below their absolute floor.

    >>> below_floors({"title": 0.5, "url": 1.0}, {"title": 0.9, "url": 0.9})
    ['title 50% < 90%']
    """
    return [
        f"{field} {current.get(field, 0.0):.0%} < {floor:.0%}"
        for field, floor in sorted(floors.items())
        if current.get(field, 0.0) < floor
    ]


def cards_drops(
    current: Mapping[str, float], baseline: Sequence[Mapping[str, float]], margin: float
) -> list[str]:
    """Editions whose cards per listing page fell below the baseline's median by more than ``margin``
    (a share of that median).

    >>> cards_drops({"en": 4.0, "ru": 14.0}, [{"en": 15.0, "ru": 15.0}] * 3, 0.5)
    ['en 4.0 (median of 3 runs 15.0)']
    """
    low = []
    for lang, value in sorted(current.items()):
        values = [run[lang] for run in baseline if lang in run]
        if not values:
            continue
        typical = median(values)
        if value < typical * (1.0 - margin):
            low.append(f"{lang} {value:.1f} (median of {len(values)} runs {typical:.1f})")
    return low
