"""What the history tests read back: the store's articles and history rows, the simulator's truth."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sitesim import SiteSimulator


def stored(data: Path) -> set[str]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        return {url for (url,) in db.execute("SELECT url FROM articles")}


def history_parts(data: Path) -> list[tuple[str, str, int, int]]:
    with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
        return list(db.execute("SELECT language, reached, done, pages FROM history ORDER BY language"))


def truth(sim: SiteSimulator, since: str, until: str) -> set[str]:
    """The site's articles published within since..until (Baku time, inclusive)."""
    return {a["url"] for a in sim.articles() if since <= a["published"] <= until}


def listing_pages(sim: SiteSimulator) -> int:
    counts = sim.state()["counts"]
    return sum(int(n) for kind, n in counts.items() if kind.startswith("requests/") and "feed" in kind)
