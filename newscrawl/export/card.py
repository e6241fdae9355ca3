"""The dataset card, ``README.md``: what the export holds, how it was collected, what is missing, how to
load it.

Every number on the card is computed from the rows exported (the statistics the export state keeps for
each part file, counted as the part was written) and from the store they came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from newscrawl.export.source import Extras
from newscrawl.export.tables import ARTICLES, FEED_ENTRIES, NULL_PARTITION, TABLES, Table
from newscrawl.schemas import SCHEMA_VERSION

GONE_LISTED = 20
# How each format types the columns.
TYPES_NOTE = {
    "parquet": "Times are timestamps with time zone (UTC instants; the `date` folder is the publication "
    "day in Baku time), `tags`, `images` and `media` are `list<string>`, `translations` a "
    "`struct<az, en, ru>` of strings, integers and booleans native.",
    "jsonl": "`tags`, `images` and `media` are JSON arrays, `translations` an object; times are ISO 8601 "
    "text with their offset.",
    "csv": "`tags`, `images`, `media` and `translations` are JSON text in their field (CSV has no lists); "
    "times are ISO 8601 text with their offset.",
}


@dataclass
class Facts:
    """What the card counts, summed from the statistics the export state keeps per part file."""

    rows: Counter[str] = field(default_factory=Counter)  # table -> rows
    parts: Counter[str] = field(default_factory=Counter)  # table -> part files
    per_language: Counter[str] = field(default_factory=Counter)  # language -> articles
    per_day: dict[str, Counter[str]] = field(default_factory=dict)  # language -> day -> articles
    undated: int = 0  # articles without a publication day
    per_category: Counter[tuple[str, str]] = field(
        default_factory=Counter
    )  # (language, category) -> articles
    filled: dict[str, list[int]] = field(default_factory=dict)  # table -> rows with a value, per column

    def coverage(self, table: Table) -> list[tuple[str, int]]:
        return list(zip(table.names, self.filled.get(table.name, [0] * len(table.columns)), strict=True))


def facts(files: Mapping[str, Mapping[str, Any]]) -> Facts:
    """The card's counts from the export state's files.

    >>> files = {"articles/language=en/date=2026-01-29/part-0.parquet": {"partition": ["en", "2026-01-29"],
    ...          "rows": 2, "filled": [2] + [1] * 24, "categories": {"Finance": 1, "": 1}}}
    >>> found = facts(files)
    >>> found.rows["articles"], found.per_day["en"], sorted(found.per_category.items())
    (2, Counter({'2026-01-29': 2}), [(('en', '(none)'), 1), (('en', 'Finance'), 1)])
    """
    found = Facts()
    for name, info in files.items():
        table = name.split("/", 1)[0]
        rows = int(info["rows"])
        found.rows[table] += rows
        found.parts[table] += 1
        sums = found.filled.setdefault(table, [0] * len(info["filled"]))
        found.filled[table] = [a + b for a, b in zip(sums, info["filled"], strict=True)]
        if table != ARTICLES.name:
            continue
        language, day = info["partition"]
        found.per_language[language] += rows
        if day is None:
            found.undated += rows
        else:
            found.per_day.setdefault(language, Counter())[day] += rows
        for category, count in info["categories"].items():
            found.per_category[(language, category or "(none)")] += count
    return found


def _pct(part: int, whole: int) -> str:
    """A share as a percentage for the card.

    >>> _pct(1, 3), _pct(0, 0), _pct(5, 5)
    ('33.3 %', '-', '100 %')
    """
    if whole == 0:
        return "-"
    share = 100 * part / whole
    return "100 %" if part == whole else f"{share:.1f} %"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def date_range(per_day: Mapping[str, Counter[str]]) -> tuple[str | None, str | None]:
    days = sorted({day for counter in per_day.values() for day in counter})
    return (days[0], days[-1]) if days else (None, None)


GAP_DAYS_LISTED = 20


def edition_days(per_day: Mapping[str, Counter[str]]) -> list[tuple[str, str, str, list[str]]]:
    """Per language: its first and last publication day, and the days between them without any article
    (a gap in the crawl's history, or a day the edition published nothing).

    >>> edition_days({"en": Counter({"2026-01-01": 1, "2026-01-04": 2}), "az": Counter({"2026-01-02": 1})})
    [('az', '2026-01-02', '2026-01-02', []), ('en', '2026-01-01', '2026-01-04', ['2026-01-02', '2026-01-03'])]
    """
    result = []
    for language, counter in sorted(per_day.items()):
        seen = {day for day, count in counter.items() if count}
        if not seen:
            continue
        first, last = min(seen), max(seen)
        day, end, missing = date.fromisoformat(first), date.fromisoformat(last), []
        while day <= end:
            if day.isoformat() not in seen:
                missing.append(day.isoformat())
            day += timedelta(days=1)
        result.append((language, first, last, missing))
    return result


def load_snippets(fmt: str, gzipped: bool) -> tuple[str, str]:
    """Three lines of Python each for DuckDB and pandas, run from the dataset directory."""
    ext = "parquet" if fmt == "parquet" else f"{fmt}{'.gz' if gzipped else ''}"
    reader = {"parquet": "read_parquet", "jsonl": "read_json", "csv": "read_csv"}[fmt]
    duck = (
        "import duckdb\n"
        f"articles = duckdb.sql(\"FROM {reader}('articles/*/*/*.{ext}', hive_partitioning = true)\")\n"
        'print(articles.aggregate("language, count(*)", "language"))'
    )
    if fmt == "parquet":
        pandas = (
            "import pandas as pd\n"
            'articles = pd.read_parquet("articles")  # language and date come from the folder names\n'
            'print(articles.groupby("language").size())'
        )
    else:
        read = "pd.read_json(f, lines=True, dtype=False)" if fmt == "jsonl" else "pd.read_csv(f)"
        pandas = (
            "import glob, pandas as pd\n"
            f"articles = pd.concat({read}.assign(language=f.split('=')[1][:2], date=f.split('=')[2][:10])"
            f" for f in sorted(glob.glob('articles/*/*/*.{ext}')))\n"
            'print(articles.groupby("language").size())'
        )
    return duck, pandas


def render(
    found: Facts,
    extras: Extras,
    *,
    state: Mapping[str, Any],
    source: str,
    settings: Mapping[str, Any],
) -> str:
    """The card of the dataset whose state is ``state`` and counts ``found`` (``facts`` of its files)."""
    counts, files = found.rows, found.parts
    fmt, gzipped = state["format"], bool(state.get("gzip"))
    first, last = date_range(found.per_day)
    selection = state["selection"]
    out: list[str] = []
    add = out.append
    add("# report.az news: articles, headline cards and stories in Azerbaijani, English and Russian\n")
    project = settings.get("NEWSCRAWL_PROJECT_URL")
    crawler = f"[newscrawl]({project})" if project else "newscrawl"
    add(
        "Articles of the news agency [Report](https://report.az) (report.az) in its three editions, crawled "
        f"by {crawler} and exported from its SQLite store (`{source}`) by `scrapy export`.\n"
    )
    add(
        f"- Item schema: version {SCHEMA_VERSION} (JSON Schema `newscrawl/schemas/article.json` and "
        "`feed_entry.json` of newscrawl; `version` in `datapackage.json`)"
    )
    add(f"- Exported at: {state['exported_at']} (UTC)")
    add(f"- Publication days: {first or '-'} to {last or '-'} (Baku time)")
    add(
        f"- Format: {fmt}{' (gzip)' if gzipped else ''}; "
        "partitioned Hive style by language and publication day"
    )
    chosen = [f"languages {', '.join(selection['languages'])}"]
    if selection["since"] or selection["until"]:
        chosen.append(f"days {selection['since'] or 'any'} to {selection['until'] or 'any'}")
    chosen.append(
        f"categories {', '.join(selection['categories'])}" if selection["categories"] else "every category"
    )
    add(f"- Selection: {'; '.join(chosen)}")
    add("- Overview: ![Articles per publication day and language](overview.svg)\n")

    add("## Tables\n")
    add("| table | rows | part files | what |")
    add("|---|---:|---:|---|")
    for table in TABLES:
        add(f"| `{table.name}` | {counts[table.name]} | {files[table.name]} | {_md(table.description)} |")
    add("\nFields, types and descriptions: `datapackage.json` and `schemas/<table>.json` (Frictionless).\n")

    add("## Articles per language and category\n")
    add("| language | articles |")
    add("|---|---:|")
    for language, count in sorted(found.per_language.items()):
        add(f"| {language} | {count} |")
    add(f"| all | {counts[ARTICLES.name]} |\n")
    add("| language | first day | last day | days without an article |")
    add("|---|---|---|---|")
    for language, first_day, last_day, missing in edition_days(found.per_day):
        listed = ", ".join(missing[:GAP_DAYS_LISTED]) + (" ..." if len(missing) > GAP_DAYS_LISTED else "")
        add(f"| {language} | {first_day} | {last_day} | {len(missing)}{': ' + listed if missing else ''} |")
    add("")
    add("| language | category | articles |")
    add("|---|---|---:|")
    for (language, category), count in sorted(found.per_category.items()):
        add(f"| {language} | {_md(category)} | {count} |")

    add("\n## Field coverage\n")
    add("Share of rows where the field holds a value (not null, not empty).\n")
    for table in (ARTICLES, FEED_ENTRIES):
        total = counts[table.name]
        add(f"`{table.name}` ({total} rows):\n")
        add("| field | rows with a value | share |")
        add("|---|---:|---:|")
        for name, count in found.coverage(table):
            add(f"| `{name}` | {count} | {_pct(count, total)} |")
        add("")

    add("## How it was collected\n")
    add(
        "newscrawl reads each edition's *Latest News* feed and category pages through their infinite-scroll "
        "batches and fetches every article it has not stored yet. "
        f"robots.txt obeyed: {'yes' if settings.get('ROBOTSTXT_OBEY') else 'no'}; "
        f"{settings.get('CONCURRENT_REQUESTS_PER_DOMAIN')} request at a time per domain; "
        f"download delay {settings.get('DOWNLOAD_DELAY')} s"
        f"{' with AutoThrottle' if settings.get('AUTOTHROTTLE_ENABLED') else ''}; "
        f"user agent `{settings.get('USER_AGENT')}`. A burst of 403/429 answers stops the crawl.\n"
    )
    add(
        "Incremental rules: a run reads the listings back to 6 hours before the previous run's start and "
        "fetches an article again only when its card (headline or time) changed; the store then keeps the "
        "newer version (`version` counts them, `content_hash` identifies each). A page that answered 404 "
        "is remembered and skipped until its card changes. The store holds each URL once, whatever happened "
        "during the crawls (killed runs included), and this export writes each row once: "
        "`articles` and `stories` are unique by `url`, `feed_entries` by (`url`, `listing`).\n"
    )
    if extras.runs:
        reasons = Counter({reason or "unfinished": count for reason, count in extras.reasons.items()})
        add(
            f"Crawl runs in the store: {extras.runs}, the first started {extras.first_run}, the last "
            f"started {extras.last_run}; finish reasons: "
            + ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items()))
            + ".\n"
        )

    add("## Known gaps\n")
    gone = extras.gone
    add(
        f"- {len(gone)} article page(s) linked from a card answered 404 (table `gone` of the store); they "
        "have a feed entry but no article row." + (" The first of them:" if gone else "")
    )
    for url, title, published_at, status in gone[:GONE_LISTED]:
        add(f"  - {status} {url} ({_md(title or '')}, {published_at or 'no time'})")
    if extras.failures is None:
        add("- This store has no `failures` table, so failures other than 404s are not listed here.")
    else:
        add(f"- {extras.failures} failure(s) recorded in the store's `failures` table.")
    unfinished = {reason: count for reason, count in extras.reasons.items() if reason != "finished"}
    if unfinished:
        add(
            f"- {sum(unfinished.values())} run(s) did not finish normally (reasons: "
            + ", ".join(sorted(reason or "killed or still running" for reason in unfinished))
            + "); the next run fetched what they missed."
        )
    nulls = found.undated
    if nulls:
        add(f"- {nulls} article(s) without a publication time are in the `date={NULL_PARTITION}` folders.")
    add(
        "- Only articles the crawls reached through the listings are here; older ones are not back-filled. "
        "Times are the site's own (Baku time); crawler times are UTC.\n"
    )

    add("## Layout\n")
    ext = "parquet" if fmt == "parquet" else f"{fmt}{'.gz' if gzipped else ''}"
    add("```")
    add(f"articles/language=<az|en|ru>/date=<YYYY-MM-DD>/part-<n>.{ext}")
    add(f"feed_entries/language=<az|en|ru>/date=<YYYY-MM-DD>/part-<n>.{ext}")
    add(f"stories/part-<n>.{ext}")
    add("datapackage.json, schemas/   Frictionless Data Package: every table and field")
    add("overview.svg                 articles per day and language")
    add("_export_state.json           the part files, their statistics and the export history")
    add("_export_keys-<n>.arrow       which part file holds which row (for --incremental)")
    add("```\n")
    add(
        "`language` and `date` are folder names (Hive partitioning), not columns inside the files. "
        + TYPES_NOTE[fmt]
        + " Absent values follow the item schemas: a missing scalar is null, never an empty string; "
        "`tags`, `images` and `media` without any are empty lists, `translations` without any is empty."
        + (" In CSV every text field is quoted; an empty unquoted field is null." if fmt == "csv" else "")
        + "\n"
    )
    duck, pandas = load_snippets(fmt, gzipped)
    add("## Loading\n")
    add("From this directory, with DuckDB:\n")
    add(f"```python\n{duck}\n```\n")
    add("With pandas:\n")
    add(f"```python\n{pandas}\n```\n")

    add("## Exports\n")
    add("| exported at | kind | articles new | changed | removed | unchanged |")
    add("|---|---|---:|---:|---:|---:|")
    for entry in state.get("history", [])[-10:]:
        table = entry["tables"][ARTICLES.name]
        kind = "incremental" if entry["incremental"] else "full"
        add(
            f"| {entry['exported_at']} | {kind} | {table['new']} | {table['changed']} | "
            f"{table['removed']} | {table['unchanged']} |"
        )
    add("")
    return "\n".join(out)
