"""The overview chart (newscrawl/export/chart.py): the SVG it writes, read back with ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from newscrawl.export.chart import BARS_UP_TO_DAYS, COLOURS, OTHER_COLOUR, overview_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse(counts: dict[str, dict[str, int]], title: str = "Report.az") -> ET.Element:
    root = ET.fromstring(overview_svg(counts, title))
    assert root.tag == f"{SVG}svg"
    return root


def group(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"{SVG}g[@class='{name}']")
    assert found is not None, name
    return found


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


THREE_DAYS = {
    "az": {"2026-01-29": 2, "2026-01-30": 4},
    "en": {"2026-01-29": 1, "2026-01-31": 3},
    "ru": {"2026-01-30": 0},
}


def test_document_size_and_font() -> None:
    root = parse(THREE_DAYS)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("1000", "450", "0 0 1000 450")
    assert root.get("font-family") == "sans-serif"
    shown = texts(root)
    assert {"Report.az", "publication day (Baku time)", "articles", "language (articles)"} <= set(shown)


def test_bars_one_per_language_and_day_with_articles_stacked_in_proportion() -> None:
    root = parse(THREE_DAYS)
    bars = list(group(root, "bars").iter(f"{SVG}rect"))
    for language, by_day in THREE_DAYS.items():
        with_articles = sum(1 for n in by_day.values() if n > 0)
        assert sum(1 for bar in bars if bar.get("fill") == COLOURS[language]) == with_articles, language
    assert root.find(f".//{SVG}circle") is None
    az = [bar for bar in bars if bar.get("fill") == COLOURS["az"]]
    two, four = (float(bar.get("height", "")) for bar in az)  # days in order: 2 then 4 articles
    assert four / two == pytest.approx(2, rel=1e-2)
    # On 2026-01-29 en (1) stands on az (2): its bottom is az's top, its height half of az's.
    (en_first,) = [bar for bar in bars if bar.get("fill") == COLOURS["en"] and bar.get("x") == az[0].get("x")]
    assert float(en_first.get("y", "")) + float(en_first.get("height", "")) == pytest.approx(
        float(az[0].get("y", "")), abs=0.02
    )
    assert float(en_first.get("height", "")) * 2 == pytest.approx(two, rel=1e-2)
    labels = [element.text for element in group(root, "x-labels").iter(f"{SVG}text")]
    assert labels == ["2026-01-29", "2026-01-30", "2026-01-31"]


def test_every_day_of_the_range_has_a_slot() -> None:
    root = parse({"en": {"2026-01-01": 1, "2026-01-11": 1}})
    first, last = (float(bar.get("x", "")) for bar in group(root, "bars").iter(f"{SVG}rect"))
    width = float(next(group(root, "bars").iter(f"{SVG}rect")).get("width", ""))
    # 11 slots, each bar 0.8 of its slot: the second bar is 10 slots right of the first.
    assert (last - first) / (width / 0.8) == pytest.approx(10, rel=1e-2)


def test_ticks_about_fourteen_days_over_the_longest_bar_range() -> None:
    start = date(2026, 1, 1)
    counts = {"en": {(start + timedelta(days=n)).isoformat(): 1 for n in range(BARS_UP_TO_DAYS)}}
    labels = [element.text or "" for element in group(parse(counts), "x-labels").iter(f"{SVG}text")]
    assert 10 <= len(labels) <= 14
    assert all(date.fromisoformat(label) for label in labels)


def test_long_range_draws_one_marker_per_language_and_day_with_articles() -> None:
    start = date(2025, 1, 1)
    counts = {
        "az": {(start + timedelta(days=n)).isoformat(): n % 5 for n in range(200)},
        "en": {(start + timedelta(days=n)).isoformat(): 7 for n in range(0, 200, 10)},
        "ru": {},
    }
    root = parse(counts)
    assert root.find(f"{SVG}g[@class='bars']") is None
    markers = list(group(root, "markers").iter(f"{SVG}circle"))
    for language, by_day in counts.items():
        with_articles = sum(1 for n in by_day.values() if n > 0)
        assert sum(1 for marker in markers if marker.get("fill") == COLOURS[language]) == with_articles
    # Not stacked: every en marker (7 articles) at the same height, above az's highest (4).
    en_heights = {marker.get("cy") for marker in markers if marker.get("fill") == COLOURS["en"]}
    assert len(en_heights) == 1
    az_top = min(float(m.get("cy", "")) for m in markers if m.get("fill") == COLOURS["az"])
    assert float(en_heights.pop() or "") < az_top
    labels = [element.text or "" for element in group(root, "x-labels").iter(f"{SVG}text")]
    assert labels[0] == "2025-01" and labels[-1] == "2025-07" and len(labels) <= 14


def test_month_ticks_thinned_over_years() -> None:
    start = date(2016, 1, 1)
    counts = {"en": {(start + timedelta(days=n)).isoformat(): 1 for n in range(0, 3650, 7)}}
    labels = [element.text or "" for element in group(parse(counts), "x-labels").iter(f"{SVG}text")]
    assert 4 <= len(labels) <= 14
    assert all(len(label) == 7 and label[4] == "-" for label in labels)


def test_legend_counts_the_articles_of_each_language() -> None:
    counts = {**THREE_DAYS, "de": {"2026-01-29": 5}}
    legend = [element.text for element in group(parse(counts), "legend").iter(f"{SVG}text")]
    assert legend == ["language (articles)", "az (6)", "de (5)", "en (4)", "ru (0)"]
    root = parse(counts)
    assert any(bar.get("fill") == OTHER_COLOUR for bar in group(root, "bars").iter(f"{SVG}rect"))


@pytest.mark.parametrize(("highest", "top"), [(1, "1.0"), (3, "3"), (7, "8"), (11, "15"), (1234, "1500")])
def test_y_axis_round_top_and_four_to_six_gridlines(highest: int, top: str) -> None:
    root = parse({"en": {"2026-01-29": highest}})
    labels = [element.text for element in group(root, "y-labels").iter(f"{SVG}text")]
    assert 4 <= len(labels) <= 6
    assert float(labels[0] or "") == 0 and labels[-1] == top
    assert len(list(group(root, "y-axis").iter(f"{SVG}line"))) == len(labels)


def test_no_articles() -> None:
    body = overview_svg({"az": {}, "en": {"2026-01-29": 0}}, "Report.az, empty")
    root = ET.fromstring(body)
    shown = texts(root)
    assert "no articles in this export" in shown
    assert {"Report.az, empty", "publication day (Baku time)", "articles"} <= set(shown)
    assert root.find(f".//{SVG}circle") is None
    assert overview_svg({}, "x").count(b"no articles in this export") == 1


def test_same_input_same_bytes() -> None:
    assert overview_svg(THREE_DAYS, "Report.az") == overview_svg(
        dict(reversed(THREE_DAYS.items())), "Report.az"
    )


def test_title_is_escaped() -> None:
    title = "Report.az & <news> \"quoted\" 'x' – Bakı"
    body = overview_svg(THREE_DAYS, title)
    assert b"&amp; &lt;news&gt;" in body
    assert title in texts(ET.fromstring(body))
    assert title in texts(ET.fromstring(overview_svg({}, title)))
