"""What an export reads: the command line's selection, checked, and a read-only connection to the store.

The store is opened read-only (a crawl may be writing). Errors are ``ExportError``: one sentence that names
the fix.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.site import LANGUAGES, SITE


class ExportError(Exception):
    """The export cannot run; the message is one sentence that names the fix."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which articles and cards to export: publication days (inclusive), languages, category slugs."""

    since: date | None = None
    until: date | None = None
    languages: tuple[str, ...] = LANGUAGES
    categories: tuple[str, ...] = ()  # empty: every category

    def describe(self) -> dict[str, Any]:
        """The selection as JSON-ready data, as the state file and the card record it.

        >>> Selection(since=date(2026, 1, 1), languages=("en",)).describe()
        {'since': '2026-01-01', 'until': None, 'languages': ['en'], 'categories': []}
        """
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "languages": list(self.languages),
            "categories": list(self.categories),
        }


def _day(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ExportError(f"--{name} must be a day written YYYY-MM-DD, such as 2026-01-29 (got {value!r})")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ExportError(f"--{name} {value!r} is not a calendar day; write it YYYY-MM-DD") from None


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def parse_selection(
    since: str | None = None, until: str | None = None, lang: str | None = None, category: str | None = None
) -> Selection:
    """Check the command-line selection; category slugs are checked against the store later.

    >>> parse_selection(since="2026-01-28", lang="en,ru").languages
    ('en', 'ru')
    >>> parse_selection(lang="de")
    Traceback (most recent call last):
    ...
    newscrawl.export.selection.ExportError: --lang must be a comma list of az, en, ru (got 'de')
    >>> parse_selection(since="yesterday")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.export.selection.ExportError: --since must be a day written YYYY-MM-DD, such as 2026-01-29 ...
    """
    first, last = _day("since", since), _day("until", until)
    if first is not None and last is not None and last < first:
        raise ExportError(f"--until {last} is before --since {first}; swap them or widen the range")
    languages = _list(lang) or LANGUAGES
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        raise ExportError(f"--lang must be a comma list of {', '.join(LANGUAGES)} (got {lang!r})")
    return Selection(since=first, until=last, languages=languages, categories=_list(category))


def open_store(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the store at path, or ExportError naming the fix."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(
            f"there is no store at {path}; run `scrapy crawl report_feed` first "
            "or point NEWSCRAWL_SQLITE (or --store) at the crawl's SQLite file"
        )
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise ExportError(
            f"{path} cannot be read as a SQLite store ({exc}); point --store at a newscrawl store"
        ) from None
    missing = {"articles", "feed_entries", "stories"} - tables
    if missing:
        connection.close()
        raise ExportError(
            f"{path} is not a newscrawl store (no table {', '.join(sorted(missing))}); "
            "point --store at the file a crawl wrote"
        )
    return connection


def check_categories(connection: sqlite3.Connection, selection: Selection) -> None:
    """Category slugs must be known to the site model or present in the store."""
    if not selection.categories:
        return
    known = {category.slug for language in SITE.values() for category in language.categories}
    known.update(r[0] for r in connection.execute("SELECT DISTINCT category_slug FROM articles") if r[0])
    unknown = [slug for slug in selection.categories if slug not in known]
    if unknown:
        raise ExportError(
            f"--category {', '.join(unknown)} is not a category slug of report.az; "
            f"use slugs such as {', '.join(sorted(known)[:6])} (all are in newscrawl/site.py)"
        )


def where(selection: Selection, *, category_sql: str | None, params: list[Any], by_key: bool = False) -> str:
    """The SQL condition of a selection over a table with language and published_at columns; its
    parameters are appended to params. ``by_key``: the query finds its rows by key, and the language
    must not lead SQLite to the (language, published_at) index instead (a unary + keeps it off)."""
    clauses = [f"{'+' if by_key else ''}language IN ({', '.join('?' * len(selection.languages))})"]
    params.extend(selection.languages)
    if selection.since is not None:
        clauses.append("substr(published_at, 1, 10) >= ?")
        params.append(selection.since.isoformat())
    if selection.until is not None:
        clauses.append("substr(published_at, 1, 10) <= ?")
        params.append(selection.until.isoformat())
    if selection.categories and category_sql is not None:
        clauses.append(category_sql.replace("{slugs}", ", ".join("?" * len(selection.categories))))
        params.extend(selection.categories)
    return " AND ".join(clauses)
